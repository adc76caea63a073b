"""The grade history hash chain: one SQL definition used by the trigger and by the verifier.

Each grade_event row stores sha256 over the previous row's hash and its own columns, so
rewriting, deleting or inserting a row anywhere breaks every later link. The trigger on
mark writes the rows (the app cannot skip it), and tenant roles may not change them.
"""

from __future__ import annotations

# The hashed text of a grade_event row; `r` is the row (NEW in the trigger, the table in the verifier).
PAYLOAD = (
    # A JSON array, not a joined string: with "a|b" joins, moving a separator between two
    # text fields (actor, reason) would leave the text, and so the hash, unchanged.
    "json_build_array({r}.prev_hash, {r}.mark_id, {r}.student_id, {r}.sheet_id, {r}.old_points, "
    "{r}.new_points, {r}.actor, {r}.reason, {r}.request_id, "
    "to_char({r}.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'))::text"
)
GENESIS = "0" * 64


def hash_sql(row: str) -> str:
    return f"encode(sha256(convert_to({PAYLOAD.format(r=row)}, 'UTF8')), 'hex')"


# Pinning search_path to the creating schema (the tenant's) keeps the function in its tenant.  # lint-skip: trigger DDL
# No '%' anywhere (no %ROWTYPE): Alembic's offline rendering would double it.
TRIGGER_FUNCTION = f"""
CREATE FUNCTION grade_event_chain() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$  -- lint-skip: trigger DDL
DECLARE
    e record;
BEGIN
    -- Under a snapshot isolation the head read below could miss a committed row and fork the chain.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'marks are written in READ COMMITTED transactions only';
    END IF;
    -- One writer at a time extends this tenant's chain.
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.grade_event'));
    SELECT coalesce((SELECT hash FROM grade_event ORDER BY id DESC LIMIT 1), '{GENESIS}') AS prev_hash,
           NEW.id AS mark_id, NEW.student_id AS student_id, NEW.sheet_id AS sheet_id,
           (CASE WHEN TG_OP = 'UPDATE' THEN OLD.points END)::numeric(5, 2) AS old_points,
           NEW.points AS new_points,
           coalesce(current_setting('hemis.actor', true), '') AS actor,
           coalesce(current_setting('hemis.reason', true), '') AS reason,
           coalesce(current_setting('hemis.request_id', true), '') AS request_id,
           date_trunc('microseconds', clock_timestamp()) AS at
      INTO e;
    INSERT INTO grade_event (mark_id, student_id, sheet_id, old_points, new_points, actor, reason, request_id,
                             at, prev_hash, hash)
    VALUES (e.mark_id, e.student_id, e.sheet_id, e.old_points, e.new_points, e.actor, e.reason, e.request_id,
            e.at, e.prev_hash, {hash_sql("e")});
    RETURN NEW;
END
$$
"""
TRIGGER = (
    "CREATE TRIGGER mark_history AFTER INSERT OR UPDATE OF points ON mark "
    "FOR EACH ROW EXECUTE FUNCTION grade_event_chain()"
)

# Marks whose history disagrees with them: the newest event must hold the mark's points and
# there must be one event per version (a deleted tail or a silent change shows up here).
VERIFY_MARKS = """
SELECT m.id FROM mark m
LEFT JOIN LATERAL (
    SELECT count(*) AS events,
           (SELECT g2.new_points FROM grade_event g2 WHERE g2.mark_id = m.id ORDER BY g2.id DESC LIMIT 1) AS latest
    FROM grade_event g WHERE g.mark_id = m.id
) h ON true
WHERE h.events <> m.version OR h.latest IS DISTINCT FROM m.points
ORDER BY m.id
"""

# Rows whose stored hash differs from the recomputed one, or whose link to the previous row is broken.
VERIFY = f"""
SELECT id FROM (
    SELECT g.id, g.hash, g.prev_hash, {hash_sql("g")} AS recomputed,
           coalesce(lag(g.hash) OVER (ORDER BY g.id), '{GENESIS}') AS expected_prev
    FROM grade_event g
) c
WHERE c.hash <> c.recomputed OR c.prev_hash <> c.expected_prev
ORDER BY id
"""
