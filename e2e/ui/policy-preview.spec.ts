/**
 * The policy console's organisation-wide preview, the change summary with its required reason,
 * and restoring an earlier version — in Chromium as the demo admin (cameron.white, who manages
 * nobody), at desktop and phone widths, with axe on each view. Stable selectors: test ids
 * `policy-preview-summary`, `policy-preview-counts`, `policy-preview-list` (`data-kind`,
 * `data-total`), `policy-change-dialog`, `policy-change-reason`, `policy-change-confirm`,
 * `policy-version` (`data-version`), `policy-version-reason`, `policy-version-restored-from`.
 *
 * Every version this spec saves is undone at the end by saving the settings it found.
 */
import { expect, test, type Page } from '@playwright/test';
import { findAxeViolations, formatAxeViolations } from '../support/axe';
import { editablePolicy, getPolicySettings, POLICY_ADMIN as ADMIN, savePolicy } from '../support/policy-api';
import { loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';

const seed = loadSeed();

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

async function expectAxeClean(page: Page, what: string): Promise<void> {
  const violations = await findAxeViolations(page);
  expect(violations, `${what}:\n${formatAxeViolations(violations)}`).toEqual([]);
}

async function openPolicy(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Policy', exact: true }).filter({ visible: true }).first().click();
  await expect(page.getByTestId('policy-form')).toBeVisible();
}

for (const viewport of VIEWPORTS) {
  test(`${viewport.name}: an admin who manages nobody previews a draft against the whole organisation, in hours`, async ({ page, request }) => {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    const before = await getPolicySettings(request);
    const approval = before.requireApproval === 'always' ? 'never' : 'always';
    await signIn(page, userByUpn(seed, ADMIN));
    await openPolicy(page);
    const form = page.getByTestId('policy-form');

    // Lifetimes read as hours, like the request dialog; the tenant card too.
    await expect(form.getByLabel('Default lifetime unit')).toHaveValue(before.defaultLifetimeInMinutes % 60 === 0 ? 'hours' : 'minutes');
    await expect(page.getByTestId('tenant-policy')).toContainText(/hour/);

    await form.getByRole('radio', { name: approval === 'always' ? /Always/ : /Never/ }).check();
    await form.getByRole('button', { name: 'Preview the effect' }).click();
    const summary = page.getByTestId('policy-preview-summary');
    await expect(summary).toContainText('Across the organisation');
    const counts = page.getByTestId('policy-preview-counts');
    const eligibleNow = Number(await counts.locator('[data-row="eligible"] td').first().innerText());
    expect(eligibleNow, 'the whole organisation is counted, not the admin’s (empty) team').toBeGreaterThan(10);

    // Bianca Pisani's direct report Lee Gu: approved at once under "indirect reports", held under "always".
    const kind = approval === 'always' ? 'now-need-approval' : 'no-longer-need-approval';
    const list = page.locator(`[data-testid="policy-preview-list"][data-kind="${kind}"]`);
    expect(Number(await list.getAttribute('data-total'))).toBeGreaterThan(0);
    await list.locator('summary').click();
    if (approval === 'always' && before.requireApproval === 'indirect-only') {
      await expect(list.getByTestId('policy-preview-pair').filter({ hasText: 'Lee Gu' }).filter({ hasText: 'for Bianca Pisani (direct)' })).toBeVisible();
    }
    await expectAxeClean(page, `preview at ${viewport.name}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect((await getPolicySettings(request)).version, 'a preview saves nothing').toBe(before.version);
  });
}

for (const viewport of VIEWPORTS) {
  test(`${viewport.name}: saving needs a reason, the history shows it, and restoring an earlier version saves its settings as a new version`, async ({ page, request }) => {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    const before = await getPolicySettings(request);
    const validity = before.approvalValidityMinutes === 120 ? 180 : 120;
    try {
      await signIn(page, userByUpn(seed, ADMIN));
      await openPolicy(page);
      const form = page.getByTestId('policy-form');
      await form.getByLabel('Approval valid for', { exact: true }).fill(String(validity / 60));
      await form.getByLabel('Approval valid for unit').selectOption('hours');
      await form.getByTestId('policy-save').click();

      // The summary, field by field in hours; confirming without a reason is refused beside the field.
      const dialog = page.getByTestId('policy-change-dialog');
      await expect(dialog.locator('[data-testid="policy-change"][data-field="approvalValidityMinutes"]')).toContainText(`${validity / 60} hours`);
      await dialog.getByTestId('policy-change-confirm').click();
      await expect(dialog.getByText('Say why the policy changes.')).toBeVisible();
      await expect(dialog.getByTestId('policy-change-reason')).toHaveAttribute('aria-invalid', 'true');
      expect((await getPolicySettings(request)).version).toBe(before.version);
      await expectAxeClean(page, `change summary at ${viewport.name}`);
      await dialog.getByLabel('Reason for the change').fill('Shorter approvals for the e2e check');
      await dialog.getByTestId('policy-change-confirm').click();
      await expect(page.getByTestId('policy-saved')).toHaveText(`Saved. Version ${before.version + 1} is now in force.`);
      const saved = page.locator(`[data-testid="policy-version"][data-version="${before.version + 1}"]`);
      await expect(saved.getByTestId('policy-version-reason')).toHaveText('Reason: Shorter approvals for the e2e check');
      expect((await getPolicySettings(request)).approvalValidityMinutes).toBe(validity);

      // Restore the version found at the start: a new version with its settings, and the reason.
      await page.getByRole('button', { name: `Restore version ${before.version}` }).click();
      await expect(dialog.locator('[data-testid="policy-change"][data-field="approvalValidityMinutes"]')).toBeVisible();
      await dialog.getByLabel('Reason for the change').fill('Back to what was in force');
      await dialog.getByTestId('policy-change-confirm').click();
      await expect(page.getByTestId('policy-saved')).toHaveText(`Saved. Version ${before.version + 2} is now in force.`);
      const restored = page.locator(`[data-testid="policy-version"][data-version="${before.version + 2}"]`);
      await expect(restored.getByTestId('policy-version-restored-from')).toHaveText(`Restores the settings of version ${before.version}.`);
      await expect(restored.getByTestId('policy-version-reason')).toHaveText('Reason: Back to what was in force');
      const after = await getPolicySettings(request);
      expect(after.version).toBe(before.version + 2);
      expect(editablePolicy(after)).toEqual(editablePolicy(before));
      await expectAxeClean(page, `history after a restore at ${viewport.name}`);
    } finally {
      await savePolicy(request, editablePolicy(before));
    }
  });
}
