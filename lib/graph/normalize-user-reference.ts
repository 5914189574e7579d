import 'server-only';

/**
 * The one form in which the broker records a user reference it could not resolve (a refused
 * request for a target Graph does not know): an id, never the caller's raw text, so the audit
 * trail and its exports carry nothing a caller typed but an object id or a user principal name.
 */

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Entra's UPN characters (letters, digits and ' . - _ ! # ^ ~ before the @, a DNS name after it),
// lower case. No formula character can start it: the local part never begins with `-`, and
// `=`, `+` and `@` are not UPN characters at all.
const UPN_RE = /^[a-z0-9'._!#^~][a-z0-9'._!#^~-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MAX_UPN_LENGTH = 320;

/**
 * A user reference as the broker records it: an object id as a lower-case GUID, a UPN trimmed and
 * in lower case (Entra compares both case-insensitively), or `null` for anything else — a string
 * that cannot be a user's id is not stored at all.
 */
export function normalizeUserReference(value: string): string | null {
  const candidate = value.trim().toLowerCase();
  if (GUID_RE.test(candidate)) return candidate;
  return candidate.length <= MAX_UPN_LENGTH && UPN_RE.test(candidate) ? candidate : null;
}
