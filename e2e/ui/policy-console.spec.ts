/**
 * The policy console, the approver's "Decided" history and tracking after issuance, in Chromium
 * as each role, against the real stack. Stable selectors: test ids `policy-form`, `tenant-policy`,
 * `policy-preview`, `policy-preview-summary`, `policy-save`, `policy-saved`, `policy-history`,
 * `policy-version` (`data-version`), `policy-change` (`data-field`); `approval-history`,
 * `decided-row` (`data-request-id`, `data-decision`), `decided-comment`; `pass-state`
 * (`data-state`), `issued-passes`, `issued-pass-row` (`data-request-id`).
 *
 * Targets used only here: rachel.kim and miriam.graham (direct reports of isaiah.langer), and
 * adele.vance's request by megan.bowen (an indirect report: waits for an approver).
 */
import { expect, test, type Page } from '@playwright/test';
import { createTapRequest, getTapRequest, issueTapOk, signInWithPass } from '../support/portal-api';
import { editablePolicy, getPolicySettings, POLICY_ADMIN as ADMIN, savePolicy } from '../support/policy-api';
import { loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';

const seed = loadSeed();

async function goTo(page: Page, section: string): Promise<void> {
  await page.getByRole('link', { name: section, exact: true }).filter({ visible: true }).first().click();
}

test('an admin edits the policy beside the tenant bounds, previews it, saves a new version and sees it in the history', async ({ page, request }) => {
  const before = await getPolicySettings(request);
  const validity = Number(before.approvalValidityMinutes);
  const changed = validity === 1440 ? 720 : 1440;
  try {
    await signIn(page, userByUpn(seed, ADMIN));
    await goTo(page, 'Policy');
    await expect(page.getByRole('heading', { name: 'Policy', level: 2 })).toBeVisible();
    await expect(page.getByTestId('tenant-policy')).toContainText('Enabled');
    const form = page.getByTestId('policy-form');
    await expect(form.getByTestId('policy-save')).toBeDisabled(); // nothing changed yet

    // Outside the tenant's TAP policy: said at once, beside the field, in hours.
    const maxLifetime = form.getByLabel('Maximum lifetime', { exact: true });
    await expect(form.getByLabel('Maximum lifetime unit')).toHaveValue('hours');
    const originalMax = await maxLifetime.inputValue();
    await maxLifetime.fill('100000');
    await form.getByTestId('policy-save').click();
    await expect(maxLifetime).toHaveAttribute('aria-invalid', 'true');
    await maxLifetime.fill(originalMax);
    await expect(maxLifetime).toHaveAttribute('aria-invalid', 'false');

    await form.getByLabel('Approval valid for', { exact: true }).fill(String(changed / 60));
    await form.getByRole('button', { name: 'Preview the effect' }).click();
    // Judged over the whole organisation, though the demo admin manages nobody.
    await expect(page.getByTestId('policy-preview-summary')).toContainText('organisation');
    await expect(page.getByTestId('policy-preview').getByRole('row', { name: /Eligible people/ })).toBeVisible();

    await form.getByTestId('policy-save').click();
    const dialog = page.getByTestId('policy-change-dialog');
    await expect(dialog.locator('[data-testid="policy-change"][data-field="approvalValidityMinutes"]')).toContainText(changed === 720 ? '12 hours' : '1 day');
    await dialog.getByLabel('Reason for the change').fill('Approvals last as long as a working day');
    await dialog.getByTestId('policy-change-confirm').click();
    await expect(page.getByTestId('policy-saved')).toHaveText(`Saved. Version ${before.version + 1} is now in force.`);
    const newest = page.getByTestId('policy-version').first();
    await expect(newest).toHaveAttribute('data-version', String(before.version + 1));
    await expect(newest).toContainText('by you');
    await expect(newest.getByTestId('policy-change')).toHaveAttribute('data-field', 'approvalValidityMinutes');
    expect((await getPolicySettings(request)).approvalValidityMinutes).toBe(changed);
  } finally {
    await savePolicy(request, editablePolicy(before));
  }
});

test('an approver sees what was decided below the queue: decision, by whom, and the reason', async ({ page, request }) => {
  const pending = await createTapRequest(request, 'megan.bowen@contoso.test', 'adele.vance@contoso.test');
  expect(pending.status).toBe('pending_approval');
  const reason = `Not without a ticket (${pending.id.slice(0, 8)})`;

  await signIn(page, userByUpn(seed, 'kim.akers@contoso.test'));
  await goTo(page, 'Approvals');
  const row = page.locator(`[data-testid="pending-row"][data-request-id="${pending.id}"]`);
  await row.getByLabel('Comment or reason').fill(reason);
  await row.getByRole('button', { name: 'Deny' }).click();
  await expect(row).toHaveCount(0);

  const decided = page.locator(`[data-testid="decided-row"][data-request-id="${pending.id}"]`);
  await expect(decided).toHaveAttribute('data-decision', 'denied');
  await expect(decided).toContainText('Denied by you');
  await expect(decided.getByTestId('decided-comment')).toContainText(reason);
  await page.getByTestId('approval-history').getByLabel('Show').selectOption('approved');
  await expect(decided).toHaveCount(0);
});

test('a manager sees an issued pass turn from usable to used; an admin revokes an unused one from the list of issued passes', async ({ page, request, browser }) => {
  const manager = 'isaiah.langer@contoso.test';
  const usedOne = await createTapRequest(request, manager, 'rachel.kim@contoso.test');
  const pass = await issueTapOk(request, manager, usedOne.id);
  const unused = await createTapRequest(request, manager, 'miriam.graham@contoso.test');
  await issueTapOk(request, manager, unused.id);

  await signIn(page, userByUpn(seed, manager));
  await goTo(page, 'My requests');
  const usedRow = page.locator(`[data-testid="request-row"][data-request-id="${usedOne.id}"]`);
  await expect(usedRow.getByTestId('pass-state')).toHaveAttribute('data-state', 'usable');
  await expect(usedRow.getByRole('button', { name: 'Revoke' })).toBeVisible();

  expect((await signInWithPass('rachel.kim@contoso.test', pass.temporaryAccessPass)).status).toBe(200);
  await page.getByRole('button', { name: 'Refresh' }).first().click();
  await expect(usedRow.getByTestId('pass-state')).toHaveAttribute('data-state', 'used');
  await expect(usedRow.getByRole('button', { name: 'Revoke' })).toHaveCount(0);

  const adminContext = await browser.newContext();
  try {
    const admin = await adminContext.newPage();
    await signIn(admin, userByUpn(seed, ADMIN));
    await goTo(admin, 'My requests');
    const issued = admin.getByTestId('issued-passes');
    const row = issued.locator(`[data-testid="issued-pass-row"][data-request-id="${unused.id}"]`);
    await expect(row.getByTestId('pass-state')).toHaveAttribute('data-state', 'usable');
    // The used pass signs nobody in any more, so the default view leaves it out.
    await expect(issued.locator(`[data-request-id="${usedOne.id}"]`)).toHaveCount(0);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await admin.getByTestId('confirm-revoke').getByRole('button', { name: 'Revoke pass' }).click();
    await expect(issued.getByRole('status')).toContainText('is revoked');
    await expect(row).toHaveCount(0);
  } finally {
    await adminContext.close();
  }
  expect((await getTapRequest(request, manager, unused.id)).status).toBe('revoked');
});
