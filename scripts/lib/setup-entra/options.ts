/**
 * The command line of `npm run setup:entra`: flags, their defaults and the usage text. Values the
 * command line leaves out fall back to the existing `.env` (so a re-run needs no flags), then to
 * the defaults. A password is never accepted as an argument: it comes from SETUP_ENTRA_PASSWORD
 * or standard input.
 *
 * The `.env` path is `--env-path`, not `--env-file`: Node 20 takes `--env-file` for itself
 * wherever it appears in the command line, and exits when the file does not exist yet.
 */

/** Microsoft Graph Command Line Tools: a first-party public client present in every tenant. */
export const DEFAULT_ADMIN_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com';
export const PASSWORD_ENV_VAR = 'SETUP_ENTRA_PASSWORD';

export const USAGE = `Usage: npm run setup:entra -- [options]

Creates or updates the TAP Broker app registrations in a Microsoft Entra tenant, signed in as an
administrator (Application Administrator; Privileged Role Administrator for admin consent to
Microsoft Graph permissions), and writes the .env values. Re-running changes nothing when all is in place.

  --tenant-id <guid>             the tenant (default: ENTRA_TENANT_ID from the .env file)
  --portal-url <url>             where people open the portal; its origin is the SPA redirect URI
                                 (default: PORTAL_URL from the .env file)
  --authority-host <url>         default ${DEFAULT_AUTHORITY_HOST}
  --graph-base-url <url>         default ${DEFAULT_GRAPH_BASE_URL}
  --name <text>                  display name prefix (default "TAP Broker")
  --env-path <path>              the .env file to read and write (default .env)
  --certificate-path <path>      broker key and certificate PEM (default secrets/broker.pem)
  --certificate-months <n>       validity of a new certificate, 1-60 (default 12)
  --mail-sender <upn>            notification mailbox: writes MAIL_SENDER and grants Mail.Send
  --assign-approvers <list>      comma-separated UPNs or group ids given TapBroker.Approver
  --assign-auditors <list>       ... TapBroker.Auditor
  --assign-admins <list>         ... TapBroker.Admin
  --prune                        remove Graph permissions and SPA redirect URIs nothing needs
  --dry-run                      print the plan; change nothing
  --client-id <guid>             public client to sign in with (default ${DEFAULT_ADMIN_CLIENT_ID},
                                 Microsoft Graph Command Line Tools)
  --browser                      sign in through the browser instead of a device code
  --username <upn>               sign in without interaction (password grant); the password comes
                                 from ${PASSWORD_ENV_VAR}, or from standard input with --password-stdin
  --password-stdin               read the password from standard input
  --help                         this text

Exit codes: 0 done or nothing to change, 1 failure, 2 bad arguments.
`;

export type SignInMethod = { kind: 'device-code' } | { kind: 'browser' } | { kind: 'password'; username: string; passwordFrom: 'env' | 'stdin' };

export interface SetupArgs {
  tenantId: string | null;
  portalUrl: string | null;
  authorityHost: string | null;
  graphBaseUrl: string | null;
  name: string;
  envFile: string;
  certificatePath: string;
  certificateMonths: number;
  mailSender: string | null;
  assign: { approvers: string[]; auditors: string[]; admins: string[] };
  prune: boolean;
  dryRun: boolean;
  clientId: string;
  signIn: SignInMethod;
}

export type ParsedArgs = { kind: 'help' } | { kind: 'error'; message: string } | { kind: 'ok'; args: SetupArgs };

const VALUE_FLAGS = [
  '--tenant-id',
  '--portal-url',
  '--authority-host',
  '--graph-base-url',
  '--name',
  '--env-path',
  '--certificate-path',
  '--certificate-months',
  '--mail-sender',
  '--assign-approvers',
  '--assign-auditors',
  '--assign-admins',
  '--client-id',
  '--username',
] as const;
const SWITCHES = ['--prune', '--dry-run', '--browser', '--password-stdin', '--help'] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^\s@,]+@[^\s@,]+$/;

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/** An https origin (or origin + path for Graph), no query, no trailing slash; null when it is not one. */
function httpsUrl(value: string, originOnly: boolean): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '') return null;
  if (originOnly && url.pathname !== '/') return null;
  return value.replace(/\/+$/, '');
}

function checkValues(values: Partial<Record<(typeof VALUE_FLAGS)[number], string>>): string | null {
  const tenantId = values['--tenant-id'];
  if (tenantId !== undefined && !GUID.test(tenantId)) return '--tenant-id must be the tenant id (a GUID)';
  const clientId = values['--client-id'];
  if (clientId !== undefined && !GUID.test(clientId)) return '--client-id must be a client id (a GUID)';
  const authority = values['--authority-host'];
  if (authority !== undefined && httpsUrl(authority, true) === null) return '--authority-host must be an https origin, e.g. https://login.microsoftonline.com';
  const graph = values['--graph-base-url'];
  if (graph !== undefined && httpsUrl(graph, false) === null) return '--graph-base-url must be an https URL, e.g. https://graph.microsoft.com';
  const portal = values['--portal-url'];
  if (portal !== undefined && !(URL.canParse(portal) && /^https?:$/.test(new URL(portal).protocol) && new URL(portal).search === '' && new URL(portal).hash === '')) {
    return '--portal-url must be an http(s) URL without query or fragment, e.g. https://tap.contoso.com';
  }
  const months = values['--certificate-months'];
  if (months !== undefined && !(/^\d+$/.test(months) && Number(months) >= 1 && Number(months) <= 60)) return '--certificate-months must be a whole number from 1 to 60';
  const sender = values['--mail-sender'];
  if (sender !== undefined && !UPN.test(sender)) return '--mail-sender must be the mailbox user principal name';
  const username = values['--username'];
  if (username !== undefined && !UPN.test(username)) return '--username must be a user principal name';
  for (const flag of ['--assign-approvers', '--assign-auditors', '--assign-admins'] as const) {
    const bad = splitList(values[flag]).filter((v) => !UPN.test(v) && !GUID.test(v));
    if (bad.length > 0) return `${flag} takes user principal names or group ids (not: ${bad.join(', ')})`;
  }
  if (values['--name'] !== undefined && values['--name'].trim() === '') return '--name must not be empty';
  return null;
}

/** Parses the arguments after the script name. Pure: never reads the environment or files. */
export function parseSetupArgs(argv: readonly string[]): ParsedArgs {
  const values: Partial<Record<(typeof VALUE_FLAGS)[number], string>> = {};
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '--env-file') return { kind: 'error', message: '--env-file is Node\'s own option; use --env-path' };
    if (flag === '--password' || flag === '--client-secret') {
      return { kind: 'error', message: `${flag} is not accepted: a password on the command line ends up in shell history. Set ${PASSWORD_ENV_VAR} or use --password-stdin.` };
    }
    if ((SWITCHES as readonly string[]).includes(flag)) {
      if (eq > 0 && arg.startsWith('--')) return { kind: 'error', message: `${flag} takes no value` };
      switches.add(flag);
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) return { kind: 'error', message: `unknown argument ${arg}` };
    const value = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value.startsWith('--')) return { kind: 'error', message: `${flag} needs a value` };
    if (flag in values) return { kind: 'error', message: `${flag} given twice` };
    values[flag as (typeof VALUE_FLAGS)[number]] = value;
  }
  if (switches.has('--help')) return { kind: 'help' };
  const problem = checkValues(values);
  if (problem !== null) return { kind: 'error', message: problem };
  const username = values['--username'];
  if (username !== undefined && switches.has('--browser')) return { kind: 'error', message: '--browser and --username exclude each other' };
  if (username === undefined && switches.has('--password-stdin')) return { kind: 'error', message: '--password-stdin needs --username' };
  const signIn: SignInMethod =
    username !== undefined
      ? { kind: 'password', username, passwordFrom: switches.has('--password-stdin') ? 'stdin' : 'env' }
      : switches.has('--browser')
        ? { kind: 'browser' }
        : { kind: 'device-code' };
  return {
    kind: 'ok',
    args: {
      tenantId: values['--tenant-id']?.toLowerCase() ?? null,
      portalUrl: values['--portal-url']?.replace(/\/+$/, '') ?? null,
      authorityHost: values['--authority-host']?.replace(/\/+$/, '') ?? null,
      graphBaseUrl: values['--graph-base-url']?.replace(/\/+$/, '') ?? null,
      name: values['--name']?.trim() ?? 'TAP Broker',
      envFile: values['--env-path'] ?? '.env',
      certificatePath: values['--certificate-path'] ?? 'secrets/broker.pem',
      certificateMonths: Number(values['--certificate-months'] ?? '12'),
      mailSender: values['--mail-sender'] ?? null,
      assign: { approvers: splitList(values['--assign-approvers']), auditors: splitList(values['--assign-auditors']), admins: splitList(values['--assign-admins']) },
      prune: switches.has('--prune'),
      dryRun: switches.has('--dry-run'),
      clientId: values['--client-id']?.toLowerCase() ?? DEFAULT_ADMIN_CLIENT_ID,
      signIn,
    },
  };
}

export interface SetupSettings extends Omit<SetupArgs, 'tenantId' | 'portalUrl' | 'authorityHost' | 'graphBaseUrl' | 'mailSender'> {
  tenantId: string;
  portalUrl: string;
  authorityHost: string;
  graphBaseUrl: string;
  mailSender: string | null;
}

/**
 * The arguments completed from the existing `.env` values, then the defaults. Returns a message
 * instead when the tenant or the portal URL is still unknown.
 */
export function resolveSettings(args: SetupArgs, envFile: Readonly<Record<string, string>>): SetupSettings | { error: string } {
  const fromEnv = (key: string): string | null => {
    const value = envFile[key]?.trim();
    return value === undefined || value === '' ? null : value.replace(/\/+$/, '');
  };
  const tenantId = args.tenantId ?? fromEnv('ENTRA_TENANT_ID')?.toLowerCase() ?? null;
  if (tenantId === null || !GUID.test(tenantId)) return { error: `--tenant-id is required (no ENTRA_TENANT_ID in ${args.envFile})` };
  const portalUrl = args.portalUrl ?? fromEnv('PORTAL_URL');
  if (portalUrl === null) return { error: `--portal-url is required (no PORTAL_URL in ${args.envFile})` };
  return {
    ...args,
    tenantId,
    portalUrl,
    authorityHost: args.authorityHost ?? fromEnv('ENTRA_AUTHORITY_HOST') ?? DEFAULT_AUTHORITY_HOST,
    graphBaseUrl: args.graphBaseUrl ?? fromEnv('GRAPH_BASE_URL') ?? DEFAULT_GRAPH_BASE_URL,
    mailSender: args.mailSender ?? fromEnv('MAIL_SENDER'),
  };
}
