/**
 * RFC 9457 problem details: the one place where errors become HTTP responses.
 *
 * Shape: `{ type, title, status, detail, code }` plus `errors` (validation-failed), `reasons`
 * (target-ineligible) or `authContextId` (step-up-required, with the claims challenge in
 * `WWW-Authenticate`). `type` is a relative URI, `/problems/<code>`, resolved against the portal.
 * Anything that is not a BrokerError or a ZodError is an internal error: it is logged in full
 * and answered with a bare 500 that says nothing about the cause.
 */
import { ZodError } from 'zod';
import { PROBLEM_CONTENT_TYPE, type Problem, type ProblemCode } from '@/lib/contract/problem';
import { BrokerError, isDatabaseUnavailable, type ValidationIssue } from '@/lib/core/errors';
import { getStepUpWwwAuthenticate } from '@/lib/http/claims-challenge';
import type { Logger } from '@/lib/log';

export { PROBLEM_CONTENT_TYPE, type Problem, type ProblemCode };

const TITLES: Record<ProblemCode, string> = {
  unauthenticated: 'Unauthenticated',
  forbidden: 'Forbidden',
  'not-in-reporting-chain': 'Not in reporting chain',
  'target-ineligible': 'Target ineligible',
  'validation-failed': 'Validation failed',
  'not-found': 'Not found',
  conflict: 'Conflict',
  'rate-limited': 'Rate limited',
  'step-up-required': 'Step-up required',
  'upstream-unavailable': 'Upstream unavailable',
  'internal-error': 'Internal error',
};

export function problemType(code: ProblemCode): string {
  return `/problems/${code}`;
}

/** Zod issues as `{ path, message }`, without echoing the rejected input. */
export function toValidationIssues(error: ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', ...headers },
  });
}

/**
 * Maps any thrown value to a problem+json response. BrokerErrors become their contract code;
 * a stray ZodError is treated as a malformed request; everything else is a logged 500.
 */
export function errorToResponse(error: unknown, log: Logger): Response {
  if (error instanceof BrokerError) {
    const headers: Record<string, string> = {};
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
    if (error.code === 'unauthenticated') headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
    // The claims challenge MSAL reads to ask Entra for the missing authentication context.
    if (error.code === 'step-up-required' && error.authContextId !== undefined) {
      headers['WWW-Authenticate'] = getStepUpWwwAuthenticate(error.authContextId);
    }
    const level = error.status >= 500 ? 'error' : 'info';
    log[level]({ code: error.code, status: error.status, ...(error.cause === undefined ? {} : { err: error.cause }) }, 'request refused');
    return problemResponse(
      {
        type: problemType(error.code),
        title: TITLES[error.code],
        status: error.status,
        detail: error.detail,
        code: error.code,
        ...(error.errors === undefined ? {} : { errors: error.errors }),
        ...(error.reasons === undefined ? {} : { reasons: error.reasons }),
        ...(error.authContextId === undefined ? {} : { authContextId: error.authContextId }),
      },
      headers,
    );
  }
  if (error instanceof ZodError) {
    const errors = toValidationIssues(error);
    log.info({ code: 'validation-failed', errors }, 'request refused');
    return problemResponse({
      type: problemType('validation-failed'),
      title: TITLES['validation-failed'],
      status: 400,
      detail: 'The request is malformed.',
      code: 'validation-failed',
      errors,
    });
  }
  // A read outside a transaction meets a database that is restarting as a raw driver error: that is
  // the database being away for a moment, which the contract answers 503, not a defect's 500.
  if (isDatabaseUnavailable(error)) return errorToResponse(new BrokerError('upstream-unavailable', 'The database could not be reached. Try again later.', { cause: error }), log);
  log.error({ err: error }, 'unhandled error');
  return problemResponse({
    type: problemType('internal-error'),
    title: TITLES['internal-error'],
    status: 500,
    detail: 'Something went wrong on our side. The error has been logged.',
    code: 'internal-error',
  });
}
