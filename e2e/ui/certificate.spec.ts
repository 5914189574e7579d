import { chromium, expect, test } from '@playwright/test';
import { chromiumArgs, chromiumExecutable } from '../support/chromium';
import { portalUrl, tenantUrl } from '../support/env';

test('a browser that does not trust the local tenant yet gets one link and one sentence', async () => {
  // A browser of its own, without the flag that trusts the tenant's certificate: a newcomer's.
  const browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    await page.goto(portalUrl);
    const link = page.getByRole('link', { name: 'Open the local sign-in service' });
    await expect(link).toBeVisible();
    const href = new URL((await link.getAttribute('href'))!);
    expect(href.origin).toBe(new URL(tenantUrl).origin);
    expect(new URL(href.searchParams.get('return')!).origin).toBe(new URL(portalUrl).origin);
    await expect(page.getByText(/certificate/i).first()).toBeVisible();
    await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
    // Nothing can be signed into until the tenant is reachable.
    await expect(page.getByRole('button', { name: 'Sign in' })).toHaveCount(0);
  } finally {
    await browser.close();
  }
});
