/**
 * What free text a caller sends must be before the portal stores, logs or audits it: Unicode
 * text without control characters, and nothing shaped like a credential. Client-safe, so the
 * browser could check the same; the audit writer's secret guard uses the same patterns.
 */
import * as z from 'zod/mini';

/** Strings shaped like a credential: the audit trail refuses them, so input that holds one is refused first. */
export const SECRET_TEXT_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  // JWS / JWE compact serialisation: a base64url JSON header ("eyJ") and at least two more segments.
  { name: 'a JWT', pattern: /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/ },
  { name: 'a bearer credential', pattern: /\bBearer\s+[A-Za-z0-9._~+/-]{16,}/i },
  { name: 'a private key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
];

// C0 and C1 controls and DEL. NUL in particular cannot be stored in PostgreSQL text at all.
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F]/u;
// The same, but tab, line feed and carriage return are part of a paragraph someone typed.
const CONTROL_CHARACTERS_BUT_LINE_BREAKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;
// A UTF-16 surrogate without its pair (JSON's "\ud800") is not text in any encoding we store.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first credential shape `value` holds, or null. */
export function findSecretShape(value: string): string | null {
  return SECRET_TEXT_PATTERNS.find(({ pattern }) => pattern.test(value))?.name ?? null;
}

/**
 * A free-text field: at most `max` characters, refused (with a message naming what to remove)
 * when it holds control characters (`multiLine` allows tab and line breaks), an unpaired
 * surrogate, or something shaped like a token or key.
 */
export function textSchema(options: { max: number; multiLine?: boolean }) {
  const controls = options.multiLine === true ? CONTROL_CHARACTERS_BUT_LINE_BREAKS : CONTROL_CHARACTERS;
  return z.string().check(
    z.maxLength(options.max),
    z.refine((value: string) => !controls.test(value), { message: 'must not contain control characters' }),
    z.refine((value: string) => !UNPAIRED_SURROGATE.test(value), { message: 'must not contain unpaired UTF-16 surrogates' }),
    z.superRefine((value: string, ctx) => {
      const shape = findSecretShape(value);
      if (shape !== null) ctx.addIssue({ code: 'custom', input: value, message: `looks like ${shape}: remove it (never paste a credential here)` });
    }),
  );
}
