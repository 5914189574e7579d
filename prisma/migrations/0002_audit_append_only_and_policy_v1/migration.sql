-- Issue 3: an append-only audit trail enforced by the database itself, the built-in policy stored
-- as version 1, and the columns the crash-safe issuance needs.

-- AlterTable
ALTER TABLE "tap_request" ADD COLUMN     "failure_code" TEXT,
ADD COLUMN     "intent_at" TIMESTAMPTZ(3),
ADD COLUMN     "revoked_method_deleted" BOOLEAN;

-- Append-only tables. Statement-level BEFORE triggers, so every UPDATE, DELETE or TRUNCATE raises,
-- even one that would touch no row, and TRUNCATE (which fires no row triggers) is covered too.
-- The hash chain makes edits by someone who can disable the triggers (the table owner, a
-- superuser) detectable; the triggers stop the application, and anyone using its credentials
-- casually, from changing history at all.
CREATE FUNCTION "refuse_change_to_append_only_table"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on "%" refused: the table is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Audit events and policy versions are never changed or removed; record a new event or version instead.';
END;
$$;

CREATE TRIGGER "audit_event_append_only"
  BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION "refuse_change_to_append_only_table"();

-- A request names the exact policy version it was decided under; that version must never change.
CREATE TRIGGER "policy_version_append_only"
  BEFORE UPDATE OR DELETE OR TRUNCATE ON "policy_version"
  FOR EACH STATEMENT EXECUTE FUNCTION "refuse_change_to_append_only_table"();

-- The built-in policy, so that there always is a current policy (the highest version). The serial
-- assigns version 1 on a fresh database and keeps its sequence in step with the row.
INSERT INTO "policy_version"
  ("max_depth", "require_approval", "default_lifetime_in_minutes", "max_lifetime_in_minutes", "is_usable_once",
   "approval_validity_minutes", "max_issuances_per_manager_per_day", "created_by")
SELECT NULL, 'indirect-only', 60, 480, true, 1440, 20, 'system'
WHERE NOT EXISTS (SELECT 1 FROM "policy_version");
