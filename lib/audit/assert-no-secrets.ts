import 'server-only';
import { findSecretShape } from '@/lib/contract/text';

/**
 * The audit boundary redacts nothing silently: it refuses. An event whose data has a key that
 * names a secret, or a string value shaped like one, makes the append throw, which rolls back the
 * state change it records — a bug that would have written a pass or a token into an append-only,
 * exported, hash-chained record becomes a failing request instead.
 *
 * Keys are compared lower-cased with everything but letters and digits removed, so
 * `temporaryAccessPass`, `temporary_access_pass` and `Client-Secret` are all caught.
 */
const SECRET_KEY_PARTS = [
  'temporaryaccesspass',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'authorization',
  'cookie',
  'credential',
  'assertion',
];
const SECRET_KEYS_EXACT = new Set(['pass', 'tap', 'pin', 'otp', 'key']);

export class AuditSecretError extends Error {
  override readonly name = 'AuditSecretError';
}

function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_KEYS_EXACT.has(normalized) || SECRET_KEY_PARTS.some((part) => normalized.includes(part));
}

/**
 * Throws {@link AuditSecretError} naming the offending path (never the value) when `value` holds a
 * secret-looking key or string anywhere.
 */
export function assertNoSecrets(value: unknown, path = 'data'): void {
  if (typeof value === 'string') {
    const shape = findSecretShape(value);
    if (shape !== null) throw new AuditSecretError(`refusing to audit ${path}: it looks like ${shape}`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item: unknown, index) => assertNoSecrets(item, `${path}.${index}`));
    return;
  }
  for (const [key, member] of Object.entries(value)) {
    if (isSecretKey(key)) throw new AuditSecretError(`refusing to audit ${path}.${key}: the key names a secret`);
    assertNoSecrets(member, `${path}.${key}`);
  }
}
