/**
 * One person, one pass: a second request for someone with a live pass warns and needs a tick;
 * once issued, the first request reads "Replaced by request …" and the audit trail names it; a
 * pending request is withdrawn (confirmed) and leaves the approvers' queue; revoking asks first.
 * At desktop and phone widths, axe-clean. Grady Archie → Christie Cline (direct) and Patti
 * Fernandez → Christie (indirect, waits for an approver); no other spec relies on Christie's pass.
 */
import { expect, test, type Page } from '@playwright/test';
import { findAxeViolations, formatAxeViolations } from '../support/axe';
import { recordIssuedPass } from '../support/issued-passes';
import { asUser, createTapRequest, getTapRequest, issueTapOk, listTapRequests, readAudit, userIdOf } from '../support/portal-api';
import { loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';

const seed = loadSeed();
const MANAGER = 'grady.archie@contoso.test';
const SKIP_LEVEL = 'patti.fernandez@contoso.test';
const TARGET = 'christie.cline@contoso.test';
const APPROVER = 'isaiah.langer@contoso.test';
const AUDITOR = 'henrietta.mueller@contoso.test';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

async function goTo(page: Page, section: 'Team' | 'My requests' | 'Audit'): Promise<void> {
  await page.getByRole('link', { name: section, exact: true }).filter({ visible: true }).first().click();
}

async function expectAxeClean(page: Page, where: string): Promise<void> {
  const violations = await findAxeViolations(page, { minImpact: 'serious' });
  expect(violations, `${where}\n${formatAxeViolations(violations)}`).toEqual([]);
}

/** Ends whatever an earlier run left open for the target, so each run starts from its own first pass. */
async function revokeLeftovers(request: Parameters<typeof listTapRequests>[0]): Promise<void> {
  const targetId = (await userIdOf(TARGET)).toLowerCase();
  for (const upn of [MANAGER, SKIP_LEVEL]) {
    for (const r of (await listTapRequests(request, upn)).filter((mine) => mine.targetUserId.toLowerCase() === targetId)) {
      if (r.status === 'issued' && r.passOutcome === undefined) await asUser(request, upn).post(`/api/tap-requests/${r.id}/revoke`);
      if (r.status === 'pending_approval' || r.status === 'approved') await asUser(request, upn).post(`/api/tap-requests/${r.id}/withdraw`);
    }
  }
}

for (const viewport of VIEWPORTS) {
  test(`${viewport.name}: a second pass warns and replaces the first, on the record; withdraw and revoke ask first`, async ({ page, request, browser }) => {
    // Three people sign in through the real redirect in one walk: more than the default minute.
    test.slow();
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    await revokeLeftovers(request);
    const manager = userByUpn(seed, MANAGER);
    const target = userByUpn(seed, TARGET);
    const first = await createTapRequest(request, MANAGER, TARGET);
    const firstPass = await issueTapOk(request, MANAGER, first.id);

    // The request form knows the live pass: it warns, and Submit waits for the tick.
    await signIn(page, manager);
    await goTo(page, 'Team');
    const row = page.getByTestId('reportee-row').filter({ visible: true }).filter({ hasText: TARGET });
    await expect(row).toHaveCount(1);
    // The team row shows the live pass before anyone opens the form.
    const passCell = row.getByTestId('reportee-pass');
    await expect(passCell).toHaveAttribute('data-pass-status', 'issued');
    await expect(passCell).toContainText('Pass active until');
    // The pass filter keeps them among the people with a live pass, and only such people.
    await page.getByLabel('Pass', { exact: true }).selectOption('active');
    await expect(row).toHaveCount(1);
    for (const shown of await page.getByTestId('reportee-row').filter({ visible: true }).all()) {
      await expect(shown.getByTestId('reportee-pass')).toHaveAttribute('data-pass-status', 'issued');
    }
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await row.getByRole('button', { name: 'Request pass' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    const warning = dialog.getByTestId('current-request-warning');
    await expect(warning).toHaveAttribute('data-status', 'issued');
    await expect(warning).toContainText(`${target.displayName} already has a pass valid until`);
    await expect(warning).toContainText('a new one replaces it');
    await dialog.getByLabel(/justification/i).fill('Second device lost as well; needs to enrol again today.');
    const submit = dialog.getByRole('button', { name: 'Submit request' });
    await expect(submit).toBeDisabled();
    await expectAxeClean(page, `${viewport.name}: request form with the replacement warning`);
    await warning.getByRole('checkbox').check();
    await expect(submit).toBeEnabled();
    await submit.click();

    // Auto-approved: it says so, rather than "submitted".
    await expect(dialog.getByRole('heading', { name: 'Approved — ready to issue' })).toBeVisible();
    await dialog.getByRole('button', { name: 'Get pass' }).click();
    const shown = page.getByTestId('tap-pass');
    await expect(shown).toBeVisible();
    const secondPass = (await shown.innerText()).trim();
    recordIssuedPass(secondPass);
    expect(secondPass).not.toBe(firstPass.temporaryAccessPass);
    await page.getByRole('button', { name: 'Done' }).click();

    // My requests: the first request tells what became of its pass.
    await goTo(page, 'My requests');
    const firstRow = page.locator(`[data-testid="request-row"][data-request-id="${first.id}"]`);
    const replaced = firstRow.getByTestId('request-replaced');
    await expect(replaced).toContainText('Replaced by request');
    const after = await getTapRequest(request, MANAGER, first.id);
    expect(after).toMatchObject({ passOutcome: 'replaced', replacedByRequestId: expect.any(String) });
    const secondId = after.replacedByRequestId!;
    await expect(replaced).toContainText(secondId.slice(0, 8));
    await expect(firstRow.getByTestId('pass-state')).toHaveAttribute('data-state', 'replaced');
    await expect(firstRow.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
    await expectAxeClean(page, `${viewport.name}: My requests with a replaced pass`);

    // The audit trail: the replacement, on the first request, and the issuance naming it.
    const events = await readAudit(request, AUDITOR, { requestId: first.id, type: 'tap.replaced' });
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ methodId: firstPass.methodId, replacedByRequestId: secondId });
    const issued = await readAudit(request, AUDITOR, { requestId: secondId, type: 'tap.issued' });
    expect(issued[0]?.data).toMatchObject({ replacedRequestId: first.id });

    // Revoke asks first; keeping the pass changes nothing.
    const secondRow = page.locator(`[data-testid="request-row"][data-request-id="${secondId}"]`);
    await secondRow.getByRole('button', { name: 'Revoke' }).click();
    const confirmRevoke = page.getByTestId('confirm-revoke');
    await expect(confirmRevoke).toBeVisible();
    await expect(confirmRevoke).toContainText(`${target.displayName} can no longer sign in with it`);
    await expectAxeClean(page, `${viewport.name}: revoke confirmation`);
    await confirmRevoke.getByRole('button', { name: 'Keep the pass' }).click();
    await expect(confirmRevoke).toHaveCount(0);
    expect((await getTapRequest(request, MANAGER, secondId)).status).toBe('issued');
    await secondRow.getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('confirm-revoke').getByRole('button', { name: 'Revoke pass' }).click();
    await expect(secondRow).toHaveAttribute('data-status', 'revoked');

    // A pending request (skip-level, so it waits for an approver) is withdrawn, after a confirmation.
    const pending = await createTapRequest(request, SKIP_LEVEL, TARGET);
    expect(pending.status).toBe('pending_approval');
    expect((await listTapRequests(request, APPROVER, 'pending')).map((r) => r.id)).toContain(pending.id);
    const skipContext = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
    try {
      const skipPage = await skipContext.newPage();
      await signIn(skipPage, userByUpn(seed, SKIP_LEVEL));
      await goTo(skipPage, 'My requests');
      const pendingRow = skipPage.locator(`[data-testid="request-row"][data-request-id="${pending.id}"]`);
      await expect(pendingRow).toHaveAttribute('data-status', 'pending_approval');
      await pendingRow.getByRole('button', { name: 'Withdraw' }).click();
      const confirmWithdraw = skipPage.getByTestId('confirm-withdraw');
      await expect(confirmWithdraw).toContainText('It leaves the approvers’ queue');
      await expectAxeClean(skipPage, `${viewport.name}: withdraw confirmation`);
      await confirmWithdraw.getByRole('button', { name: 'Withdraw request' }).click();
      await expect(pendingRow).toHaveAttribute('data-status', 'withdrawn');
      await expect(pendingRow.getByTestId('request-withdrawn')).toBeVisible();
    } finally {
      await skipContext.close();
    }
    expect((await listTapRequests(request, APPROVER, 'pending')).map((r) => r.id)).not.toContain(pending.id);
    expect(await readAudit(request, AUDITOR, { requestId: pending.id, type: 'tap_request.withdrawn' })).toHaveLength(1);

    // The auditor reads the replacement under its label.
    const auditContext = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
    try {
      const auditPage = await auditContext.newPage();
      await signIn(auditPage, userByUpn(seed, AUDITOR));
      await goTo(auditPage, 'Audit');
      await auditPage.getByLabel('Request id').fill(first.id);
      await auditPage.getByRole('button', { name: 'Apply filters' }).click();
      const replacedEvent = auditPage.locator('[data-testid="audit-row"][data-type="tap.replaced"]').filter({ visible: true });
      await expect(replacedEvent).toHaveCount(1);
      await expect(replacedEvent).toContainText('Pass replaced by a newer request');
    } finally {
      await auditContext.close();
    }
  });
}
