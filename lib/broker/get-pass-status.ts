import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { MAX_LISTED_REQUESTS } from '@/lib/broker/list-tap-requests';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import type { TapMethodInfo } from '@/lib/graph/get-target-facts';
import { listTapMethodsForUsers } from '@/lib/graph/list-tap-methods-for-users';

/**
 * Where an issued pass stands now:
 * - `usable`: Graph says the method signs in (`EnabledByPolicy`);
 * - `not-yet-valid`: its start lies ahead;
 * - `expired`: its lifetime is over (from Graph, or from the stored expiry without asking);
 * - `used`: a one-time pass that signed in once (`OneTimeUsed`);
 * - `disabled-by-policy`: the tenant's TAP policy is off or no longer targets the person;
 * - `revoked`: revoked through the broker;
 * - `replaced`: another of the broker's requests issued a pass for the person, which replaced this
 *   one in Entra (recorded on the request; Graph is not asked);
 * - `gone`: Graph no longer holds the method (deleted outside the broker, or replaced by a pass
 *   issued elsewhere);
 * - `unknown`: Graph would not say for this person (e.g. 403); never a guess.
 */
export type PassState = 'usable' | 'not-yet-valid' | 'expired' | 'used' | 'disabled-by-policy' | 'revoked' | 'replaced' | 'gone' | 'unknown';

export interface PassStatusView {
  requestId: string;
  state: PassState;
  /** Graph's `methodUsabilityReason` as read now; null when Graph was not asked or did not say. */
  methodUsabilityReason: string | null;
  /** Whether a revoke still takes something away (the broker can revoke any issued pass). */
  revocable: boolean;
}

export type PassStatusScope = 'mine' | 'all';

/** Maps Graph's method (or its absence) to a state. Pure; exported for tests. */
export function toPassState(method: TapMethodInfo | undefined | null, methods: TapMethodInfo[] | null): PassState {
  if (methods === null) return 'unknown';
  if (method === undefined || method === null) return 'gone';
  switch (method.methodUsabilityReason) {
    case 'EnabledByPolicy':
      return 'usable';
    case 'NotYetValid':
      return 'not-yet-valid';
    case 'Expired':
      return 'expired';
    case 'OneTimeUsed':
      return 'used';
    case 'DisabledByPolicy':
      return 'disabled-by-policy';
    default:
      return method.isUsable === true ? 'usable' : 'unknown';
  }
}

/**
 * Tracking after issuance: the state of every pass the broker issued in `scope` — `mine` (the
 * caller's own requests) or `all` (admins) — read from Graph's TAP methods in ONE `$batch` pass
 * (chunks of 20) for all the listed issued requests, never one call per person. Requests already
 * revoked, or past their stored expiry, are answered from the database without asking Graph.
 * Read-only: a pass Graph reports gone stays `issued` in the database (the revoke path records it).
 *
 * @throws BrokerError forbidden (`all` without admin), upstream-unavailable (Graph unreachable).
 */
export async function getPassStatuses(
  actor: Actor,
  input: { scope: PassStatusScope },
  ctx: Pick<RequestContext, 'log'>,
  options: UseCaseOptions & { now?: Date } = {},
): Promise<{ statuses: PassStatusView[]; checkedAt: string }> {
  if (input.scope === 'all' && !hasRole(actor, 'admin')) throw new BrokerError('forbidden', 'Only admins may track every issued pass.');
  const db = await resolveDb(options);
  const now = options.now ?? new Date();
  const rows = await db.tapRequest.findMany({
    where: { status: { in: ['issued', 'revoked'] }, ...(input.scope === 'mine' ? { requesterId: actor.id } : {}) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: MAX_LISTED_REQUESTS,
    select: { id: true, status: true, targetUserId: true, methodId: true, expiresDateTime: true, passOutcome: true },
  });
  const live = rows.filter(
    (row) =>
      row.status === 'issued' && row.passOutcome !== 'replaced' && row.methodId !== null && (row.expiresDateTime === null || row.expiresDateTime > now),
  );
  const methodsByUser = live.length === 0 ? new Map<string, TapMethodInfo[] | null>() : await listTapMethodsForUsers(live.map((row) => row.targetUserId), { log: ctx.log });
  const statuses = rows.map((row): PassStatusView => {
    if (row.status === 'revoked') return { requestId: row.id, state: 'revoked', methodUsabilityReason: null, revocable: false };
    if (row.passOutcome === 'replaced') return { requestId: row.id, state: 'replaced', methodUsabilityReason: null, revocable: false };
    if (!live.includes(row)) return { requestId: row.id, state: 'expired', methodUsabilityReason: null, revocable: false };
    const methods = methodsByUser.get(row.targetUserId) ?? null;
    const method = methods?.find((m) => m.id.toLowerCase() === row.methodId?.toLowerCase());
    const state = toPassState(method, methods);
    return {
      requestId: row.id,
      state,
      methodUsabilityReason: method?.methodUsabilityReason ?? null,
      revocable: state === 'usable' || state === 'not-yet-valid' || state === 'unknown' || state === 'disabled-by-policy',
    };
  });
  return { statuses, checkedAt: now.toISOString() };
}
