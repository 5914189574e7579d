-- AlterTable
ALTER TABLE "policy_version" ADD COLUMN     "allowed_directory_role_template_ids" TEXT[] DEFAULT ARRAY['88d8e3e3-8f55-4a1e-953a-9b9898b8876b', '4a5d8f65-41da-4de4-8968-e035b65339cf', '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b', '75934031-6c7e-415a-99d7-48dbd49e875e']::TEXT[],
ADD COLUMN     "protected_group_ids" TEXT[] DEFAULT ARRAY[]::TEXT[];
