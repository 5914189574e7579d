-- AlterTable
ALTER TABLE "policy_version" ADD COLUMN     "step_up_actions" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "step_up_auth_context_id" TEXT;
