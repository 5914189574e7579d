/**
 * Signs the administrator in for setup:entra with msal-node's PublicClientApplication (by
 * default Microsoft Graph Command Line Tools, a public client every tenant has): a device code
 * (msal's message printed), the browser (`--browser`), or, for unattended runs, the password
 * grant with the password from SETUP_ENTRA_PASSWORD or standard input. The password and the
 * tokens are never printed or logged.
 */
import { spawn } from 'node:child_process';
import { LogLevel, PublicClientApplication, type AccountInfo, type AuthenticationResult } from '@azure/msal-node';
import { PASSWORD_ENV_VAR, type SetupSettings } from '@/scripts/lib/setup-entra/options';

/** Delegated Graph permissions the setup needs (consent is Microsoft's for the first-party client). */
export const ADMIN_GRAPH_SCOPES = ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All', 'User.Read.All'] as const;

/** Refresh this long before the token expires. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export interface SignInIo {
  print: (line: string) => void;
  env: NodeJS.ProcessEnv;
  readStdin: () => Promise<string>;
}

export interface AdminSession {
  /** The signed-in account's user principal name, for the transcript. */
  username: string;
  getToken: () => Promise<string>;
}

function openBrowser(url: string, print: (line: string) => void): Promise<void> {
  print(`Opening the browser to sign in. If it does not open, visit:\n  ${url}`);
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(command, [url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  } catch {
    // The URL is printed; opening it by hand is the fallback.
  }
  return Promise.resolve();
}

async function readPassword(settings: SetupSettings, io: SignInIo): Promise<string> {
  const method = settings.signIn;
  if (method.kind !== 'password') throw new Error('not a password sign-in');
  const raw = method.passwordFrom === 'stdin' ? await io.readStdin() : (io.env[PASSWORD_ENV_VAR] ?? '');
  const password = raw.replace(/\r?\n$/, '');
  if (password === '') {
    throw new Error(method.passwordFrom === 'stdin' ? 'no password on standard input' : `${PASSWORD_ENV_VAR} is not set (or use --password-stdin)`);
  }
  return password;
}

/** Signs in as `settings.signIn` says and returns a token source that refreshes silently. */
export async function signInAdministrator(settings: SetupSettings, io: SignInIo): Promise<AdminSession> {
  const app = new PublicClientApplication({
    auth: {
      clientId: settings.clientId,
      authority: `${settings.authorityHost}/${settings.tenantId}`,
      // A host other than Microsoft's (the local tenant) must be listed, or msal-node asks
      // login.microsoftonline.com for instance discovery and refuses the authority.
      knownAuthorities: [new URL(settings.authorityHost).host],
    },
    system: {
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Error,
        loggerCallback: (_level, message, containsPii) => {
          if (!containsPii) process.stderr.write(`msal: ${message}\n`);
        },
      },
    },
  });
  // Bare permission names: Entra reads a scope without a resource as Microsoft Graph's, whatever
  // host Graph is called at (a national cloud, or the local tenant, which gives delegated Graph
  // scopes only under Graph's own names and never under its own origin).
  const scopes = [...ADMIN_GRAPH_SCOPES];
  const method = settings.signIn;
  let result: AuthenticationResult | null;
  if (method.kind === 'password') {
    result = await app.acquireTokenByUsernamePassword({ scopes, username: method.username, password: await readPassword(settings, io) });
  } else if (method.kind === 'browser') {
    result = await app.acquireTokenInteractive({ scopes, openBrowser: (url) => openBrowser(url, io.print) });
  } else {
    result = await app.acquireTokenByDeviceCode({ scopes, deviceCodeCallback: (response) => io.print(response.message) });
  }
  if (result === null || result.account === null) throw new Error('the sign-in returned no token');
  let current: AuthenticationResult = result;
  const account: AccountInfo = result.account;
  return {
    username: account.username,
    async getToken() {
      const expiresOn = current.expiresOn?.getTime() ?? 0;
      if (expiresOn - Date.now() < REFRESH_MARGIN_MS) current = await app.acquireTokenSilent({ account, scopes });
      return current.accessToken;
    },
  };
}
