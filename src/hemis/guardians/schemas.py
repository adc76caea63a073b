"""Guardian links as the API shows and takes them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from hemis.core.schemas import Id, Input, Struct

Relation = Literal["mother", "father", "guardian", "other"]  # guardians.models.RELATIONS


class GuardianLinkCreate(Input):
    user_id: Id
    relation: Relation


class GuardianLinkRead(Struct):
    id: int
    student_id: int
    user_id: int
    relation: str
    username: str
    display_name: str
    created_at: datetime
