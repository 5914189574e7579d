-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "tap_request_status" AS ENUM ('pending_approval', 'approved', 'denied', 'expired', 'issuing', 'issued', 'revoked', 'failed');

-- CreateEnum
CREATE TYPE "require_approval" AS ENUM ('always', 'never', 'indirect-only');

-- CreateTable
CREATE TABLE "policy_version" (
    "version" SERIAL NOT NULL,
    "max_depth" INTEGER,
    "require_approval" "require_approval" NOT NULL,
    "default_lifetime_in_minutes" INTEGER NOT NULL,
    "max_lifetime_in_minutes" INTEGER NOT NULL,
    "is_usable_once" BOOLEAN NOT NULL,
    "approval_validity_minutes" INTEGER NOT NULL,
    "max_issuances_per_manager_per_day" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,

    CONSTRAINT "policy_version_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "tap_request" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "status" "tap_request_status" NOT NULL,
    "requester_id" TEXT NOT NULL,
    "target_user_id" TEXT NOT NULL,
    "target_display_name" TEXT NOT NULL,
    "justification" TEXT NOT NULL,
    "lifetime_in_minutes" INTEGER NOT NULL,
    "is_usable_once" BOOLEAN NOT NULL,
    "start_date_time" TIMESTAMPTZ(3),
    "chain" TEXT[],
    "depth" INTEGER NOT NULL,
    "policy_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_by" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "decision_comment" TEXT,
    "approval_expires_at" TIMESTAMPTZ(3),
    "issued_at" TIMESTAMPTZ(3),
    "expires_date_time" TIMESTAMPTZ(3),
    "method_id" TEXT,
    "replaced_method_id" TEXT,
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by" TEXT,
    "failure_reason" TEXT,
    "idempotency_key" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tap_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "seq" BIGINT NOT NULL,
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "type" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "target_id" TEXT,
    "request_id" UUID,
    "data" JSONB NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "tap_request_idempotency_key_key" ON "tap_request"("idempotency_key");

-- CreateIndex
CREATE INDEX "tap_request_requester_id_created_at_idx" ON "tap_request"("requester_id", "created_at");

-- CreateIndex
CREATE INDEX "tap_request_status_created_at_idx" ON "tap_request"("status", "created_at");

-- CreateIndex
CREATE INDEX "tap_request_target_user_id_created_at_idx" ON "tap_request"("target_user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_id_key" ON "audit_event"("id");

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_hash_key" ON "audit_event"("hash");

-- CreateIndex
CREATE INDEX "audit_event_at_idx" ON "audit_event"("at");

-- CreateIndex
CREATE INDEX "audit_event_type_at_idx" ON "audit_event"("type", "at");

-- CreateIndex
CREATE INDEX "audit_event_actor_id_at_idx" ON "audit_event"("actor_id", "at");

-- CreateIndex
CREATE INDEX "audit_event_target_id_at_idx" ON "audit_event"("target_id", "at");

-- CreateIndex
CREATE INDEX "audit_event_request_id_idx" ON "audit_event"("request_id");

-- AddForeignKey
ALTER TABLE "tap_request" ADD CONSTRAINT "tap_request_policy_version_fkey" FOREIGN KEY ("policy_version") REFERENCES "policy_version"("version") ON DELETE RESTRICT ON UPDATE RESTRICT;

