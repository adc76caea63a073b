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


# Which students a statement on each table makes stale, as a SELECT over `{rows}`: the statement's
# transition rows (after an INSERT, before a DELETE, both sides of an UPDATE, so a row moved to
# another student or curriculum lists both). Every table is also one that makes the performance
# family stale in hemis.rollups.figures.SOURCES (a test holds them together). A change of a
# curriculum's marking or of a scale is rare and reaches whole curricula: every student (None).
OWN = "SELECT DISTINCT rows.student_id FROM {rows}"
STALE_STUDENTS: dict[str, str | None] = {
    "mark": OWN,
    "absence": OWN,
    "elective_choice": OWN,
    "student": "SELECT DISTINCT rows.id FROM {rows}",
    "academic_group": "SELECT s.id FROM student s WHERE s.group_id IN (SELECT rows.id FROM {rows})",
    "mark_sheet": "SELECT DISTINCT m.student_id FROM mark m WHERE m.sheet_id IN (SELECT rows.id FROM {rows})",
    "curriculum_subject": (
        "SELECT s.id FROM student s JOIN academic_group g ON g.id = s.group_id "
        "WHERE g.curriculum_id IN (SELECT rows.curriculum_id FROM {rows})"
    ),
    "curriculum": None,
    "grading_scale": None,
}
BOTH_SIDES = "(SELECT * FROM changed UNION ALL SELECT * FROM gone) AS rows"


def _function(table: str | None, select: str | None) -> str:
    """The trigger function of `table` (None: the one listing everyone, NULL). Static SQL, so
    PL/pgSQL plans it once per session and table (dynamic SQL, planned on every statement, cost
    a third of a mark write's throughput), with the tenant schema fixed at creation (SET
    search_path FROM CURRENT), so a bulk load or a migration under another search_path lists this
    university's students. No % anywhere: the offline rendering provisioning runs would double it."""
    name = f"student_performance_stale_{table or 'everyone'}"
    insert = "INSERT INTO student_performance_stale (student_id)"
    if select is None:
        body = f"{insert} VALUES (NULL);"
    else:
        update, other = select.format(rows=BOTH_SIDES), select.format(rows="changed AS rows")
        body = f"IF TG_OP = 'UPDATE' THEN {insert} {update}; ELSE {insert} {other}; END IF;"
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT "
        f"AS $$ BEGIN {body} RETURN NULL; END $$"
    )


# What of a curriculum its students' results read: a new curriculum has no students yet, and one
# with groups cannot be deleted; its other fields (name, years, form) change nobody's results.
CURRICULUM_EVENTS = "UPDATE OF marking_system, grading_scale_id OR DELETE OR TRUNCATE"
# An inserted group or sheet has no students or marks yet.
NOT_ON_INSERT = {"academic_group", "mark_sheet"}


# hemis.rollups.figures.SOURCES["structure"] reads these too (a test holds the lists equal).
NEWLY_WATCHED = ("auditorium", "department", "specialty")


def _triggers(table: str, select: str | None) -> list[str]:
    name, everyone = "student_performance_stale", "student_performance_stale_everyone()"
    if select is None:
        every = CURRICULUM_EVENTS if table == "curriculum" else "INSERT OR UPDATE OR DELETE OR TRUNCATE"
        return [
            f"CREATE TRIGGER {name} AFTER {every} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {everyone}"
        ]
    # A transition table serves one event only, and none is given to TRUNCATE.
    events = [("UPDATE", "OLD TABLE AS gone NEW TABLE AS changed"), ("DELETE", "OLD TABLE AS changed")]
    if table not in NOT_ON_INSERT:
        events.insert(0, ("INSERT", "NEW TABLE AS changed"))
    made = [
        f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING {rows} FOR EACH STATEMENT EXECUTE FUNCTION {name}_{table}()"
        for event, rows in events
    ]
    made.append(
        f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {everyone}"
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
    op.execute(_function(None, None))
    for table, select in STALE_STUDENTS.items():
        if select is not None:
            op.execute(_function(table, select))
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
    op.execute("DROP FUNCTION student_performance_stale_everyone()")
    for table, select in STALE_STUDENTS.items():
        if select is not None:
            op.execute(f"DROP FUNCTION student_performance_stale_{table}()")
    op.drop_table("student_performance_stale")
    op.drop_table("student_performance")
