/**
 * The Content-Security-Policy of the portal's pages: scripts only from the portal and with the
 * nonce of this response, network calls only to the portal and the Entra authority, never framed.
 * The nonce comes from the proxy (proxy.ts), fresh for every page; Next puts it on its own scripts.
 */

/** A fresh, unguessable nonce (128 bits, base64). */
export function createNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/** The origin of `url`, or null when it is not an absolute http(s) URL. */
function originOf(url: string | undefined): string | null {
  if (url === undefined || url === '') return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/**
 * The policy for one page. `authorityHost` is the Entra authority the browser signs in with
 * (MSAL fetches its metadata and tokens there and renews tokens in a hidden frame of it).
 * `development` allows what Next's dev server needs (eval for fast refresh).
 */
export function buildContentSecurityPolicy(nonce: string, options: { authorityHost?: string | undefined; development?: boolean } = {}): string {
  const authority = originOf(options.authorityHost);
  const withAuthority = (...sources: string[]) => [...sources, ...(authority === null ? [] : [authority])].join(' ');
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.development === true ? " 'unsafe-eval'" : ''}`,
    // Inline style attributes (React's `style`, e.g. chart bars) carry no script; allowing them keeps the markup simple.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${withAuthority("'self'")}`,
    `frame-src ${withAuthority("'self'")}`,
    "object-src 'none'",
    "base-uri 'self'",
    `form-action ${withAuthority("'self'")}`,
    "frame-ancestors 'none'",
  ];
  return directives.join('; ');
}
