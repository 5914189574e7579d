/**
 * The claims challenge of a step-up refusal, as the portal API sends it (Entra's claims-challenge
 * pattern): `401` with `WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64url>"`,
 * where the base64url text is the JSON claims request MSAL passes on to the sign-in service as its
 * `claims` parameter. Decoded by hand to keep a base64 library out of the browser bundle.
 */

/**
 * The auth-params of a `WWW-Authenticate` value (`key="quoted"` or `key=token`), names
 * lower-cased; the first occurrence of a name wins. Quoted-pair escapes (`\"`) are undone.
 */
export function readAuthParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /([A-Za-z0-9_!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g;
  for (const match of header.matchAll(pattern)) {
    const name = (match[1] ?? '').toLowerCase();
    if (params.has(name)) continue;
    const quoted = match[2];
    params.set(name, quoted === undefined ? (match[3] ?? '') : quoted.replace(/\\(.)/g, '$1'));
  }
  return params;
}

/** Base64url (padding optional) to UTF-8 text; null when it is not base64url or not UTF-8. */
export function decodeBase64Url(value: string): string | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(value)) return null;
  const unpadded = value.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return null;
  const base64 = unpadded.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(unpadded.length / 4) * 4, '=');
  try {
    const binary = atob(base64);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * The claims request carried by a `WWW-Authenticate` value, decoded to the JSON text MSAL takes
 * as `claims`; null when the header holds no `insufficient_claims` challenge or its `claims` is
 * not base64url of a JSON object.
 */
export function readClaimsChallenge(header: string | null): string | null {
  if (header === null || !/^\s*bearer\b/i.test(header)) return null;
  const params = readAuthParams(header);
  if (params.get('error') !== 'insufficient_claims') return null;
  const encoded = params.get('claims');
  if (encoded === undefined || encoded === '') return null;
  const claims = decodeBase64Url(encoded);
  return claims !== null && isJsonObject(claims) ? claims : null;
}

const AUTH_CONTEXT_ID = /^c([1-9]|[1-9][0-9])$/;

/**
 * The claims request for one authentication context, for a refusal whose header did not reach the
 * browser (a proxy that drops `WWW-Authenticate`) but whose body names the context.
 */
export function getClaimsForAuthContext(authContextId: string): string | null {
  if (!AUTH_CONTEXT_ID.test(authContextId)) return null;
  return JSON.stringify({ access_token: { acrs: { essential: true, value: authContextId } } });
}
