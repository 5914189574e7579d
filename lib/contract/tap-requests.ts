/**
 * TAP requests: the request object, what creating, listing and deciding one takes, the one-time
 * answer that carries the pass, and the two read-only views beside the list (the approver's
 * evaluation of the queue, the state of issued passes).
 */
import * as z from 'zod/mini';
import { isoDateTimeSchema, objectIdSchema, pathIdSchema, uuidSchema } from '@/lib/contract/common';
import { ineligibleReasonSchema } from '@/lib/contract/eligibility';
import { textSchema } from '@/lib/contract/text';

export const TAP_REQUEST_STATUSES = ['pending_approval', 'approved', 'denied', 'expired', 'issuing', 'issued', 'revoked', 'failed', 'withdrawn'] as const;
export type TapRequestStatus = (typeof TAP_REQUEST_STATUSES)[number];

export const tapRequestStatusSchema = z.enum(TAP_REQUEST_STATUSES).check(
  z.describe(
    '`issuing`: the pass is being created in Graph, or a crash left it so until the reconciler resolves it. `withdrawn` (extension): the requester took the request back before it was issued. `denied`, `expired`, `failed`, `revoked` and `withdrawn` are final.',
  ),
);

/**
 * What became of an issued pass: as last observed in Graph (`used`, `expired`, `removed`), or
 * `replaced` — another of the broker's requests issued a pass for the same person, and Entra keeps
 * one pass per user (`replacedByRequestId` names it).
 */
export const PASS_OUTCOMES = ['used', 'expired', 'removed', 'replaced'] as const;

/**
 * A request object. Optional fields are left out when empty, never sent as null; `startDateTime`
 * is always there (null: the pass starts when issued). There is no field for the pass.
 */
export const tapRequestSchema = z.object({
  id: uuidSchema,
  status: tapRequestStatusSchema,
  requesterId: objectIdSchema,
  targetUserId: objectIdSchema,
  targetDisplayName: z.string(),
  targetUserPrincipalName: z.optional(z.string()).check(z.describe('Extension.')),
  requesterDisplayName: z.optional(z.string()).check(z.describe('Extension: as it was when the request was made.')),
  justification: z.string(),
  lifetimeInMinutes: z.int(),
  isUsableOnce: z.boolean(),
  startDateTime: z.nullable(isoDateTimeSchema).check(z.describe("Null until issuance means the pass starts when issued; after issuance, the pass's start.")),
  createdAt: isoDateTimeSchema,
  decidedBy: z.optional(z.string()).check(z.describe('The approver\'s object id, or `system` for an automatic approval.')),
  decidedByDisplayName: z.optional(z.string()).check(z.describe('Extension.')),
  decidedAt: z.optional(isoDateTimeSchema),
  decisionComment: z.optional(z.string()).check(z.describe("Extension: the approver's comment or the denial reason.")),
  approvalExpiresAt: z.optional(isoDateTimeSchema).check(z.describe('Extension: until when an approved request may be issued.')),
  issuedAt: z.optional(isoDateTimeSchema),
  expiresDateTime: z.optional(isoDateTimeSchema),
  methodId: z.optional(z.string()).check(z.describe("Extension: Graph's id of the pass method.")),
  replacedMethodId: z.optional(z.string()).check(z.describe('Extension: the pass method the issuance replaced.')),
  revokedAt: z.optional(isoDateTimeSchema),
  revokedBy: z.optional(objectIdSchema).check(z.describe('Extension.')),
  passOutcome: z
    .optional(z.enum(PASS_OUTCOMES))
    .check(z.describe("Extension: what became of the issued pass, as last observed in Graph; `replaced` when another of the broker's requests replaced it.")),
  passOutcomeAt: z.optional(isoDateTimeSchema).check(z.describe('Extension.')),
  replacedByRequestId: z.optional(uuidSchema).check(z.describe("Extension: the broker's request whose pass replaced this one in Entra.")),
  replacedAt: z.optional(isoDateTimeSchema).check(z.describe('Extension: when the broker recorded the replacement.')),
  withdrawnAt: z.optional(isoDateTimeSchema).check(z.describe('Extension: when the requester withdrew the request.')),
  withdrawReason: z.optional(z.string()).check(z.describe('Extension: why, if the requester said.')),
  failureCode: z.optional(z.string()).check(z.describe('Extension: why a request failed, as a code.')),
  failureReason: z.optional(z.string()).check(z.describe('Extension: why a request failed, in words.')),
  chain: z.array(objectIdSchema).check(z.describe("Object ids from the target's manager up to the requester, as Graph showed them when the request was made.")),
  chainDisplayNames: z.array(z.string()).check(z.describe('Extension: the same chain as names.')),
  depth: z.int().check(z.minimum(1), z.describe('Extension: 1 = the target reports directly to the requester.')),
  policyVersion: z.int().check(z.minimum(1), z.describe('Extension: the policy version the request was made under.')),
});

export type TapRequest = z.infer<typeof tapRequestSchema>;

export const tapRequestListSchema = z.object({
  requests: z.array(tapRequestSchema).check(z.describe('The newest 500 (pending: the oldest first).')),
});

export const TAP_REQUEST_SCOPES = ['mine', 'pending', 'all'] as const;
export type TapRequestScope = (typeof TAP_REQUEST_SCOPES)[number];

/** `?scope=`: mine (anyone signed in), pending (approvers), all (approvers, auditors). */
export const listTapRequestsQuerySchema = z.strictObject({ scope: z._default(z.enum(TAP_REQUEST_SCOPES), 'mine') });

/**
 * The body of `POST /api/tap-requests`. The core checks the justification (10–1000 characters
 * once trimmed, at least two words) and the terms against the broker and tenant policies; this
 * only bounds the input.
 */
export const createTapRequestBodySchema = z.strictObject({
  targetUserId: textSchema({ max: 320 }).check(z.trim(), z.minLength(1), z.describe("The target's object id or user principal name.")),
  justification: textSchema({ max: 4000, multiLine: true }).check(z.describe('At least 10 characters once trimmed (at most 1000) and two words.')),
  lifetimeInMinutes: z.optional(z.int()).check(z.describe("Within the broker and tenant policies; the policy's default when left out.")),
  isUsableOnce: z.optional(z.boolean()).check(z.describe('An explicit `false` where one-time use is forced is refused, not changed.')),
  startDateTime: z.optional(z.iso.datetime({ offset: true })).check(z.describe('ISO 8601 with an offset, at most 5 minutes back and 30 days ahead.')),
});

export type CreateTapRequestBody = z.infer<typeof createTapRequestBodySchema>;

/** `POST /api/tap-requests/{id}/approve`: the body may be left out. */
export const approveTapRequestBodySchema = z.strictObject({ comment: z.optional(textSchema({ max: 1000, multiLine: true })) });

/** `POST /api/tap-requests/{id}/withdraw` (extension): the body may be left out. */
export const withdrawTapRequestBodySchema = z.strictObject({ reason: z.optional(textSchema({ max: 1000, multiLine: true })) });

export const denyTapRequestBodySchema = z.strictObject({ reason: textSchema({ max: 1000, multiLine: true }).check(z.trim(), z.minLength(1)) });

export const tapRequestIdParamsSchema = z.object({ id: pathIdSchema });

/**
 * The answer to `POST /api/tap-requests/{id}/issue`: the only place the pass ever appears, once,
 * with `Cache-Control: no-store`.
 */
export const issuedTapSchema = z.object({
  temporaryAccessPass: z.string().check(z.describe('The pass. Shown once; never stored, logged or audited.')),
  startDateTime: isoDateTimeSchema,
  lifetimeInMinutes: z.int(),
  isUsableOnce: z.boolean(),
  expiresDateTime: isoDateTimeSchema,
  methodId: z.string(),
});

export type IssuedTap = z.infer<typeof issuedTapSchema>;

export const pendingEvaluationSchema = z.object({
  requestId: uuidSchema,
  approvable: z.boolean().check(z.describe('Whether approving now would pass the checks approval makes.')),
  code: z.nullable(z.enum(['not-in-reporting-chain', 'target-ineligible', 'forbidden'])).check(z.describe("Why not; `forbidden`: the requester's account.")),
  reasons: z.array(ineligibleReasonSchema),
  depth: z.nullable(z.int().check(z.minimum(1))).check(z.describe("The requester's depth above the target now; null when no longer in the chain.")),
});

export const pendingEvaluationsSchema = z.object({
  checkedAt: isoDateTimeSchema,
  evaluations: z.array(pendingEvaluationSchema),
});

export const PASS_STATES = ['usable', 'not-yet-valid', 'expired', 'used', 'disabled-by-policy', 'revoked', 'replaced', 'gone', 'unknown'] as const;
export type PassState = (typeof PASS_STATES)[number];

export const PASS_STATUS_SCOPES = ['mine', 'all'] as const;

/** `?scope=`: mine (anyone signed in), all (admins). Unknown parameters are refused. */
export const passStatusQuerySchema = z.strictObject({ scope: z._default(z.enum(PASS_STATUS_SCOPES), 'mine') });

export const passStatusSchema = z.object({
  requestId: uuidSchema,
  state: z.enum(PASS_STATES).check(z.describe("`unknown`: Graph would not say; never a guess. `gone`: Graph no longer holds the method. `replaced` (extension): another of the broker's requests replaced the pass (the request's `replacedByRequestId`).")),
  methodUsabilityReason: z.nullable(z.string()).check(z.describe("Graph's `methodUsabilityReason` as read now; null when Graph was not asked or did not say.")),
  revocable: z.boolean().check(z.describe('Whether a revoke still takes something away.')),
});

export const passStatusListSchema = z.object({
  statuses: z.array(passStatusSchema),
  checkedAt: isoDateTimeSchema,
});
