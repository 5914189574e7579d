/**
 * The browser's client for the portal API: attaches the bearer token and turns RFC 9457
 * problem+json answers into an `ApiError` the UI can show (title and detail).
 */
import { getClaimsForAuthContext, readClaimsChallenge } from '@/lib/client/claims-challenge';
import { problemSchema, type ValidationIssue } from '@/lib/contract/problem';

/** A refusal or failure reported by the portal API (or the network on the way to it). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | null;
  /** The contract's error code (`forbidden`, `upstream-unavailable`…), or `network-error`. */
  readonly code: string;
  /** For `target-ineligible`. */
  readonly reasons: string[];
  /** For `validation-failed`: one readable line per problem ("lifetimeInMinutes: too big"). */
  readonly errors: string[];
  /** The same problems with their paths apart, so a form can show each beside its field. */
  readonly issues: ValidationIssue[];
  /** Seconds, from `Retry-After` (for `rate-limited`). */
  readonly retryAfterSeconds: number | null;

  constructor(init: {
    status: number;
    title: string;
    detail: string | null;
    code: string;
    reasons?: string[];
    issues?: ValidationIssue[];
    retryAfterSeconds?: number | null;
  }) {
    super(init.detail ?? init.title);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.code = init.code;
    this.reasons = init.reasons ?? [];
    this.issues = init.issues ?? [];
    this.errors = this.issues.map(formatIssue);
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

/**
 * `401 step-up-required`: the action needs the policy's authentication context, which the access
 * token does not prove. `claims` is the decoded claims request to sign in with (MSAL's `claims`).
 */
export class StepUpRequiredError extends ApiError {
  readonly claims: string;
  readonly authContextId: string | null;

  constructor(init: ConstructorParameters<typeof ApiError>[0] & { claims: string; authContextId: string | null }) {
    super(init);
    this.name = 'StepUpRequiredError';
    this.claims = init.claims;
    this.authContextId = init.authContextId;
  }
}

/** One problem a validation failure names: where (`maxDepth`, `protectedGroupIds.2`, or '' for the body) and what. */
export type { ValidationIssue };

function formatIssue(issue: ValidationIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

/**
 * Reads a failed response into an `ApiError`. A body that is the contract's problem gives its
 * title, detail, code, reasons and issues; anything else (a proxy's HTML page, an empty body, a
 * gateway's own JSON) gives the status line only — it is not ours to interpret.
 */
export async function readApiError(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: the status line is all there is.
  }
  const parsed = problemSchema.safeParse(body);
  const problem = parsed.success ? parsed.data : null;
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  const init = {
    status: response.status,
    title: problem?.title || response.statusText || `Request failed (HTTP ${response.status})`,
    detail: problem?.detail || null,
    code: problem?.code ?? `http-${response.status}`,
    reasons: problem?.reasons ?? [],
    issues: problem?.errors ?? [],
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
  };
  if (response.status === 401) {
    const authContextId = problem?.authContextId ?? null;
    // The header is the challenge; the body's context is the fallback when a proxy dropped it.
    const claims =
      readClaimsChallenge(response.headers.get('WWW-Authenticate')) ??
      (init.code === 'step-up-required' && authContextId !== null ? getClaimsForAuthContext(authContextId) : null);
    if (claims !== null) return new StepUpRequiredError({ ...init, code: 'step-up-required', claims, authContextId });
  }
  return new ApiError(init);
}

export interface ApiFetchOptions {
  /** Supplies the bearer token; called once per request. */
  getAccessToken: () => Promise<string>;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/** Calls `/api/<path>` with the caller's access token and returns the parsed JSON body. */
export async function apiFetch(path: string, options: ApiFetchOptions): Promise<unknown> {
  const token = await options.getAccessToken();
  const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${token}` };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({
      status: 0,
      title: 'The portal could not be reached',
      detail: 'Check your connection and try again.',
      code: 'network-error',
    });
  }
  if (!response.ok) throw await readApiError(response);
  if (response.status === 204) return null;
  return response.json();
}
