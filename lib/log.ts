/**
 * Structured JSON logs (pino), one child logger per API request carrying its request id.
 *
 * Secrets never reach a log line: known paths are redacted by pino, and a formatter walks every
 * logged object and masks any key that names a credential (authorization, token, secret,
 * password, temporaryAccessPass, private key, cookie, assertion) and any string that looks like a
 * bearer token or a JWT, whatever key it hides under. The guard is deliberately over-eager: a
 * masked harmless field costs nothing, a leaked pass or token is an incident.
 */
import pino, { type Logger } from 'pino';
import { LOG_LEVELS, type LogLevel } from '@/lib/env';

export type { Logger } from 'pino';

export const REDACTED = '[redacted]';

const SENSITIVE_KEY = /authorization|token|secret|password|passwd|temporaryaccesspass|privatekey|private_key|cookie|assertion|passphrase|^pass$|^code_verifier$/i;
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi;
// Credentials embedded in URLs (`postgres://user:password@host`), e.g. in a driver's error message.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]+):[^\s@/]+@/gi;
const MAX_DEPTH = 8;

function scrubString(value: string): string {
  return value
    .replace(BEARER, `Bearer ${REDACTED}`)
    .replace(JWT_LIKE, REDACTED)
    .replace(URL_CREDENTIALS, `$1:${REDACTED}@`);
}

/** Returns a copy of `value` with sensitive keys and token-shaped strings masked. */
export function scrubSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1, seen));
  if (value instanceof Error) {
    // pino runs this formatter before its serializers, so errors are reduced here (for every key)
    // to plain, scrubbed fields; the `err` serializer below then passes them through.
    const code = 'code' in value ? value.code : undefined;
    return {
      type: value.name,
      message: scrubString(value.message),
      ...(code === undefined ? {} : { code: scrubSecrets(code, depth + 1, seen) }),
      ...(value.stack === undefined ? {} : { stack: scrubString(value.stack) }),
      ...(value.cause === undefined ? {} : { cause: scrubSecrets(value.cause, depth + 1, seen) }),
    };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SENSITIVE_KEY.test(key) ? REDACTED : scrubSecrets(item, depth + 1, seen);
  }
  return out;
}

const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'refresh_token',
  'id_token',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'temporaryAccessPass',
  '*.temporaryAccessPass',
  '*.*.temporaryAccessPass',
];

function initialLevel(): LogLevel {
  // The logger must exist before the configuration is validated (it reports that validation),
  // so it reads LOG_LEVEL on its own; an invalid value is reported by getEnv() at boot.
  const level = process.env.LOG_LEVEL;
  return LOG_LEVELS.find((l) => l === level) ?? 'info';
}

/** Builds a logger writing to `destination` (stdout by default); exported for tests. */
export function createLogger(destination?: pino.DestinationStream, level: LogLevel = initialLevel()): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'tap-broker' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrubSecrets(object) as Record<string, unknown>,
    },
    serializers: {
      err: (err: unknown) => scrubSecrets(err),
    },
    hooks: {
      // The message string bypasses the formatter above; scrub it (and printf arguments) too.
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubString(arg) : arg)) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export const logger: Logger = createLogger();

/** A child logger bound to one API request. */
export function getRequestLogger(requestId: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ requestId, ...bindings });
}
