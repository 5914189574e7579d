/**
 * Checks an answer of the portal API against its contract schema before the UI renders it, so a
 * changed server fails loudly with a readable message instead of rendering `undefined`.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini loads no locale (every message would read "Invalid input"); English, as on the server,
// where classic zod sets it.
z.config(en());

/**
 * `schema.parse(value)`, but a mismatch throws an `Error` that names the answer and the first
 * field that is wrong, for the error panels to show. The message names fields, never values: an
 * answer may carry a pass.
 */
export function parseAnswer<S extends z.core.$ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : ` "${issue.path.map(String).join('.')}"`;
  throw new Error(`Unexpected ${what} from the portal API:${where} ${issue?.message ?? 'malformed'}.`);
}
