-- Issue 11: each audit event stores its data's canonical JSON (lib/audit/canonical.ts) as written, so
-- that exports derive their rows in SQL and stream them at database speed instead of re-encoding
-- every row in JavaScript. Events written before this migration have NULL here (the table is
-- append-only, so they are not back-filled); readers encode those from `data`. The hash covers the
-- canonical encoding of `data`, so a stored text that disagreed with `data` would fail verification.
-- AlterTable
ALTER TABLE "audit_event" ADD COLUMN "data_canonical" TEXT;
