import { tenantId, tenantUrl } from './env';
import { loadSeed, type Seed } from './seed';

/**
 * Tokens from the local tenant for specs that call the API or Graph directly, without a browser.
 */

const tokenEndpoint = `${tenantUrl}/${tenantId}/oauth2/v2.0/token`;

/** The token endpoint's answer as it is, refusals included. */
interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

async function requestToken(form: Record<string, string>): Promise<TokenAnswer> {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function grantedBody({ status, body }: TokenAnswer): Record<string, unknown> {
  if (status < 200 || status > 299) throw new Error(`token request failed: ${status} ${String(body.error)} ${String(body.error_description)}`);
  return body;
}

async function postToken(form: Record<string, string>): Promise<Record<string, unknown>> {
  return grantedBody(await requestToken(form));
}

/**
 * The password grant for the portal API as `upn` with `password`, answered as it is: what a spec
 * checks about the grant itself (a pass signs in, or no longer does; a context cannot be proven).
 */
export function requestPasswordGrant(upn: string, password: string, options: { seed?: Seed; scope?: string; claims?: string } = {}): Promise<TokenAnswer> {
  const { seed = loadSeed(), scope = 'openid profile', claims } = options;
  return requestToken({
    grant_type: 'password',
    client_id: seed.portal.clientId,
    username: upn,
    password,
    scope: `api://${seed.portal.apiClientId}/${seed.portal.scope} ${scope}`,
    ...(claims === undefined ? {} : { claims }),
  });
}

async function passwordGrant(upn: string, seed: Seed, scope: string): Promise<Record<string, unknown>> {
  const user = seed.users.find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
  if (!user) throw new Error(`${upn} is not in the seed`);
  return grantedBody(await requestPasswordGrant(user.userPrincipalName, user.password, { seed, scope }));
}

/**
 * An access token for the portal API for a seeded user, through the password grant (ROPC) that
 * the local tenant offers for automation against seeded users — the same token the SPA gets.
 */
export async function userAccessToken(upn: string, seed: Seed = loadSeed()): Promise<string> {
  return String((await passwordGrant(upn, seed, 'openid profile offline_access')).access_token);
}

/** The same user's ID token: signed by the right issuer, but for the SPA, not the API. */
export async function userIdToken(upn: string, seed: Seed = loadSeed()): Promise<string> {
  return String((await passwordGrant(upn, seed, 'openid profile')).id_token);
}

/** An app-only token from client credentials (audience: Graph), e.g. the automation client's. */
export async function appToken(client: { clientId: string; clientSecret: string }, scope = 'https://graph.microsoft.com/.default'): Promise<string> {
  const body = await postToken({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope });
  return String(body.access_token);
}

/** Calls the local tenant's Graph as the automation client (an HR system moving people). */
export async function graphAsAutomation(method: string, path: string, body?: unknown): Promise<Response> {
  const seed = loadSeed();
  if (!seed.automation) throw new Error('the seed has no automation client');
  const token = await appToken(seed.automation);
  return fetch(`${tenantUrl}/graph/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
