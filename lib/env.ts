/**
 * The portal's configuration: every environment variable it reads, validated once with zod.
 *
 * `getEnv()` parses `process.env` on first use and memoizes the result; `instrumentation.ts`
 * calls it at boot so a misconfigured portal stops before serving a single request, with one
 * message that lists every bad or missing variable. There are no silent defaults for secrets or
 * URLs: only PORT, DATA_DIR, LOG_LEVEL, TRUSTED_PROXY_HOPS (0: believe no proxy), the budgets and
 * caches (API_BUDGET_PER_USER, API_BUDGET_WINDOW_SECONDS, REFUSAL_MEMORY_SECONDS,
 * GRAPH_BUDGET_PER_SECOND, GRAPH_BUDGET_MAX_WAIT_SECONDS), MAIL_DIGEST_MINUTES, ORG_MIRROR_SYNC_SECONDS and
 * SHUTDOWN_TIMEOUT_SECONDS have defaults, and the observability settings (METRICS_HOST; OTEL_SERVICE_NAME) that only apply
 * once METRICS_PORT or an OTLP endpoint turns them on.
 *
 * Secret values (client secret, certificate key) never appear in an error message.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type BrokerCredential =
  | { kind: 'secret'; clientSecret: string }
  | {
      kind: 'certificate';
      /** PKCS#8 PEM (decrypted when BROKER_CERTIFICATE_PASSWORD is set). */
      privateKeyPem: string;
      /** The certificate chain as PEM, leaf first; msal-node sends it as `x5c`. */
      certificatePem: string;
      /** Hex SHA-256 of the leaf certificate's DER: the `x5t#S256` msal-node puts in the assertion. */
      thumbprintSha256: string;
    };

export interface Env {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  dataDir: string;
  /** `postgres://…` for PostgreSQL; undefined selects the embedded database. */
  databaseUrl: string | undefined;
  logLevel: LogLevel;
  /**
   * TRUSTED_PROXY_HOPS: how many reverse proxies in front of the portal append to
   * `X-Forwarded-For`; 0 = none, so the header is never believed (lib/http/client-address.ts).
   */
  trustedProxyHops: number;
  /**
   * REFUSAL_MEMORY_SECONDS: how long a request refused on what Graph said is answered again from
   * the audit trail instead of a new Graph read (lib/broker/find-remembered-refusal.ts); 0 = off.
   */
  refusalMemorySeconds: number;
  /**
   * API_BUDGET_PER_USER requests per API_BUDGET_WINDOW_SECONDS: how many authenticated API calls one
   * user may make per fixed window, counted in the database across instances (lib/limits).
   */
  apiBudget: { perUser: number; windowSeconds: number };
  entra: {
    /** Origin of the authority, no trailing slash, e.g. `https://login.microsoftonline.com`. */
    authorityHost: string;
    tenantId: string;
    /** `${host}/${tenantId}/` — what MSAL (browser and node) is configured with. */
    authority: string;
    /** `${host}/${tenantId}/v2.0` — the `iss` of v2 access tokens. */
    issuer: string;
    jwksUri: string;
    /** `[host:port]`: lets MSAL skip instance discovery for a non-Microsoft host. */
    knownAuthorities: string[];
  };
  portal: { clientId: string };
  api: {
    /** The token audience (v2 tokens carry the API's client id GUID as `aud`). */
    clientId: string;
    /** Full scope the SPA requests, e.g. `api://<guid>/access_as_user`. */
    scope: string;
    /** Last path segment of `scope`: what appears in the token's `scp`. */
    scopeName: string;
    /** `scope` without its last segment: the Application ID URI, the `aud` of a v1 token for the API. */
    applicationIdUri: string;
    /**
     * Client apps whose tokens the API accepts (`azp`): the portal SPA first, then
     * API_ALLOWED_CLIENT_IDS. Lower case, no duplicates.
     */
    allowedClientIds: string[];
  };
  broker: { clientId: string; credential: BrokerCredential };
  graph: {
    /** e.g. `https://graph.microsoft.com` or `https://localhost:8443/graph`, no trailing slash. */
    baseUrl: string;
    /** Hostname only (no port): the Graph client attaches tokens only to these hosts. */
    host: string;
    /** Client-credentials scope, `${origin}/.default` unless GRAPH_SCOPE says otherwise. */
    scope: string;
  };
  /**
   * The broker's budget of Graph requests, shared by every instance on one database
   * (lib/graph/graph-budget.ts). `perSecond` 0 turns it off.
   */
  graphBudget: { perSecond: number; maxWaitSeconds: number };
  /**
   * ORG_MIRROR_SYNC_SECONDS: how often the background jobs bring the org-chart mirror up to date
   * with a Graph users delta round (lib/broker/sync-org-mirror.ts); 0 turns the sync off.
   */
  orgMirrorSyncSeconds: number;
  /**
   * SHUTDOWN_TIMEOUT_SECONDS: the longest a SIGTERM/SIGINT drain (in-flight requests, background
   * jobs, their leases, the database) may take before the process exits anyway (lib/jobs/graceful-shutdown.ts).
   */
  shutdownTimeoutSeconds: number;
  /** True only when ALLOW_INSECURE_LOCAL_TENANT is exactly "true". */
  allowInsecureLocalTenant: boolean;
  /** AUDIT_SIGNING_KEY_PATH: Ed25519 PEM signing export manifests; undefined = generated into DATA_DIR (lib/audit/signing-key.ts). */
  auditSigningKeyPath: string | undefined;
  /**
   * Notification mail through Graph `sendMail`. `sender` null = notifications off.
   * `approverAddresses`: who hears about requests waiting for approval. `digestMinutes`
   * (MAIL_DIGEST_MINUTES): after an approval mail to an address, further ones wait this long and go
   * out together as one digest; 0 = one mail per request.
   */
  mail: { sender: string | null; approverAddresses: string[]; digestMinutes: number };
  /**
   * PORTAL_URL: where people open the portal (origin and optional base path, no trailing slash), so
   * notification mails can link to it; null = mails name the portal without a link.
   */
  portalUrl: string | null;
  /**
   * HELPDESK_CONTACT: who to ask for a pass when no manager of yours can (a URL, a mailto: link or
   * plain text such as a phone number), shown to signed-in users; null = not shown.
   */
  helpdeskContact: string | null;
  /**
   * DOCTOR_TEST_USER: the user (UPN or object id) the configuration checks read once through each
   * of the broker's Graph calls (lib/graph/check-graph-calls.ts); null = the first user Graph lists.
   */
  doctorTestUser: string | null;
  /**
   * METRICS_PORT / METRICS_HOST: where the Prometheus `/metrics` server listens (lib/metrics),
   * apart from the public port; null = no metrics server.
   */
  metrics: { port: number; host: string } | null;
  /**
   * Where spans go (lib/metrics/tracing.ts): OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else
   * OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces` (the OpenTelemetry convention); null = no tracing.
   */
  tracing: { tracesEndpoint: string; serviceName: string } | null;
}

export class EnvError extends Error {
  override readonly name = 'EnvError';
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid portal configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.issues = issues;
  }
}

type RawEnv = Record<string, string | undefined>;

/** Unset and empty are the same thing: `FOO=` in an env file must not count as a value. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());
const required = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

const guid = z.guid({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a GUID') });

const httpsUrl = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
  .refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', 'must be an https:// URL')
  .refine((v) => !URL.canParse(v) || (new URL(v).search === '' && new URL(v).hash === ''), 'must not have a query or fragment')
  .transform((v) => v.replace(/\/+$/, ''));

/**
 * GRAPH_BUDGET_PER_SECOND default. Graph meters the directory APIs per app and tenant in resource
 * units, 3,500 per 10 s in a tenant under 50 users (5,000 up to 500 users, 8,000 above); a
 * request costs 1 to 5 units (a user list 2, group members 3, transitive members 5; `$select`
 * takes one off), and each request inside a `$batch` counts on its own. 100 requests a second
 * at the broker's usual 1–3 units stays under even the smallest tenant's 350 units a second, with
 * room for the odd expensive read; writes (3,000 per 150 s per app and tenant) are a handful per
 * issuance. docs/graph-behaviours.md#throttling has the figures and where Microsoft publishes them.
 */
const DEFAULT_GRAPH_BUDGET_PER_SECOND = 100;
/** GRAPH_BUDGET_MAX_WAIT_SECONDS default: as long as the Graph client waits across its retries. */
const DEFAULT_GRAPH_BUDGET_MAX_WAIT_SECONDS = 10;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Deliberately loose (Graph validates recipients): one @, no spaces, a dot-free local part allowed. */
const MAIL_RE = /^[^\s@,<>"]+@[^\s@,<>"]+$/;

/** An OTLP collector URL: http(s), no query or fragment (the exporter appends nothing to it). */
const httpUrl = z
  .string()
  .trim()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol) && new URL(v).search === '' && new URL(v).hash === '', 'must be an http(s) URL without query or fragment, e.g. http://127.0.0.1:4318');

/** A whole number from `min` to `max`, every way of missing it reported with the same `message`. */
const wholeNumber = (min: number, max: number, message: string) => z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);

const rawSchema = z
  .object({
    NODE_ENV: optional(z.enum(['development', 'production', 'test'])),
    PORT: optional(z.coerce.number().int().min(1).max(65535)).transform((v) => v ?? 3000),
    DATA_DIR: optional(z.string()).transform((v) => path.resolve(/*turbopackIgnore: true*/ v ?? './data')),
    DATABASE_URL: optional(
      z.string().refine((v) => /^postgres(ql)?:\/\/.+/.test(v) && URL.canParse(v), 'must be a postgres:// or postgresql:// URL'),
    ),
    LOG_LEVEL: optional(z.enum(LOG_LEVELS)).transform((v) => v ?? 'info'),
    TRUSTED_PROXY_HOPS: optional(wholeNumber(0, 10, 'must be a whole number from 0 to 10')).transform((v) => v ?? 0),
    // Capped well below the counter column's 32-bit range, which refused calls also count into.
    API_BUDGET_PER_USER: optional(wholeNumber(1, 1_000_000, 'must be a whole number from 1 to 1000000')).transform((v) => v ?? 120),
    API_BUDGET_WINDOW_SECONDS: optional(wholeNumber(1, 3600, 'must be a whole number of seconds from 1 to 3600')).transform((v) => v ?? 60),
    REFUSAL_MEMORY_SECONDS: optional(
      z.coerce
        .number({ error: 'must be a whole number of seconds from 0 to 600' })
        .int('must be a whole number of seconds from 0 to 600')
        .min(0, 'must be a whole number of seconds from 0 to 600')
        .max(600, 'must be a whole number of seconds from 0 to 600'),
    ).transform((v) => v ?? 30),
    GRAPH_BUDGET_PER_SECOND: optional(
      z.coerce.number({ error: 'must be a whole number from 0 to 100000' }).int('must be a whole number from 0 to 100000').min(0, 'must be a whole number from 0 to 100000').max(100_000, 'must be a whole number from 0 to 100000'),
    ).transform((v) => v ?? DEFAULT_GRAPH_BUDGET_PER_SECOND),
    GRAPH_BUDGET_MAX_WAIT_SECONDS: optional(
      z.coerce.number({ error: 'must be a number of seconds from 0 to 120' }).min(0, 'must be a number of seconds from 0 to 120').max(120, 'must be a number of seconds from 0 to 120'),
    ).transform((v) => v ?? DEFAULT_GRAPH_BUDGET_MAX_WAIT_SECONDS),
    ORG_MIRROR_SYNC_SECONDS: optional(wholeNumber(0, 86_400, 'must be a whole number of seconds from 0 to 86400')).transform((v) => v ?? 60),
    SHUTDOWN_TIMEOUT_SECONDS: optional(wholeNumber(1, 600, 'must be a whole number of seconds from 1 to 600')).transform((v) => v ?? 25),
    ENTRA_AUTHORITY_HOST: required(httpsUrl).refine(
      (v) => !URL.canParse(v) || new URL(v).pathname === '/',
      'must be an origin only, e.g. https://login.microsoftonline.com (the tenant id is added from ENTRA_TENANT_ID)',
    ),
    ENTRA_TENANT_ID: required(guid),
    PORTAL_CLIENT_ID: required(guid),
    API_CLIENT_ID: required(guid),
    API_ALLOWED_CLIENT_IDS: optional(z.string()).transform((v, ctx) => {
      const list = (v ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
      const bad = list.filter((id) => !GUID_RE.test(id));
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `must be comma-separated client ids (GUIDs) (not: ${bad.join(', ')})` });
      return list.map((id) => id.toLowerCase());
    }),
    API_SCOPE: required(
      z
        .string({ error: 'is required' })
        .regex(/^[a-z][a-z0-9+.-]*:\/\/\S*\/[^/\s]+$/i, 'must be a full scope such as api://<api client id>/access_as_user'),
    ),
    BROKER_CLIENT_ID: required(guid),
    BROKER_CLIENT_SECRET: optional(z.string()),
    BROKER_CERTIFICATE_PATH: optional(z.string()),
    BROKER_CERTIFICATE_PASSWORD: optional(z.string()),
    GRAPH_BASE_URL: required(httpsUrl),
    GRAPH_SCOPE: optional(z.string().regex(/^\S+\/\.default$/, 'must end with /.default (client credentials)')),
    AUDIT_SIGNING_KEY_PATH: optional(z.string()),
    ALLOW_INSECURE_LOCAL_TENANT: optional(z.enum(['true', 'false'], { error: 'must be "true" or "false"' })),
    MAIL_SENDER: optional(z.string().trim().refine((v) => GUID_RE.test(v) || MAIL_RE.test(v), 'must be the sending mailbox\'s user principal name or object id')),
    APPROVER_NOTIFICATION_ADDRESSES: optional(z.string()).transform((v, ctx) => {
      const list = (v ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '');
      const bad = list.filter((a) => !MAIL_RE.test(a));
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `must be comma-separated mail addresses (not: ${bad.join(', ')})` });
      return [...new Set(list.map((a) => a.toLowerCase()))];
    }),
    PORTAL_URL: optional(
      z
        .string()
        .trim()
        .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol) && new URL(v).search === '' && new URL(v).hash === '', 'must be an http(s) URL without query or fragment, e.g. https://tap.contoso.com'),
    ).transform((v) => (v === undefined ? null : v.replace(/\/+$/, ''))),
    // Shown as text or as a link, never as HTML; the cap keeps it a contact, not a page.
    HELPDESK_CONTACT: optional(z.string().trim().max(200, 'must be at most 200 characters (a URL, a mailto: link or a short text)')).transform((v) => v ?? null),
    DOCTOR_TEST_USER: optional(
      z.string().trim().refine((v) => GUID_RE.test(v) || MAIL_RE.test(v), "must be a user's user principal name or object id"),
    ).transform((v) => v ?? null),
    METRICS_PORT: optional(wholeNumber(1, 65535, 'must be a port number from 1 to 65535')),
    METRICS_HOST: optional(z.string().trim().regex(/^[^\s/]+$/, 'must be a host name or IP address to listen on, e.g. 127.0.0.1')).transform((v) => v ?? '127.0.0.1'),
    OTEL_EXPORTER_OTLP_ENDPOINT: optional(httpUrl),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(httpUrl),
    OTEL_SERVICE_NAME: optional(z.string().trim().max(100, 'must be at most 100 characters')).transform((v) => v ?? 'tap-broker'),
    MAIL_DIGEST_MINUTES: optional(
      z.coerce.number({ error: 'must be a whole number of minutes from 0 to 60' }).int('must be a whole number of minutes from 0 to 60').min(0, 'must be a whole number of minutes from 0 to 60').max(60, 'must be a whole number of minutes from 0 to 60'),
    ).transform((v) => v ?? 5),
  });

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function loadCertificate(certPath: string, password: string | undefined, issues: string[]): BrokerCredential | undefined {
  let pem: string;
  try {
    pem = readFileSync(certPath, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    issues.push(`BROKER_CERTIFICATE_PATH: cannot read ${certPath} (${code})`);
    return undefined;
  }
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const keyBlock = pem.match(/-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/);
  const leaf = certs[0];
  if (leaf === undefined || keyBlock === null) {
    issues.push(`BROKER_CERTIFICATE_PATH: ${certPath} must hold both the private key and the certificate as PEM`);
    return undefined;
  }
  try {
    const key = createPrivateKey(password === undefined ? keyBlock[0] : { key: keyBlock[0], passphrase: password });
    const cert = new X509Certificate(leaf);
    if (!cert.checkPrivateKey(key)) {
      issues.push(`BROKER_CERTIFICATE_PATH: the private key in ${certPath} does not match its certificate`);
      return undefined;
    }
    return {
      kind: 'certificate',
      privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
      certificatePem: certs.join('\n'),
      thumbprintSha256: createHash('sha256').update(cert.raw).digest('hex').toUpperCase(),
    };
  } catch {
    // The crypto error could echo key material details; say only what to check.
    issues.push(
      `BROKER_CERTIFICATE_PATH: cannot load the key or certificate in ${certPath} (encrypted key without BROKER_CERTIFICATE_PASSWORD, wrong password, or malformed PEM)`,
    );
    return undefined;
  }
}

/**
 * Validates an environment and derives the values the portal uses. Pure apart from reading the
 * broker certificate file. Throws `EnvError` listing every problem at once.
 */
export function parseEnv(source: RawEnv): Env {
  const result = rawSchema.safeParse(source);
  const issues: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = issue.path.length > 0 ? issue.path.join('.') : 'environment';
      issues.push(`${name}: ${issue.message}`);
    }
  }
  // Checked on the raw source so that they are reported together with any schema problems.
  const isSet = (name: string) => (source[name] ?? '').trim() !== '';
  const hasSecret = isSet('BROKER_CLIENT_SECRET');
  const hasCert = isSet('BROKER_CERTIFICATE_PATH');
  if (hasSecret === hasCert) {
    issues.push(
      hasSecret
        ? 'BROKER_CLIENT_SECRET: set exactly one of BROKER_CLIENT_SECRET or BROKER_CERTIFICATE_PATH, not both'
        : 'BROKER_CLIENT_SECRET: set exactly one of BROKER_CLIENT_SECRET or BROKER_CERTIFICATE_PATH (the broker app credential)',
    );
  }
  if (isSet('APPROVER_NOTIFICATION_ADDRESSES') && !isSet('MAIL_SENDER')) {
    issues.push('APPROVER_NOTIFICATION_ADDRESSES: is only used with MAIL_SENDER (the mailbox notifications are sent from)');
  }
  if (isSet('MAIL_DIGEST_MINUTES') && !isSet('MAIL_SENDER')) {
    issues.push('MAIL_DIGEST_MINUTES: is only used with MAIL_SENDER (the mailbox notifications are sent from)');
  }
  if (result.success && result.data.METRICS_PORT !== undefined && result.data.METRICS_PORT === result.data.PORT) {
    issues.push('METRICS_PORT: must differ from PORT (the metrics stay off the public port)');
  }
  if (isSet('BROKER_CERTIFICATE_PASSWORD') && !hasCert) {
    issues.push('BROKER_CERTIFICATE_PASSWORD: is only used with BROKER_CERTIFICATE_PATH');
  }
  if (!result.success || issues.length > 0) throw new EnvError(issues);
  const raw = result.data;
  const nodeEnv = raw.NODE_ENV ?? 'development';
  const allowInsecureLocalTenant = raw.ALLOW_INSECURE_LOCAL_TENANT === 'true';

  if (nodeEnv === 'production' && !allowInsecureLocalTenant) {
    for (const name of ['ENTRA_AUTHORITY_HOST', 'GRAPH_BASE_URL'] as const) {
      if (isLoopbackUrl(raw[name])) {
        issues.push(
          `${name}: ${raw[name]} is a local (loopback) tenant, refused in production. ` +
            'A local tenant is a stand-in anyone on this machine can mint tokens for; to run against it anyway set ALLOW_INSECURE_LOCAL_TENANT=true.',
        );
      }
    }
  }

  let credential: BrokerCredential | undefined;
  if (raw.BROKER_CLIENT_SECRET !== undefined) {
    credential = { kind: 'secret', clientSecret: raw.BROKER_CLIENT_SECRET };
  } else if (raw.BROKER_CERTIFICATE_PATH !== undefined) {
    credential = loadCertificate(raw.BROKER_CERTIFICATE_PATH, raw.BROKER_CERTIFICATE_PASSWORD, issues);
  }

  if (issues.length > 0 || credential === undefined) throw new EnvError(issues);

  const authorityHost = raw.ENTRA_AUTHORITY_HOST;
  const tenantId = raw.ENTRA_TENANT_ID.toLowerCase();
  const graphUrl = new URL(raw.GRAPH_BASE_URL);
  return {
    nodeEnv,
    port: raw.PORT,
    dataDir: raw.DATA_DIR,
    databaseUrl: raw.DATABASE_URL,
    logLevel: raw.LOG_LEVEL,
    trustedProxyHops: raw.TRUSTED_PROXY_HOPS,
    refusalMemorySeconds: raw.REFUSAL_MEMORY_SECONDS,
    apiBudget: { perUser: raw.API_BUDGET_PER_USER, windowSeconds: raw.API_BUDGET_WINDOW_SECONDS },
    entra: {
      authorityHost,
      tenantId,
      authority: `${authorityHost}/${tenantId}/`,
      issuer: `${authorityHost}/${tenantId}/v2.0`,
      jwksUri: `${authorityHost}/${tenantId}/discovery/v2.0/keys`,
      knownAuthorities: [new URL(authorityHost).host],
    },
    portal: { clientId: raw.PORTAL_CLIENT_ID.toLowerCase() },
    api: {
      clientId: raw.API_CLIENT_ID.toLowerCase(),
      scope: raw.API_SCOPE,
      scopeName: raw.API_SCOPE.slice(raw.API_SCOPE.lastIndexOf('/') + 1),
      applicationIdUri: raw.API_SCOPE.slice(0, raw.API_SCOPE.lastIndexOf('/')),
      allowedClientIds: [...new Set([raw.PORTAL_CLIENT_ID.toLowerCase(), ...raw.API_ALLOWED_CLIENT_IDS])],
    },
    broker: { clientId: raw.BROKER_CLIENT_ID.toLowerCase(), credential },
    graph: {
      baseUrl: raw.GRAPH_BASE_URL,
      host: graphUrl.hostname.toLowerCase(),
      scope: raw.GRAPH_SCOPE ?? `${graphUrl.origin}/.default`,
    },
    graphBudget: { perSecond: raw.GRAPH_BUDGET_PER_SECOND, maxWaitSeconds: raw.GRAPH_BUDGET_MAX_WAIT_SECONDS },
    orgMirrorSyncSeconds: raw.ORG_MIRROR_SYNC_SECONDS,
    shutdownTimeoutSeconds: raw.SHUTDOWN_TIMEOUT_SECONDS,
    allowInsecureLocalTenant,
    auditSigningKeyPath: raw.AUDIT_SIGNING_KEY_PATH === undefined ? undefined : path.resolve(/*turbopackIgnore: true*/ raw.AUDIT_SIGNING_KEY_PATH),
    mail: {
      sender: raw.MAIL_SENDER ?? null,
      approverAddresses: raw.MAIL_SENDER === undefined ? [] : raw.APPROVER_NOTIFICATION_ADDRESSES,
      digestMinutes: raw.MAIL_DIGEST_MINUTES,
    },
    portalUrl: raw.PORTAL_URL,
    helpdeskContact: raw.HELPDESK_CONTACT,
    doctorTestUser: raw.DOCTOR_TEST_USER,
    metrics: raw.METRICS_PORT === undefined ? null : { port: raw.METRICS_PORT, host: raw.METRICS_HOST },
    tracing: tracesEndpoint(raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, raw.OTEL_EXPORTER_OTLP_ENDPOINT, raw.OTEL_SERVICE_NAME),
  };
}

/** The signal-specific endpoint is used as is; the general one gets the traces path appended. */
function tracesEndpoint(traces: string | undefined, general: string | undefined, serviceName: string): Env['tracing'] {
  if (traces !== undefined) return { tracesEndpoint: traces, serviceName };
  if (general !== undefined) return { tracesEndpoint: `${general.replace(/\/+$/, '')}/v1/traces`, serviceName };
  return null;
}

let cached: Env | undefined;

/** The validated configuration, parsed from `process.env` once per process. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Tests only: forget the memoized configuration after changing `process.env`. */
export function resetEnvForTests(): void {
  cached = undefined;
}
