/**
 * Every role lands where its work is: an approver without reports on Approvals with the waiting
 * count, an auditor on the audit trail, an admin on the dashboard's "Needs your attention", someone
 * with neither reports nor a role on how to get a pass (their manager and the helpdesk). Also: the
 * tab row on a phone keeps every tab reachable, and a new hire's request dialog keeps Submit in view
 * at 1280×800. axe runs on each new view.
 *
 * Pending requests made here are megan.bowen's for johanna.lorenz (four levels down: they wait), and
 * are decided before the test ends.
 */
import { expect, test, type Page } from '@playwright/test';
import { dashboardStatsSchema } from '../../lib/contract/dashboard';
import { findAxeViolations, formatAxeViolations } from '../support/axe';
import { asUser, createTapRequest, listTapRequests, parseAnswer } from '../support/portal-api';
import { findUserWithoutReports, loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';

const seed = loadSeed();
const APPROVER = 'kim.akers@contoso.test';
const AUDITOR = 'henrietta.mueller@contoso.test';
const ADMIN = 'cameron.white@contoso.test';

async function expectAxeClean(page: Page, where: string): Promise<void> {
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  const violations = await findAxeViolations(page, { minImpact: 'serious' });
  expect(violations, `${where}\n${formatAxeViolations(violations)}`).toEqual([]);
}

function approvalsTab(page: Page) {
  return page.getByRole('navigation', { name: 'Portal sections' }).getByRole('link', { name: 'Approvals', exact: true });
}

async function waitingForApprover(page: Page, upn: string): Promise<number> {
  return (await listTapRequests(page.request, upn, 'pending')).filter((r) => r.status === 'pending_approval').length;
}

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

for (const viewport of VIEWPORTS) {
  test.describe(`at ${viewport.name} width`, () => {
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    test(`an approver without reports lands on Approvals, whose tab counts what waits and follows a decision`, async ({ page, request }) => {
      const first = await createTapRequest(request, 'megan.bowen@contoso.test', 'johanna.lorenz@contoso.test');
      const second = await createTapRequest(request, 'megan.bowen@contoso.test', 'johanna.lorenz@contoso.test');
      expect([first.status, second.status]).toEqual(['pending_approval', 'pending_approval']);
      try {
        const waiting = await waitingForApprover(page, APPROVER);
        expect(waiting).toBeGreaterThanOrEqual(2);

        await signIn(page, userByUpn(seed, APPROVER));
        await expect(page).toHaveURL(/\/approvals$/);
        await expect(page.getByRole('heading', { name: 'Approvals', level: 2 })).toBeVisible();
        await expect(approvalsTab(page)).toHaveAttribute('aria-current', 'page');
        await expect(approvalsTab(page)).toHaveAccessibleDescription(`${waiting} waiting`);
        await expect(page.getByTestId('approvals-waiting')).toBeVisible();
        await expectAxeClean(page, `approvals landing (${viewport.name})`);

        // Deciding one in the portal brings the count down at once.
        const row = page.locator(`[data-testid="pending-row"][data-request-id="${first.id}"]`);
        await expect(row.getByTestId('pending-evaluation')).toHaveAttribute('data-approvable', 'true');
        await row.getByRole('button', { name: 'Approve' }).click();
        await expect(row).toHaveCount(0);
        await expect(approvalsTab(page)).toHaveAccessibleDescription(`${waiting - 1} waiting`);
      } finally {
        // Leave nothing waiting for the specs after this one.
        for (const { id } of [first, second]) {
          const current = (await listTapRequests(request, 'megan.bowen@contoso.test')).find((r) => r.id === id);
          if (current?.status === 'pending_approval') {
            const res = await asUser(request, ADMIN).post(`/api/tap-requests/${id}/deny`, { reason: 'Landing spec clean-up.' });
            expect(res.status()).toBe(200);
          }
        }
      }
    });

    test(`an auditor without reports lands on the audit trail`, async ({ page }) => {
      await signIn(page, userByUpn(seed, AUDITOR));
      await expect(page).toHaveURL(/\/audit$/);
      await expect(page.getByRole('heading', { name: 'Audit trail' })).toBeVisible();
      // The Team tab still shows a team page on request: nobody reports to them, so the help page.
      await page.getByRole('navigation', { name: 'Portal sections' }).getByRole('link', { name: 'Team', exact: true }).click();
      await expect(page.getByTestId('get-a-pass-help')).toBeVisible();
      await expect(page).toHaveURL(/\/\?view=team$/);
    });

    test(`an admin lands on the dashboard, on what needs them`, async ({ page, request }) => {
      await signIn(page, userByUpn(seed, ADMIN));
      await expect(page).toHaveURL(/\/dashboard$/);
      const panel = page.getByTestId('attention-panel');
      await expect(panel.getByRole('heading', { name: 'Needs your attention' })).toBeVisible();
      const stats = await parseAnswer(await asUser(request, ADMIN).get('/api/dashboard'), dashboardStatsSchema);
      await expect(panel.getByTestId('attention-approvals')).toHaveAttribute('data-value', String(stats.approvalsWaiting.count));
      await expect(panel.getByTestId('attention-failed')).toHaveAttribute('data-value', String(stats.attention.failedIssuances));
      await expect(panel.getByTestId('attention-mail')).toHaveAttribute('data-value', String(stats.attention.failedNotifications));
      await expect(panel.getByTestId('audit-verify')).toHaveAttribute('data-state', 'ok');
      await expectAxeClean(page, `admin attention view (${viewport.name})`);
    });
  });
}

test.describe('at desktop width', () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test("a new hire's request dialog keeps Submit in view at 1280×800", async ({ page }) => {
    await signIn(page, userByUpn(seed, 'lee.gu@contoso.test'));
    await page.getByRole('searchbox').fill('Sam Taylor');
    const button = page.getByRole('button', { name: 'Request pass' }).filter({ visible: true });
    await expect(button).toHaveCount(1);
    await button.click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Submit request' })).toBeInViewport({ ratio: 1 });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    // Focus is back where the manager left off.
    await expect(button).toBeFocused();
  });
});

for (const viewport of VIEWPORTS) {
  test(`someone with no reports and no role sees how to get a pass (${viewport.name})`, async ({ page }) => {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    const loner = findUserWithoutReports(seed);
    const manager = userByUpn(seed, loner.manager!);
    await signIn(page, loner);
    const help = page.getByTestId('get-a-pass-help');
    await expect(help.getByRole('heading', { name: 'Getting a pass' })).toBeVisible();
    await expect(help.getByTestId('help-manager')).toContainText(manager.displayName);
    await expect(help.getByTestId('help-manager')).toContainText(manager.userPrincipalName, { ignoreCase: true });
    await expect(help.getByRole('link', { name: 'helpdesk@contoso.test' })).toHaveAttribute('href', 'mailto:helpdesk@contoso.test');
    await expectAxeClean(page, `help page (${viewport.name})`);
  });
}

test.describe('at phone width', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('every tab is reachable: the row scrolls, shows where tabs hide, and keeps the current one in view', async ({ page }) => {
    await signIn(page, userByUpn(seed, ADMIN));
    await expect(page).toHaveURL(/\/dashboard$/);
    const nav = page.getByRole('navigation', { name: 'Portal sections' });
    const links = nav.getByRole('link');
    const names = await links.allInnerTexts();
    expect(names.length).toBeGreaterThanOrEqual(6);
    await expect(nav.locator('[aria-current="page"]')).toBeInViewport({ ratio: 1 });
    // Six tabs do not fit in 390 px: a hint marks the side where some hide.
    const overflows = await nav.locator('ul').evaluate((ul) => ul.scrollWidth > ul.clientWidth);
    expect(overflows).toBe(true);
    await expect(page.getByTestId('nav-more-end').or(page.getByTestId('nav-more-start')).first()).toBeVisible();

    // The last tab: scrolled into view when it becomes current.
    const last = links.last();
    await page.goto(await last.evaluate((a) => (a as HTMLAnchorElement).href));
    await expect(nav.locator('[aria-current="page"]')).toBeInViewport({ ratio: 1 });
    await expect(page.getByTestId('nav-more-start')).toBeVisible();
    // Every tab can be brought into view and used.
    for (let i = 0; i < names.length; i += 1) {
      await links.nth(i).evaluate((link) => link.scrollIntoView({ block: 'nearest', inline: 'center' }));
      await expect(links.nth(i)).toBeInViewport({ ratio: 1 });
    }
    await expectAxeClean(page, 'phone tab row');
  });
});
