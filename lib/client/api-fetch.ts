/**
 * The browser's client for the portal API: attaches the bearer token and turns RFC 9457
 * problem+json answers into an `ApiError` the UI can show (title and detail).
 */

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
  /** Seconds, from `Retry-After` (for `rate-limited`). */
  readonly retryAfterSeconds: number | null;

  constructor(init: {
    status: number;
    title: string;
    detail: string | null;
    code: string;
    reasons?: string[];
    errors?: string[];
    retryAfterSeconds?: number | null;
  }) {
    super(init.detail ?? init.title);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.code = init.code;
    this.reasons = init.reasons ?? [];
    this.errors = init.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

function stringField(record: Record<string, unknown>, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * `errors` of a validation failure, whatever its exact shape: a list of strings, a list of
 * `{ path, message }` issues, or an object of field → message(s).
 */
function readValidationErrors(value: unknown): string[] {
  const describe = (path: unknown, message: unknown): string | null => {
    if (typeof message !== 'string' || message === '') return null;
    const where = Array.isArray(path) ? path.join('.') : typeof path === 'string' ? path : '';
    return where === '' ? message : `${where}: ${message}`;
  };
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if (typeof item === 'string') return item;
        if (typeof item !== 'object' || item === null) return null;
        const issue = item as Record<string, unknown>;
        return describe(issue.path ?? issue.field ?? issue.pointer, issue.message ?? issue.detail);
      })
      .filter((line): line is string => line !== null);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, unknown>).flatMap(([field, messages]) =>
      (Array.isArray(messages) ? messages : [messages])
        .map((message) => describe(field, message))
        .filter((line): line is string => line !== null),
    );
  }
  return [];
}

/** Reads a failed response into an `ApiError`, whether or not it carries problem+json. */
export async function readApiError(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall back to the status line.
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const reasons = Array.isArray(record.reasons) ? record.reasons.filter((r): r is string => typeof r === 'string') : [];
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  return new ApiError({
    status: response.status,
    title: stringField(record, 'title') ?? (response.statusText || `Request failed (HTTP ${response.status})`),
    detail: stringField(record, 'detail'),
    code: stringField(record, 'code') ?? `http-${response.status}`,
    reasons,
    errors: readValidationErrors(record.errors),
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
  });
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
