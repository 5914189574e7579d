/**
 * The audit trail as the API shows it: the event, the catalogue of event types with their labels,
 * the page and export queries, the chain verification, and the signed export manifest with the
 * public key that checks it.
 */
import * as z from 'zod/mini';
import { isoDateTimeSchema, jsonObjectSchema, pathIdSchema, uuidSchema } from '@/lib/contract/common';
import { textSchema } from '@/lib/contract/text';

/** Every event type the broker writes (`noun.past_tense`), with the label people read. */
export const AUDIT_EVENT_LABELS = {
  'tap_request.created': 'Request created',
  'tap_request.approved': 'Request approved',
  'tap_request.denied': 'Request denied',
  'tap_request.expired': 'Request expired',
  'tap_request.refused': 'Request refused',
  'tap_request.withdrawn': 'Request withdrawn',
  'tap.issue_started': 'Issuance started',
  'tap.issued': 'Pass issued',
  'tap.issue_failed': 'Issuance failed',
  'tap.revoked': 'Pass revoked',
  'tap.replaced': 'Pass replaced by a newer request',
  'tap.outcome_observed': 'Pass state observed',
  'tap.reconciled': 'Issuance reconciled',
  'policy.updated': 'Policy updated',
  'policy.update_refused': 'Policy change refused',
  'audit.exported': 'Audit exported',
  'notification.failed': 'Notification failed',
  'audit.verified': 'Audit verified',
  'rate_limit.exceeded': 'Rate limit exceeded',
} as const;

export type AuditEventType = keyof typeof AUDIT_EVENT_LABELS;

export const AUDIT_EVENT_TYPES = Object.keys(AUDIT_EVENT_LABELS) as [AuditEventType, ...AuditEventType[]];

export const auditEventTypeSchema = z.enum(AUDIT_EVENT_TYPES);

const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/));

/**
 * One event of the hash chain. `type` is kept as text: the trail is immutable, so it may hold a
 * type a later catalogue no longer writes; the broker writes only {@link AUDIT_EVENT_TYPES}.
 */
export const auditEventSchema = z.object({
  seq: z.int().check(z.minimum(1)),
  id: uuidSchema,
  at: isoDateTimeSchema,
  type: z.string().check(z.describe(`\`noun.past_tense\`; the broker writes ${AUDIT_EVENT_TYPES.map((t) => `\`${t}\``).join(', ')}.`)),
  actorId: z.string().check(z.describe("The actor's object id, or `system`.")),
  targetId: z.optional(z.string()).check(z.describe('Left out when the event concerns nobody in particular.')),
  requestId: z.optional(uuidSchema).check(z.describe('The TAP request, when the event concerns one.')),
  data: jsonObjectSchema.check(z.describe("The event's evidence; its shape depends on `type`. Never a pass, token or secret.")),
  prevHash: sha256Hex.check(z.describe("The previous event's `hash` (64 zeros for the first).")),
  hash: sha256Hex.check(z.describe('SHA-256 over `prevHash` and the canonical encoding of the event.')),
});

export type AuditEvent = z.infer<typeof auditEventSchema>;

export const auditPageSchema = z.object({
  events: z.array(auditEventSchema).check(z.describe('Newest first.')),
  nextCursor: z.nullable(z.string()).check(z.describe('Continues with older events; null on the last page.')),
});

export const MAX_AUDIT_PAGE_SIZE = 500;
export const DEFAULT_AUDIT_PAGE_SIZE = 100;

/** Both audit queries read a time window the same way: `from` inclusive, `to` exclusive. */
const timestamp = z
  .pipe(
    z.union([z.iso.datetime({ offset: true }), z.iso.date()]),
    z.transform((value: string) => new Date(value)),
  )
  .check(z.describe('ISO 8601 date and time with an offset, or a date (midnight UTC).'));

/** An empty or inverted window is a mistake to report, not an empty answer to give. */
function isOrderedWindow(query: { from?: Date | undefined; to?: Date | undefined }): boolean {
  return query.from === undefined || query.to === undefined || query.from < query.to;
}
const WINDOW_ORDER = { message: '`from` must be before `to`', path: ['to'] };

/**
 * `GET /api/audit`: `from` inclusive, `to` exclusive. Unknown parameters are refused, so a
 * misspelt filter cannot silently return the unfiltered trail.
 */
/** The filters `GET /api/audit` and `GET /api/audit/export` share, so an export holds what the list shows. */
const auditEventFilters = {
  type: z.optional(textSchema({ max: 100 }).check(z.minLength(1))),
  actorId: z.optional(textSchema({ max: 256 }).check(z.minLength(1))),
  targetId: z.optional(textSchema({ max: 256 }).check(z.minLength(1))),
  requestId: z.optional(z.uuid()),
};

export const AUDIT_EVENT_FILTER_NAMES = ['type', 'actorId', 'targetId', 'requestId'] as const;
export type AuditEventFilterName = (typeof AUDIT_EVENT_FILTER_NAMES)[number];

export const listAuditEventsQuerySchema = z
  .strictObject({
    from: z.optional(timestamp),
    to: z.optional(timestamp),
    ...auditEventFilters,
    limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_AUDIT_PAGE_SIZE))).check(z.describe(`1–${MAX_AUDIT_PAGE_SIZE}; ${DEFAULT_AUDIT_PAGE_SIZE} when left out.`)),
    cursor: z.optional(textSchema({ max: 64 }).check(z.minLength(1))).check(z.describe('The `nextCursor` of the previous page.')),
  })
  .check(z.refine(isOrderedWindow, WINDOW_ORDER));

export const MAX_AUDIT_PEOPLE = 20;

/** `GET /api/audit/people?q=`: people the trail names, found by name, UPN or id (case-insensitive). */
export const auditPeopleQuerySchema = z.strictObject({
  q: z.optional(textSchema({ max: 256 })).check(z.describe('Part of a display name or user principal name, or a whole object id; every recorded person when empty.')),
});

export const auditPersonSchema = z.object({
  id: z.string().check(z.describe("The person's object id, as audit events hold it.")),
  displayName: z.string(),
  userPrincipalName: z.string(),
});

export const auditPeopleSchema = z.object({
  people: z
    .array(auditPersonSchema)
    .check(z.describe(`At most ${MAX_AUDIT_PEOPLE}, by display name; each with the newest names recorded for them. Names are as the broker recorded them when they acted or were acted on: for finding ids, not evidence.`)),
});

export type AuditPerson = z.infer<typeof auditPersonSchema>;

export const AUDIT_EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export const AUDIT_EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/**
 * `GET /api/audit/export`: `from` inclusive, `to` exclusive, `from` before `to`, and the same
 * filters as `GET /api/audit`.
 */
export const auditExportQuerySchema = z
  .strictObject({
    format: z.enum(AUDIT_EXPORT_FORMATS),
    from: z.optional(timestamp),
    to: z.optional(timestamp),
    ...auditEventFilters,
  })
  .check(z.refine(isOrderedWindow, WINDOW_ORDER));

export const auditExportParamsSchema = z.object({ exportId: pathIdSchema.check(z.describe('The `X-Export-Id` of the export.')) });

const fullVerificationRunSchema = z.object({
  startedAt: isoDateTimeSchema,
  total: z.int().check(z.minimum(0), z.describe('The run verifies events 1..`total` (the head when it started).')),
  done: z.int().check(z.minimum(0), z.describe('Events verified so far.')),
});

/**
 * `GET /api/audit/verify`. The call recomputes only the events after the newest verified
 * checkpoint (`checkedFromSeq` on); a background run re-verifies the whole chain from seq 1 (about
 * daily) and its last result is part of the answer. Someone able to write the database directly
 * could edit an event before the checkpoint and the checkpoint together: only the full run sees
 * that, so read `ok` together with `lastFullVerification`.
 */
export const auditVerificationSchema = z.object({
  ok: z.boolean().check(z.describe('False when this call found a break, or any full run ever did.')),
  count: z.int().check(z.minimum(0), z.describe('Events in the trail.')),
  headHash: z.nullable(sha256Hex).check(z.describe('The hash of the last event; null for an empty trail. Anchor it elsewhere to detect a cut-off tail.')),
  firstBrokenSeq: z.optional(z.int().check(z.minimum(1))).check(z.describe('The first `seq` at which the chain does not hold; left out when it holds.')),
  checkedFromSeq: z.optional(z.int().check(z.minimum(1))).check(z.describe('The first `seq` this call recomputed; the events before it were verified earlier (up to the checkpoint).')),
  checkedCount: z.optional(z.int().check(z.minimum(0))).check(z.describe('Events this call recomputed.')),
  checkpointSeq: z.optional(z.int().check(z.minimum(1))).check(z.describe('The verified checkpoint the call started from; left out when it started at seq 1.')),
  checkpointAt: z.optional(isoDateTimeSchema).check(z.describe('When that checkpoint was verified.')),
  lastFullVerification: z
    .optional(
      z.nullable(
        z.object({
          ...fullVerificationRunSchema.shape,
          finishedAt: isoDateTimeSchema,
          outcome: z.enum(['passed', 'broken', 'interrupted']),
          firstBrokenSeq: z.optional(z.int().check(z.minimum(1))),
        }),
      ),
    )
    .check(z.describe('The newest finished full re-verification from seq 1; null when none has finished yet.')),
  runningFullVerification: z
    .optional(z.nullable(z.object({ ...fullVerificationRunSchema.shape, heartbeatAt: isoDateTimeSchema })))
    .check(z.describe('The full re-verification in progress, if any.')),
});

/** The public half of the manifest signing key, as a JWK. */
export const auditPublicJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string(),
  kid: z.string(),
  alg: z.literal('EdDSA'),
  use: z.literal('sig'),
});

export const auditPublicKeySchema = z.object({
  alg: z.literal('Ed25519'),
  keyId: z.string().check(z.describe('`sha256:` and the hex SHA-256 of the DER public key.')),
  jwk: auditPublicJwkSchema,
  pem: z.string(),
});

/**
 * A policy version's settings as the audit records keep them (the export manifest's
 * `policyVersions`, the snapshots in `policy.updated` events): plain values rather than the
 * policy's current rules, since a record outlives the rules it was written under.
 */
export const auditPolicyRecordSchema = z.object({
  maxDepth: z.nullable(z.int()),
  requireApproval: z.string(),
  defaultLifetimeInMinutes: z.int(),
  maxLifetimeInMinutes: z.int(),
  isUsableOnce: z.boolean(),
  approvalValidityMinutes: z.int(),
  maxIssuancesPerManagerPerDay: z.int(),
  maxPendingRequestsPerRequester: z.int(),
  allowedDirectoryRoleTemplateIds: z.array(z.string()),
  protectedGroupIds: z.array(z.string()),
  stepUpAuthContextId: z.nullable(z.string()),
  stepUpActions: z.array(z.string()),
});

const manifestPolicyVersionSchema = z.object({
  version: z.int(),
  createdAt: isoDateTimeSchema,
  createdBy: z.string(),
  ...auditPolicyRecordSchema.shape,
});

export type ManifestPolicyVersion = z.infer<typeof manifestPolicyVersionSchema>;

export const AUDIT_EXPORT_MANIFEST_KIND = 'tap-broker/audit-export-manifest';

/**
 * The signed description of one export (format version 1). `signature.value` is the Ed25519
 * signature (base64url) over the canonical JSON of the manifest without `signature`.
 */
export const auditExportManifestSchema = z.object({
  kind: z.literal(AUDIT_EXPORT_MANIFEST_KIND),
  manifestVersion: z.literal(1),
  exportId: uuidSchema,
  format: z.enum(AUDIT_EXPORT_FORMATS),
  range: z.object({ from: z.nullable(isoDateTimeSchema), to: z.nullable(isoDateTimeSchema) }),
  filtered: z
    .optional(z.literal(true))
    .check(
      z.describe(
        'Present when the export holds only the events of the range that match `filters`: its rows are then not one run of the chain, and links are checked between consecutive seqs only.',
      ),
    ),
  filters: z
    .optional(z.object({ type: z.optional(z.string()), actorId: z.optional(z.string()), targetId: z.optional(z.string()), requestId: z.optional(z.string()) }))
    .check(z.describe('The filters of a filtered export, as given.')),
  count: z.int().check(z.minimum(0), z.describe('Rows in the file.')),
  firstSeq: z.nullable(z.int()),
  lastSeq: z.nullable(z.int()),
  firstHash: z.nullable(sha256Hex),
  lastHash: z.nullable(sha256Hex),
  anchorPrevHash: z.nullable(sha256Hex).check(z.describe('`prevHash` of the first exported event: where the piece hangs in the whole chain.')),
  names: z
    .optional(z.string())
    .check(z.describe('What the name columns (actorDisplayName, actorUserPrincipalName, targetDisplayName, targetUserPrincipalName) are: names as recorded at the time, for reading; not in any hash, so not evidence.')),
  policyVersions: z.array(manifestPolicyVersionSchema).check(z.describe('Every policy version in force between the first and the last exported event.')),
  generatedBy: z.string(),
  generatedAt: isoDateTimeSchema,
  exportEvent: z.object({ seq: z.int(), hash: sha256Hex }),
  file: z.object({ name: z.string(), contentType: z.string(), bytes: z.int().check(z.minimum(0)), sha256: sha256Hex }),
  signedAt: isoDateTimeSchema,
  signature: z.object({ alg: z.literal('Ed25519'), keyId: z.string(), publicKeyJwk: auditPublicJwkSchema, value: z.string() }),
});

export type AuditExportManifest = z.infer<typeof auditExportManifestSchema>;
