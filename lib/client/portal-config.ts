/**
 * The browser's runtime configuration, served by `GET /api/config`. One build serves any tenant:
 * nothing tenant-specific is baked into the bundle (no NEXT_PUBLIC_ client ids).
 */
export interface PortalConfig {
  /** Ends with `/`, e.g. `https://login.microsoftonline.com/<tenantId>/`. */
  authority: string;
  clientId: string;
  scopes: string[];
  knownAuthorities: string[];
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Narrows the untrusted JSON of `/api/config`; throws with a readable message when it is not one. */
export function parsePortalConfig(value: unknown): PortalConfig {
  if (typeof value !== 'object' || value === null) throw new Error('The portal configuration is not a JSON object.');
  const { authority, clientId, scopes, knownAuthorities } = value as Record<string, unknown>;
  if (typeof authority !== 'string' || !authority.startsWith('https://')) {
    throw new Error('The portal configuration has no https authority.');
  }
  if (typeof clientId !== 'string' || clientId === '') throw new Error('The portal configuration has no client id.');
  if (!isStringArray(scopes) || scopes.length === 0) throw new Error('The portal configuration has no API scope.');
  if (!isStringArray(knownAuthorities)) throw new Error('The portal configuration has no known authorities list.');
  return {
    // MSAL appends `v2.0/.well-known/...` to the authority, so it must end with a slash.
    authority: authority.endsWith('/') ? authority : `${authority}/`,
    clientId,
    scopes,
    knownAuthorities,
  };
}

/** Fetches `/api/config` (no token needed). Throws on a network error or a non-2xx answer. */
export async function fetchPortalConfig(signal?: AbortSignal): Promise<PortalConfig> {
  const response = await fetch('/api/config', { headers: { Accept: 'application/json' }, cache: 'no-store', signal });
  if (!response.ok) throw new Error(`The portal configuration could not be loaded (HTTP ${response.status}).`);
  return parsePortalConfig(await response.json());
}
