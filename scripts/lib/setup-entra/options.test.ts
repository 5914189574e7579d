/**
 * setup:entra's command line: defaults, fallbacks to the existing `.env`, the sign-in method, and
 * every refusal (exit code 2), a password on the command line first among them.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_CLIENT_ID, parseSetupArgs, resolveSettings, type SetupArgs } from '@/scripts/lib/setup-entra/options';

function ok(argv: string[]): SetupArgs {
  const parsed = parseSetupArgs(argv);
  if (parsed.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(parsed)}`);
  return parsed.args;
}
function error(argv: string[]): string {
  const parsed = parseSetupArgs(argv);
  if (parsed.kind !== 'error') throw new Error(`expected an error, got ${parsed.kind}`);
  return parsed.message;
}

const TENANT = '22222222-2222-4222-8222-222222222222';

describe('parseSetupArgs', () => {
  it('defaults', () => {
    expect(ok([])).toEqual({
      tenantId: null,
      portalUrl: null,
      authorityHost: null,
      graphBaseUrl: null,
      name: 'TAP Broker',
      envFile: '.env',
      certificatePath: 'secrets/broker.pem',
      certificateMonths: 12,
      mailSender: null,
      assign: { approvers: [], auditors: [], admins: [] },
      prune: false,
      dryRun: false,
      clientId: DEFAULT_ADMIN_CLIENT_ID,
      signIn: { kind: 'device-code' },
    });
  });

  it('reads every flag, as `--flag value` or `--flag=value`', () => {
    const args = ok([
      `--tenant-id=${TENANT.toUpperCase()}`,
      '--portal-url',
      'https://tap.contoso.example/',
      '--authority-host=https://localhost:8443',
      '--graph-base-url',
      'https://localhost:8443/graph',
      '--name=Contoso TAP',
      '--env-path=.env.test',
      '--certificate-path=/tmp/x.pem',
      '--certificate-months=3',
      '--mail-sender=tap@contoso.example',
      '--assign-approvers=alice@contoso.example, 99999999-0000-0000-0000-000000000001',
      '--assign-auditors=bob@contoso.example',
      '--assign-admins=carol@contoso.example',
      '--prune',
      '--dry-run',
      '--client-id=55555555-5555-4555-8555-555555555555',
      '--browser',
    ]);
    expect(args).toMatchObject({
      tenantId: TENANT,
      portalUrl: 'https://tap.contoso.example',
      authorityHost: 'https://localhost:8443',
      graphBaseUrl: 'https://localhost:8443/graph',
      name: 'Contoso TAP',
      envFile: '.env.test',
      certificatePath: '/tmp/x.pem',
      certificateMonths: 3,
      mailSender: 'tap@contoso.example',
      assign: { approvers: ['alice@contoso.example', '99999999-0000-0000-0000-000000000001'], auditors: ['bob@contoso.example'], admins: ['carol@contoso.example'] },
      prune: true,
      dryRun: true,
      clientId: '55555555-5555-4555-8555-555555555555',
      signIn: { kind: 'browser' },
    });
  });

  it('a password sign-in reads the password from the environment, or from stdin with --password-stdin', () => {
    expect(ok(['--username', 'admin@contoso.example']).signIn).toEqual({ kind: 'password', username: 'admin@contoso.example', passwordFrom: 'env' });
    expect(ok(['--username=admin@contoso.example', '--password-stdin']).signIn).toEqual({ kind: 'password', username: 'admin@contoso.example', passwordFrom: 'stdin' });
  });

  it('never takes a password or secret on the command line', () => {
    expect(error(['--password', 'hunter2'])).toMatch(/^--password is not accepted.*SETUP_ENTRA_PASSWORD or use --password-stdin/);
    expect(error(['--password=hunter2'])).not.toContain('hunter2');
    expect(error(['--client-secret=x'])).toMatch(/^--client-secret is not accepted/);
  });

  it('--help wins', () => {
    expect(parseSetupArgs(['--tenant-id=nope', '--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--tenant-id', 'contoso'], '--tenant-id must be the tenant id (a GUID)'],
    [['--client-id=x'], '--client-id must be a client id (a GUID)'],
    [['--authority-host=http://login.example'], '--authority-host must be an https origin, e.g. https://login.microsoftonline.com'],
    [['--authority-host=https://login.example/tenant'], '--authority-host must be an https origin, e.g. https://login.microsoftonline.com'],
    [['--graph-base-url=http://graph.example'], '--graph-base-url must be an https URL, e.g. https://graph.microsoft.com'],
    [['--portal-url=tap.contoso.example'], '--portal-url must be an http(s) URL without query or fragment, e.g. https://tap.contoso.com'],
    [['--certificate-months=0'], '--certificate-months must be a whole number from 1 to 60'],
    [['--certificate-months=61'], '--certificate-months must be a whole number from 1 to 60'],
    [['--mail-sender=tap'], '--mail-sender must be the mailbox user principal name'],
    [['--assign-admins=alice,bob@contoso.example'], '--assign-admins takes user principal names or group ids (not: alice)'],
    [['--name='], '--name must not be empty'],
    [['--browser', '--username=a@b.c'], '--browser and --username exclude each other'],
    [['--password-stdin'], '--password-stdin needs --username'],
    [['--tenant-id'], '--tenant-id needs a value'],
    [['--tenant-id', '--dry-run'], '--tenant-id needs a value'],
    [['--name=a', '--name=b'], '--name given twice'],
    [['--dry-run=yes'], '--dry-run takes no value'],
    [['extra'], 'unknown argument extra'],
    [['--env-file=.env'], "--env-file is Node's own option; use --env-path"],
  ])('refuses %j', (argv, message) => {
    expect(error(argv)).toBe(message);
  });
});

describe('resolveSettings', () => {
  it('takes what the command line leaves out from the .env, then the defaults', () => {
    const settings = resolveSettings(ok([]), { ENTRA_TENANT_ID: TENANT, PORTAL_URL: 'https://tap.contoso.example/', GRAPH_BASE_URL: 'https://localhost:8443/graph', MAIL_SENDER: 'tap@contoso.example' });
    expect(settings).toMatchObject({
      tenantId: TENANT,
      portalUrl: 'https://tap.contoso.example',
      authorityHost: 'https://login.microsoftonline.com',
      graphBaseUrl: 'https://localhost:8443/graph',
      mailSender: 'tap@contoso.example',
    });
  });

  it('the command line wins over the .env', () => {
    const settings = resolveSettings(ok([`--tenant-id=${TENANT}`, '--portal-url=https://new.contoso.example']), { ENTRA_TENANT_ID: '33333333-3333-4333-8333-333333333333', PORTAL_URL: 'https://old.contoso.example' });
    expect(settings).toMatchObject({ tenantId: TENANT, portalUrl: 'https://new.contoso.example' });
  });

  it('needs a tenant and a portal URL from somewhere', () => {
    expect(resolveSettings(ok([]), {})).toEqual({ error: '--tenant-id is required (no ENTRA_TENANT_ID in .env)' });
    expect(resolveSettings(ok([`--tenant-id=${TENANT}`]), {})).toEqual({ error: '--portal-url is required (no PORTAL_URL in .env)' });
  });
});
