-- Issue 10: budgets that hold across instances on one database.
-- rate_window: one row per budget key and fixed time window, counted by a single atomic upsert
-- (lib/db/rate-window.ts), so several portal instances share one count. Rows are disposable:
-- the background jobs delete those whose window has ended.
-- CreateTable
CREATE TABLE "rate_window" (
    "key" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "hits" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rate_window_pkey" PRIMARY KEY ("key","window_start")
);

-- CreateIndex
CREATE INDEX "rate_window_expires_at_idx" ON "rate_window"("expires_at");

-- rate_hold: a pause every instance honours until `until` (Graph's Retry-After after a 429).
-- CreateTable
CREATE TABLE "rate_hold" (
    "key" TEXT NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rate_hold_pkey" PRIMARY KEY ("key")
);

-- A cap on one requester's open pending_approval requests (issue 10): existing versions get the default.
-- AlterTable
ALTER TABLE "policy_version" ADD COLUMN     "max_pending_requests_per_requester" INTEGER NOT NULL DEFAULT 10;
