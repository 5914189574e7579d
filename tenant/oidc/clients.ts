/**
 * The app registrations the local tenant knows, from the seed:
 * - the portal SPA (`portal.clientId`): a public client with SPA redirect URIs (PKCE required,
 *   cross-origin code redemption) and public client flows allowed (ROPC, for automation);
 * - the broker and the optional automation app: confidential clients with a secret.
 * The portal API (`portal.apiClientId`) is a resource, not a client.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { ConfidentialClient, Directory } from '../types';

export type RegisteredClient =
  | { kind: 'spa'; clientId: string; redirectUris: string[] }
  | { kind: 'confidential'; clientId: string; client: ConfidentialClient };

export function findClient(dir: Directory, clientId: string): RegisteredClient | null {
  const id = clientId.toLowerCase();
  if (dir.portal.clientId.toLowerCase() === id) {
    return { kind: 'spa', clientId: dir.portal.clientId, redirectUris: dir.portal.redirectUris };
  }
  if (dir.broker.clientId.toLowerCase() === id) return { kind: 'confidential', clientId: dir.broker.clientId, client: dir.broker };
  if (dir.automation && dir.automation.clientId.toLowerCase() === id) {
    return { kind: 'confidential', clientId: dir.automation.clientId, client: dir.automation };
  }
  return null;
}

/** Constant-time secret comparison (hash first so lengths do not leak). */
export function secretMatches(expected: string, presented: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

function isLoopbackHttp(u: URL): boolean {
  return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]');
}

function normalPath(p: string): string {
  return p === '' ? '/' : p;
}

/**
 * Whether `requested` matches a registered redirect URI. Exact match, except that — as Entra
 * documents for loopback redirect URIs — the port of an `http://localhost` / `http://127.0.0.1`
 * URI is ignored, so a portal started on another port still signs in. Scheme, host, path and
 * query must match; fragments are never allowed.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  let req: URL;
  try {
    req = new URL(requested);
  } catch {
    return false;
  }
  if (req.hash !== '' || requested.includes('#')) return false;
  for (const r of registered) {
    if (r === requested) return true;
    let reg: URL;
    try {
      reg = new URL(r);
    } catch {
      continue;
    }
    const samePathAndQuery = normalPath(reg.pathname) === normalPath(req.pathname) && reg.search === req.search;
    if (!samePathAndQuery || reg.protocol !== req.protocol || reg.hostname !== req.hostname) continue;
    if (reg.port === req.port) return true;
    if (isLoopbackHttp(reg) && isLoopbackHttp(req)) return true;
  }
  return false;
}

/** A post-logout redirect is honoured when its origin is that of a registered redirect URI (same loopback rule). */
export function postLogoutRedirectAllowed(registered: readonly string[], requested: string): boolean {
  let req: URL;
  try {
    req = new URL(requested);
  } catch {
    return false;
  }
  if (req.protocol !== 'http:' && req.protocol !== 'https:') return false;
  return registered.some((r) => {
    try {
      const reg = new URL(r);
      if (reg.protocol !== req.protocol || reg.hostname !== req.hostname) return false;
      return reg.port === req.port || (isLoopbackHttp(reg) && isLoopbackHttp(req));
    } catch {
      return false;
    }
  });
}
