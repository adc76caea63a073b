"""The trigger that tells a student about a mark, in the transaction that writes the mark.

Statement-level with transition tables: a sheet's marks saved in one statement cost one INSERT …
SELECT into notification, not one per row. PostgreSQL allows transition tables only on triggers
with a single event and no column list, hence two triggers (INSERT; UPDATE, keeping only rows whose
points changed). A mark that rolls back takes its notification with it. No '%' anywhere: Alembic's
offline rendering (provisioning) would double it.
"""

from __future__ import annotations

MARK_KEY = "notification.mark"  # the catalog table of the texts (title, body)

# Subject name, control type, points and the line's maximum for that control, as the params.
_INSERT_FROM = """
    INSERT INTO notification (student_id, kind, message_key, params)
    SELECT n.student_id, 'mark', '{key}',
           jsonb_build_object(
               'subject', sub.name,
               'control', s.control_type,
               'points', n.points::text,
               'max_points', (CASE s.control_type WHEN 'JN' THEN cs.max_current
                                                  WHEN 'ON' THEN cs.max_midterm
                                                  ELSE cs.max_final END)::text)
      FROM {rows}
      JOIN mark_sheet s ON s.id = n.sheet_id
      JOIN curriculum_subject cs ON cs.id = s.curriculum_subject_id
      JOIN subject sub ON sub.id = cs.subject_id
     ORDER BY n.id;
"""


def _function(name: str, rows: str) -> str:
    # search_path pinned to the creating (tenant) schema, as grade_event_chain does.
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$\n"  # lint-skip: trigger DDL
        f"BEGIN{_INSERT_FROM.format(key=MARK_KEY, rows=rows)}    RETURN NULL;\nEND\n$$"
    )


INSERTED_FUNCTION = _function("notify_mark_inserted", "new_marks n")
CHANGED_FUNCTION = _function(
    "notify_mark_changed",
    "new_marks n JOIN old_marks o ON o.id = n.id AND o.points IS DISTINCT FROM n.points",
)
TRIGGERS = (
    (
        "CREATE TRIGGER mark_notify_insert AFTER INSERT ON mark REFERENCING NEW TABLE AS new_marks "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_mark_inserted()"
    ),
    (
        "CREATE TRIGGER mark_notify_update AFTER UPDATE ON mark "
        "REFERENCING OLD TABLE AS old_marks NEW TABLE AS new_marks "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_mark_changed()"
    ),
)
DROP = (
    "DROP TRIGGER IF EXISTS mark_notify_update ON mark",
    "DROP TRIGGER IF EXISTS mark_notify_insert ON mark",
    "DROP FUNCTION IF EXISTS notify_mark_changed()",
    "DROP FUNCTION IF EXISTS notify_mark_inserted()",
)
