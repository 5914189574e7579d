/**
 * Test helpers for Graph tests that need app tokens with exact permission sets: the automation
 * client's granted permissions are set just before its token is issued, so one tenant serves
 * every permission case (tokens carry the `roles` they were issued with).
 */
import type { TestTenant } from '../testing';

export interface GraphAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A client-credentials Graph token straight from the token endpoint. */
export async function clientCredentialsToken(tenant: TestTenant, clientId: string, clientSecret: string): Promise<string> {
  const res = await tenant.fetch(`${tenant.url}/${tenant.ctx.directory.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'https://graph.microsoft.com/.default' }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (body.access_token === undefined) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** An app token holding exactly `permissions` (issued to the seed's automation client). */
export async function tokenWithPermissions(tenant: TestTenant, permissions: string[]): Promise<string> {
  const automation = tenant.ctx.directory.automation;
  if (automation === null) throw new Error('the seed needs an automation client');
  automation.graphPermissions = [...permissions];
  return clientCredentialsToken(tenant, automation.clientId, automation.clientSecret);
}

/** One Graph v1.0 request; `eventual` adds `ConsistencyLevel: eventual`. */
export async function callGraph(tenant: TestTenant, token: string, path: string, opts: { method?: string; body?: unknown; eventual?: boolean } = {}): Promise<GraphAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (opts.eventual === true) headers['consistencylevel'] = 'eventual';
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await tenant.fetch(`${tenant.url}/graph/v1.0${path}`, {
    method: opts.method ?? 'GET',
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  if (/^text\/plain/i.test(res.headers.get('content-type') ?? '')) return { status: res.status, headers: res.headers, body: { text } };
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export function valueOf(answer: GraphAnswer): Record<string, unknown>[] {
  return answer.body['value'] as Record<string, unknown>[];
}
