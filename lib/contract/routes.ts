/**
 * The portal API's operations, one row per route and method: who may call it, what it takes
 * (path parameters, query, body) and what it answers (each status, with its schema or problem
 * codes). `openapi.ts` builds the OpenAPI document from this table, and a test holds it equal to
 * the route modules under app/api, so a route cannot exist without a row or a row without a route.
 *
 * `allow` is what the route wrapper checks on the token alone; authorization that depends on data
 * (the org chart, who owns a request, the scope asked for) is the core's, and shows here as the
 * 403/404 answers an operation can give. What the wrapper answers on every authenticated route
 * alike (429 over the caller's API budget) is added by {@link getOperationResponses}, not repeated
 * in each row.
 */
import * as z from 'zod/mini';
import {
  auditExportManifestSchema,
  auditExportParamsSchema,
  auditExportQuerySchema,
  auditPeopleQuerySchema,
  auditPeopleSchema,
  auditPageSchema,
  auditPublicKeySchema,
  auditVerificationSchema,
  listAuditEventsQuerySchema,
} from '@/lib/contract/audit';
import { dashboardStatsSchema } from '@/lib/contract/dashboard';
import {
  policyInputSchema,
  policyLimitsSchema,
  policyPreviewSchema,
  policySchema,
  policySettingsSchema,
  policyVersionListSchema,
  policyVersionParamsSchema,
  restorePolicyVersionBodySchema,
} from '@/lib/contract/policy';
import type { ProblemCode } from '@/lib/contract/problem';
import { listReporteesQuerySchema, reporteeListSchema } from '@/lib/contract/reportees';
import type { RoleName } from '@/lib/contract/roles';
import { healthDetailsSchema, healthSchema, meSchema, portalConfigSchema, readinessSchema } from '@/lib/contract/session';
import {
  approveTapRequestBodySchema,
  createTapRequestBodySchema,
  denyTapRequestBodySchema,
  issuedTapSchema,
  listTapRequestsQuerySchema,
  passStatusListSchema,
  passStatusQuerySchema,
  pendingEvaluationsSchema,
  tapRequestIdParamsSchema,
  tapRequestListSchema,
  tapRequestSchema,
  withdrawTapRequestBodySchema,
} from '@/lib/contract/tap-requests';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * - `'anyone'`: no token is read.
 * - `'signed-in'`: any valid access token for the portal API.
 * - a list of roles: the token must hold at least one (admin implies approver and auditor).
 */
export type Allow = 'anyone' | 'signed-in' | readonly [RoleName, ...RoleName[]];

/** A JSON answer. */
export interface JsonResponse {
  kind: 'json';
  schema: z.core.$ZodType;
  description?: string;
  /** Header name → what it carries, beyond the ones every answer has. */
  headers?: Readonly<Record<string, string>>;
}

/** A problem+json answer with one of `codes` (all of the same status). */
export interface ProblemResponse {
  kind: 'problem';
  codes: readonly [ProblemCode, ...ProblemCode[]];
}

/** A file (not JSON), streamed. */
export interface FileResponse {
  kind: 'file';
  description: string;
  contentTypes: readonly [string, ...string[]];
  headers?: Readonly<Record<string, string>>;
}

export type ResponseSpec = z.core.$ZodType | JsonResponse | ProblemResponse | FileResponse;

export interface Operation {
  /** The OpenAPI operationId: the use case's name where there is one. */
  id: string;
  method: HttpMethod;
  /** OpenAPI style: `/api/tap-requests/{id}/approve`. */
  path: string;
  allow: Allow;
  summary: string;
  description?: string;
  tag: string;
  params?: z.core.$ZodObject;
  query?: z.core.$ZodType;
  body?: z.core.$ZodType;
  /** Only `false` matters: a body the caller may leave out (approve with no comment). */
  bodyRequired?: boolean;
  responses: Readonly<Record<number, ResponseSpec>>;
}

/** A problem answer with these codes. */
export function problem(...codes: [ProblemCode, ...ProblemCode[]]): ProblemResponse {
  return { kind: 'problem', codes };
}

function json(schema: z.core.$ZodType, options: { description?: string; headers?: Record<string, string> } = {}): JsonResponse {
  return { kind: 'json', schema, ...options };
}

/** Checked loosely: the validator in the tests holds the document to OpenAPI 3.1 in full. */
const openApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

const unauthenticated = problem('unauthenticated');
const unauthenticatedOrStepUp = problem('unauthenticated', 'step-up-required');
const forbidden = problem('forbidden');
const invalid = problem('validation-failed');
const notFound = problem('not-found');
const conflict = problem('conflict');
const ineligible = problem('target-ineligible');
const unavailable = problem('upstream-unavailable');

export const operations = [
  // Health and session
  {
    id: 'getHealth',
    method: 'GET',
    path: '/api/health',
    allow: 'anyone',
    tag: 'Health',
    summary: 'Liveness, while the database answers',
    responses: { 200: healthSchema, 503: unavailable },
  },
  {
    id: 'getReadiness',
    method: 'GET',
    path: '/api/health/ready',
    allow: 'anyone',
    tag: 'Health',
    summary: 'Readiness for a load balancer: database, migrations, Graph token, not draining',
    description:
      'Whether this instance should get traffic. Ready when the database answers, every migration this build ships is recorded as finished with the same checksum, the broker can get its Graph token (a cached one counts; Graph is not called), and the instance is not shutting down. On SIGTERM it answers 503 `draining` at once, while requests in flight finish. Each check is bounded by 2 seconds. `GET /api/health` stays the cheap liveness probe.',
    responses: {
      200: json(readinessSchema, { description: 'Ready: every check is `ok`.' }),
      503: json(readinessSchema, { description: 'Not ready, or draining: the checks that are not `ok` say why. Plain JSON, not a problem: the body is the same shape as when ready.' }),
    },
  },
  {
    id: 'getHealthDetails',
    method: 'GET',
    path: '/api/health/details',
    allow: ['admin'],
    tag: 'Health',
    summary: 'The configuration checks, each ok, warn or fail with its fix',
    description:
      "The same checks as `npm run doctor`, each proved with a real call: the authority metadata, the broker's token and certificate, its Graph permissions feature by feature, the API and portal registrations (token version, scope, app roles, redirect URI), the mail sender, each Graph read of the broker made once against DOCTOR_TEST_USER (no pass is created), the tenant TAP policy against the broker policy, and step-up. They explain refusals; they never make one.",
    responses: { 200: healthDetailsSchema, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'getConfig',
    method: 'GET',
    path: '/api/config',
    allow: 'anyone',
    tag: 'Session',
    summary: 'What the browser needs to configure MSAL',
    responses: { 200: portalConfigSchema },
  },
  {
    id: 'getMe',
    method: 'GET',
    path: '/api/me',
    allow: 'signed-in',
    tag: 'Session',
    summary: 'The signed-in user, from the token',
    responses: { 200: meSchema, 401: unauthenticated, 503: unavailable },
  },
  {
    id: 'getOpenApiDocument',
    method: 'GET',
    path: '/api/openapi.json',
    allow: 'anyone',
    tag: 'Meta',
    summary: 'This OpenAPI 3.1 document',
    responses: { 200: json(openApiDocumentSchema, { description: 'The OpenAPI 3.1 document of this API.' }) },
  },

  // Reportees and TAP requests
  {
    id: 'listReportees',
    method: 'GET',
    path: '/api/reportees',
    allow: 'signed-in',
    tag: 'Reportees',
    summary: "Everyone below the caller up to the policy's depth, with eligibility",
    description:
      'Only an enabled Member user may act as a manager: anyone else gets 403. Read from the org-chart mirror when it is fresh (no Graph call; `source`, `asOf`), else live from Graph. Display only: a request re-reads the chain and eligibility from Graph.',
    query: listReporteesQuerySchema,
    responses: { 200: reporteeListSchema, 400: invalid, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'requestTap',
    method: 'POST',
    path: '/api/tap-requests',
    allow: 'signed-in',
    tag: 'TAP requests',
    summary: 'Request a pass for a reportee',
    description:
      'The caller must be in the target\'s reporting chain within the policy\'s depth (403 `not-in-reporting-chain`, also for ids that do not exist) and the target eligible (422 with `reasons`). Starts `approved` when the policy needs no approver at this depth, else `pending_approval` — unless the policy\'s `maxPendingRequestsPerRequester` of the caller\'s requests already wait: then 429 `rate-limited` without `Retry-After`, and nothing is stored.',
    body: createTapRequestBodySchema,
    responses: {
      201: tapRequestSchema,
      400: invalid,
      401: unauthenticated,
      403: problem('forbidden', 'not-in-reporting-chain'),
      422: ineligible,
      429: problem('rate-limited'),
      503: unavailable,
    },
  },
  {
    id: 'listTapRequests',
    method: 'GET',
    path: '/api/tap-requests',
    allow: 'signed-in',
    tag: 'TAP requests',
    summary: 'Requests by scope: mine, pending (approvers), all (approvers, auditors)',
    query: listTapRequestsQuerySchema,
    responses: { 200: tapRequestListSchema, 400: invalid, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'evaluatePendingRequests',
    method: 'GET',
    path: '/api/tap-requests/evaluation',
    allow: ['approver'],
    tag: 'TAP requests',
    summary: 'Extension: the pending queue judged against Graph now',
    description: 'Informational: approving re-checks anyway.',
    responses: { 200: pendingEvaluationsSchema, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'getPassStatuses',
    method: 'GET',
    path: '/api/tap-requests/pass-status',
    allow: 'signed-in',
    tag: 'TAP requests',
    summary: 'Extension: where each issued pass stands now (mine; all: admins)',
    query: passStatusQuerySchema,
    responses: { 200: passStatusListSchema, 400: invalid, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'getTapRequest',
    method: 'GET',
    path: '/api/tap-requests/{id}',
    allow: 'signed-in',
    tag: 'TAP requests',
    summary: 'One request, for its requester, approvers and auditors',
    description: 'Everyone else gets 404, as for an id that does not exist.',
    params: tapRequestIdParamsSchema,
    responses: { 200: tapRequestSchema, 401: unauthenticated, 404: notFound, 503: unavailable },
  },
  {
    id: 'approveTapRequest',
    method: 'POST',
    path: '/api/tap-requests/{id}/approve',
    allow: ['approver'],
    tag: 'TAP requests',
    summary: 'Approve a pending request',
    description:
      "Never the approver's own request or a pass for themselves (403). The chain and eligibility are read again from Graph: a refusal fails the request (409, or 422 with `reasons`). Step-up when the policy's `stepUpActions` has `approve`.",
    params: tapRequestIdParamsSchema,
    body: approveTapRequestBodySchema,
    bodyRequired: false,
    responses: {
      200: tapRequestSchema,
      400: invalid,
      401: unauthenticatedOrStepUp,
      403: forbidden,
      404: notFound,
      409: conflict,
      422: ineligible,
      503: unavailable,
    },
  },
  {
    id: 'denyTapRequest',
    method: 'POST',
    path: '/api/tap-requests/{id}/deny',
    allow: ['approver'],
    tag: 'TAP requests',
    summary: 'Deny a pending request, with a reason',
    description: "Never the approver's own request (403). Step-up when the policy's `stepUpActions` has `approve`.",
    params: tapRequestIdParamsSchema,
    body: denyTapRequestBodySchema,
    responses: {
      200: tapRequestSchema,
      400: invalid,
      401: unauthenticatedOrStepUp,
      403: forbidden,
      404: notFound,
      409: conflict,
      503: unavailable,
    },
  },
  {
    id: 'issueTap',
    method: 'POST',
    path: '/api/tap-requests/{id}/issue',
    allow: 'signed-in',
    tag: 'TAP requests',
    summary: 'Get the pass of an approved request (the requester, once)',
    description:
      "The pass is in this one answer and nowhere else, ever. Anyone but the requester gets 404. Needs step-up when the policy names an authentication context. The chain and eligibility are read again from Graph under the policy in force (403/422); a lapsed approval, a request not `approved`, or terms the policy no longer allows are 409; the daily quota is 429 with `Retry-After`.",
    params: tapRequestIdParamsSchema,
    responses: {
      201: json(issuedTapSchema, { headers: { Pragma: '`no-cache`, for HTTP/1.0 caches.' } }),
      401: unauthenticatedOrStepUp,
      403: problem('forbidden', 'not-in-reporting-chain'),
      404: notFound,
      409: conflict,
      422: ineligible,
      429: problem('rate-limited'),
      503: unavailable,
    },
  },
  {
    id: 'revokeTap',
    method: 'POST',
    path: '/api/tap-requests/{id}/revoke',
    allow: 'signed-in',
    tag: 'TAP requests',
    summary: 'Revoke an issued pass (the requester, admins)',
    description: 'Approvers and auditors, who may see the request, get 403; everyone else 404.',
    params: tapRequestIdParamsSchema,
    responses: { 200: tapRequestSchema, 401: unauthenticated, 403: forbidden, 404: notFound, 409: conflict, 503: unavailable },
  },
  {
    id: 'withdrawTapRequest',
    method: 'POST',
    path: '/api/tap-requests/{id}/withdraw',
    allow: 'signed-in',
    tag: 'TAP requests',
    summary: 'Withdraw a request before its pass is issued (extension; the requester)',
    description:
      'From `pending_approval` or `approved` to `withdrawn`: it leaves the approvers\' queue and no longer counts towards the pending cap. Any other status is 409. Approvers and auditors, who may see the request, get 403; everyone else 404.',
    params: tapRequestIdParamsSchema,
    body: withdrawTapRequestBodySchema,
    bodyRequired: false,
    responses: { 200: tapRequestSchema, 400: invalid, 401: unauthenticated, 403: forbidden, 404: notFound, 409: conflict, 503: unavailable },
  },

  // Audit
  {
    id: 'listAuditEvents',
    method: 'GET',
    path: '/api/audit',
    allow: ['auditor', 'admin'],
    tag: 'Audit',
    summary: 'A page of the audit trail, newest first',
    query: listAuditEventsQuerySchema,
    responses: { 200: auditPageSchema, 400: invalid, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'listAuditPeople',
    method: 'GET',
    path: '/api/audit/people',
    allow: ['auditor', 'admin'],
    tag: 'Audit',
    summary: 'People the audit trail names, by display name or UPN, for filtering by them',
    query: auditPeopleQuerySchema,
    responses: { 200: auditPeopleSchema, 400: invalid, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'exportAuditEvents',
    method: 'GET',
    path: '/api/audit/export',
    allow: ['auditor', 'admin'],
    tag: 'Audit',
    summary: 'The events of a range, filtered as the list is, as a streamed CSV or JSON Lines file',
    description: 'The export is audited (`audit.exported`, with its filters) before the first byte. Columns: seq, id, at, type, actorId, targetId, requestId, actorDisplayName, actorUserPrincipalName, targetDisplayName, targetUserPrincipalName (names as recorded at the time; not hashed, not evidence), prevHash, hash, data. With `type`, `actorId`, `targetId` or `requestId` the file holds only the matching events and its manifest says `filtered: true`.',
    query: auditExportQuerySchema,
    responses: {
      200: {
        kind: 'file',
        description: 'The events, oldest first, as an attachment.',
        contentTypes: ['text/csv', 'application/x-ndjson'],
        headers: {
          'Content-Disposition': 'attachment; filename="…"',
          'X-Export-Id': 'The export\'s id (its `audit.exported` event).',
          'X-Export-Count': 'How many events the file holds.',
          'X-Export-Manifest-Url': 'Where its signed manifest is (also `Link: rel="describedby"`).',
        },
      },
      400: invalid,
      401: unauthenticated,
      403: forbidden,
      503: unavailable,
    },
  },
  {
    id: 'getAuditExportManifest',
    method: 'GET',
    path: '/api/audit/export/{exportId}/manifest',
    allow: ['auditor', 'admin'],
    tag: 'Audit',
    summary: 'Extension: the Ed25519-signed manifest of an export',
    params: auditExportParamsSchema,
    responses: {
      200: json(auditExportManifestSchema, { description: 'The manifest, as a JSON attachment.', headers: { 'Content-Disposition': 'attachment; filename="….manifest.json"' } }),
      401: unauthenticated,
      403: forbidden,
      404: notFound,
      503: unavailable,
    },
  },
  {
    id: 'getAuditPublicKey',
    method: 'GET',
    path: '/api/audit/public-key',
    allow: 'anyone',
    tag: 'Audit',
    summary: 'Extension: the public key that checks export manifests offline',
    responses: { 200: auditPublicKeySchema },
  },
  {
    id: 'verifyAuditChain',
    method: 'GET',
    path: '/api/audit/verify',
    allow: ['auditor', 'admin'],
    tag: 'Audit',
    summary: 'Verify the hash chain from the last checkpoint, with the last full re-verification',
    responses: { 200: auditVerificationSchema, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },

  // Policy and dashboard
  {
    id: 'getPolicySettings',
    method: 'GET',
    path: '/api/policy',
    allow: ['approver', 'auditor', 'admin'],
    tag: 'Policy',
    summary: "The policy in force, with the tenant's TAP policy beside it",
    responses: { 200: policySettingsSchema, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'updatePolicy',
    method: 'PUT',
    path: '/api/policy',
    allow: ['admin'],
    tag: 'Policy',
    summary: 'Save the whole policy as a new version',
    description:
      "Validated, then held to the tenant's TAP policy (400 with `errors`). Step-up when the policy in force has `policy` in `stepUpActions`. The optional `changeReason` (extension) is stored with the version and in its `policy.updated` event.",
    body: policyInputSchema,
    responses: { 200: policySchema, 400: invalid, 401: unauthenticatedOrStepUp, 403: forbidden, 503: unavailable },
  },
  {
    id: 'getPolicyLimits',
    method: 'GET',
    path: '/api/policy/limits',
    allow: 'signed-in',
    tag: 'Policy',
    summary: 'Extension: the lifetime bounds, approval rule and step-up a request is held to',
    responses: { 200: policyLimitsSchema, 401: unauthenticated, 503: unavailable },
  },
  {
    id: 'listPolicyVersions',
    method: 'GET',
    path: '/api/policy/versions',
    allow: ['approver', 'auditor', 'admin'],
    tag: 'Policy',
    summary: 'Extension: every version, newest first, with who saved it and what changed',
    responses: { 200: policyVersionListSchema, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'restorePolicyVersion',
    method: 'POST',
    path: '/api/policy/versions/{version}/restore',
    allow: ['admin'],
    tag: 'Policy',
    summary: "Extension: save an earlier version's settings as a new version",
    description:
      "History is never rewritten: a new version copies the settings of `version`, audited as `policy.updated` with `restoredFromVersion` and the required `changeReason`. Held to the tenant's TAP policy as it is now (400 with `errors`). Step-up as for `PUT /api/policy`.",
    params: policyVersionParamsSchema,
    body: restorePolicyVersionBodySchema,
    responses: { 200: policySchema, 400: invalid, 401: unauthenticatedOrStepUp, 403: forbidden, 404: notFound, 503: unavailable },
  },
  {
    id: 'previewPolicy',
    method: 'POST',
    path: '/api/policy/preview',
    allow: ['admin'],
    tag: 'Policy',
    summary: "Extension: a draft policy's effect on the whole organisation; writes nothing",
    description:
      "Every user of the directory is judged under the policy in force and under the draft, and every reporting pair (a manager, someone below them at any depth) gets an outcome: refused, held for an approver, or approved at once. Counts, and the first 200 of each change by name. Read with tenant-wide, paged Graph reads, never one per person. The draft is validated like `PUT /api/policy`; the tenant's bounds are reported in `tenantViolations` rather than refused.",
    body: policyInputSchema,
    responses: { 200: policyPreviewSchema, 400: invalid, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
  {
    id: 'getDashboardStats',
    method: 'GET',
    path: '/api/dashboard',
    allow: ['auditor', 'admin'],
    tag: 'Dashboard',
    summary: "Extension: the last 30 days' figures",
    responses: { 200: dashboardStatsSchema, 401: unauthenticated, 403: forbidden, 503: unavailable },
  },
] as const satisfies readonly Operation[];

/**
 * What `operation` answers: its row's `responses`, plus 429 `rate-limited` on every route that
 * reads a token, which the route wrapper sends once the caller's per-user API budget is used up
 * (lib/limits). A row that already declares 429 (the issuance quota) keeps its codes.
 */
export function getOperationResponses(operation: Operation): Readonly<Record<number, ResponseSpec>> {
  if (operation.allow === 'anyone') return operation.responses;
  const own = operation.responses[429];
  const codes = own !== undefined && !(own instanceof z.core.$ZodType) && own.kind === 'problem' ? own.codes.filter((code) => code !== 'rate-limited') : [];
  return { ...operation.responses, 429: problem('rate-limited', ...codes) };
}

/** The operation for `method` and `path` (OpenAPI style), if the table has one. */
export function findOperation(method: string, path: string): Operation | undefined {
  return (operations as readonly Operation[]).find((operation) => operation.method === method && operation.path === path);
}
