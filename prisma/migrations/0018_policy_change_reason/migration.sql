-- Issue 12: a policy version keeps why the admin saved it (required by the console, optional in the
-- API) and, for a restore, the earlier version whose settings it copies. Versions saved before
-- read as null: no reason was asked for then.
-- AlterTable
ALTER TABLE "policy_version" ADD COLUMN "change_reason" TEXT,
ADD COLUMN "restored_from_version" INTEGER;
