import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '@/lib/env';

const TENANT = '00000000-0000-4000-8000-000000000001';
const API = '11111111-1111-4111-8111-111111111111';

function base(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    ENTRA_AUTHORITY_HOST: 'https://login.microsoftonline.com',
    ENTRA_TENANT_ID: TENANT,
    PORTAL_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
    API_CLIENT_ID: API,
    API_SCOPE: `api://${API}/access_as_user`,
    BROKER_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
    BROKER_CLIENT_SECRET: 'super-secret-value',
    GRAPH_BASE_URL: 'https://graph.microsoft.com',
    ...overrides,
  };
}

function issuesOf(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof EnvError) return error.issues;
    throw error;
  }
  throw new Error('expected EnvError');
}

describe('parseEnv', () => {
  it('derives authority, issuer, JWKS, known authorities, scope name and Graph scope', () => {
    const env = parseEnv(base({ ENTRA_AUTHORITY_HOST: 'https://localhost:8443/', GRAPH_BASE_URL: 'https://localhost:8443/graph/' }));
    expect(env.entra).toEqual({
      authorityHost: 'https://localhost:8443',
      tenantId: TENANT,
      authority: `https://localhost:8443/${TENANT}/`,
      issuer: `https://localhost:8443/${TENANT}/v2.0`,
      jwksUri: `https://localhost:8443/${TENANT}/discovery/v2.0/keys`,
      knownAuthorities: ['localhost:8443'],
    });
    expect(env.api).toEqual({
      clientId: API,
      scope: `api://${API}/access_as_user`,
      scopeName: 'access_as_user',
      applicationIdUri: `api://${API}`,
      allowedClientIds: ['22222222-2222-4222-8222-222222222222'],
    });
    expect(env.graph).toEqual({ baseUrl: 'https://localhost:8443/graph', host: 'localhost', scope: 'https://localhost:8443/.default' });
    expect(env.broker.credential).toEqual({ kind: 'secret', clientSecret: 'super-secret-value' });
  });

  it('applies the documented defaults and nothing else', () => {
    const env = parseEnv(base());
    expect(env.port).toBe(3000);
    expect(env.dataDir).toBe(path.resolve('./data'));
    expect(env.logLevel).toBe('info');
    expect(env.trustedProxyHops).toBe(0);
    expect(env.graphBudget).toEqual({ perSecond: 100, maxWaitSeconds: 10 });
    expect(env.apiBudget).toEqual({ perUser: 120, windowSeconds: 60 });
    expect(env.orgMirrorSyncSeconds).toBe(60);
    expect(env.shutdownTimeoutSeconds).toBe(25);
    expect(env.databaseUrl).toBeUndefined();
    expect(env.allowInsecureLocalTenant).toBe(false);
    expect(env.entra.knownAuthorities).toEqual(['login.microsoftonline.com']);
    expect(env.graph.scope).toBe('https://graph.microsoft.com/.default');
  });

  it('keeps an explicit GRAPH_SCOPE, PORT and DATABASE_URL', () => {
    const env = parseEnv(
      base({ GRAPH_SCOPE: 'https://graph.microsoft.com/.default', PORT: '8080', DATABASE_URL: 'postgresql://u:p@localhost:5432/db' }),
    );
    expect(env.port).toBe(8080);
    expect(env.databaseUrl).toBe('postgresql://u:p@localhost:5432/db');
  });

  it('turns the metrics server on with METRICS_PORT only, on loopback unless METRICS_HOST says otherwise', () => {
    expect(parseEnv(base()).metrics).toBeNull();
    expect(parseEnv(base({ METRICS_PORT: '9464' })).metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(parseEnv(base({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(issuesOf(base({ METRICS_PORT: '3000' }))).toEqual(['METRICS_PORT: must differ from PORT (the metrics stay off the public port)']);
    for (const bad of ['0', '65536', 'x']) expect(issuesOf(base({ METRICS_PORT: bad })), bad).toEqual(['METRICS_PORT: must be a port number from 1 to 65535']);
  });

  it('turns tracing on with an OTLP endpoint, the traces-specific one used as is', () => {
    expect(parseEnv(base()).tracing).toBeNull();
    expect(parseEnv(base({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).tracing).toEqual({ tracesEndpoint: 'http://collector:4318/v1/traces', serviceName: 'tap-broker' });
    expect(
      parseEnv(base({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/ingest', OTEL_SERVICE_NAME: 'tap-eu' })).tracing,
    ).toEqual({ tracesEndpoint: 'https://traces.example/ingest', serviceName: 'tap-eu' });
    expect(issuesOf(base({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }))).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL without query or fragment, e.g. http://127.0.0.1:4318',
    ]);
  });

  it('reads TRUSTED_PROXY_HOPS as a whole number from 0 to 10', () => {
    expect(parseEnv(base({ TRUSTED_PROXY_HOPS: '2' })).trustedProxyHops).toBe(2);
    expect(parseEnv(base({ TRUSTED_PROXY_HOPS: '10' })).trustedProxyHops).toBe(10);
    expect(parseEnv(base({ TRUSTED_PROXY_HOPS: '' })).trustedProxyHops).toBe(0);
    for (const bad of ['-1', '11', '1.5', 'one']) {
      expect(issuesOf(base({ TRUSTED_PROXY_HOPS: bad })), bad).toEqual(['TRUSTED_PROXY_HOPS: must be a whole number from 0 to 10']);
    }
  });

  it('reads PORTAL_URL as an http(s) URL without a trailing slash, null when unset', () => {
    expect(parseEnv(base({})).portalUrl).toBeNull();
    expect(parseEnv(base({ PORTAL_URL: '' })).portalUrl).toBeNull();
    expect(parseEnv(base({ PORTAL_URL: 'https://tap.contoso.com/' })).portalUrl).toBe('https://tap.contoso.com');
    expect(parseEnv(base({ PORTAL_URL: 'https://intranet.contoso.com/tap' })).portalUrl).toBe('https://intranet.contoso.com/tap');
    expect(parseEnv(base({ PORTAL_URL: 'http://localhost:3000' })).portalUrl).toBe('http://localhost:3000');
    for (const bad of ['tap.contoso.com', 'ftp://tap.contoso.com', 'https://tap.contoso.com/?a=1', 'https://tap.contoso.com/#x']) {
      expect(issuesOf(base({ PORTAL_URL: bad })), bad).toEqual(['PORTAL_URL: must be an http(s) URL without query or fragment, e.g. https://tap.contoso.com']);
    }
  });

  it('reads HELPDESK_CONTACT as a short text, trimmed, null when unset', () => {
    expect(parseEnv(base({})).helpdeskContact).toBeNull();
    expect(parseEnv(base({ HELPDESK_CONTACT: '  ' })).helpdeskContact).toBeNull();
    expect(parseEnv(base({ HELPDESK_CONTACT: ' mailto:helpdesk@contoso.com ' })).helpdeskContact).toBe('mailto:helpdesk@contoso.com');
    expect(parseEnv(base({ HELPDESK_CONTACT: 'IT helpdesk, +1 555 0100' })).helpdeskContact).toBe('IT helpdesk, +1 555 0100');
    expect(issuesOf(base({ HELPDESK_CONTACT: 'x'.repeat(201) }))).toEqual([
      'HELPDESK_CONTACT: must be at most 200 characters (a URL, a mailto: link or a short text)',
    ]);
  });

  it('reads DOCTOR_TEST_USER as a UPN or an object id, null when unset', () => {
    expect(parseEnv(base({})).doctorTestUser).toBeNull();
    expect(parseEnv(base({ DOCTOR_TEST_USER: ' alex@contoso.com ' })).doctorTestUser).toBe('alex@contoso.com');
    expect(parseEnv(base({ DOCTOR_TEST_USER: TENANT })).doctorTestUser).toBe(TENANT);
    expect(issuesOf(base({ DOCTOR_TEST_USER: 'alex' }))).toEqual(["DOCTOR_TEST_USER: must be a user's user principal name or object id"]);
  });

  it('reads SHUTDOWN_TIMEOUT_SECONDS as whole seconds from 1 to 600, 25 when unset', () => {
    expect(parseEnv(base({ SHUTDOWN_TIMEOUT_SECONDS: '' })).shutdownTimeoutSeconds).toBe(25);
    expect(parseEnv(base({ SHUTDOWN_TIMEOUT_SECONDS: '1' })).shutdownTimeoutSeconds).toBe(1);
    expect(parseEnv(base({ SHUTDOWN_TIMEOUT_SECONDS: '600' })).shutdownTimeoutSeconds).toBe(600);
    for (const bad of ['0', '601', '2.5', 'soon']) {
      expect(issuesOf(base({ SHUTDOWN_TIMEOUT_SECONDS: bad })), bad).toEqual(['SHUTDOWN_TIMEOUT_SECONDS: must be a whole number of seconds from 1 to 600']);
    }
  });

  it('reads ORG_MIRROR_SYNC_SECONDS as whole seconds from 0 (off) to 86400, 60 when unset', () => {
    expect(parseEnv(base({ ORG_MIRROR_SYNC_SECONDS: '' })).orgMirrorSyncSeconds).toBe(60);
    expect(parseEnv(base({ ORG_MIRROR_SYNC_SECONDS: '0' })).orgMirrorSyncSeconds).toBe(0);
    expect(parseEnv(base({ ORG_MIRROR_SYNC_SECONDS: '300' })).orgMirrorSyncSeconds).toBe(300);
    for (const bad of ['-1', '86401', '1.5', 'hourly']) {
      expect(issuesOf(base({ ORG_MIRROR_SYNC_SECONDS: bad })), bad).toEqual(['ORG_MIRROR_SYNC_SECONDS: must be a whole number of seconds from 0 to 86400']);
    }
  });

  it('reads REFUSAL_MEMORY_SECONDS as whole seconds from 0 (off) to 600, 30 when unset', () => {
    expect(parseEnv(base({})).refusalMemorySeconds).toBe(30);
    expect(parseEnv(base({ REFUSAL_MEMORY_SECONDS: '' })).refusalMemorySeconds).toBe(30);
    expect(parseEnv(base({ REFUSAL_MEMORY_SECONDS: '0' })).refusalMemorySeconds).toBe(0);
    expect(parseEnv(base({ REFUSAL_MEMORY_SECONDS: '600' })).refusalMemorySeconds).toBe(600);
    for (const bad of ['-1', '601', '2.5', 'thirty']) {
      expect(issuesOf(base({ REFUSAL_MEMORY_SECONDS: bad })), bad).toEqual(['REFUSAL_MEMORY_SECONDS: must be a whole number of seconds from 0 to 600']);
    }
  });

  it('reads the Graph budget: whole requests per second (0 = off) and a wait in seconds', () => {
    expect(parseEnv(base({ GRAPH_BUDGET_PER_SECOND: '20', GRAPH_BUDGET_MAX_WAIT_SECONDS: '2.5' })).graphBudget).toEqual({ perSecond: 20, maxWaitSeconds: 2.5 });
    expect(parseEnv(base({ GRAPH_BUDGET_PER_SECOND: '0', GRAPH_BUDGET_MAX_WAIT_SECONDS: '0' })).graphBudget).toEqual({ perSecond: 0, maxWaitSeconds: 0 });
    expect(parseEnv(base({ GRAPH_BUDGET_PER_SECOND: ' ', GRAPH_BUDGET_MAX_WAIT_SECONDS: '' })).graphBudget).toEqual({ perSecond: 100, maxWaitSeconds: 10 });
    for (const bad of ['-1', '1.5', 'many', '100001']) {
      expect(issuesOf(base({ GRAPH_BUDGET_PER_SECOND: bad })), bad).toEqual(['GRAPH_BUDGET_PER_SECOND: must be a whole number from 0 to 100000']);
    }
    for (const bad of ['-1', '121', 'soon']) {
      expect(issuesOf(base({ GRAPH_BUDGET_MAX_WAIT_SECONDS: bad })), bad).toEqual(['GRAPH_BUDGET_MAX_WAIT_SECONDS: must be a number of seconds from 0 to 120']);
    }
  });

  it('reads the API budget: API_BUDGET_PER_USER from 1 per API_BUDGET_WINDOW_SECONDS from 1 to 3600', () => {
    expect(parseEnv(base({ API_BUDGET_PER_USER: '1', API_BUDGET_WINDOW_SECONDS: '3600' })).apiBudget).toEqual({ perUser: 1, windowSeconds: 3600 });
    expect(parseEnv(base({ API_BUDGET_PER_USER: '5000', API_BUDGET_WINDOW_SECONDS: '1' })).apiBudget).toEqual({ perUser: 5000, windowSeconds: 1 });
    expect(parseEnv(base({ API_BUDGET_PER_USER: '', API_BUDGET_WINDOW_SECONDS: ' ' })).apiBudget).toEqual({ perUser: 120, windowSeconds: 60 });
    for (const bad of ['0', '-5', '2.5', 'many', '1000001']) {
      expect(issuesOf(base({ API_BUDGET_PER_USER: bad })), bad).toEqual(['API_BUDGET_PER_USER: must be a whole number from 1 to 1000000']);
    }
    for (const bad of ['0', '3601', '0.5', 'minute']) {
      expect(issuesOf(base({ API_BUDGET_WINDOW_SECONDS: bad })), bad).toEqual(['API_BUDGET_WINDOW_SECONDS: must be a whole number of seconds from 1 to 3600']);
    }
  });

  it('lists every missing variable at once', () => {
    const issues = issuesOf({});
    for (const name of ['ENTRA_AUTHORITY_HOST', 'ENTRA_TENANT_ID', 'PORTAL_CLIENT_ID', 'API_CLIENT_ID', 'API_SCOPE', 'BROKER_CLIENT_ID', 'GRAPH_BASE_URL', 'BROKER_CLIENT_SECRET']) {
      expect(issues.some((issue) => issue.startsWith(`${name}:`)), name).toBe(true);
    }
  });

  it('treats empty strings as missing', () => {
    expect(issuesOf(base({ ENTRA_TENANT_ID: '' }))).toEqual(['ENTRA_TENANT_ID: is required']);
  });

  it.each([
    ['ENTRA_TENANT_ID', 'contoso.onmicrosoft.com'],
    ['PORTAL_CLIENT_ID', 'not-a-guid'],
    ['API_CLIENT_ID', '1234'],
    ['BROKER_CLIENT_ID', 'x'],
    ['ENTRA_AUTHORITY_HOST', 'http://login.microsoftonline.com'],
    ['ENTRA_AUTHORITY_HOST', `https://login.microsoftonline.com/${TENANT}`],
    ['GRAPH_BASE_URL', 'http://localhost:8443/graph'],
    ['GRAPH_BASE_URL', 'https://graph.microsoft.com/?x=1'],
    ['API_SCOPE', 'access_as_user'],
    ['API_SCOPE', `api://${API}/`],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['LOG_LEVEL', 'verbose'],
    ['PORT', '70000'],
    ['GRAPH_SCOPE', 'https://graph.microsoft.com/User.Read'],
    ['ALLOW_INSECURE_LOCAL_TENANT', 'yes'],
    ['API_ALLOWED_CLIENT_IDS', 'automation-app'],
    ['API_ALLOWED_CLIENT_IDS', '44444444-4444-4444-8444-444444444444;55555555-5555-4555-8555-555555555555'],
  ])('refuses %s=%s', (name, value) => {
    const issues = issuesOf(base({ [name]: value }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${name}: `));
  });

  it('accepts tokens from the portal client plus API_ALLOWED_CLIENT_IDS (comma-separated, trimmed, lower-cased, deduplicated)', () => {
    const env = parseEnv(
      base({ API_ALLOWED_CLIENT_IDS: ' 44444444-4444-4444-8444-44444444444A, ,22222222-2222-4222-8222-222222222222,44444444-4444-4444-8444-44444444444a' }),
    );
    expect(env.api.allowedClientIds).toEqual(['22222222-2222-4222-8222-222222222222', '44444444-4444-4444-8444-44444444444a']);
    expect(parseEnv(base({ API_ALLOWED_CLIENT_IDS: '' })).api.allowedClientIds).toEqual(['22222222-2222-4222-8222-222222222222']);
  });

  it('requires exactly one broker credential', () => {
    expect(issuesOf(base({ BROKER_CLIENT_SECRET: undefined }))[0]).toMatch(/exactly one of BROKER_CLIENT_SECRET or BROKER_CERTIFICATE_PATH/);
    expect(issuesOf(base({ BROKER_CERTIFICATE_PATH: '/x.pem' }))[0]).toMatch(/not both/);
    expect(issuesOf(base({ BROKER_CERTIFICATE_PASSWORD: 'p' }))[0]).toMatch(/^BROKER_CERTIFICATE_PASSWORD: /);
  });

  it('never echoes the client secret in an error', () => {
    const error = (() => {
      try {
        parseEnv(base({ ENTRA_TENANT_ID: 'bad' }));
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected failure');
    })();
    expect(error.message).not.toContain('super-secret-value');
  });

  describe('production guard', () => {
    const local = { NODE_ENV: 'production', ENTRA_AUTHORITY_HOST: 'https://localhost:8443', GRAPH_BASE_URL: 'https://127.0.0.1:8443/graph' };

    it('refuses a loopback authority and Graph URL in production, naming the switch', () => {
      const issues = issuesOf(base(local));
      expect(issues).toHaveLength(2);
      expect(issues[0]).toMatch(/^ENTRA_AUTHORITY_HOST: .*refused in production.*ALLOW_INSECURE_LOCAL_TENANT=true/);
      expect(issues[1]).toMatch(/^GRAPH_BASE_URL: /);
      expect(issuesOf(base({ ...local, ALLOW_INSECURE_LOCAL_TENANT: 'false' }))).toHaveLength(2);
    });

    it('accepts them only with ALLOW_INSECURE_LOCAL_TENANT exactly "true"', () => {
      const env = parseEnv(base({ ...local, ALLOW_INSECURE_LOCAL_TENANT: 'true' }));
      expect(env.allowInsecureLocalTenant).toBe(true);
      expect(env.nodeEnv).toBe('production');
    });

    it('does not apply outside production', () => {
      expect(parseEnv(base({ ...local, NODE_ENV: 'development' })).entra.authorityHost).toBe('https://localhost:8443');
    });
  });

  describe('certificate credential', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tb-env-'));

    async function writeCert(name: string, options: { passphrase?: string; otherKey?: boolean } = {}): Promise<{ file: string; cert: string }> {
      const pems = await generate([{ name: 'commonName', value: 'tap-broker' }], { keySize: 2048, algorithm: 'sha256' });
      let key = pems.private;
      if (options.otherKey) key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      if (options.passphrase !== undefined) {
        const { createPrivateKey } = await import('node:crypto');
        key = createPrivateKey(key)
          .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: options.passphrase })
          .toString();
      }
      const file = path.join(dir, name);
      writeFileSync(file, `${key}\n${pems.cert}\n`);
      return { file, cert: pems.cert };
    }

    it('loads key and certificate and computes the SHA-256 thumbprint', async () => {
      const { file, cert } = await writeCert('ok.pem');
      const env = parseEnv(base({ BROKER_CLIENT_SECRET: undefined, BROKER_CERTIFICATE_PATH: file }));
      const credential = env.broker.credential;
      if (credential.kind !== 'certificate') throw new Error('expected a certificate credential');
      expect(credential.thumbprintSha256).toBe(new X509Certificate(cert).fingerprint256.replaceAll(':', ''));
      expect(credential.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(credential.certificatePem).toContain('-----BEGIN CERTIFICATE-----');
    });

    it('decrypts an encrypted key with BROKER_CERTIFICATE_PASSWORD and refuses it without', async () => {
      const { file } = await writeCert('enc.pem', { passphrase: 'pw-123' });
      const env = parseEnv(base({ BROKER_CLIENT_SECRET: undefined, BROKER_CERTIFICATE_PATH: file, BROKER_CERTIFICATE_PASSWORD: 'pw-123' }));
      expect(env.broker.credential.kind).toBe('certificate');
      expect(issuesOf(base({ BROKER_CLIENT_SECRET: undefined, BROKER_CERTIFICATE_PATH: file }))[0]).toMatch(/^BROKER_CERTIFICATE_PATH: cannot load/);
    });

    it('refuses a missing file, a file without a key, and a key that does not match', async () => {
      expect(issuesOf(base({ BROKER_CLIENT_SECRET: undefined, BROKER_CERTIFICATE_PATH: path.join(dir, 'nope.pem') }))[0]).toMatch(/cannot read .*ENOENT/);
      const { cert } = await writeCert('tmp.pem');
      const certOnly = path.join(dir, 'cert-only.pem');
      writeFileSync(certOnly, cert);
      expect(issuesOf(base({ BROKER_CLIENT_SECRET: undefined, BROKER_CERTIFICATE_PATH: certOnly }))[0]).toMatch(/must hold both/);
      const { file } = await writeCert('mismatch.pem', { otherKey: true });
      expect(issuesOf(base({ BROKER_CLIENT_SECRET: undefined, BROKER_CERTIFICATE_PATH: file }))[0]).toMatch(/does not match/);
    });
  });
});
