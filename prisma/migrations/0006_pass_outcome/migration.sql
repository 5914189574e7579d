-- AlterTable
ALTER TABLE "tap_request" ADD COLUMN     "pass_outcome" TEXT,
ADD COLUMN     "pass_outcome_at" TIMESTAMPTZ(3);
