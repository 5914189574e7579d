import 'server-only';
import { findSecretShape, SECRET_TEXT_PATTERNS } from '@/lib/contract/text';

/**
 * The audit boundary redacts nothing silently: it refuses. An event whose data has a key that
 * names a secret, or a string value shaped like one, makes the append throw, which rolls back the
 * state change it records — a bug that would have written a pass or a token into an append-only,
 * exported, hash-chained record becomes a failing request instead. The one exception is text a
 * client chose (its User-Agent and request id in `data.context`): the writer redacts it with
 * {@link redactSecretText} first (sanitize-client-text.ts), since refusing it would let any
 * client fail any audited call.
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

/** What {@link redactSecretText} puts where a secret-looking substring was. */
export const REDACTED_TEXT = '[redacted]';

const SECRET_VALUE_PATTERNS_GLOBAL = SECRET_TEXT_PATTERNS.map(({ pattern }) => new RegExp(pattern.source, `${pattern.flags}g`));

/**
 * `value` with every substring {@link assertNoSecrets} would refuse replaced by
 * {@link REDACTED_TEXT}: for text the broker does not author (a client's headers), which is cut
 * rather than allowed to fail the call it describes. The same patterns as the guard, so what
 * this returns always passes it.
 */
export function redactSecretText(value: string): string {
  return SECRET_VALUE_PATTERNS_GLOBAL.reduce((text, pattern) => text.replace(pattern, REDACTED_TEXT), value);
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
