import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { Actor } from '@/lib/auth/actor';
import { BrokerError } from '@/lib/core/errors';
import type { RequestContext } from '@/lib/core/request-context';
import { takeFromRateWindow } from '@/lib/db/rate-window';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { getEnv } from '@/lib/env';

/**
 * The per-user budget of the portal API: every authenticated call counts one hit against its
 * caller, in fixed windows kept in the database, so several instances on one database share one
 * budget per user. The route wrapper (lib/http/route.ts) checks it right after authentication and
 * before the input is read, so a flood of malformed calls is counted like any other.
 */

export interface ApiBudget {
  /** Calls one user may make per window. */
  perUser: number;
  windowSeconds: number;
}

export interface CheckApiBudgetOptions extends UseCaseOptions {
  /** Defaults to the configuration (API_BUDGET_PER_USER, API_BUDGET_WINDOW_SECONDS). */
  budget?: ApiBudget;
}

/** The budget key of a user's API calls: the Entra object id, which no token can choose. */
export function getApiBudgetKey(actor: Pick<Actor, 'id'>): string {
  return `api:${actor.id}`;
}

/**
 * Counts this call against `actor`'s API budget and lets it through while the window's count is
 * within the budget. The call that first goes over in a window records `rate_limit.exceeded`, in
 * the same transaction as the count: if the audit write fails, the count rolls back with it, and
 * the next refusal records it instead — never a window over budget without its record, and never
 * one record per refused call.
 *
 * @throws BrokerError rate-limited (429, `retryAfterSeconds` until the window ends, by the
 *   database's clock); upstream-unavailable when the database cannot be reached
 */
export async function checkApiBudget(actor: Actor, ctx: RequestContext, options: CheckApiBudgetOptions = {}): Promise<void> {
  const budget = options.budget ?? getEnv().apiBudget;
  const db = await resolveDb(options);
  const take = await inTransaction(db, async (tx) => {
    const counted = await takeFromRateWindow(tx, getApiBudgetKey(actor), { windowMs: budget.windowSeconds * 1000, limit: budget.perUser });
    if (counted.firstRefusal) {
      await appendAuditEvent(tx, {
        type: 'rate_limit.exceeded',
        actorId: actor.id,
        data: {
          budget: 'api',
          limit: budget.perUser,
          windowSeconds: budget.windowSeconds,
          windowStart: counted.windowStart,
          retryAfterSeconds: toRetryAfterSeconds(counted.retryAfterMs),
        },
        context: ctx,
      });
    }
    return counted;
  });
  if (take.allowed) return;
  if (take.firstRefusal) ctx.log.warn({ budget: 'api', limit: budget.perUser, windowSeconds: budget.windowSeconds }, 'API budget exceeded');
  const retryAfterSeconds = toRetryAfterSeconds(take.retryAfterMs);
  throw new BrokerError('rate-limited', `More than ${budget.perUser} API calls in ${budget.windowSeconds} s; try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
}

/** Whole seconds, rounded up and at least 1: a client that waits that long is in the next window. */
function toRetryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
