-- Issue 11: an org-chart mirror kept by Graph's users delta (lib/broker/sync-org-mirror.ts).
-- org_mirror_user: the directory's users with their manager, as of the last completed round.
-- CreateTable
CREATE TABLE "org_mirror_user" (
    "id" TEXT NOT NULL,
    "manager_id" TEXT,
    "display_name" TEXT,
    "user_principal_name" TEXT NOT NULL,
    "account_enabled" BOOLEAN,
    "user_type" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "org_mirror_user_pkey" PRIMARY KEY ("id")
);

-- Direct reports of a manager are the mirror's main read.
-- CreateIndex
CREATE INDEX "org_mirror_user_manager_id_idx" ON "org_mirror_user"("manager_id");

-- org_mirror_staging: the round in progress, applied to org_mirror_user in one transaction at its end.
-- CreateTable
CREATE TABLE "org_mirror_staging" (
    "id" TEXT NOT NULL,
    "removed" BOOLEAN NOT NULL,
    "manager_known" BOOLEAN NOT NULL,
    "manager_id" TEXT,
    "display_name" TEXT,
    "user_principal_name" TEXT,
    "account_enabled" BOOLEAN,
    "user_type" TEXT,

    CONSTRAINT "org_mirror_staging_pkey" PRIMARY KEY ("id")
);

-- org_mirror_state: one row (id 1): the stored deltaLink, the last outcome, and the sync lease.
-- CreateTable
CREATE TABLE "org_mirror_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "delta_link" TEXT,
    "status" TEXT NOT NULL DEFAULT 'never',
    "last_error" TEXT,
    "users" INTEGER NOT NULL DEFAULT 0,
    "last_started_at" TIMESTAMPTZ(3),
    "last_synced_at" TIMESTAMPTZ(3),
    "last_full_sync_at" TIMESTAMPTZ(3),
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ(3),

    CONSTRAINT "org_mirror_state_pkey" PRIMARY KEY ("id")
);
