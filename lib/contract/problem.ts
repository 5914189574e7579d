/**
 * RFC 9457 problem details, the body of every error answer (`application/problem+json`):
 * `{ type, title, status, detail, code }` plus `errors` (validation-failed), `reasons`
 * (target-ineligible) and `authContextId` (step-up-required). `Retry-After` (rate-limited, and
 * upstream-unavailable when Graph sent one) and the claims challenge of a step-up refusal
 * (`WWW-Authenticate`) are headers, not body members.
 */
import * as z from 'zod/mini';
import { ineligibleReasonSchema } from '@/lib/contract/eligibility';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Every problem code and the HTTP status it is always sent with. */
export const PROBLEM_STATUS = {
  unauthenticated: 401,
  forbidden: 403,
  'not-in-reporting-chain': 403,
  'target-ineligible': 422,
  'validation-failed': 400,
  'not-found': 404,
  conflict: 409,
  'rate-limited': 429,
  'step-up-required': 401,
  'upstream-unavailable': 503,
  'internal-error': 500,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;

export const PROBLEM_CODES = Object.keys(PROBLEM_STATUS) as [ProblemCode, ...ProblemCode[]];

/** What each code means for a caller, for the OpenAPI document and for people. */
export const PROBLEM_DESCRIPTIONS: Record<ProblemCode, string> = {
  unauthenticated: 'No token, or one that is expired, mis-signed, or for another audience, issuer, tenant or client.',
  forbidden: "The caller's role or account does not allow this action.",
  'not-in-reporting-chain': 'The target is not below the caller within the allowed depth (also for ids that do not exist).',
  'target-ineligible': 'The target is in the chain but the eligibility rule refuses; `reasons` lists why.',
  'validation-failed':
    'A malformed body, query (unknown keys included) or path parameter, or token-shaped text the audit trail refuses to record (from the caller or the directory; nothing was changed); `errors` lists the problems.',
  'not-found': 'A request the caller may not see, an id that does not exist, an unknown route.',
  conflict: 'The request is not in a state that allows the action (already decided, issued, expired…).',
  'rate-limited':
    "The caller's request budget for the API is used up for the current window, or the manager's daily issuance quota is (`Retry-After` says when to try again); or a new request would wait for an approver while the policy's `maxPendingRequestsPerRequester` of the caller's requests already do (no `Retry-After`: a slot frees when an approver decides).",
  'step-up-required':
    "The action needs the policy's authentication context; `WWW-Authenticate` carries the claims challenge and `authContextId` names the context.",
  'upstream-unavailable': 'Graph, the identity provider or the database could not be reached; nothing was half-done.',
  'internal-error': 'Something failed on the server; the detail says nothing about the cause.',
};

export const problemCodeSchema = z.enum(PROBLEM_CODES);

/** One validation problem: where, and what is wrong — never the rejected value. */
export const validationIssueSchema = z.object({
  path: z.string().check(
    z.describe(
      'Dotted path into the body, query or path parameters, e.g. `lifetimeInMinutes` or `chain.0`; empty for the whole body. `data.…` names a field of the audit event the action would have written, when the audit trail refused its text (e.g. `data.targetDisplayName`, token-shaped text from the directory).',
    ),
  ),
  message: z.string(),
});

export type ValidationIssue = z.infer<typeof validationIssueSchema>;

export const problemSchema = z.object({
  type: z.string().check(z.describe('A relative URI, `/problems/<code>`.')),
  title: z.string(),
  status: z.int(),
  detail: z.string().check(z.describe('For people; never carries a token, a secret, a pass, or whether a user exists.')),
  code: problemCodeSchema,
  errors: z.optional(z.array(validationIssueSchema)).check(z.describe('For `validation-failed`.')),
  reasons: z.optional(z.array(ineligibleReasonSchema)).check(z.describe('For `target-ineligible`: the named eligibility reasons.')),
  authContextId: z.optional(z.string()).check(z.describe('For `step-up-required`: the authentication context (`c1` … `c99`) the token must prove.')),
});

export type Problem = z.infer<typeof problemSchema>;
