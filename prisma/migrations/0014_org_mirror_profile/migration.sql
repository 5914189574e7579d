-- Issue 11: the org-chart mirror also holds what the team page shows beside a name — job title,
-- department and hire date (the "New hire" badge) — so that a page read from the mirror shows what
-- one read live from Graph does. The users delta now selects them too; a deltaLink tracks only the
-- properties of the round that issued it, so the stored link is dropped and the next round starts
-- from scratch (a full round, which also fills the new columns for everyone).
-- AlterTable
ALTER TABLE "org_mirror_user" ADD COLUMN "job_title" TEXT,
ADD COLUMN "department" TEXT,
ADD COLUMN "employee_hire_date" TEXT;

-- AlterTable
ALTER TABLE "org_mirror_staging" ADD COLUMN "job_title" TEXT,
ADD COLUMN "department" TEXT,
ADD COLUMN "employee_hire_date" TEXT;

-- A round in progress was staged without the new columns; start it again.
DELETE FROM "org_mirror_staging";
UPDATE "org_mirror_state" SET "delta_link" = NULL;
