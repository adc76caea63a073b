"""Change notifications: a statement trigger on every table a page may show sends
NOTIFY hemis_changes '<schema>' (hemis.core.changes), delivered when the change commits, so a
process keeping pages (hemis.portal.page_cache) drops this university's at once (issue 8)

Not notified: what no page shows and what is written on reads or sign-in attempts (the roll-up
outbox and the stale-results queue, which the triggers and the worker write beside changes that
are notified anyway; the audit trail; sign-in limits and SSO attempts), and a session's idle
clock (user_session.last_seen_at, moved at most once a minute per session on a read). A test
holds this list against every table of the schema.

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

NOTIFIED = (
    "absence",
    "academic_group",
    "api_token",
    "auditorium",
    "building",
    "contract",
    "contract_counter",
    "contract_instalment",
    "curriculum",
    "curriculum_subject",
    "curriculum_week",
    "department",
    "elective_choice",
    "employee",
    "fee_discount",
    "fee_structure",
    "grade_event",
    "grading_scale",
    "guardian_link",
    "identity_provider",
    "instalment_plan",
    "institution_profile",
    "ledger_entry",
    "lesson",
    "lesson_group",
    "lesson_pair",
    "mark",
    "mark_change_request",
    "mark_sheet",
    "notification",
    "payme_transaction",
    "payment_event",
    "payment_provider",
    "push_subscription",
    "specialty",
    "sso_link",
    "stipend_assignment",
    "stipend_line",
    "stipend_rule",
    "stipend_run",
    "stripe_checkout",
    "student",
    "student_performance",
    "student_status_change",
    "subject",
    "support_access",
    "teaching_assignment",
    "user_account",
)
# Every column of user_session but last_seen_at: signing in and out, and a session ended by an
# admin or a password change, are notified; the idle clock's move is not.
SESSION_COLUMNS = "token_hash, user_id, created_at, expires_at, ended_at, ended_reason, ip, user_agent"

# The schema from the trigger's own table: a migration or bulk load under another search_path
# still names the right university. pg_notify folds repeats within a transaction.
NOTIFY = """
CREATE FUNCTION notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hemis_changes', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(NOTIFY)
    for table in NOTIFIED:
        op.execute(
            f"CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_change()"
        )
    op.execute(
        f"CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OF {SESSION_COLUMNS} OR DELETE OR TRUNCATE "
        "ON user_session FOR EACH STATEMENT EXECUTE FUNCTION notify_change()"
    )


def downgrade() -> None:
    for table in (*NOTIFIED, "user_session"):
        op.execute(f"DROP TRIGGER notify_change ON {table}")
    op.execute("DROP FUNCTION notify_change()")
