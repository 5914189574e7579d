/**
 * Helpers for tests that talk to an in-process local tenant over real HTTPS.
 *
 * They trust the tenant's certificate explicitly (`ca`), never by turning TLS verification off:
 * - {@link createCaFetch}: a WHATWG `fetch` over `node:https` with the given CA, for
 *   openid-client's `customFetch`, jose's `createRemoteJWKSet` `[customFetch]`, or direct calls;
 *   redirects are never followed (tests look at `Location`);
 * - {@link createCaNetworkClient}: an msal-node `INetworkModule` with the same CA (msal-node 7
 *   uses the global fetch, so `NODE_EXTRA_CA_CERTS` or a network client are the only ways in);
 * - {@link submitSignInForm}: drives the authorize page's HTML form like a browser would.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { startTenant, type RunningTenant, type StartTenantOptions } from './server';

/** The subset of `RequestInit` these helpers honour (compatible with openid-client's and jose's custom fetch options). */
export interface FetchInit {
  method?: string;
  headers?: HeadersInit;
  body?: string | URLSearchParams | ArrayBuffer | Uint8Array | ReadableStream | Blob | FormData | null;
  signal?: AbortSignal | null;
  redirect?: RequestRedirect;
  duplex?: 'half';
}

export type FetchLike = (input: string | URL | Request, init?: FetchInit) => Promise<Response>;

async function bodyBytes(body: FetchInit['body']): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(await new Response(body).arrayBuffer());
}

/** A `fetch` that trusts exactly `ca` (plus nothing else) and never follows redirects. */
export function createCaFetch(ca: string): FetchLike {
  return async (input, init) => {
    const req = input instanceof Request ? input : null;
    const url = new URL(req ? req.url : input.toString());
    const method = init?.method ?? req?.method ?? 'GET';
    const headers = new Headers(req?.headers);
    new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
    let body = await bodyBytes(init?.body ?? null);
    if (body === undefined && req && req.body) body = Buffer.from(await req.arrayBuffer());
    if (body !== undefined && !headers.has('content-type') && init?.body instanceof URLSearchParams) {
      headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    }
    const outgoing: Record<string, string> = {};
    headers.forEach((v, k) => {
      outgoing[k] = v;
    });
    if (body !== undefined) outgoing['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const r = request(
        url,
        { method, headers: outgoing, ca, signal: init?.signal ?? undefined },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) v.forEach((x) => h.append(k, x));
              else if (v !== undefined) h.set(k, v);
            }
            const status = res.statusCode ?? 500;
            const nullBody = status === 204 || status === 304 || method === 'HEAD';
            resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: h }));
          });
        },
      );
      r.on('error', reject);
      if (body !== undefined) r.write(body);
      r.end();
    });
  };
}

/** An msal-node network client that trusts `ca`; behaves like msal-node's own (JSON bodies). */
export function createCaNetworkClient(ca: string): INetworkModule {
  const f = createCaFetch(ca);
  async function send(url: string, method: 'GET' | 'POST', options?: NetworkRequestOptions): Promise<NetworkResponse<never>> {
    const res = await f(url, {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { headers, body: (await res.json()) as never, status: res.status };
  }
  return {
    sendGetRequestAsync: (url, options) => send(url, 'GET', options),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}

/** One data dir per test process: the certificate and signing key are generated once and reused. */
let sharedDataDir: string | null = null;
export function testDataDir(): string {
  sharedDataDir ??= mkdtempSync(path.join(os.tmpdir(), 'tap-broker-tenant-'));
  return sharedDataDir;
}

export interface TestTenant extends RunningTenant {
  fetch: FetchLike;
}

/** Starts a tenant on a free port with the demo org (or the given seed) and a CA-trusting fetch. */
export async function startTestTenant(opts: Partial<StartTenantOptions> = {}): Promise<TestTenant> {
  const tenant = await startTenant({ port: 0, dataDir: testDataDir(), env: {}, ...opts });
  return Object.assign(tenant, { fetch: createCaFetch(tenant.certPem) });
}

export interface SignInResult {
  status: number;
  /** The redirect target after a successful sign-in (or an error redirect). */
  location: string | null;
  /** The page shown instead (the form again, with its error). */
  html: string;
  /** `Set-Cookie` of the response (the tenant's session cookie). */
  cookie: string | null;
}

function hiddenFields(html: string): [string, string][] {
  const out: [string, string][] = [];
  const unescape = (s: string): string =>
    s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    out.push([unescape(m[1] ?? ''), unescape(m[2] ?? '')]);
  }
  return out;
}

/**
 * Opens `authorizeUrl` and, if the sign-in form is shown, submits it with the credentials,
 * exactly as a browser would (hidden fields included).
 */
export async function submitSignInForm(
  fetchImpl: FetchLike,
  authorizeUrl: string | URL,
  username: string,
  password: string,
  cookie?: string,
): Promise<SignInResult> {
  const first = await fetchImpl(authorizeUrl, { headers: cookie ? { cookie } : {} });
  const firstHtml = await first.text();
  if (first.status !== 200 || !firstHtml.includes('name="loginfmt"')) {
    return { status: first.status, location: first.headers.get('location'), html: firstHtml, cookie: first.headers.get('set-cookie') };
  }
  const action = /<form method="post" action="([^"]*)"/.exec(firstHtml)?.[1]?.replace(/&amp;/g, '&');
  if (!action) throw new Error('sign-in form without action');
  const form = new URLSearchParams(hiddenFields(firstHtml));
  form.set('loginfmt', username);
  form.set('passwd', password);
  const res = await fetchImpl(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: form.toString(),
  });
  return { status: res.status, location: res.headers.get('location'), html: await res.text(), cookie: res.headers.get('set-cookie') };
}
