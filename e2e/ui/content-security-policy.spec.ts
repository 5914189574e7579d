import { expect, test } from '@playwright/test';
import { portalUrl, tenantUrl } from '../support/env';
import { findManagerWithIndirectReports, loadSeed } from '../support/seed';
import { signIn } from '../support/sign-in';

/**
 * Every page carries a nonce-based Content-Security-Policy and the other browser-hardening
 * headers, and the real MSAL sign-in works under it with no violation reported by Chromium.
 */

const seed = loadSeed();
const PAGES = ['/', '/requests', '/approvals', '/audit', '/dashboard', '/policy'];

test("every page has a fresh nonce-based policy, never framed, and Next’s scripts carry the nonce", async ({ request }) => {
  const nonces = new Set<string>();
  for (const path of PAGES) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(200);
    const policy = res.headers()['content-security-policy'] ?? '';
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
    expect(nonce, `${path}: ${policy}`).toBeDefined();
    nonces.add(nonce!);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain(`connect-src 'self' ${new URL(tenantUrl).origin}`);
    expect(res.headers()['permissions-policy']).toContain('camera=()');
    expect(res.headers()['cross-origin-opener-policy']).toBe('same-origin');
    // Every script element of the page is allowed by this response's nonce, none by luck.
    const scripts = [...(await res.text()).matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length, path).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
  }
  expect(nonces.size).toBe(PAGES.length);

  // The API's answers are JSON: no page policy there, but they are never framed either.
  const api = await request.get('/api/config');
  expect(api.headers()['x-frame-options']).toBe('DENY');
});

test('a manager signs in through MSAL under the policy, and Chromium reports no violation', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`));
  });
  await signIn(page, findManagerWithIndirectReports(seed));
  await expect(page.getByRole('heading', { name: 'Your team' })).toBeVisible();
  await page.goto(new URL('/requests', portalUrl).toString());
  await expect(page.getByTestId('me-upn')).toBeVisible();
  expect(violations).toEqual([]);
});
