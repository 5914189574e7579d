/**
 * Whether a Temporary Access Pass can be used now, and if not why — Graph's `isUsable` and
 * `methodUsabilityReason`. Read by the Graph resource (`graph/tap-methods.ts`) and by sign-in
 * with a pass (`tap-passes.ts`), which must agree.
 */
import type { TapMethod, TapPolicy } from './types';

export type MethodUsabilityReason = 'EnabledByPolicy' | 'DisabledByPolicy' | 'Expired' | 'NotYetValid' | 'OneTimeUsed';

/**
 * Computes `isUsable` / `methodUsabilityReason`. Graph does not document the precedence when
 * several reasons hold; ours: Expired, then OneTimeUsed, then DisabledByPolicy, then NotYetValid.
 */
export function getTapUsability(m: TapMethod, policy: TapPolicy, now: number = Date.now()): { isUsable: boolean; methodUsabilityReason: MethodUsabilityReason } {
  const start = Date.parse(m.startDateTime);
  const end = start + m.lifetimeInMinutes * 60_000;
  let reason: MethodUsabilityReason;
  if (now >= end) reason = 'Expired';
  else if (m.isUsableOnce && m.usedDateTime !== null) reason = 'OneTimeUsed';
  else if (policy.state !== 'enabled') reason = 'DisabledByPolicy';
  else if (now < start) reason = 'NotYetValid';
  else reason = 'EnabledByPolicy';
  return { isUsable: reason === 'EnabledByPolicy', methodUsabilityReason: reason };
}
