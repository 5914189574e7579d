/**
 * Which client address the audit trail records for an API call, and which `X-Forwarded-For`
 * entry it may believe.
 *
 * What reaches a route handler: `next start` passes a client's `X-Forwarded-For` through as it
 * came and fills the header with the socket's address only when the request had none
 * (`x-forwarded-for ??= socket.remoteAddress` in next/dist/server/base-server.js). A handler
 * therefore cannot tell the socket's address from a claim: with no trusted proxy, nothing in the
 * header is believed. Each trusted proxy appends the address of its own peer (and Next adds
 * nothing to a header that is there), so with TRUSTED_PROXY_HOPS = N the client is the N-th entry
 * from the right — the one the outermost trusted proxy appended; everything to its left is the
 * client's say-so. The portal must then be reachable only through those proxies.
 */
import { isIP } from 'node:net';

/** Longer than any IPv6 literal with a sensible zone: not an address, whatever `isIP` says. */
const MAX_ADDRESS_LENGTH = 64;

/**
 * The client's address from `X-Forwarded-For` under `trustedProxyHops`: with 0, `null` (the
 * header cannot be told apart from a client's claim); with N, the N-th entry from the right when
 * the chain has that many and it is an IP literal, else `null`. Never a value a client chose
 * when the proxies in front are counted right.
 */
export function getClientAddress(forwardedFor: string | null, trustedProxyHops: number): string | null {
  if (trustedProxyHops < 1 || forwardedFor === null) return null;
  // Only the right-hand entries matter; whatever a client prepends cannot hide the proxy's entry.
  const chain = forwardedFor.split(',').map((entry) => entry.trim());
  if (chain.length < trustedProxyHops) return null;
  const entry = chain[chain.length - trustedProxyHops] ?? '';
  // Only an IPv4 or IPv6 literal (a zone allowed) is recorded: no host names, ports or markup.
  return entry.length <= MAX_ADDRESS_LENGTH && isIP(entry) !== 0 ? entry : null;
}
