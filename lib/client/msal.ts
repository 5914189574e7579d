import {
  AuthError,
  BrowserCacheLocation,
  CacheLookupPolicy,
  EventType,
  InteractionRequiredAuthError,
  PublicClientApplication,
  type AccountInfo,
  type AuthenticationResult,
  type IPublicClientApplication,
} from '@azure/msal-browser';
import type { PortalConfig } from '@/lib/client/portal-config';

/**
 * Builds the MSAL instance from the runtime configuration. Browser only: callers reach this
 * module through a component that is never rendered on the server.
 *
 * `redirectUri` is the bare origin, the value app registrations carry ("http://localhost:3000"
 * in the local tenant's seed); MSAL's redirect flow handles the response on the page itself and,
 * with `navigateToLoginRequestUrl` (the v5 default of `handleRedirectPromise`), returns the user
 * to the page where sign-in started.
 */
export function createMsalInstance(config: PortalConfig, authorityMetadata: string | null): PublicClientApplication {
  if (typeof window === 'undefined') throw new Error('MSAL runs in the browser only.');
  const origin = window.location.origin;
  const instance = new PublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      // Without its host here MSAL would ask login.microsoftonline.com to vouch for a non-Microsoft
      // authority (instance discovery) and fail with untrusted_authority.
      knownAuthorities: config.knownAuthorities,
      ...(authorityMetadata === null ? {} : { authorityMetadata }),
      redirectUri: origin,
      postLogoutRedirectUri: origin,
    },
    // sessionStorage: tokens die with the tab and are not shared with other tabs.
    cache: { cacheLocation: BrowserCacheLocation.SessionStorage },
  });
  instance.addEventCallback(
    (message) => {
      const payload = message.payload as AuthenticationResult | null;
      if (payload?.account) instance.setActiveAccount(payload.account);
    },
    [EventType.LOGIN_SUCCESS, EventType.ACQUIRE_TOKEN_SUCCESS],
  );
  return instance;
}

/** The signed-in account: the active one, else the only one in this tab's cache. */
export function getSignedInAccount(instance: IPublicClientApplication): AccountInfo | null {
  return instance.getActiveAccount() ?? instance.getAllAccounts()[0] ?? null;
}

/** Thrown while the page navigates away to renew the session interactively. */
export class InteractionRedirectingError extends Error {
  constructor(message = 'Your session has expired; taking you to sign in again.') {
    super(message);
    this.name = 'InteractionRedirectingError';
  }
}

/**
 * An access token for the portal API. Renews silently with the refresh token; when that is not
 * possible the user goes through the sign-in redirect again.
 *
 * The lookup stops at the refresh token on purpose: the next step, MSAL's hidden-iframe renewal,
 * would load our redirect page in a frame, which the portal forbids (`X-Frame-Options: DENY`) and
 * which v5 only completes through a redirect bridge page; it would time out after seconds of
 * waiting instead of asking for interaction.
 */
export async function getApiAccessToken(instance: IPublicClientApplication, scopes: string[]): Promise<string> {
  const account = getSignedInAccount(instance);
  if (account === null) {
    await instance.acquireTokenRedirect({ scopes });
    throw new InteractionRedirectingError();
  }
  try {
    const result = await instance.acquireTokenSilent({
      scopes,
      account,
      cacheLookupPolicy: CacheLookupPolicy.AccessTokenAndRefreshToken,
    });
    return result.accessToken;
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) {
      await instance.acquireTokenRedirect({ scopes, account });
      throw new InteractionRedirectingError();
    }
    throw error;
  }
}

/**
 * Sends the user to the sign-in service to satisfy a claims challenge (the second factor of an
 * authentication context), keeping their account. Resolves only if the navigation does not happen.
 */
export async function redirectForStepUp(instance: IPublicClientApplication, scopes: string[], claims: string): Promise<void> {
  const account = getSignedInAccount(instance);
  await instance.acquireTokenRedirect({ scopes, claims, ...(account === null ? {} : { account }) });
}

/**
 * The access token the step-up redirect brought back, from MSAL's cache, where the redirect stored
 * it in place of the older one. Not a silent request with `claims`: MSAL would skip the cache and
 * redeem the refresh token, which a context whose sign-in frequency is "Every time" never
 * satisfies. Whether the token proves what the API asked is the API's to say; a failure here
 * (`InteractionRequiredAuthError` and the like) means the step-up did not complete, and the caller
 * reports that rather than redirecting again.
 */
export async function getStepUpAccessToken(instance: IPublicClientApplication, scopes: string[]): Promise<string> {
  const account = getSignedInAccount(instance);
  if (account === null) throw new InteractionRequiredAuthError('no_account', 'No signed-in account to step up.');
  const result = await instance.acquireTokenSilent({ scopes, account, cacheLookupPolicy: CacheLookupPolicy.AccessTokenAndRefreshToken });
  return result.accessToken;
}

/** The sign-in service's own words for a failed interaction (AADSTS message), for display. */
export function describeAuthError(error: unknown): string {
  if (error instanceof AuthError) return error.errorMessage || error.errorCode || 'Sign-in did not complete.';
  if (error instanceof Error && error.message !== '') return error.message;
  return 'Sign-in did not complete.';
}
