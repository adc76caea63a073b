"""Who works in a console: the person piccolo-admin sees, and the audiences a console is built for."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.authentication import BaseUser


class AdminPerson(BaseUser):
    """`request.user` as piccolo-admin reads it (`.user`, `.display_name`, `.user_id`), with who
    the audit names (`actor`) and whether this person may write at all (`read_only`)."""

    def __init__(self, user_id: int, username: str, *, actor: str, read_only: bool = False) -> None:
        self.user = _PiccoloUserView(user_id, username)
        self.actor = actor
        self.read_only = read_only

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.user.username

    @property
    def user_id(self) -> int:
        return self.user.id


class _PiccoloUserView:
    """The attributes piccolo's endpoints and validators read on `request.user.user`."""

    admin = True
    superuser = False  # piccolo's own user and session tables are not in the console
    active = True

    def __init__(self, user_id: int, username: str) -> None:
        self.id = user_id
        self.username = username


@dataclass(frozen=True)
class Audience:
    """Whom a console is built for: its sign-in, the tables it shows, and whether it writes.
    A tenant can have one console per audience open; each is bound to that tenant alone."""

    name: str
    read_only: bool = False
    hidden: frozenset[str] = frozenset()


# People's records and the admins' own (audit, support grants) are not for support staff: the
# same rule as the API's read-only support principal.
PERSONAL = frozenset(
    {
        "student",
        "student_status_change",
        "employee",
        "audit_event",
        "support_access",
        "payment_event",
        "payme_transaction",
        "stripe_checkout",
        "guardian_link",
        "notification",
    }
)  # fmt: skip  (payers' details come in providers' bodies and accounts)
UNIVERSITY = Audience("university")  # the university's own admins, on its host
MINISTRY = Audience("ministry")  # ministry super-admins, from the national host
SUPPORT_DESK = Audience("support", read_only=True, hidden=PERSONAL)  # support staff with a grant
