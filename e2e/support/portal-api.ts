import { expect, type APIRequestContext, type APIResponse } from '@playwright/test';
import { z } from 'zod';
import { auditPageSchema, type AuditEvent } from '@/lib/contract/audit';
import {
  issuedTapSchema,
  tapRequestListSchema,
  tapRequestSchema,
  type IssuedTap,
  type TapRequest,
  type TapRequestScope,
} from '@/lib/contract/tap-requests';
import { recordIssuedPass } from './issued-passes';
import { loadSeed, type Seed } from './seed';
import { graphAsAutomation, requestPasswordGrant, userAccessToken } from './tokens';

/**
 * The answers as the contract describes them: the helpers parse every answer with the contract's
 * schemas, so an end-to-end run also proves the server keeps to the contract.
 */
export type TapRequestView = TapRequest;
export type IssuedPass = IssuedTap;
export type AuditEventView = AuditEvent;

export const JUSTIFICATION = 'Lost their phone and needs to register a new authenticator today.';

const demo = loadSeed();
const tokens = new Map<string, Promise<string>>();
const ids = new Map<string, Promise<string>>();

/** A portal API access token for a seeded user (ROPC), cached for the worker's lifetime (tokens last an hour). */
export function tokenFor(upn: string, seed: Seed = demo): Promise<string> {
  const key = upn.toLowerCase();
  let token = tokens.get(key);
  if (!token) {
    token = userAccessToken(upn, seed);
    tokens.set(key, token);
    token.catch(() => tokens.delete(key));
  }
  return token;
}

/** A user's object id, read from the directory through Graph as the automation client. */
export function userIdOf(upn: string): Promise<string> {
  const key = upn.toLowerCase();
  let id = ids.get(key);
  if (!id) {
    id = (async () => {
      const res = await graphAsAutomation('GET', `/users/${encodeURIComponent(upn)}?$select=id`);
      if (!res.ok) throw new Error(`reading ${upn} from Graph failed: ${res.status}`);
      return String(((await res.json()) as { id: string }).id);
    })();
    ids.set(key, id);
    id.catch(() => ids.delete(key));
  }
  return id;
}

/**
 * The body of a portal API answer, parsed with the schema `lib/contract/routes.ts` declares for it:
 * an answer that strays from the contract fails the test here rather than as an odd value later.
 */
export async function parseAnswer<T>(res: APIResponse, schema: z.core.$ZodType<T>): Promise<T> {
  return z.parse(schema, await res.json());
}

/** Calls the portal API as `upn`. */
export function asUser(request: APIRequestContext, upn: string) {
  const headers = async (): Promise<Record<string, string>> => ({ authorization: `Bearer ${await tokenFor(upn)}` });
  return {
    get: async (path: string): Promise<APIResponse> => request.get(path, { headers: await headers() }),
    post: async (path: string, data?: unknown): Promise<APIResponse> =>
      request.post(path, { headers: await headers(), ...(data === undefined ? {} : { data }) }),
    put: async (path: string, data: unknown): Promise<APIResponse> => request.put(path, { headers: await headers(), data }),
  };
}

/** `POST /api/tap-requests` as `managerUpn` for `targetUpn`; asserts 201 and returns the request object. */
export async function createTapRequest(
  request: APIRequestContext,
  managerUpn: string,
  targetUpn: string,
  extra: Record<string, unknown> = {},
): Promise<TapRequestView> {
  const res = await asUser(request, managerUpn).post('/api/tap-requests', {
    targetUserId: await userIdOf(targetUpn),
    justification: JUSTIFICATION,
    ...extra,
  });
  expect(res.status(), `create ${managerUpn} → ${targetUpn}: ${await res.text()}`).toBe(201);
  return parseAnswer(res, tapRequestSchema);
}

/** `POST /api/tap-requests/{id}/issue` as `upn`. A pass in the answer is recorded for the leak check at once. */
export async function issueTap(request: APIRequestContext, upn: string, requestId: string): Promise<APIResponse> {
  const res = await asUser(request, upn).post(`/api/tap-requests/${requestId}/issue`);
  // Recorded before the answer is checked against the contract, so an off-contract answer still has its pass checked.
  if (res.status() === 201) recordIssuedPass(issuedPassOf(await res.json()));
  return res;
}

/** The pass in an issue answer, whatever else the answer holds; the leak check takes anything. */
function issuedPassOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null && 'temporaryAccessPass' in body ? body.temporaryAccessPass : undefined;
}

/** Issues and asserts the contract's 201: the pass and its terms, `Cache-Control: no-store`. */
export async function issueTapOk(request: APIRequestContext, upn: string, requestId: string): Promise<IssuedPass> {
  const res = await issueTap(request, upn, requestId);
  expect(res.status(), `issue ${requestId} as ${upn}: ${await res.text()}`).toBe(201);
  expect(res.headers()['cache-control']).toContain('no-store');
  return parseAnswer(res, issuedTapSchema);
}

export async function getTapRequest(request: APIRequestContext, upn: string, id: string): Promise<TapRequestView> {
  const res = await asUser(request, upn).get(`/api/tap-requests/${id}`);
  expect(res.status(), await res.text()).toBe(200);
  return parseAnswer(res, tapRequestSchema);
}

/** `GET /api/tap-requests?scope=…` as `upn`; asserts 200 and returns the requests. */
export async function listTapRequests(request: APIRequestContext, upn: string, scope: TapRequestScope = 'mine'): Promise<TapRequestView[]> {
  const res = await asUser(request, upn).get(`/api/tap-requests?scope=${scope}`);
  expect(res.status(), await res.text()).toBe(200);
  return (await parseAnswer(res, tapRequestListSchema)).requests;
}

/** Audit events (newest first) as an auditor, following `nextCursor` until the filter is exhausted. */
export async function readAudit(request: APIRequestContext, auditorUpn: string, query: Record<string, string> = {}): Promise<AuditEventView[]> {
  const events: AuditEventView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const params = new URLSearchParams({ ...query, limit: '500', ...(cursor ? { cursor } : {}) });
    const res = await asUser(request, auditorUpn).get(`/api/audit?${params}`);
    expect(res.status(), await res.text()).toBe(200);
    const body = await parseAnswer(res, auditPageSchema);
    events.push(...body.events);
    cursor = body.nextCursor;
    if (!cursor) return events;
  }
  throw new Error('the audit trail did not end within 100 pages');
}

/**
 * Signs in as `upn` with `pass` instead of the password, through the tenant's password grant
 * (the local tenant accepts a usable TAP there, as Entra's sign-in does) — proof that a pass
 * works, or no longer does.
 */
export function signInWithPass(upn: string, pass: string, seed: Seed = demo): Promise<{ status: number; body: Record<string, unknown> }> {
  return requestPasswordGrant(upn, pass, { seed });
}

/** Moves `upn` under `newManagerUpn` in the directory, as an HR system would (Graph, automation client). */
export async function moveUser(upn: string, newManagerUpn: string): Promise<void> {
  const res = await graphAsAutomation('PUT', `/users/${await userIdOf(upn)}/manager/$ref`, {
    '@odata.id': `https://graph.microsoft.com/v1.0/users/${await userIdOf(newManagerUpn)}`,
  });
  expect(res.status, `moving ${upn} under ${newManagerUpn}`).toBe(204);
}
