-- Issue 11: the audit chain's head in a one-row table, so that an append is one statement
-- (lib/audit/append-audit-event.ts): an UPDATE of this row computes the next seq, `at` and hash in
-- SQL, and the INSERT into audit_event takes them from its RETURNING. The UPDATE's row lock replaces
-- the advisory lock that used to be held across "read head → insert → COMMIT" round trips to Node:
-- under READ COMMITTED a waiting appender re-reads the row once the holder commits (or sees it
-- unchanged after a rollback), so every event chains to the newest committed one and seqs commit in
-- order, without gaps.
-- `prev_hash` is the head's predecessor, kept so the INSERT can read it from RETURNING (which shows
-- only the updated row). The row always mirrors the newest audit_event; it is not part of the chain,
-- and the verifiers read audit_event only, so a head moved by hand shows as a broken chain at the
-- next append.
-- CreateTable
CREATE TABLE "audit_head" (
    "id" SMALLINT NOT NULL,
    "seq" BIGINT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_head_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_head_single_row" CHECK ("id" = 1)
);

-- The newest event, or for an empty trail seq 0 with the genesis hash (64 zeros) and the Unix epoch
-- as `at` (earlier than any clock, so the first append's `at` is its own).
INSERT INTO "audit_head" ("id", "seq", "at", "prev_hash", "hash")
SELECT 1, coalesce(e."seq", 0), coalesce(e."at", timestamptz '1970-01-01 00:00:00+00'), coalesce(e."prev_hash", repeat('0', 64)), coalesce(e."hash", repeat('0', 64))
FROM (SELECT 1) AS one
LEFT JOIN (SELECT "seq", "at", "prev_hash", "hash" FROM "audit_event" ORDER BY "seq" DESC LIMIT 1) AS e ON true;

-- Exactly one row, forever: the append only ever UPDATEs it. Statement-level, so TRUNCATE (which
-- fires no row triggers) is refused too.
CREATE FUNCTION "refuse_change_to_audit_head"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on "audit_head" refused: the table holds the audit chain''s one head row', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Only appending an audit event moves the head.';
END;
$$;

CREATE TRIGGER "audit_head_one_row"
  BEFORE INSERT OR DELETE OR TRUNCATE ON "audit_head"
  FOR EACH STATEMENT EXECUTE FUNCTION "refuse_change_to_audit_head"();
