/**
 * Entry of the local tenant's Microsoft Graph (`/graph/v1.0/…`, `/graph/beta/…`).
 *
 * The server has already applied fault injection and counted the round trip; here the request
 * is authenticated (401 `InvalidAuthenticationToken`), turned into a `GraphRequest` and answered by
 * the dispatcher that also serves `$batch` items.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '../http-util';
import { verifyGraphToken } from '../oidc/tokens';
import type { GraphCaller, TenantContext } from '../types';
import { errorResponse, newRequestIds, type GraphRequest, type GraphResponse, type GraphVersion } from './http';
import { parseQueryString } from './odata';
import { dispatchGraph } from './router';

export { dispatchGraph } from './router';
export type { GraphRequest, GraphResponse } from './http';

/** `$batch` bodies carry up to 20 requests; 4 MB is Graph's documented request-size ceiling. */
const GRAPH_BODY_LIMIT = 4 * 1024 * 1024;

function headerMap(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Splits `/v1.0/users/x?$select=id` into version, decoded segments and query. */
export function parseGraphPath(subPath: string): { version: string; segments: string[]; query: Map<string, string> } {
  const q = subPath.indexOf('?');
  const path = q === -1 ? subPath : subPath.slice(0, q);
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const [version = '', ...rest] = segments;
  return { version, segments: rest, query: parseQueryString(q === -1 ? '' : subPath.slice(q + 1)) };
}

async function writeResponse(res: ServerResponse, r: GraphResponse): Promise<void> {
  if (r.hang === true) {
    // Never answer; resolve once the client (or the tenant's close) ends the connection.
    if (!res.destroyed && !res.socket?.destroyed) await once(res, 'close');
    return;
  }
  if (r.body === undefined) {
    res.writeHead(r.status, r.headers);
    res.end();
    return;
  }
  const payload = typeof r.body === 'string' && /^text\//i.test(r.headers['Content-Type'] ?? '') ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, { ...r.headers, 'Content-Length': String(Buffer.byteLength(payload)) });
  res.end(payload);
}

/**
 * Handles one Graph HTTP request. `subPath` is everything after `/graph`, version and query
 * included (e.g. `/v1.0/users/abc/directReports?$select=id&$top=999`).
 */
export async function handleGraph(req: IncomingMessage, res: ServerResponse, ctx: TenantContext, subPath: string): Promise<void> {
  const headers = headerMap(req);
  const { requestId, clientRequestId } = newRequestIds(headers);
  const { version, segments, query } = parseGraphPath(subPath);
  const method = (req.method ?? 'GET').toUpperCase();
  let body: string | null = null;
  const base: GraphRequest = { method, version: 'v1.0', segments, query, headers, body, requestId, clientRequestId, inBatch: false };
  try {
    body = method === 'GET' || method === 'HEAD' ? null : await readBody(req, GRAPH_BODY_LIMIT);
  } catch (e) {
    if (e instanceof BodyTooLargeError) {
      await writeResponse(res, errorResponse(base, 413, 'Request_EntityTooLarge', 'The request is too large.'));
      return;
    }
    throw e;
  }
  const verified = await verifyGraphToken(ctx, headers['authorization']);
  if ('error' in verified) {
    await writeResponse(res, errorResponse(base, 401, 'InvalidAuthenticationToken', verified.error, { 'WWW-Authenticate': 'Bearer' }));
    return;
  }
  if (version !== 'v1.0' && version !== 'beta') {
    await writeResponse(res, errorResponse(base, 400, 'BadRequest', `Invalid version: ${version}`));
    return;
  }
  const caller: GraphCaller = verified;
  const graphReq: GraphRequest = { ...base, version: version as GraphVersion, body };
  await writeResponse(res, await dispatchGraph(ctx, caller, graphReq));
}
