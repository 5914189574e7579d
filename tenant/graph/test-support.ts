/**
 * Test support for driving the local Graph with the real clients: msal-node for app-only tokens
 * and `@microsoft/microsoft-graph-client` for requests.
 *
 * The tenant's certificate is self-signed. Node's global fetch (used by the Graph client's
 * default HTTP handler) can only be told about an extra CA through undici, which is not a
 * dependency, or through NODE_EXTRA_CA_CERTS at process start. So the Graph client's last
 * middleware is replaced by one that sends the request with `node:https` and the tenant's PEM as
 * `ca`: TLS verification stays fully on, only the trust anchor differs.
 */
import https from 'node:https';
import { ConfidentialClientApplication, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { AuthenticationHandler, Client, type Context, type Middleware } from '@microsoft/microsoft-graph-client';

export interface TenantEndpoint {
  url: string; // https://localhost:<port>
  certPem: string;
  tenantId: string;
}

/** The Graph client's final middleware, sending with `node:https` and a pinned CA. */
export class CaTrustingHttpHandler implements Middleware {
  constructor(private readonly ca: string) {}

  async execute(context: Context): Promise<void> {
    const request = context.request;
    const url = new URL(typeof request === 'string' ? request : request.url);
    const opts = context.options ?? {};
    const headers: Record<string, string> = {};
    new Headers(opts.headers as HeadersInit | undefined).forEach((v, k) => {
      headers[k] = v;
    });
    const body = opts.body;
    if (body !== undefined && body !== null && typeof body !== 'string') {
      throw new Error('CaTrustingHttpHandler only sends string bodies');
    }
    context.response = await httpsRequest(url, opts.method ?? 'GET', headers, body ?? undefined, this.ca);
  }
}

/** One HTTPS request with a pinned CA, answered as a WHATWG `Response`. */
export function httpsRequest(url: URL, method: string, headers: Record<string, string>, body: string | undefined, ca: string): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const req = https.request(url, { method, headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
        const status = res.statusCode ?? 0;
        const payload = status === 204 || status === 304 ? null : Buffer.concat(chunks);
        resolve(new Response(payload, { status, headers: h }));
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** msal-node network module over `node:https` with a pinned CA. */
export function caTrustingNetworkClient(ca: string): INetworkModule {
  const send = async <T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const res = await httpsRequest(new URL(url), method, options?.headers ?? {}, method === 'POST' ? (options?.body ?? '') : undefined, ca);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { headers, body: (await res.json()) as T, status: res.status };
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>(url, 'GET', options),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>(url, 'POST', options),
  };
}

/** An app-only Graph token from the tenant's token endpoint, via msal-node (client credentials). */
export async function getAppToken(tenant: TenantEndpoint, clientId: string, clientSecret: string): Promise<string> {
  const port = new URL(tenant.url).port;
  const cca = new ConfidentialClientApplication({
    auth: {
      clientId,
      clientSecret,
      authority: `${tenant.url}/${tenant.tenantId}/`,
      knownAuthorities: [`localhost:${port}`],
    },
    // msal-node 7 sends with global fetch and has no `customAgentOptions`; a network client
    // with the pinned CA is its supported extension point.
    system: { networkClient: caTrustingNetworkClient(tenant.certPem) },
  });
  const result = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
  if (result === null) throw new Error('msal-node returned no token');
  return result.accessToken;
}

/** A Graph client for the local tenant, authenticated with the given app token. */
export function graphClient(tenant: TenantEndpoint, token: string): Client {
  const auth = new AuthenticationHandler({ getAccessToken: () => Promise.resolve(token) });
  auth.setNext(new CaTrustingHttpHandler(tenant.certPem));
  return Client.initWithMiddleware({
    middleware: auth,
    baseUrl: `${tenant.url}/graph/`,
    customHosts: new Set(['localhost']),
  });
}
