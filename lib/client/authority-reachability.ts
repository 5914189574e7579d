/**
 * First contact with the sign-in service. Against the local tenant the browser meets a certificate
 * generated on this machine, and `fetch` fails with a bare TypeError until the user has accepted
 * it once. Checking before MSAL starts lets the page explain that instead of failing mid-redirect.
 * With a real tenant the check simply passes, and its answer spares MSAL the same request.
 */
export type AuthorityReachability =
  | { kind: 'reachable'; /** The raw openid-configuration, handed to MSAL as `authorityMetadata`. */ metadata: string | null }
  | { kind: 'unreachable'; isLocal: boolean };

const REQUIRED_METADATA_FIELDS = ['authorization_endpoint', 'token_endpoint', 'issuer', 'jwks_uri'] as const;

/** True for an authority on this machine (the local tenant), where the self-signed certificate explains a failure. */
export function isLocalAuthority(authority: string): boolean {
  const host = new URL(authority).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/** Where the user goes to accept the local certificate; the tenant's landing page links back to `returnTo`. */
export function getAuthorityAcceptUrl(authority: string, returnTo: string): string {
  const url = new URL('/', new URL(authority).origin);
  url.searchParams.set('return', returnTo);
  return url.toString();
}

/** Fetches `<authority>v2.0/.well-known/openid-configuration`, the first request MSAL would make. */
export async function checkAuthorityReachable(authority: string, signal?: AbortSignal): Promise<AuthorityReachability> {
  let response: Response;
  try {
    response = await fetch(`${authority}v2.0/.well-known/openid-configuration`, {
      cache: 'no-store',
      credentials: 'omit',
      signal,
    });
  } catch (error) {
    // A TypeError is all a browser reveals of a TLS or connection failure, by design.
    if (error instanceof TypeError) return { kind: 'unreachable', isLocal: isLocalAuthority(authority) };
    throw error;
  }
  // An HTTP error is not a certificate problem: let MSAL fetch again and report it in its own words.
  if (!response.ok) return { kind: 'reachable', metadata: null };
  try {
    const text = await response.text();
    const parsed: unknown = JSON.parse(text);
    const complete =
      typeof parsed === 'object' &&
      parsed !== null &&
      REQUIRED_METADATA_FIELDS.every((field) => typeof (parsed as Record<string, unknown>)[field] === 'string');
    return { kind: 'reachable', metadata: complete ? text : null };
  } catch {
    return { kind: 'reachable', metadata: null };
  }
}
