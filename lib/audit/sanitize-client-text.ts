import 'server-only';
import { redactSecretText } from '@/lib/audit/assert-no-secrets';

/**
 * Text a client chose (its User-Agent, its own request id) is recorded as said, not trusted: it is
 * cut to fit the audit trail instead of refused, because refusing it would fail the call the
 * event describes. Control characters and lone surrogates go (they garble logs, terminals and the
 * exports), secret-looking substrings become `[redacted]` (the trail is append-only and exported),
 * and the result is capped.
 */

// C0 and C1 controls, DEL, and UTF-16 halves without their other half.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `value` cleaned for the audit trail as above, at most `maxLength` UTF-16 units; `null` when
 * nothing is left. Redacted before the cleaning (`Bearer<TAB>token` is a bearer credential) and
 * again after it (a removed character may join two halves of a token); capped last, since a
 * prefix of text with no secret in it has none either.
 */
export function sanitizeClientText(value: string, maxLength: number): string | null {
  let text = redactSecretText(redactSecretText(value).replace(UNPRINTABLE, '')).slice(0, maxLength);
  // The cap may have split a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
  return text === '' ? null : text;
}
