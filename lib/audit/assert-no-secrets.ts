import 'server-only';
import { findSecretShape, SECRET_TEXT_PATTERNS } from '@/lib/contract/text';
import { BrokerError } from '@/lib/core/errors';

/**
 * The audit boundary redacts nothing silently: it refuses. An event whose data has a key that
 * names a secret, or a string value shaped like one, makes the append throw, which rolls back the
 * state change it records — a bug that would have written a pass or a token into an append-only,
 * exported, hash-chained record becomes a failing request instead. The one exception is text a
 * client chose (its User-Agent and request id in `data.context`): the writer redacts it with
 * {@link redactSecretText} first (sanitize-client-text.ts), since refusing it would let any
 * client fail any audited call.
 *
 * Who can act on a refusal decides how it is reported. A secret-shaped *value* arrived from
 * outside — a caller's text the schemas missed, or directory text Graph returned — so it is a
 * `validation-failed` refusal ({@link AuditSecretError}) naming the field and what to remove. A
 * secret-named *key* can only come from the portal's own code (the catalogue's keys and every
 * `details` key are written in the source), so it stays a defect ({@link AuditSecretKeyError},
 * a logged 500): telling the caller to fix it would be false.
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

/**
 * Text in `data` that comes from the directory, not from the caller: its `data.…` path → which
 * directory attribute holds it. Only an administrator can change such text, so the refusal says so.
 */
export type DirectoryTextFields = Readonly<Record<string, string>>;

/**
 * A secret-shaped value the audit trail will not record: a 400 `validation-failed` whose one
 * issue names the `data.…` path and the shape, never the value. Thrown inside the transaction of
 * the state change it would have recorded, so that change rolls back with it.
 */
export class AuditSecretError extends BrokerError {
  readonly path: string;

  constructor(path: string, shape: string, directoryAttribute: string | undefined) {
    const fromDirectory = directoryAttribute !== undefined;
    super(
      'validation-failed',
      fromDirectory
        ? `The directory holds text shaped like ${shape} in ${directoryAttribute} (${path}), which the audit trail refuses to record; nothing was changed. You cannot fix this here: a directory administrator must correct that attribute first.`
        : `The audit trail refuses to record ${path}: it looks like ${shape}. Nothing was changed; remove it and try again.`,
      {
        errors: [
          {
            path,
            message: fromDirectory
              ? `looks like ${shape}: it comes from ${directoryAttribute} in the directory, which an administrator must correct`
              : `looks like ${shape}: remove it (never paste a credential here)`,
          },
        ],
      },
    );
    this.path = path;
  }
}

/** A secret-named key in `data`: only the portal's own code writes keys, so this is a defect. */
export class AuditSecretKeyError extends Error {
  override readonly name = 'AuditSecretKeyError';
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
 * Throws, naming the offending path (never the value), when `value` holds a secret-looking string
 * ({@link AuditSecretError}; `directoryFields` says which paths hold directory text) or a
 * secret-naming key ({@link AuditSecretKeyError}) anywhere.
 */
export function assertNoSecrets(value: unknown, directoryFields: DirectoryTextFields = {}, path = 'data'): void {
  if (typeof value === 'string') {
    const shape = findSecretShape(value);
    if (shape !== null) throw new AuditSecretError(path, shape, Object.hasOwn(directoryFields, path) ? directoryFields[path] : undefined);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item: unknown, index) => assertNoSecrets(item, directoryFields, `${path}.${index}`));
    return;
  }
  for (const [key, member] of Object.entries(value)) {
    if (isSecretKey(key)) throw new AuditSecretKeyError(`refusing to audit ${path}.${key}: the key names a secret`);
    assertNoSecrets(member, directoryFields, `${path}.${key}`);
  }
}
