/**
 * TAP requests: the request object, what creating, listing and deciding one takes, the one-time
 * answer that carries the pass, and the two read-only views beside the list (the approver's
 * evaluation of the queue, the state of issued passes).
 */
import { z } from 'zod';
import { isoDateTimeSchema, objectIdSchema, pathIdSchema, uuidSchema } from '@/lib/contract/common';
import { ineligibleReasonSchema } from '@/lib/contract/eligibility';

export const TAP_REQUEST_STATUSES = ['pending_approval', 'approved', 'denied', 'expired', 'issuing', 'issued', 'revoked', 'failed'] as const;
export type TapRequestStatus = (typeof TAP_REQUEST_STATUSES)[number];

export const tapRequestStatusSchema = z.enum(TAP_REQUEST_STATUSES).meta({
  description:
    '`issuing`: the pass is being created in Graph, or a crash left it so until the reconciler resolves it. `denied`, `expired`, `failed` and `revoked` are final.',
});

/** What became of an issued pass, as last observed in Graph. */
export const PASS_OUTCOMES = ['used', 'expired', 'removed'] as const;

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
  targetUserPrincipalName: z.string().optional().meta({ description: 'Extension.' }),
  requesterDisplayName: z.string().optional().meta({ description: 'Extension: as it was when the request was made.' }),
  justification: z.string(),
  lifetimeInMinutes: z.number().int(),
  isUsableOnce: z.boolean(),
  startDateTime: isoDateTimeSchema.nullable().meta({ description: "Null until issuance means the pass starts when issued; after issuance, the pass's start." }),
  createdAt: isoDateTimeSchema,
  decidedBy: z.string().optional().meta({ description: 'The approver\'s object id, or `system` for an automatic approval.' }),
  decidedByDisplayName: z.string().optional().meta({ description: 'Extension.' }),
  decidedAt: isoDateTimeSchema.optional(),
  decisionComment: z.string().optional().meta({ description: "Extension: the approver's comment or the denial reason." }),
  approvalExpiresAt: isoDateTimeSchema.optional().meta({ description: 'Extension: until when an approved request may be issued.' }),
  issuedAt: isoDateTimeSchema.optional(),
  expiresDateTime: isoDateTimeSchema.optional(),
  methodId: z.string().optional().meta({ description: "Extension: Graph's id of the pass method." }),
  replacedMethodId: z.string().optional().meta({ description: 'Extension: the pass method the issuance replaced.' }),
  revokedAt: isoDateTimeSchema.optional(),
  revokedBy: objectIdSchema.optional().meta({ description: 'Extension.' }),
  passOutcome: z.enum(PASS_OUTCOMES).optional().meta({ description: 'Extension: what became of the issued pass, as last observed in Graph.' }),
  passOutcomeAt: isoDateTimeSchema.optional().meta({ description: 'Extension.' }),
  failureCode: z.string().optional().meta({ description: 'Extension: why a request failed, as a code.' }),
  failureReason: z.string().optional().meta({ description: 'Extension: why a request failed, in words.' }),
  chain: z.array(objectIdSchema).meta({ description: "Object ids from the target's manager up to the requester, as Graph showed them when the request was made." }),
  chainDisplayNames: z.array(z.string()).meta({ description: 'Extension: the same chain as names.' }),
  depth: z.number().int().min(1).meta({ description: 'Extension: 1 = the target reports directly to the requester.' }),
  policyVersion: z.number().int().min(1).meta({ description: 'Extension: the policy version the request was made under.' }),
});

export type TapRequest = z.infer<typeof tapRequestSchema>;

export const tapRequestListSchema = z.object({
  requests: z.array(tapRequestSchema).meta({ description: 'The newest 500 (pending: the oldest first).' }),
});

export const TAP_REQUEST_SCOPES = ['mine', 'pending', 'all'] as const;
export type TapRequestScope = (typeof TAP_REQUEST_SCOPES)[number];

/** `?scope=`: mine (anyone signed in), pending (approvers), all (approvers, auditors). */
export const listTapRequestsQuerySchema = z.strictObject({ scope: z.enum(TAP_REQUEST_SCOPES).default('mine') });

/**
 * The body of `POST /api/tap-requests`. The core checks the justification (10–1000 characters
 * once trimmed, at least two words) and the terms against the broker and tenant policies; this
 * only bounds the input.
 */
export const createTapRequestBodySchema = z.strictObject({
  targetUserId: z.string().trim().min(1).max(320).meta({ description: "The target's object id or user principal name." }),
  justification: z.string().max(4000).meta({ description: 'At least 10 characters once trimmed (at most 1000) and two words.' }),
  lifetimeInMinutes: z.number().int().optional().meta({ description: "Within the broker and tenant policies; the policy's default when left out." }),
  isUsableOnce: z.boolean().optional().meta({ description: 'An explicit `false` where one-time use is forced is refused, not changed.' }),
  startDateTime: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'ISO 8601 with an offset, at most 5 minutes back and 30 days ahead.' }),
});

export type CreateTapRequestBody = z.infer<typeof createTapRequestBodySchema>;

/** `POST /api/tap-requests/{id}/approve`: the body may be left out. */
export const approveTapRequestBodySchema = z.strictObject({ comment: z.string().max(1000).optional() });

export const denyTapRequestBodySchema = z.strictObject({ reason: z.string().trim().min(1).max(1000) });

export const tapRequestIdParamsSchema = z.object({ id: pathIdSchema });

/**
 * The answer to `POST /api/tap-requests/{id}/issue`: the only place the pass ever appears, once,
 * with `Cache-Control: no-store`.
 */
export const issuedTapSchema = z.object({
  temporaryAccessPass: z.string().meta({ description: 'The pass. Shown once; never stored, logged or audited.' }),
  startDateTime: isoDateTimeSchema,
  lifetimeInMinutes: z.number().int(),
  isUsableOnce: z.boolean(),
  expiresDateTime: isoDateTimeSchema,
  methodId: z.string(),
});

export type IssuedTap = z.infer<typeof issuedTapSchema>;

export const pendingEvaluationSchema = z.object({
  requestId: uuidSchema,
  approvable: z.boolean().meta({ description: 'Whether approving now would pass the checks approval makes.' }),
  code: z.enum(['not-in-reporting-chain', 'target-ineligible', 'forbidden']).nullable().meta({ description: "Why not; `forbidden`: the requester's account." }),
  reasons: z.array(ineligibleReasonSchema),
  depth: z.number().int().min(1).nullable().meta({ description: "The requester's depth above the target now; null when no longer in the chain." }),
});

export const pendingEvaluationsSchema = z.object({
  checkedAt: isoDateTimeSchema,
  evaluations: z.array(pendingEvaluationSchema),
});

export const PASS_STATES = ['usable', 'not-yet-valid', 'expired', 'used', 'disabled-by-policy', 'revoked', 'gone', 'unknown'] as const;
export type PassState = (typeof PASS_STATES)[number];

export const PASS_STATUS_SCOPES = ['mine', 'all'] as const;

/** `?scope=`: mine (anyone signed in), all (admins). Unknown parameters are refused. */
export const passStatusQuerySchema = z.strictObject({ scope: z.enum(PASS_STATUS_SCOPES).default('mine') });

export const passStatusSchema = z.object({
  requestId: uuidSchema,
  state: z.enum(PASS_STATES).meta({ description: '`unknown`: Graph would not say; never a guess. `gone`: Graph no longer holds the method.' }),
  methodUsabilityReason: z.string().nullable().meta({ description: "Graph's `methodUsabilityReason` as read now; null when Graph was not asked or did not say." }),
  revocable: z.boolean().meta({ description: 'Whether a revoke still takes something away.' }),
});

export const passStatusListSchema = z.object({
  statuses: z.array(passStatusSchema),
  checkedAt: isoDateTimeSchema,
});
