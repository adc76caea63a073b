"""Trajectory API shapes."""

from __future__ import annotations

from hemis.core.schemas import Id, Input, Struct


class ChoiceRead(Struct):
    id: int
    student_id: int
    curriculum_subject_id: int


class ChoiceCreate(Input):
    curriculum_subject_id: Id
