"""Change notifications: statement triggers send NOTIFY hemis_changes when a change commits
(hemis.core.changes), so a process keeping pages (hemis.portal.page_cache) drops the ones it
makes stale at once (issue 8).

What a notification names, so that as few kept pages as possible are dropped:
- '<schema> g <group ids>': rows of a student (marks, absences, contracts, notifications …)
  or of a group changed; a student's page shows their own rows and their group's (the rank).
  Found from the statement's transition tables; the whole university when a row's group is
  unknown or the list is long;
- '<schema> s <session hashes>': a session ended or changed (signing out, an admin ending it,
  a password change): only that session's pages;
- '<schema>': anything else a page may show (curricula, the timetable's pairs, the profile,
  accounts' roles …): every page of the university.

Not notified: what no page shows and what is written on reads or sign-in attempts (the roll-up
outbox and the stale-results queue, written beside changes that are notified anyway; the audit
trail; sign-in limits and SSO attempts), a session's idle clock (user_session.last_seen_at,
moved at most once a minute on a read) and an account's password and second-factor bookkeeping
(written on sign-in). A test holds these lists against every table of the schema.

Revision ID: 9d4e2b7c1a36
Revises: 8c1f2d7e4a90
Create Date: 2026-12-08 01:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "9d4e2b7c1a36"
down_revision: str | Sequence[str] | None = "8c1f2d7e4a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows of one student: the notification names the student's group.
OF_STUDENTS = (
    "absence",
    "contract",
    "elective_choice",
    "grade_event",
    "guardian_link",
    "ledger_entry",
    "mark",
    "notification",
    "push_subscription",
    "stipend_assignment",
    "stipend_line",
    "student_performance",
    "student_status_change",
)
# Rows of one group (a student's own row names their group, before and after a move).
OF_GROUPS = ("lesson_group", "mark_sheet", "student", "teaching_assignment")
# Everything else a page may show: the whole university.
OF_UNIVERSITY = (
    "academic_group",
    "api_token",
    "auditorium",
    "building",
    "contract_counter",
    "contract_instalment",
    "curriculum",
    "curriculum_subject",
    "curriculum_week",
    "department",
    "employee",
    "fee_discount",
    "fee_structure",
    "grading_scale",
    "identity_provider",
    "instalment_plan",
    "institution_profile",
    "lesson",
    "lesson_pair",
    "mark_change_request",
    "payme_transaction",
    "payment_event",
    "payment_provider",
    "specialty",
    "sso_link",
    "stipend_rule",
    "stipend_run",
    "stripe_checkout",
    "subject",
    "support_access",
)
# user_account but its password and second-factor bookkeeping (moved on signing in).
ACCOUNT_COLUMNS = (
    "username, display_name, roles, must_change_password, active, employee_id, student_id, faculty_id"
)
# user_session but last_seen_at (the idle clock).
SESSION_COLUMNS = "token_hash, user_id, created_at, expires_at, ended_at, ended_reason, ip, user_agent"

# The schema from the trigger's own table: a migration or bulk load under another search_path
# still names the right university. pg_notify folds repeats within a transaction. No format()
# with %: the offline rendering that provisioning runs would double it.
NOTIFY = """
CREATE FUNCTION notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hemis_changes', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$
"""
# TG_ARGV[0]: the column naming the group ('group_id') or the student ('student_id').
NOTIFY_GROUPS = """
CREATE FUNCTION notify_group_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text;
    groups text;
    unknown bigint;
BEGIN
    changed := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT ' || TG_ARGV[0] || ' AS ref FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT ' || TG_ARGV[0] || ' AS ref FROM old_rows'
        ELSE 'SELECT ' || TG_ARGV[0] || ' AS ref FROM new_rows UNION SELECT ' || TG_ARGV[0] || ' FROM old_rows'
    END;
    IF TG_ARGV[0] = 'student_id' THEN
        changed := 'SELECT s.group_id AS ref FROM (' || changed || ') c LEFT JOIN '
            || quote_ident(TG_TABLE_SCHEMA) || '.student s ON s.id = c.ref';
    END IF;
    EXECUTE 'SELECT string_agg(DISTINCT ref::text, '',''), count(*) FILTER (WHERE ref IS NULL) FROM ('
        || changed || ') g' INTO groups, unknown;
    IF groups IS NULL AND unknown = 0 THEN
        RETURN NULL;  -- no row changed
    END IF;
    IF unknown > 0 OR length(groups) > 7000 THEN
        PERFORM pg_notify('hemis_changes', TG_TABLE_SCHEMA);
    ELSE
        PERFORM pg_notify('hemis_changes', TG_TABLE_SCHEMA || ' g ' || groups);
    END IF;
    RETURN NULL;
END $$
"""
NOTIFY_SESSION = """
CREATE FUNCTION notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hemis_changes', TG_TABLE_SCHEMA || ' s ' || OLD.token_hash);
    RETURN NULL;
END $$
"""


def _by_groups(table: str, column: str) -> list[str]:
    """Transition tables need a trigger per event; TRUNCATE has none: the whole university."""
    run = f"FOR EACH STATEMENT EXECUTE FUNCTION notify_group_change('{column}')"
    return [
        f"CREATE TRIGGER notify_change_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows {run}",
        (
            f"CREATE TRIGGER notify_change_update AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}"
        ),
        f"CREATE TRIGGER notify_change_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows {run}",
        f"CREATE TRIGGER notify_change AFTER TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION notify_change()",
    ]


def upgrade() -> None:
    for function in (NOTIFY, NOTIFY_GROUPS, NOTIFY_SESSION):
        op.execute(function)
    for table in OF_UNIVERSITY:
        op.execute(
            f"CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_change()"
        )
    for tables, column in ((OF_STUDENTS, "student_id"), (OF_GROUPS, "group_id")):
        for table in tables:
            for statement in _by_groups(table, column):
                op.execute(statement)
    op.execute(
        f"CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OF {ACCOUNT_COLUMNS} OR DELETE OR TRUNCATE "
        "ON user_account FOR EACH STATEMENT EXECUTE FUNCTION notify_change()"
    )
    # A new session has no pages yet; a changed or ended one, its own.
    op.execute(
        f"CREATE TRIGGER notify_change AFTER UPDATE OF {SESSION_COLUMNS} OR DELETE ON user_session "
        "FOR EACH ROW EXECUTE FUNCTION notify_session_change()"
    )
    op.execute(
        "CREATE TRIGGER notify_change_truncate AFTER TRUNCATE ON user_session "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_change()"
    )


def downgrade() -> None:
    for table in (*OF_UNIVERSITY, "user_account", "user_session"):
        op.execute(f"DROP TRIGGER notify_change ON {table}")
    op.execute("DROP TRIGGER notify_change_truncate ON user_session")
    for table in (*OF_STUDENTS, *OF_GROUPS):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER notify_change_{event} ON {table}")
        op.execute(f"DROP TRIGGER notify_change ON {table}")
    for function in ("notify_change", "notify_group_change", "notify_session_change"):
        op.execute(f"DROP FUNCTION {function}()")
