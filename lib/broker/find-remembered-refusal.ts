import 'server-only';
import { z } from 'zod';
import { INELIGIBLE_REASONS } from '@/lib/broker/eligibility';
import type { RefusalEvidence, TapRequestRefusal } from '@/lib/broker/refuse-tap-request';
import type { PrismaClient } from '@/lib/db/generated/client';

/**
 * Refusal memory (`findRememberedRefusal`): a caller refused for a target moments ago, on what
 * Graph said, gets the same answer again from the audit trail instead of another Graph `$batch`,
 * so repeating a refused request costs the attacker as much as it costs us. The memory is the
 * audit trail itself, so every instance on the database shares it.
 *
 * Only refusals are remembered, never a success: the broker reads Graph afresh for every decision
 * that lets a request through (docs: README "Configuration", REFUSAL_MEMORY_SECONDS).
 */

/** What a repeat of the request is answered with, and the evidence its own refusal event carries. */
export interface RememberedRefusal {
  refusal: TapRequestRefusal;
  /** The earlier event's target: Graph's object id, or the normalised reference it did not know. */
  targetId: string | null;
  evidence: RefusalEvidence;
}

export interface RefusalMemoryQuery {
  actorId: string;
  /** The reference asked about, normalised (`normalizeUserReference`); null named nobody. */
  reference: string | null;
  /** The policy in force: a refusal under another version is not this policy's answer. */
  policyVersion: number;
}

// The event's data as the refusal path wrote it (lib/audit/catalogue.ts); anything else is not
// trusted to repeat and sends the request to Graph.
const storedRefusal = z.object({
  policyVersion: z.number().int(),
  code: z.string(),
  reasons: z.array(z.string()).optional(),
  chain: z.array(z.string()).optional(),
});

const row = z.object({ seq: z.coerce.number().int().min(1), target_id: z.string().nullable(), data: z.string() });

/**
 * The refusal to repeat, if the caller's newest create-stage refusal for this target that Graph
 * decided (not in the reporting chain, target ineligible, the caller's own account not an enabled
 * member) was recorded within `seconds` before `now`, under `policyVersion`, and is one Graph
 * would give again: an answer that holds `cannot-verify` is what Graph could *not* see, and is
 * asked again. A refusal answered from memory is never a source itself, so the window runs from
 * the last Graph read and a directory change is seen at most `seconds` late.
 *
 * One query on the caller's events in the window (`audit_event (actor_id, at)` index). The window
 * is measured against `at`, which the audit writer stamps with the database server's clock.
 * `seconds` 0 turns the memory off.
 */
export async function findRememberedRefusal(
  db: PrismaClient,
  query: RefusalMemoryQuery,
  window: { seconds: number; now: Date },
): Promise<RememberedRefusal | null> {
  const { actorId, reference } = query;
  if (window.seconds <= 0 || reference === null) return null;
  const since = new Date(window.now.getTime() - window.seconds * 1000);
  // Returned as text and parsed with zod, whichever driver (pg or PGlite) runs it.
  const rows = await db.$queryRaw<unknown[]>`
    SELECT seq::text AS seq, target_id, data::text AS data FROM audit_event
    WHERE actor_id = ${actorId} AND at >= ${since}::timestamptz
      AND type = 'tap_request.refused'
      AND (target_id = ${reference} OR data->>'targetReference' = ${reference})
      AND data->>'stage' = 'create'
      AND data->>'code' IN ('not-in-reporting-chain', 'target-ineligible', 'forbidden')
      AND data->'rememberedFromSeq' IS NULL
    ORDER BY at DESC, seq DESC
    LIMIT 1`;
  if (rows.length === 0) return null;
  const event = row.parse(rows[0]);
  const stored = storedRefusal.safeParse(JSON.parse(event.data));
  if (!stored.success || stored.data.policyVersion !== query.policyVersion) return null;
  const refusal = toRepeatableRefusal(stored.data.code, stored.data.reasons);
  if (refusal === null) return null;
  const { chain } = stored.data;
  return {
    refusal,
    targetId: event.target_id,
    evidence: {
      policyVersion: query.policyVersion,
      ...(chain === undefined ? {} : { chain }),
      ...(event.target_id === reference ? {} : { targetReference: reference }),
      rememberedFromSeq: event.seq,
    },
  };
}

const isIneligibleReason = (reason: string): reason is (typeof INELIGIBLE_REASONS)[number] => (INELIGIBLE_REASONS as readonly string[]).includes(reason);

/**
 * The refusal a stored code and reasons stand for, when Graph's word on it would be the same
 * again: null for an answer built on what Graph could not see (`cannot-verify`) and for anything
 * the create stage's refusal path does not write.
 */
export function toRepeatableRefusal(code: string, reasons: readonly string[] | undefined): TapRequestRefusal | null {
  switch (code) {
    case 'not-in-reporting-chain':
      return reasons === undefined ? { ok: false, code } : null;
    case 'target-ineligible': {
      if (reasons === undefined || reasons.length === 0 || reasons.includes('cannot-verify')) return null;
      const known = reasons.filter(isIneligibleReason);
      return known.length === reasons.length ? { ok: false, code, reasons: known } : null;
    }
    case 'forbidden':
      return reasons?.length === 1 && reasons[0] === 'requester-not-enabled-member' ? { ok: false, code, why: reasons[0] } : null;
    default:
      return null;
  }
}
