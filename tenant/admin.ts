/**
 * Admin routes that only the local tenant has (no counterpart in Entra or Graph), for tests,
 * benchmarks and the start script. They are unauthenticated: the tenant listens on loopback only.
 * Routes that take a body require `Content-Type: application/json`, which forces a CORS
 * preflight, so a web page the developer happens to visit cannot drive them.
 *
 *   GET  /_tenant/health        200 { status: "ok", tenantId, users }
 *   GET  /_tenant/cert.pem      the TLS certificate (PEM), to trust or inspect
 *   GET  /_tenant/stats         RequestStats: { graph, batched, entra } counts by `METHOD /template`,
 *                               and `events` (tapMethod.created, tapMethod.deleted, signIn.tap)
 *   POST /_tenant/stats/reset   zero the counts → 200 the (empty) stats
 *   GET  /_tenant/faults        FaultState
 *   PUT  /_tenant/faults        merge a partial FaultState → 200 the new state (400 on bad fields)
 *   POST /_tenant/faults/reset  back to the start-up faults (TENANT_FAULT_* env) → 200 the state
 *   PUT  /_tenant/seed          replace the whole directory with the posted seed JSON
 *                               → 200 { tenantId, users }; 400 { error, message } naming the bad entry
 *   GET  /_tenant/mail          the mail log: 200 { messages } — what Graph sendMail accepted (tenant/mail-log.ts)
 *   GET  /_tenant/mail.html     the mail log as a page
 *   POST /_tenant/mail/reset    empty the mail log → 200 { messages: [] }
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultPatchSchema, emptyStats } from './faults';
import { BodyTooLargeError, readJson, sendHtml, sendJson, sendText } from './http-util';
import { parseSeed, SeedError } from './seed';
import { clearMailLog, getMailLog, mailLogPage } from './mail-log';
import type { FaultState, TenantContext } from './types';

/** Generated orgs of 100 000 users weigh ~40 MB as JSON. */
const SEED_BODY_LIMIT = 256 * 1024 * 1024;

export interface AdminOptions {
  certPem: string;
  /** Faults restored by `POST /_tenant/faults/reset`. */
  baselineFaults: FaultState;
}

function requireJson(req: IncomingMessage, res: ServerResponse): boolean {
  const ct = (req.headers['content-type'] ?? '').toLowerCase();
  if (ct.startsWith('application/json')) return true;
  sendJson(res, 415, { error: 'unsupported_media_type', message: 'send Content-Type: application/json' });
  return false;
}

/** Handles `/_tenant/*`. Returns false for an unknown admin path. */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: TenantContext,
  path: string,
  opts: AdminOptions,
): Promise<boolean> {
  const route = `${req.method ?? 'GET'} ${path}`;
  switch (route) {
    case 'GET /_tenant/health':
      sendJson(res, 200, { status: 'ok', tenantId: ctx.directory.tenantId, users: ctx.directory.users.size });
      return true;
    case 'GET /_tenant/cert.pem':
      sendText(res, 200, opts.certPem, 'application/x-pem-file', { 'Content-Disposition': 'inline; filename="tap-broker-local-tenant.pem"' });
      return true;
    case 'GET /_tenant/stats':
      sendJson(res, 200, ctx.stats, { 'Cache-Control': 'no-store' });
      return true;
    case 'POST /_tenant/stats/reset': {
      const fresh = emptyStats();
      // Mutate in place: the Graph half may hold a reference to the buckets.
      for (const bucket of ['graph', 'batched', 'entra', 'events'] as const) {
        for (const k of Object.keys(ctx.stats[bucket])) delete ctx.stats[bucket][k];
        Object.assign(ctx.stats[bucket], fresh[bucket]);
      }
      sendJson(res, 200, ctx.stats);
      return true;
    }
    case 'GET /_tenant/faults':
      sendJson(res, 200, ctx.faults, { 'Cache-Control': 'no-store' });
      return true;
    case 'PUT /_tenant/faults': {
      if (!requireJson(req, res)) return true;
      let body: unknown;
      try {
        body = await readJson(req);
      } catch {
        sendJson(res, 400, { error: 'invalid_json', message: 'the body is not valid JSON' });
        return true;
      }
      const parsed = faultPatchSchema.safeParse(body ?? {});
      if (!parsed.success) {
        sendJson(res, 400, {
          error: 'invalid_faults',
          message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
        });
        return true;
      }
      Object.assign(ctx.faults, Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)));
      sendJson(res, 200, ctx.faults);
      return true;
    }
    case 'POST /_tenant/faults/reset':
      Object.assign(ctx.faults, opts.baselineFaults);
      sendJson(res, 200, ctx.faults);
      return true;
    case 'PUT /_tenant/seed': {
      if (!requireJson(req, res)) return true;
      let body: unknown;
      try {
        body = await readJson(req, SEED_BODY_LIMIT);
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw err;
        sendJson(res, 400, { error: 'invalid_json', message: `the body is not valid JSON: ${(err as Error).message}` });
        return true;
      }
      try {
        ctx.directory = parseSeed(body, '(PUT /_tenant/seed)');
      } catch (err) {
        if (!(err instanceof SeedError)) throw err;
        sendJson(res, 400, { error: 'invalid_seed', message: err.message });
        return true;
      }
      // Codes, refresh tokens and sessions belonged to the old directory's users.
      ctx.oidc.codes.clear();
      ctx.oidc.refreshTokens.clear();
      ctx.oidc.sessions.clear();
      ctx.oidc.pendingSecondFactors.clear();
      ctx.oidc.lastTotpCounters.clear();
      ctx.oidc.deviceAuthorizations.clear();
      sendJson(res, 200, { tenantId: ctx.directory.tenantId, users: ctx.directory.users.size });
      return true;
    }
    case 'GET /_tenant/mail':
      sendJson(res, 200, { messages: getMailLog(ctx) }, { 'Cache-Control': 'no-store' });
      return true;
    case 'GET /_tenant/mail.html':
      sendHtml(res, 200, mailLogPage(ctx), {
        // Message bodies render in sandboxed srcdoc frames: no scripts, no fetches, inline styles only.
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self' about:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
      });
      return true;
    case 'POST /_tenant/mail/reset':
      clearMailLog(ctx);
      sendJson(res, 200, { messages: [] });
      return true;
    default:
      return false;
  }
}
