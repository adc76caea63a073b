"""Identity API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from hemis.core.auth import Role
from hemis.core.schemas import Id, Input, Name, Struct

Username = Annotated[str, msgspec.Meta(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class LoginCreate(Input):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    totp: Annotated[str, msgspec.Meta(max_length=8)] | None = None


class SessionRead(Struct):
    user_id: int
    username: str
    display_name: str
    roles: list[str]
    must_change_password: bool


class UserRead(Struct):
    id: int
    username: str
    display_name: str
    roles: list[str]
    active: bool
    must_change_password: bool
    second_factor: bool
    employee_id: int | None
    student_id: int | None
    faculty_id: int | None
    created_at: datetime


class UserCreated(UserRead):
    # Shown once, when an account that needs a second factor is created: for the authenticator app.
    totp_secret: str | None = None
    totp_uri: str | None = None


class UserCreate(Input):
    username: Username
    display_name: Name
    roles: Annotated[list[Role], msgspec.Meta(min_length=1, max_length=7)]
    password: Password | None = None  # None: single sign-on only
    employee_id: Id | None = None
    student_id: Id | None = None
    faculty_id: Id | None = None


class UserUpdate(Input):
    display_name: Name | Unset = UNSET
    roles: Annotated[list[Role], msgspec.Meta(min_length=1, max_length=7)] | Unset = UNSET
    active: bool | Unset = UNSET
    faculty_id: Id | Unset | None = UNSET


class PasswordReset(Input):
    password: Password  # a temporary password: the user must change it at the next sign-in


class TotpEnrolment(Struct):
    """Shown once: the secret for an authenticator app, and the same as an otpauth:// URI (QR code)."""

    totp_secret: str
    totp_uri: str


class TotpConfirm(Input):
    code: Annotated[str, msgspec.Meta(min_length=6, max_length=8)]


class PasswordChange(Input):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    new_password: Password


MatchBy = Literal["pinfl", "student_id_number", "username"]
HttpUrl = Annotated[str, msgspec.Meta(min_length=10, max_length=500, pattern=r"^https?://[^\s]+$")]
ClaimName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Scopes = Annotated[str, msgspec.Meta(min_length=6, max_length=255, pattern=r"^[A-Za-z0-9_.:/ -]+$")]


class IdentityProviderCreate(Input):
    name: Name
    discovery_url: HttpUrl  # https://…/.well-known/openid-configuration
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    client_secret: Annotated[str, msgspec.Meta(min_length=8, max_length=500)]
    claim: ClaimName  # the ID token claim that carries the PINFL, student id number or user name
    match_by: MatchBy
    scopes: Scopes = "openid"
    active: bool = True


class IdentityProviderUpdate(Input):
    name: Name | Unset = UNSET
    discovery_url: HttpUrl | Unset = UNSET
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | Unset = UNSET
    client_secret: Annotated[str, msgspec.Meta(min_length=8, max_length=500)] | Unset = UNSET
    claim: ClaimName | Unset = UNSET
    match_by: MatchBy | Unset = UNSET
    scopes: Scopes | Unset = UNSET
    active: bool | Unset = UNSET


class IdentityProviderRead(Struct):
    """A provider as its admin sees it: the client secret is never sent back."""

    id: int
    name: str
    discovery_url: str
    client_id: str
    claim: str
    match_by: str
    scopes: str
    active: bool
    created_at: datetime
    updated_at: datetime


class SsoChoice(Struct):
    """A provider offered on the sign-in page."""

    id: int
    name: str
