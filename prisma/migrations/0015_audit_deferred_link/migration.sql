-- Issue 11: the chain link moves to COMMIT time, so that the head row's lock is held for the commit
-- alone instead of "append → round trip to Node → COMMIT". Measured with 0013's one-statement
-- append: at 27 issuances/s, appenders spent most of their time queued on the head row while its
-- holder's transaction sat idle waiting for the application to send COMMIT.
--
-- appendAuditEvent (lib/audit/append-audit-event.ts) now INSERTs the event into audit_pending, which
-- takes no lock anyone else waits for. A deferred constraint trigger links each pending row when
-- its transaction commits, in the order the rows were inserted, with exactly 0013's statement:
-- the UPDATE of audit_head computes seq, `at` and hash in SQL, the INSERT into audit_event stores
-- the event, and the pending row is deleted. A link that fails fails the COMMIT, so the change and
-- its record still commit or roll back together. `at` is the COMMIT statement's timestamp (never
-- earlier than the head's), which is when the event became true.
--
-- audit_pending is UNLOGGED: a row never outlives its transaction (it is deleted at COMMIT, or
-- rolled back), so nothing in it needs crash safety, and it costs no WAL.
-- CreateTable
CREATE UNLOGGED TABLE "audit_pending" (
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "target_id" TEXT,
    "request_id" UUID,
    "data_canonical" TEXT NOT NULL,
    "before_at" TEXT NOT NULL,
    "before_seq" TEXT NOT NULL,
    "after_seq" TEXT NOT NULL,

    CONSTRAINT "audit_pending_pkey" PRIMARY KEY ("id")
);

-- The to_char pattern writes what Date.prototype.toISOString writes for years 0–9999; `at` is
-- truncated to milliseconds (timestamptz(3) would round, possibly past the formatted value).
CREATE FUNCTION "link_pending_audit_event"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head RECORD;
BEGIN
  UPDATE "audit_head" SET
    "seq" = "seq" + 1,
    "at" = greatest("at", date_trunc('milliseconds', statement_timestamp())),
    "prev_hash" = "hash",
    "hash" = encode(sha256(convert_to(
      "hash" || NEW."before_at"
        || to_char(greatest("at", date_trunc('milliseconds', statement_timestamp())) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        || NEW."before_seq" || ("seq" + 1)::text || NEW."after_seq",
      'UTF8')), 'hex')
  WHERE "id" = 1
  RETURNING "seq", "at", "prev_hash", "hash" INTO head;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the audit chain has no head row (migration 0013)';
  END IF;
  INSERT INTO "audit_event" ("seq", "id", "at", "type", "actor_id", "target_id", "request_id", "data", "data_canonical", "prev_hash", "hash")
  VALUES (head."seq", NEW."id", head."at", NEW."type", NEW."actor_id", NEW."target_id", NEW."request_id",
    NEW."data_canonical"::jsonb, NEW."data_canonical", head."prev_hash", head."hash");
  DELETE FROM "audit_pending" WHERE "id" = NEW."id";
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER "audit_pending_link"
  AFTER INSERT ON "audit_pending"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION "link_pending_audit_event"();
