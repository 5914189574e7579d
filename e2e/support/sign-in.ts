import { expect, type Page } from '@playwright/test';
import { portalUrl, tenantUrl } from './env';
import type { SeedUser } from './seed';

/**
 * Signs in through the real MSAL redirect flow: the portal's "Sign in" sends the browser to the
 * local tenant's authorize page, where the user types their credentials, and back.
 */
export async function signIn(page: Page, user: Pick<SeedUser, 'userPrincipalName' | 'password'>): Promise<void> {
  await page.goto(portalUrl);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === new URL(tenantUrl).origin);
  await page.getByLabel(/user ?name|email/i).fill(user.userPrincipalName);
  await page.getByLabel(/password/i).fill(user.password);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.waitForURL((url) => url.origin === new URL(portalUrl).origin);
  await expect(page.getByTestId('me-upn')).toHaveText(user.userPrincipalName, { ignoreCase: true });
}
