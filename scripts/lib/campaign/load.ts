/**
 * The campaign's load: virtual managers, each one loop until the deadline through the balancer
 * only — list reportees, ask for a pass (a direct report: issued at once; two levels down: an
 * approver approves first), issue it, sometimes revoke it, list their requests — and auditors
 * reading the trail. Every call is recorded (operation, status, times, request id, the audit
 * events a 2xx must have written). A pass is counted and kept in memory for the leak check;
 * it is never printed or written anywhere.
 */
import http from 'node:http';
import type { CallRecord } from './checks';
import type { CampaignOrg } from './org';
import { createCaFetch } from '../../../tenant/testing';
import demoOrg from '../../../tenant/demo-org.json';

export const JUSTIFICATION = 'Lost their phone while travelling and needs to register a new authenticator.';
/** A call that takes longer than this is recorded as unanswered (status 0). */
const CALL_TIMEOUT_MS = 30_000;

export interface LoadResult {
  calls: CallRecord[];
  /** Every pass the broker handed out, in memory only. */
  passes: Set<string>;
  issuedRequestIds: string[];
  /** 5xx or unanswered calls so far (the loops back off after one). */
  failures: number;
}

/** Access tokens for the portal API through the tenant's password grant, `concurrency` at a time. */
export async function getTokens(tenantUrl: string, tenantId: string, caPem: string, upns: readonly string[], password: string, concurrency = 8): Promise<Map<string, string>> {
  const caFetch = createCaFetch(caPem);
  const tokens = new Map<string, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < upns.length; i = next++) {
        const upn = upns[i]!;
        const res = await caFetch(`${tenantUrl}/${tenantId}/oauth2/v2.0/token`, {
          method: 'POST',
          body: new URLSearchParams({ grant_type: 'password', client_id: demoOrg.portal.clientId, username: upn, password, scope: `api://${demoOrg.portal.apiClientId}/${demoOrg.portal.scope} openid profile` }),
        });
        const body = (await res.json()) as { access_token?: string; error?: string };
        if (!res.ok || body.access_token === undefined) throw new Error(`token for ${upn}: ${res.status} ${body.error ?? ''}`);
        tokens.set(upn, body.access_token);
      }
    }),
  );
  return tokens;
}

/** A small JSON client for the balancer over one keep-alive agent with room for every virtual user. */
export function createApiClient(baseUrl: string, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const base = new URL(baseUrl);
  // The balancer binds 127.0.0.1; `localhost` may resolve to ::1 first.
  if (base.hostname === 'localhost') base.hostname = '127.0.0.1';
  const counts = { resent: 0 };
  return {
    /** How many calls were sent once more after a reset on a kept-alive socket (reported, not hidden). */
    counts,
    call(token: string, method: string, route: string, body?: unknown, resent = false): Promise<{ status: number; json: Record<string, unknown> | null }> {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return new Promise((resolve) => {
        const req = http.request(
          { agent, host: base.hostname, port: base.port, method, path: route, timeout: CALL_TIMEOUT_MS, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', () => resolve({ status: 0, json: null }));
            res.on('end', () => {
              let json: Record<string, unknown> | null = null;
              try {
                json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
              } catch {
                // not JSON (a balancer's error page): the status says enough
              }
              resolve({ status: res.statusCode ?? 0, json });
            });
          },
        );
        req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'client-timeout' })));
        // No answer: the socket's error code (ECONNRESET, ECONNREFUSED, client-timeout) says why.
        req.on('error', (error: NodeJS.ErrnoException) => {
          // A kept-alive socket the balancer closed as idle (`timeout http-keep-alive`, or the old
          // process of a failover) just as this request went out: it reached nobody, and HTTP
          // clients send it once more on a new connection, as browsers do (Node's `reusedSocket`
          // exists for this). Any other reset, and a second one, counts as no answer.
          if (error.code === 'ECONNRESET' && req.reusedSocket && !resent) {
            counts.resent += 1;
            resolve(this.call(token, method, route, body, true));
            return;
          }
          resolve({ status: 0, json: { code: error.code ?? 'no-answer' } });
        });
        if (payload) req.write(payload);
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}

type ApiClient = ReturnType<typeof createApiClient>;

interface LoadOptions {
  api: ApiClient;
  org: CampaignOrg;
  tokens: Map<string, string>;
  managers: number;
  /** Epoch ms; a loop starts no new iteration after it (the fault schedule may extend it). */
  until: () => number;
  /** Seeded randomness, so the mix is the same from run to run. */
  random: () => number;
}

async function recorded(result: LoadResult, op: string, run: () => Promise<{ status: number; json: Record<string, unknown> | null }>, extra: (status: number, json: Record<string, unknown> | null) => Partial<CallRecord> = () => ({})) {
  const startedAt = Date.now();
  const answer = await run();
  if (answer.status === 0 || answer.status >= 500) result.failures += 1;
  const failed = answer.status >= 400 || answer.status === 0;
  const code = failed && typeof answer.json?.code === 'string' ? { code: answer.json.code } : {};
  // The problem's detail is the product's own wording (never a pass or token): it says which dependency failed.
  const detail = failed && typeof answer.json?.detail === 'string' ? { detail: answer.json.detail } : {};
  result.calls.push({ op, status: answer.status, startedAt, endedAt: Date.now(), ...code, ...detail, ...extra(answer.status, answer.json) });
  return answer;
}

async function managerLoop(o: LoadOptions, result: LoadResult, index: number): Promise<void> {
  const manager = o.org.managers[index]!;
  const token = o.tokens.get(manager.upn)!;
  const { api, random } = o;
  while (Date.now() < o.until()) {
    const failuresBefore = result.failures;
    await recorded(result, 'list reportees', () => api.call(token, 'GET', '/api/reportees'));
    const indirect = random() < 0.3;
    const pool = indirect ? manager.indirectIds : manager.directIds;
    const target = pool[Math.floor(random() * pool.length)]!;
    const created = await recorded(result, 'create request', () => api.call(token, 'POST', '/api/tap-requests', { targetUserId: target, justification: JUSTIFICATION }), (status, json) =>
      status === 201 && typeof json?.id === 'string'
        ? { requestId: json.id, expectedEvents: json.status === 'approved' ? ['tap_request.created', 'tap_request.approved'] : ['tap_request.created'] }
        : {},
    );
    const id = typeof created.json?.id === 'string' ? created.json.id : null;
    let approved = created.status === 201 && created.json?.status === 'approved';
    if (id !== null && created.json?.status === 'pending_approval') {
      const approver = o.org.approvers[Math.floor(random() * o.org.approvers.length)]!;
      const decided = await recorded(result, 'approve', () => api.call(o.tokens.get(approver)!, 'POST', `/api/tap-requests/${id}/approve`, {}), (status) =>
        status === 200 ? { requestId: id, expectedEvents: ['tap_request.approved'] } : {},
      );
      approved = decided.status === 200;
    }
    if (id !== null && approved) {
      const issued = await recorded(result, 'issue', () => api.call(token, 'POST', `/api/tap-requests/${id}/issue`), (status) =>
        status === 201 ? { requestId: id, expectedEvents: ['tap.issue_started', 'tap.issued'] } : {},
      );
      const pass = issued.json?.temporaryAccessPass;
      if (issued.status === 201 && typeof pass === 'string') {
        result.passes.add(pass);
        result.issuedRequestIds.push(id);
        if (random() < 0.2) {
          await recorded(result, 'revoke', () => api.call(token, 'POST', `/api/tap-requests/${id}/revoke`), (status) => (status === 200 ? { requestId: id, expectedEvents: ['tap.revoked'] } : {}));
        }
      }
    }
    await recorded(result, 'list my requests', () => api.call(token, 'GET', '/api/tap-requests?scope=mine'));
    // People whose portal is failing do not click again at once: every loop whose iteration saw a
    // failure (its own or another's) pauses before the next.
    if (result.failures > failuresBefore) await new Promise((r) => setTimeout(r, 500 + random() * 500));
  }
}

async function auditorLoop(o: LoadOptions, result: LoadResult, upn: string): Promise<void> {
  const token = o.tokens.get(upn)!;
  while (Date.now() < o.until()) {
    await recorded(result, 'read audit trail', () => o.api.call(token, 'GET', '/api/audit?limit=50'));
    // An auditor reads a page now and then, not in a tight loop.
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Runs every virtual manager and auditor until `until()`; resolves when the last loop ends. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { calls: [], passes: new Set(), issuedRequestIds: [], failures: 0 };
  await Promise.all([
    ...Array.from({ length: o.managers }, (_, i) => managerLoop(o, result, i)),
    ...o.org.auditors.map((upn) => auditorLoop(o, result, upn)),
  ]);
  return result;
}
