-- Issue 12: the names of the people audit events name, as the broker knew them when it wrote the
-- event, so that exports and the audit console's people picker can show "Bianca Pisani ·
-- bianca@…" beside an object id. One row per distinct (id, displayName, userPrincipalName)
-- version, written in the same statement as the event (lib/audit/append-audit-event.ts); an
-- export picks, per event, the newest version recorded at or before the event's `at`, else the
-- oldest. Readability only: names are not part of any event's hash (lib/audit/export-format.ts).
-- CreateTable
CREATE TABLE "recorded_name" (
    "id" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "user_principal_name" TEXT NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recorded_name_pkey" PRIMARY KEY ("id","display_name","user_principal_name")
);

-- CreateIndex
CREATE INDEX "recorded_name_id_recorded_at_idx" ON "recorded_name"("id", "recorded_at");
