/**
 * Stable GUIDs derived from names, so the same seed yields the same object ids on every machine
 * and restart (the portal and the tests see the ids a previous run saw).
 */
import { createHash } from 'node:crypto';

/** A GUID derived from a name: SHA-256 of `namespace:name`, shaped as an RFC 4122 v4-style GUID. */
export function stableGuid(namespace: string, name: string): string {
  const b = createHash('sha256').update(`${namespace}:${name}`).digest();
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
