-- A requester may withdraw a request that is waiting for an approver or approved but not yet
-- issued. The migration runner applies each file in its own transaction: ADD VALUE is allowed
-- there as long as nothing in the same transaction uses the new value, and nothing here does.
ALTER TYPE "tap_request_status" ADD VALUE 'withdrawn';

-- AlterTable
ALTER TABLE "tap_request" ADD COLUMN     "replaced_by_request_id" UUID,
ADD COLUMN     "withdrawn_at" TIMESTAMPTZ(3),
ADD COLUMN     "withdraw_reason" TEXT;
