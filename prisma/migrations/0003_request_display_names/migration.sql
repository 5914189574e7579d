-- AlterTable
ALTER TABLE "tap_request" ADD COLUMN     "chain_display_names" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "decided_by_display_name" TEXT,
ADD COLUMN     "requester_display_name" TEXT,
ADD COLUMN     "target_user_principal_name" TEXT;
