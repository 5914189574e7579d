import 'server-only';
import type { IneligibleReason } from '@/lib/contract/eligibility';
import { PROBLEM_STATUS } from '@/lib/contract/problem';

/**
 * The error vocabulary of the portal API (docs/api-contract.md#problems). Core code throws
 * `BrokerError`; `lib/http/problem.ts` is the one place that turns it into an RFC 9457 response.
 *
 * `detail` is shown to the caller: it must never carry a token, a secret, a pass, or anything
 * that tells an outsider more than the code already does (for instance whether a user exists).
 */
// Every problem code but `internal-error`, which only the problem mapper sends, for what is not a BrokerError.
const { 'internal-error': _internalError, ...brokerErrorStatus } = PROBLEM_STATUS;

/** The codes core code may throw, each with the HTTP status the contract sends it with. */
export const BROKER_ERROR_STATUS = brokerErrorStatus;

export type BrokerErrorCode = keyof typeof BROKER_ERROR_STATUS;

export interface ValidationIssue {
  /** Dotted path into the body or query, e.g. `lifetimeInMinutes` or `chain.0`; `data.…` for an audit field whose text was refused. */
  path: string;
  message: string;
}

export interface BrokerErrorExtra {
  /** For `validation-failed`. */
  errors?: ValidationIssue[];
  /** For `target-ineligible`: the named eligibility reasons. */
  reasons?: IneligibleReason[];
  /** Seconds, for `rate-limited` (and optionally `upstream-unavailable`): sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /**
   * For `step-up-required`: the authentication context the action needs (`c1` …); the response
   * names it and carries the claims challenge for it.
   */
  authContextId?: string;
  /** Internal cause, logged but never sent to the caller. */
  cause?: unknown;
}

const DEFAULT_DETAIL: Record<BrokerErrorCode, string> = {
  unauthenticated: 'A valid access token for this API is required.',
  forbidden: 'You are not allowed to do this.',
  'not-in-reporting-chain': 'The target is not in your reporting chain.',
  'target-ineligible': 'Policy does not allow a Temporary Access Pass for this user.',
  'validation-failed': 'The request is malformed.',
  'not-found': 'Not found.',
  conflict: 'The request is not in a state that allows this action.',
  'rate-limited': 'Too many requests; try again later.',
  'step-up-required': 'This action needs a second factor: sign in again with it, then retry.',
  'upstream-unavailable': 'A service the portal depends on is unavailable; nothing was changed. Try again later.',
};

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  readonly code: BrokerErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly errors: ValidationIssue[] | undefined;
  readonly reasons: IneligibleReason[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly authContextId: string | undefined;

  constructor(code: BrokerErrorCode, detail?: string, extra: BrokerErrorExtra = {}) {
    super(detail ?? DEFAULT_DETAIL[code], extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.status = BROKER_ERROR_STATUS[code];
    this.detail = detail ?? DEFAULT_DETAIL[code];
    this.errors = extra.errors;
    this.reasons = extra.reasons;
    this.retryAfterSeconds = extra.retryAfterSeconds;
    this.authContextId = extra.authContextId;
  }
}

export function isBrokerError(error: unknown): error is BrokerError {
  return error instanceof BrokerError;
}

/**
 * Whether an error from Prisma means "could not talk to the database" rather than a defect.
 * Prisma's error classes differ by adapter; their codes are stable: P1001 (unreachable), P1002
 * (timeout), P1017 (connection closed), P2024 (pool timeout), P2028 (transaction API error, e.g.
 * a transaction that timed out or whose connection died). PostgreSQL's own words cover a server
 * that is restarting: 57P01 "terminating connection due to administrator command", 57P03 "the
 * database system is shutting down / starting up". node-postgres says "Client has encountered a
 * connection error and is not queryable" of a pooled connection the restart broke.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  if (typeof code === 'string' && ['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', '57P01', '57P03'].includes(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|Can't reach database|Closed|closed the connection|PGlite is closed|encountered a connection error and is not queryable|terminating connection due to administrator command|the database system is (?:shutting down|starting up|in recovery mode)/i.test(message);
}
