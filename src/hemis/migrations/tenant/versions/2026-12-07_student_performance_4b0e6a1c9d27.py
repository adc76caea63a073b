"""student_performance: each studying student's results summed, kept for the national roll-ups,
and student_performance_stale, the students whose sums must be resolved again, listed by
statement triggers in the changing transaction (issue 7: the full recompute); the roll-up
outbox also watches specialities, departments and auditoriums (the structure family)

Revision ID: 4b0e6a1c9d27
Revises: 5298f9d3048d
Create Date: 2026-12-07 20:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b0e6a1c9d27"
down_revision: str | Sequence[str] | None = "5298f9d3048d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# TG_ARGV[0] is a SELECT of the stale students' ids over the statement's transition table
# `changed` (the rows after an INSERT or UPDATE, before a DELETE); an UPDATE runs it over the
# rows before too (`gone`), so a row moved to another student or curriculum lists both sides.
# '@.' stands for the trigger's own schema, so a bulk load or a migration under another
# search_path lists this university's students. No % (format(), LIKE): the offline rendering that
# provisioning runs would double it.
STALE = """
CREATE FUNCTION student_performance_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target text := 'INSERT INTO ' || quote_ident(TG_TABLE_SCHEMA) || '.student_performance_stale (student_id) ';
    students text := replace(TG_ARGV[0], '@.', quote_ident(TG_TABLE_SCHEMA) || '.');
BEGIN
    EXECUTE target || students;
    IF TG_OP = 'UPDATE' AND position('changed' in students) > 0 THEN
        EXECUTE target || replace(students, 'changed', 'gone');
    END IF;
    RETURN NULL;
END $$
"""

EVERYONE = "SELECT NULL::bigint"  # NULL: every student of the university
OWN = "SELECT DISTINCT student_id FROM changed"
# Which students a statement on each table makes stale; every table is also one that makes
# the performance family stale in hemis.rollups.figures.SOURCES (a test holds them together).
# A curriculum's or a scale's change is rare and reaches whole curricula: every student.
STALE_STUDENTS: dict[str, str | None] = {
    "mark": OWN,
    "absence": OWN,
    "elective_choice": OWN,
    "student": "SELECT id FROM changed",
    "academic_group": "SELECT s.id FROM @.student s WHERE s.group_id IN (SELECT id FROM changed)",
    "mark_sheet": "SELECT DISTINCT m.student_id FROM @.mark m WHERE m.sheet_id IN (SELECT id FROM changed)",
    "curriculum_subject": (
        "SELECT s.id FROM @.student s JOIN @.academic_group g ON g.id = s.group_id "
        "WHERE g.curriculum_id IN (SELECT curriculum_id FROM changed)"
    ),
    "curriculum": None,
    "grading_scale": None,
}
# What of a curriculum its students' results read: a new curriculum has no students yet, and one
# with groups cannot be deleted; its other fields (name, years, form) change nobody's results.
CURRICULUM_EVENTS = "UPDATE OF marking_system, grading_scale_id OR DELETE OR TRUNCATE"
# An inserted group or sheet has no students or marks yet.
NOT_ON_INSERT = {"academic_group", "mark_sheet"}


# hemis.rollups.figures.SOURCES["structure"] reads these too (a test holds the lists equal).
NEWLY_WATCHED = ("auditorium", "department", "specialty")


def _triggers(table: str, select: str | None) -> list[str]:
    name = "student_performance_stale"
    if select is None:
        every = CURRICULUM_EVENTS if table == "curriculum" else "INSERT OR UPDATE OR DELETE OR TRUNCATE"
        return [
            f"CREATE TRIGGER {name} AFTER {every} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {name}('{EVERYONE}')"
        ]
    # A transition table serves one event only, and none is given to TRUNCATE.
    events = [("UPDATE", "OLD TABLE AS gone NEW TABLE AS changed"), ("DELETE", "OLD TABLE AS changed")]
    if table not in NOT_ON_INSERT:
        events.insert(0, ("INSERT", "NEW TABLE AS changed"))
    made = [
        f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING {rows} FOR EACH STATEMENT EXECUTE FUNCTION {name}('{select}')"
        for event, rows in events
    ]
    made.append(
        f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}('{EVERYONE}')"
    )
    return made


def upgrade() -> None:
    op.create_table(
        "student_performance",
        sa.Column("student_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("graded", sa.Integer(), nullable=False),
        sa.Column("points_100", sa.Integer(), nullable=False),
        sa.Column("points_sum", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("grade_5", sa.Integer(), nullable=False),
        sa.Column("grade_4", sa.Integer(), nullable=False),
        sa.Column("grade_3", sa.Integer(), nullable=False),
        sa.Column("grade_2", sa.Integer(), nullable=False),
        sa.Column("debts", sa.Integer(), nullable=False),
        sa.Column("barred", sa.Integer(), nullable=False),
        sa.Column("gpa", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column("marks", sa.Integer(), nullable=False),
        sa.Column("marks_on_time", sa.Integer(), nullable=False),
        sa.Column("missed_autumn", sa.Integer(), nullable=False),
        sa.Column("excused_autumn", sa.Integer(), nullable=False),
        sa.Column("missed_spring", sa.Integer(), nullable=False),
        sa.Column("excused_spring", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_student_performance")),
    )
    op.create_table(
        "student_performance_stale",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_performance_stale")),
    )
    op.execute(STALE)
    for table, select in STALE_STUDENTS.items():
        for statement in _triggers(table, select):
            op.execute(statement)
    for table in NEWLY_WATCHED:
        op.execute(
            f"CREATE TRIGGER rollup_outbox AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION rollup_touch()"
        )
    # A university migrated with its data in place: its first round resolves everyone's results
    # and counts its structure.
    op.execute("INSERT INTO student_performance_stale (student_id) VALUES (NULL)")
    op.execute("INSERT INTO rollup_outbox (source) VALUES ('mark'), ('auditorium')")


def downgrade() -> None:
    for table in NEWLY_WATCHED:
        op.execute(f"DROP TRIGGER rollup_outbox ON {table}")
    for table in STALE_STUDENTS:
        for suffix in ("", "_insert", "_update", "_delete", "_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS student_performance_stale{suffix} ON {table}")
    op.execute("DROP FUNCTION student_performance_stale()")
    op.drop_table("student_performance_stale")
    op.drop_table("student_performance")
