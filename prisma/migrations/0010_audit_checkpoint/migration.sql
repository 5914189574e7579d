-- Issue 11: GET /api/audit/verify checks only the events after the newest verified checkpoint, and a
-- background job re-verifies the whole chain from seq 1 (lib/audit/verify-audit-chain-incrementally.ts,
-- lib/audit/full-audit-verification.ts).
-- audit_checkpoint is not part of the chain and not append-only. The broker writes a row only with
-- INSERT … SELECT from audit_event (so the pair existed when written), and every reader re-checks
-- that the event at `seq` still carries `hash`; a mismatch is reported as a broken chain.
-- audit_full_verification: one row per full run, its progress while running and its outcome after.
-- CreateEnum
CREATE TYPE "audit_checkpoint_kind" AS ENUM ('incremental', 'full');

-- CreateEnum
CREATE TYPE "audit_full_verification_outcome" AS ENUM ('running', 'passed', 'broken', 'interrupted');

-- CreateTable
CREATE TABLE "audit_checkpoint" (
    "id" BIGSERIAL NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "kind" "audit_checkpoint_kind" NOT NULL,
    "verified_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_checkpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_full_verification" (
    "id" BIGSERIAL NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),
    "outcome" "audit_full_verification_outcome" NOT NULL DEFAULT 'running',
    "total" BIGINT NOT NULL,
    "done" BIGINT NOT NULL DEFAULT 0,
    "first_broken_seq" BIGINT,
    "head_hash" TEXT,

    CONSTRAINT "audit_full_verification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_checkpoint_seq_idx" ON "audit_checkpoint"("seq");

-- CreateIndex
CREATE INDEX "audit_full_verification_outcome_started_at_idx" ON "audit_full_verification"("outcome", "started_at");
