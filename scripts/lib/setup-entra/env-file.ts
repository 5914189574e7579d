/**
 * The `.env` file setup:entra writes: its keys are replaced in place (the first line that sets
 * each, later duplicates dropped), keys it does not own and every comment are kept, new keys are
 * appended. Written atomically (a temporary file renamed over the old one) with mode 0600, since
 * a `.env` may hold other secrets.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm } from 'node:fs/promises';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

function unquote(raw: string): string {
  const value = raw.trim();
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  if (quoted !== null) return quoted[1] ?? '';
  // An unquoted value ends at a ` #` comment, as dotenv reads it.
  return value.replace(/\s+#.*$/, '');
}

/** The values a `.env` text sets (the first line for a key wins, as dotenv reads it). */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = LINE.exec(line);
    if (match === null || match[1] === undefined) continue;
    if (!(match[1] in values)) values[match[1]] = unquote(match[2] ?? '');
  }
  return values;
}

function formatValue(value: string): string {
  return /^[A-Za-z0-9_./:@+-]*$/.test(value) ? value : JSON.stringify(value);
}

/**
 * `text` with each key of `set` given its value (in place where the file already sets it, else
 * appended) and each key of `remove` dropped; every other line unchanged.
 */
export function mergeEnvFile(text: string, set: Readonly<Record<string, string>>, remove: readonly string[] = []): string {
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const written = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const key = LINE.exec(line)?.[1];
    if (key !== undefined && remove.includes(key)) continue;
    if (key !== undefined && key in set) {
      if (written.has(key)) continue;
      written.add(key);
      out.push(`${key}=${formatValue(set[key] ?? '')}`);
      continue;
    }
    out.push(line);
  }
  const missing = Object.keys(set).filter((key) => !written.has(key));
  if (missing.length > 0) {
    if (out.length > 0 && out[out.length - 1]?.trim() !== '') out.push('');
    out.push('# Microsoft Entra registrations (npm run setup:entra)');
    for (const key of missing) out.push(`${key}=${formatValue(set[key] ?? '')}`);
  }
  return `${out.join('\n')}\n`;
}

/** Writes `text` to `file` through a temporary file in the same folder, so a reader never sees half of it. */
export async function writeFileAtomic(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // `open`'s mode is filtered by the umask; the file must end up exactly `mode`.
    await chmod(temporary, mode);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
