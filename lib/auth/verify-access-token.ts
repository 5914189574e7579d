import 'server-only';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { BrokerError } from '@/lib/core/errors';
import { getEnv, type Env } from '@/lib/env';
import { isAppRole, type Actor } from '@/lib/auth/actor';
import { logger } from '@/lib/log';

/** Access tokens from Entra are a few KB; anything far larger is refused before parsing. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const CLOCK_TOLERANCE_SECONDS = 60;

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;
let jwks: { uri: string; keySet: RemoteJwks } | undefined;

/**
 * One remote key set per process (per JWKS URI), so jose's cache applies: keys are kept up to
 * 10 minutes and an unknown `kid` triggers at most one refetch per 30 s — a flood of forged
 * tokens cannot turn into a flood of JWKS requests.
 */
function getKeySet(uri: string): RemoteJwks {
  if (jwks?.uri !== uri) jwks = { uri, keySet: createRemoteJWKSet(new URL(uri)) };
  return jwks.keySet;
}

function invalid(detail = 'The access token is invalid.'): BrokerError {
  return new BrokerError('unauthenticated', detail);
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The one refusal besides expiry that names its cause: an API registration left at access token
 * version 1 makes Entra issue v1 tokens to every client, which this API refuses, and only an
 * administrator can fix that. It reveals nothing the caller could not read in their own token.
 */
export const V1_TOKEN_DETAIL =
  'The access token is a v1.0 token. The portal API accepts only v2.0 access tokens: set "requestedAccessTokenVersion": 2 ' +
  '(accessTokenAcceptedVersion in older manifests) in the API app registration\'s manifest, then sign in again.';

let v1Warned = false;

/**
 * Whether a token whose issuer or audience check failed is this tenant's v1 token for this API:
 * `ver` 1.0 or a v1 issuer (`https://sts.windows.net/{tid}/`, or the authority host with the
 * tenant and no `/v2.0`), our tenant, and our API as audience (client id or Application ID URI).
 * A v1 token for another resource (Graph) stays a plain refusal.
 */
function isV1TokenForThisApi(payload: JWTPayload, env: Env): boolean {
  const tid = stringClaim(payload, 'tid')?.toLowerCase();
  if (tid !== env.entra.tenantId) return false;
  const iss = stringClaim(payload, 'iss')?.toLowerCase();
  const v1Issuers = [`https://sts.windows.net/${tid}/`, `${env.entra.authorityHost.toLowerCase()}/${tid}/`];
  if (stringClaim(payload, 'ver') !== '1.0' && (iss === undefined || !v1Issuers.includes(iss))) return false;
  const audiences = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).filter((a): a is string => typeof a === 'string');
  return audiences.some((a) => a.toLowerCase() === env.api.clientId || a.toLowerCase() === env.api.applicationIdUri.toLowerCase());
}

function refuseV1Token(): BrokerError {
  if (!v1Warned) {
    v1Warned = true;
    // Once per process: every caller gets the same refusal until an administrator changes the
    // registration, and the log should say so once, not once per request.
    logger.warn(
      { component: 'auth' },
      'refusing v1.0 access tokens for the portal API: set "requestedAccessTokenVersion": 2 in the API app registration manifest',
    );
  }
  return invalid(V1_TOKEN_DETAIL);
}

/** Tests only: forget that the v1 warning was logged. */
export function resetV1TokenWarningForTests(): void {
  v1Warned = false;
}

/**
 * Verifies a portal API access token and returns the caller.
 *
 * Checks, in order: `Authorization: Bearer` present; RS256 signature against the tenant's JWKS
 * (no other algorithm, so `alg: none` and HS256-with-the-public-key are refused by jose); `iss`
 * equal to the configured v2 issuer; `aud` equal to the API client id; `exp`/`nbf` with 60 s of
 * clock tolerance; `tid` equal to the tenant; `azp` (the client app the token was issued to) on
 * the allow-list — the portal SPA and API_ALLOWED_CLIENT_IDS, so another app registration of the
 * tenant cannot act through this API with a user's token; a delegated token (`scp` containing the
 * portal scope — app-only tokens have none); and an `oid`. The authentication contexts in `acrs`
 * are kept on the actor for the step-up checks, not judged here.
 *
 * Every refusal is `BrokerError('unauthenticated')` with a generic detail: saying which check
 * failed would help someone forging tokens. Only expiry is named, because a legitimate client
 * needs to know to refresh, and a v1.0 token for this API (correctly signed; refused on its
 * issuer or audience), because only a change to the API registration fixes it
 * ({@link V1_TOKEN_DETAIL}; logged once per process). A JWKS that cannot be fetched is
 * `upstream-unavailable` instead: the token may well be fine.
 */
export async function verifyAccessToken(authorizationHeader: string | null | undefined): Promise<Actor> {
  const env = getEnv();
  const match = authorizationHeader?.match(/^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i);
  const token = match?.[1];
  if (token === undefined) throw invalid('A bearer access token is required.');
  if (token.length > MAX_TOKEN_LENGTH) throw invalid();

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, getKeySet(env.entra.jwksUri), {
      algorithms: ['RS256'],
      issuer: env.entra.issuer,
      audience: env.api.clientId,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'iss', 'aud', 'tid', 'oid'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw invalid('The access token has expired.');
    // jose checks the signature before any claim, so these claims come from the tenant's key.
    if (error instanceof joseErrors.JWTClaimValidationFailed && (error.claim === 'iss' || error.claim === 'aud') && isV1TokenForThisApi(error.payload, env)) {
      throw refuseV1Token();
    }
    if (error instanceof joseErrors.JWKSTimeout || isNetworkError(error)) {
      throw new BrokerError('upstream-unavailable', 'The identity provider could not be reached to verify the token.', { cause: error });
    }
    throw invalid();
  }

  if (stringClaim(payload, 'tid')?.toLowerCase() !== env.entra.tenantId) throw invalid();
  const azp = stringClaim(payload, 'azp')?.toLowerCase();
  if (azp === undefined || !env.api.allowedClientIds.includes(azp)) throw invalid();
  // App-only tokens carry `roles` but no `scp`; this API serves people, never bare apps.
  const scp = stringClaim(payload, 'scp');
  if (scp === undefined || payload.idtyp === 'app') throw invalid();
  if (!scp.split(' ').includes(env.api.scopeName)) throw invalid();
  const oid = stringClaim(payload, 'oid');
  if (oid === undefined) throw invalid();

  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  // Entra lists the satisfied authentication contexts in `acrs`; anything malformed counts as none.
  const acrs = Array.isArray(payload.acrs) ? payload.acrs.filter((c): c is string => typeof c === 'string' && c !== '') : [];
  return {
    id: oid.toLowerCase(),
    tenantId: env.entra.tenantId,
    displayName: stringClaim(payload, 'name') ?? stringClaim(payload, 'preferred_username') ?? oid,
    userPrincipalName: stringClaim(payload, 'preferred_username') ?? stringClaim(payload, 'upn') ?? '',
    roles: [...new Set(roles.filter(isAppRole))],
    authContexts: [...new Set(acrs)],
    tokenIssuedAt: typeof payload.iat === 'number' && Number.isFinite(payload.iat) ? payload.iat : null,
  };
}

function isNetworkError(error: unknown): boolean {
  // Node's fetch rejects with `TypeError: fetch failed` (cause: ECONNREFUSED, TLS…), which jose
  // lets through unchanged; a non-200 or unparsable JWKS response is jose's generic JOSEError.
  // Every specific JOSEError subclass is a problem with the token itself.
  if (error instanceof joseErrors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  return error instanceof TypeError && error.message === 'fetch failed';
}
