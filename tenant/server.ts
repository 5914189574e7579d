/**
 * The local tenant's HTTPS server: a stand-in for Entra ID (`/{tenantId}/…`) and Microsoft Graph
 * (`/graph/v1.0/…`, `/graph/beta/…`) on `https://localhost:<port>`, plus local-only admin routes
 * (`/_tenant/…`, see tenant/admin.ts) and a landing page (`/`) that explains the certificate.
 *
 * It listens on loopback only (127.0.0.1, and ::1 on the same port when available, because
 * `localhost` may resolve to either).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin';
import { ensureCertificate, ensureSigningKey } from './cert';
import demoOrg from './demo-org.json';
import { applyGraphFaults, countRequest, emptyStats, faultsFromEnv, graphRequestTemplate } from './faults';
import { handleGraph } from './graph/index';
import { BodyTooLargeError, sendGraphError, sendHtml, sendJson } from './http-util';
import { handleEntra } from './oidc/index';
import { landingPage } from './oidc/pages';
import { createOidcState } from './oidc/state';
import { loadSeed } from './seed';
import type { FaultState, TenantContext } from './types';

export interface StartTenantOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Loopback address to bind; default 127.0.0.1 (plus ::1 on the same port, best effort). */
  host?: string;
  /** A seed file path, or a parsed seed object; default the bundled demo org (tenant/demo-org.json). */
  seed?: string | object;
  /** Where the certificate and signing key live (`<dataDir>/tenant/`). */
  dataDir: string;
  /** Start-up faults; default from TENANT_FAULT_* in `env`. */
  faults?: Partial<FaultState>;
  env?: Record<string, string | undefined>;
}

export interface RunningTenant {
  /** `https://localhost:<port>` (no trailing slash). */
  url: string;
  port: number;
  ctx: TenantContext;
  certPem: string;
  certPath: string;
  /** base64 SHA-256 of the certificate's SPKI, for `--ignore-certificate-errors-spki-list`. */
  spkiSha256: string;
  close(): Promise<void>;
}

/** Only loopback URLs may be linked back to from the landing page (no open redirect). */
function safeReturnUrl(raw: string | null): string | null {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.hostname !== 'localhost' && u.hostname !== '127.0.0.1' && u.hostname !== '[::1]') return null;
    return u.toString();
  } catch {
    return null;
  }
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err as Error;
    }),
  ]);
}

/**
 * Starts the local tenant.
 * @throws SeedError when the seed is invalid (the message names the bad entry)
 */
export async function startTenant(opts: StartTenantOptions): Promise<RunningTenant> {
  const env = opts.env ?? process.env;
  const [cert, signingKey, directory] = await Promise.all([
    ensureCertificate(opts.dataDir),
    ensureSigningKey(opts.dataDir),
    loadSeed(opts.seed ?? demoOrg),
  ]);
  const baselineFaults: FaultState = { ...faultsFromEnv(env), ...opts.faults };
  const ctx: TenantContext = {
    directory,
    baseUrl: '',
    faults: { ...baselineFaults },
    stats: emptyStats(),
    oidc: createOidcState(signingKey),
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    dispatch(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof BodyTooLargeError) {
        sendJson(res, 413, { error: 'request_too_large', message: err.message });
        return;
      }
      sendJson(res, 500, { error: 'server_error', message: `local tenant error: ${(err as Error).message}` });
    });
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl, ctx.baseUrl);
    const method = req.method ?? 'GET';
    const p = url.pathname;
    if (p === '/graph' || p.startsWith('/graph/')) {
      const subPath = rawUrl.startsWith('/graph') ? rawUrl.slice('/graph'.length) : `${p.slice('/graph'.length)}${url.search}`;
      countRequest(ctx.stats.graph, graphRequestTemplate(method, subPath));
      if (await applyGraphFaults(req, res, ctx)) return;
      try {
        await handleGraph(req, res, ctx, subPath);
      } catch (err) {
        if (res.headersSent) throw err;
        sendGraphError(res, 500, 'generalException', `local Graph error: ${(err as Error).message}`, req);
      }
      return;
    }
    if (p.startsWith('/_tenant/')) {
      if (await handleAdmin(req, res, ctx, p, { certPem: cert.certPem, baselineFaults })) return;
      sendJson(res, 404, { error: 'not_found', message: `no admin route ${method} ${p}` });
      return;
    }
    if (p === '/' && (method === 'GET' || method === 'HEAD')) {
      sendHtml(
        res,
        200,
        landingPage({
          tenantId: ctx.directory.tenantId,
          returnUrl: safeReturnUrl(url.searchParams.get('return')),
          certUrl: '/_tenant/cert.pem',
        }),
      );
      return;
    }
    if (p === '/error' && method === 'GET') {
      sendJson(res, 200, { code: url.searchParams.get('code'), message: 'See the error_description of the response that linked here.' });
      return;
    }
    const segs = p.split('/').filter(Boolean);
    if (await handleEntra(req, res, ctx, url)) {
      countRequest(ctx.stats.entra, `${method} /{tenant}/${segs.slice(1).join('/')}`);
      return;
    }
    sendJson(res, 404, { error: 'not_found', message: `the local tenant has no route ${method} ${p}` });
  }

  const tls = { cert: cert.certPem, key: cert.keyPem };
  const host = opts.host ?? '127.0.0.1';
  const primary = createServer(tls, handler);
  await listen(primary, opts.port, host);
  const port = (primary.address() as AddressInfo).port;
  ctx.baseUrl = `https://localhost:${port}`;

  const servers: Server[] = [primary];
  if (host === '127.0.0.1') {
    const v6 = createServer(tls, handler);
    try {
      await listen(v6, port, '::1');
      servers.push(v6);
    } catch {
      // No IPv6 loopback (or the port is taken there): clients fall back to 127.0.0.1.
      v6.close();
    }
  }

  let closed = false;
  return {
    url: ctx.baseUrl,
    port,
    ctx,
    certPem: cert.certPem,
    certPath: cert.certPath,
    spkiSha256: cert.spkiSha256,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
