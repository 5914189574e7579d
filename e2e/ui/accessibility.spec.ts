/**
 * axe-core on every page of the portal, for every role, at desktop and at phone width: the run
 * fails on any serious or critical violation (WCAG 2.2 A/AA rules and axe's best practices).
 * Pages are reached through the portal's own navigation, so a section a role can see is a section
 * that gets checked, including consoles added later.
 */
import { expect, test, type Page } from '@playwright/test';
import { findAxeViolations, formatAxeViolations } from '../support/axe';
import { asUser, JUSTIFICATION } from '../support/portal-api';
import { portalUrl } from '../support/env';
import { loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';

const seed = loadSeed();

const ROLES = [
  { role: 'manager', upn: 'alex.wilber@contoso.test', expected: ['/', '/requests'] },
  { role: 'approver', upn: 'kim.akers@contoso.test', expected: ['/', '/requests', '/approvals'] },
  { role: 'auditor', upn: 'henrietta.mueller@contoso.test', expected: ['/', '/requests', '/dashboard', '/audit'] },
  { role: 'admin', upn: 'cameron.white@contoso.test', expected: ['/', '/requests', '/approvals', '/dashboard', '/audit'] },
] as const;

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** Waits until the page has finished loading its data (no skeletons, no "busy" regions). */
async function settle(page: Page): Promise<void> {
  await expect(page.getByTestId('me-upn')).toBeVisible();
  await expect(page.locator('main h2').first()).toBeVisible();
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
}

async function expectNoSeriousViolations(page: Page, where: string): Promise<void> {
  const violations = await findAxeViolations(page, { minImpact: 'serious' });
  expect(violations, `${where}\n${formatAxeViolations(violations)}`).toEqual([]);
}

/** The page has no horizontal scrollbar: everything fits the width (the nav row scrolls on its own). */
async function expectNoHorizontalOverflow(page: Page, where: string): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${where} is wider than the screen`).toBeLessThanOrEqual(0);
}

for (const viewport of VIEWPORTS) {
  test.describe(`at ${viewport.name} width`, () => {
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    test('the signed-out landing page', async ({ page }) => {
      await page.goto(portalUrl);
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
      await expectNoSeriousViolations(page, `landing (${viewport.name})`);
      await expectNoHorizontalOverflow(page, `landing (${viewport.name})`);
    });

    for (const { role, upn, expected } of ROLES) {
      test(`every page the ${role} reaches`, async ({ page }) => {
        await signIn(page, userByUpn(seed, upn));
        const nav = page.getByRole('navigation', { name: 'Portal sections' });
        const hrefs = await nav.getByRole('link').evaluateAll((links) => links.map((link) => new URL((link as HTMLAnchorElement).href).pathname));
        // The role's own consoles are among them (others, like a policy console, join as they are built).
        for (const path of expected) expect(hrefs).toContain(path);
        for (const path of hrefs) {
          await page.goto(new URL(path, portalUrl).toString());
          await settle(page);
          const where = `${path} as ${role} (${viewport.name})`;
          await expectNoSeriousViolations(page, where);
          await expectNoHorizontalOverflow(page, where);
        }
      });
    }

    test('the request form dialog and an opened audit event', async ({ page, browser, request }) => {
      // At least one event in the trail, whatever ran before: a refusal changes nothing else.
      const refused = await asUser(request, 'joni.sherman@contoso.test').post('/api/tap-requests', {
        targetUserId: '00000000-0000-4000-8000-0000000a11e5',
        justification: JUSTIFICATION,
      });
      expect(refused.status()).toBe(403);
      await signIn(page, userByUpn(seed, 'alex.wilber@contoso.test'));
      await settle(page);
      const row = page.getByTestId('reportee-row').filter({ visible: true }).filter({ hasText: 'bianca.pisani@contoso.test' });
      await expect(row).toHaveCount(1);
      await row.getByRole('button', { name: 'Request pass' }).click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await expectNoSeriousViolations(page, `request dialog (${viewport.name})`);

      const auditor = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      try {
        const auditPage = await auditor.newPage();
        await signIn(auditPage, userByUpn(seed, 'henrietta.mueller@contoso.test'));
        await auditPage.goto(new URL('/audit', portalUrl).toString());
        await settle(auditPage);
        const first = auditPage.getByTestId('audit-row').first();
        await first.getByRole('button', { name: /details/i }).click();
        await expect(auditPage.getByTestId('audit-detail')).toBeVisible();
        await expectNoSeriousViolations(auditPage, `audit event detail (${viewport.name})`);
        await expectNoHorizontalOverflow(auditPage, `audit event detail (${viewport.name})`);
      } finally {
        await auditor.close();
      }
    });
  });
}
