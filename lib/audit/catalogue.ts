import 'server-only';
import { z } from 'zod';
import { AUDIT_EXPORT_FORMATS, auditPolicyRecordSchema, type AuditEventType } from '@/lib/contract/audit';
import { REQUIRE_APPROVAL_VALUES } from '@/lib/contract/policy';
import type { ProblemCode } from '@/lib/contract/problem';
import { PASS_OUTCOMES, TAP_REQUEST_STATUSES } from '@/lib/contract/tap-requests';

/**
 * The audit event catalogue: the shape of each event type's `data`. The event types, their labels
 * and the vocabularies `data` uses (request statuses, approval rules, pass outcomes, export formats,
 * problem codes) are the contract's (lib/contract), so the catalogue cannot name a type the API
 * does not list, nor miss one.
 * `appendAuditEvent` parses `data` with the type's schema (strict: unknown keys are refused), so a
 * misspelt field fails loudly in the transaction instead of leaving a gap in the record.
 *
 * Conventions for `data`:
 * - `context` ({ requestId, ip, userAgent, clientRequestId? } of the HTTP call) is added by the writer,
 *   never by callers.
 * - `policyVersion` wherever a policy decided the outcome; `chain` (ids from the target's manager up
 *   to the requester, as read from Graph) and `depth` wherever the org chart decided it;
 *   `graphRequestId` (Graph's `request-id` header) wherever a Graph call happened.
 * - Timestamps are ISO 8601 strings in UTC (a `Date` is accepted and converted).
 * - `details`: an optional free-form JSON object for evidence a type does not name yet.
 * - Never a secret: the pass, tokens, client secrets. The writer refuses secret-looking keys and
 *   values (see assert-no-secrets.ts) rather than redacting them.
 */

const id = z.string().min(1).max(256);
const isoDateTime = z.union([z.iso.datetime({ offset: true }), z.date().transform((date) => date.toISOString())]);

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);

/** Evidence fields any event may carry. */
const evidence = {
  policyVersion: z.number().int().min(0).optional(),
  chain: z.array(id).optional(),
  depth: z.number().int().min(0).optional(),
  graphRequestId: z.string().max(256).nullable().optional(),
  details: z.record(z.string(), json).optional(),
};

const requestStatus = z.enum(TAP_REQUEST_STATUSES);

/** The problem codes an event may record: a subset of the contract's, checked by the type. */
function problemCodesSchema<const C extends readonly [ProblemCode, ...ProblemCode[]]>(...codes: C) {
  return z.enum(codes);
}
const requireApproval = z.enum(REQUIRE_APPROVAL_VALUES);

/** Where in the lifecycle a refusal or failure happened. */
export const AUDIT_STAGES = ['create', 'approve', 'deny', 'issue', 'revoke', 'reconcile', 'policy'] as const;
const stage = z.enum(AUDIT_STAGES);

/** The request budgets a `rate_limit.exceeded` event may name (lib/limits). */
export const RATE_BUDGETS = ['api'] as const;

const policySnapshot = z.strictObject({
  ...auditPolicyRecordSchema.shape,
  requireApproval,
  // Optional: snapshots written before step-up existed lack them.
  stepUpAuthContextId: z.optional(auditPolicyRecordSchema.shape.stepUpAuthContextId),
  stepUpActions: z.optional(auditPolicyRecordSchema.shape.stepUpActions),
  version: z.number().int(),
});

/**
 * A refusal for want of step-up: the policy's authentication context (`authContextId`) was not
 * among those the caller's access token proved (`presentedAuthContexts`, from its `acrs`; the
 * token itself is never recorded), or the token that proved it was too old (`stepUp` says which,
 * `proofAgeSeconds` how old the token was). Nothing else changed.
 */
const stepUpEvidence = {
  authContextId: z.string().min(1).optional(),
  presentedAuthContexts: z.array(z.string()).optional(),
  stepUp: z.enum(['not-proven', 'too-old']).optional(),
  proofAgeSeconds: z.number().int().nullable().optional(),
};

export const auditCatalogue = {
  /** A manager asked for a pass; `status` is what the request started as. */
  'tap_request.created': z.strictObject({
    ...evidence,
    status: requestStatus.extract(['pending_approval', 'approved']),
    targetDisplayName: z.string().nullable(),
    justification: z.string(),
    lifetimeInMinutes: z.number().int(),
    isUsableOnce: z.boolean(),
    startDateTime: isoDateTime.nullable(),
  }),
  /** `auto: true` with `decidedBy: 'system'` when the policy needed no approval. */
  'tap_request.approved': z.strictObject({
    ...evidence,
    decidedBy: id,
    auto: z.boolean(),
    comment: z.string().nullable().optional(),
    approvalExpiresAt: isoDateTime,
  }),
  'tap_request.denied': z.strictObject({
    ...evidence,
    decidedBy: id,
    reason: z.string().min(1),
  }),
  /**
   * An approval or a pending request ran out of time (the reconciler, or a late issue attempt), or
   * an automatic approval lapsed because the policy in force now wants an approver
   * (`reason: 'policy-tightened'` when the policy changed, `'reporting-line-changed'` when the
   * target now sits deeper below the requester): `policyVersion` is the policy that decided,
   * `approvedUnderPolicyVersion` the one the request was approved under.
   */
  'tap_request.expired': z.strictObject({
    ...evidence,
    previousStatus: requestStatus,
    reason: z.string().optional(),
    approvedUnderPolicyVersion: z.number().int().min(0).optional(),
    requireApproval: requireApproval.optional(),
  }),
  /** A denied attempt: nothing changed except, possibly, the request being marked failed. */
  'tap_request.refused': z.strictObject({
    ...evidence,
    stage,
    code: problemCodesSchema('not-in-reporting-chain', 'target-ineligible', 'rate-limited', 'forbidden', 'conflict', 'validation-failed', 'step-up-required'),
    reasons: z.array(z.string()).optional(),
    ...stepUpEvidence,
    /** Set when the refusal moved the request to another status (e.g. failed). */
    newStatus: requestStatus.optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    /**
     * At creation, the reference the caller asked about (normalised) when Graph resolved it to
     * another id (a UPN to an object id): what a repeat of the request is matched on.
     */
    targetReference: id.optional(),
    /**
     * The refusal was answered from this earlier event (same caller, target and policy version,
     * within REFUSAL_MEMORY_SECONDS) and Graph was not read again.
     */
    rememberedFromSeq: z.number().int().min(1).optional(),
  }),
  /** The requester took the request back before a pass existed; `reason` if they gave one. */
  'tap_request.withdrawn': z.strictObject({
    ...evidence,
    previousStatus: requestStatus.extract(['pending_approval', 'approved']),
    reason: z.string().nullable(),
  }),
  /** The intent, recorded before the Graph call (status approved → issuing). */
  'tap.issue_started': z.strictObject({
    ...evidence,
    idempotencyKey: z.string().min(1),
    replacingMethodId: z.string().nullable(),
    lifetimeInMinutes: z.number().int(),
    isUsableOnce: z.boolean(),
    startDateTime: isoDateTime.nullable(),
  }),
  /** Graph created the pass and the requester received it (never the pass itself). */
  'tap.issued': z.strictObject({
    ...evidence,
    idempotencyKey: z.string().min(1).optional(),
    methodId: z.string().min(1),
    replacedMethodId: z.string().nullable(),
    /** The broker's request whose pass this one replaced in Entra, when the replaced pass was ours. */
    replacedRequestId: z.string().uuid().optional(),
    startDateTime: isoDateTime,
    lifetimeInMinutes: z.number().int(),
    isUsableOnce: z.boolean(),
    expiresDateTime: isoDateTime,
  }),
  /**
   * `rejected`: Graph refused definitively (nothing created); `unknown`: no answer after sending
   * (resolved inline or left for the reconciler); `recorded-failure`: Graph created it but the
   * outcome could not be recorded (the pass was then deleted); `not-sent`: the create stayed
   * queued behind the broker's Graph budget and was never sent (nothing created).
   */
  'tap.issue_failed': z.strictObject({
    ...evidence,
    idempotencyKey: z.string().min(1).optional(),
    graphStatus: z.number().int().nullable(),
    graphCode: z.string().nullable(),
    outcome: z.enum(['rejected', 'unknown', 'recorded-failure', 'not-sent']),
    retryable: z.boolean(),
    newStatus: requestStatus.optional(),
    deletedMethodIds: z.array(z.string()).optional(),
  }),
  'tap.revoked': z.strictObject({
    ...evidence,
    methodId: z.string().min(1),
    revokedBy: id,
    /** false when Graph no longer had the method (expired, used, or removed elsewhere). */
    methodDeleted: z.boolean(),
  }),
  /**
   * On the request whose pass was replaced: another of the broker's requests
   * (`replacedByRequestId`) issued a pass for the same person, and Entra keeps one pass per user, so
   * this one (`methodId`) stopped working. Written with the newer pass's issuance, or by the
   * tracking job when it finds the method gone and the newer issuance named it
   * (`previousOutcome`: what the job had recorded before it knew, if anything).
   */
  'tap.replaced': z.strictObject({
    ...evidence,
    methodId: z.string().min(1),
    replacedByRequestId: z.string().uuid(),
    previousOutcome: z.enum(['removed']).nullable(),
  }),
  /**
   * What became of an issued pass, observed in Graph by the tracking job (once per pass):
   * `used` (a one-time pass signed someone in), `expired` (its lifetime ended; Graph v1.0 does not
   * say whether a multi-use pass was used), or `removed` (the method vanished from Graph without a
   * revoke through the broker: deleted by an admin, or replaced by a newer pass).
   */
  'tap.outcome_observed': z.strictObject({
    ...evidence,
    methodId: z.string().min(1),
    // `replaced` is recorded as `tap.replaced`, never observed.
    outcome: z.enum(PASS_OUTCOMES).exclude(['replaced']),
    methodUsabilityReason: z.string().nullable(),
    observedAt: isoDateTime,
  }),
  /** What the reconciler found in Graph for an `issuing` request, and what it did. */
  'tap.reconciled': z.strictObject({
    ...evidence,
    idempotencyKey: z.string().nullable(),
    intentAt: isoDateTime.nullable(),
    foundMethodIds: z.array(z.string()),
    deletedMethodIds: z.array(z.string()),
    newStatus: requestStatus,
  }),
  'policy.updated': z.strictObject({
    ...evidence,
    fromVersion: z.number().int().nullable(),
    toVersion: z.number().int(),
    /** The fields whose values differ from the previous version. */
    changedFields: z.array(z.string()),
    before: policySnapshot.nullable(),
    after: policySnapshot,
    /** Why the admin changed it (the console and a restore always say; an API client may not). */
    changeReason: z.string().min(1).max(1000).optional(),
    /** Present when the new version copies an earlier one's settings (`POST /api/policy/versions/{version}/restore`). */
    restoredFromVersion: z.number().int().min(1).optional(),
  }),
  /** A policy change refused before anything was stored (today: for want of step-up). */
  'policy.update_refused': z.strictObject({
    ...evidence,
    code: problemCodesSchema('step-up-required'),
    ...stepUpEvidence,
  }),
  /** A compliance export. */
  'audit.exported': z.strictObject({
    ...evidence,
    format: z.enum(AUDIT_EXPORT_FORMATS),
    from: isoDateTime.nullable(),
    to: isoDateTime.nullable(),
    count: z.number().int().min(0).optional(),
    firstSeq: z.number().int().nullable().optional(),
    lastSeq: z.number().int().nullable().optional(),
    firstHash: z.string().nullable().optional(),
    lastHash: z.string().nullable().optional(),
    /** A filtered export holds only the events of the range that match `filters` (the list's filters). */
    filtered: z.literal(true).optional(),
    filters: z
      .strictObject({ type: z.string().max(100), actorId: z.string().max(256), targetId: z.string().max(256), requestId: z.string().uuid() })
      .partial()
      .optional(),
  }),
  /**
   * A notification mail could not be sent (one event per failed attempt). The action it
   * announced is done regardless; `willRetry` false means the dispatcher gave up (`gaveUp`).
   */
  'notification.failed': z.strictObject({
    ...evidence,
    notificationId: z.string().min(1),
    kind: z.string().min(1),
    attempt: z.number().int().min(1),
    maxAttempts: z.number().int().min(1),
    willRetry: z.boolean(),
    nextAttemptAt: isoDateTime.nullable(),
    graphStatus: z.number().int().nullable(),
    graphCode: z.string().nullable(),
    error: z.string().max(500),
  }),
  'audit.verified': z.strictObject({
    ...evidence,
    ok: z.boolean(),
    count: z.number().int().min(0),
    headHash: z.string().nullable(),
    firstBrokenSeq: z.number().int().optional(),
  }),
  /**
   * The actor went over a request budget (`budget: 'api'`: `limit` authenticated API calls per
   * fixed window of `windowSeconds`). Recorded once per window, by the call that first went over;
   * the refusals after it in the same window are not audited one by one.
   */
  'rate_limit.exceeded': z.strictObject({
    ...evidence,
    budget: z.enum(RATE_BUDGETS),
    limit: z.number().int().min(1),
    windowSeconds: z.number().int().min(1),
    windowStart: isoDateTime,
    retryAfterSeconds: z.number().int().min(0),
  }),
} as const satisfies Record<AuditEventType, z.ZodType>;

/**
 * The text fields whose value is the directory's, not the caller's (`data.…` path → the directory
 * attribute it was read from), so that a refusal of token-shaped text there
 * (assert-no-secrets.ts) tells the caller an administrator must fix the directory — they cannot.
 */
export const DIRECTORY_TEXT_FIELDS: Partial<Record<AuditEventType, Readonly<Record<string, string>>>> = {
  // record-tap-request.ts: the displayName, else the userPrincipalName, else the object id.
  'tap_request.created': { 'data.targetDisplayName': "the target user's displayName or, lacking one, userPrincipalName" },
};

export type AuditCatalogue = typeof auditCatalogue;
/** What callers pass as `data` for an event of type `T` (timestamps as ISO strings or Dates). */
export type AuditDataFor<T extends AuditEventType> = z.input<AuditCatalogue[T]>;
/** The stored `data` of an event of type `T`, without the writer-added `context`. */
export type AuditStoredDataFor<T extends AuditEventType> = z.output<AuditCatalogue[T]>;

/** What the writer adds to every event's `data`: where the call came from. */
export interface AuditContextData {
  /** The server's own id for the HTTP call (its x-request-id answer), not the TAP request's id. */
  requestId: string;
  /** The client's address as the trusted proxies vouch for it (TRUSTED_PROXY_HOPS); `null` when none does. */
  ip: string | null;
  /** As the client sent it: control characters removed, token-shaped text `[redacted]`, capped. */
  userAgent: string | null;
  /** The x-request-id the client sent, when it sent a plain one: its claim, never ours. */
  clientRequestId?: string;
}
