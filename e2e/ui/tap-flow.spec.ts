/**
 * The manager's and the approver's journeys in Chromium, signed in through the real MSAL redirect
 * against the local tenant. Selectors are the UI's documented stable ones: buttons "Request pass",
 * "Submit request", "Get pass", "Copy", "Approve"; `tap-pass`, `request-row` (with
 * `data-request-id` and `data-status`) and `pending-row` test ids.
 */
import { expect, test, type Page } from '@playwright/test';
import { recordIssuedPass } from '../support/issued-passes';
import { getTapRequest, JUSTIFICATION } from '../support/portal-api';
import { portalUrl } from '../support/env';
import { loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';

const seed = loadSeed();

async function goTo(page: Page, section: 'Team' | 'My requests' | 'Approvals'): Promise<void> {
  await page.getByRole('link', { name: section, exact: true }).filter({ visible: true }).first().click();
}

/** Opens the request form from the reportee's row, fills it, submits it; returns the dialog. */
async function requestPassFor(page: Page, targetUpn: string) {
  const row = page.getByTestId('reportee-row').filter({ visible: true }).filter({ hasText: targetUpn });
  await expect(row).toHaveCount(1);
  await row.getByRole('button', { name: 'Request pass' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByLabel(/justification/i).fill(JUSTIFICATION);
  await dialog.getByRole('button', { name: 'Submit request' }).click();
  return dialog;
}

/** Reads the revealed pass and records it for the leak check before anything else is asserted. */
async function readRevealedPass(page: Page): Promise<string> {
  const shown = page.getByTestId('tap-pass');
  await expect(shown).toBeVisible();
  const pass = (await shown.innerText()).trim();
  recordIssuedPass(pass);
  expect(pass).toMatch(/^\S{8,48}$/);
  return pass;
}

test('a manager requests a pass for a direct report: auto-approved, revealed once, gone after a reload', async ({ page, context }) => {
  const manager = userByUpn(seed, 'patti.fernandez@contoso.test');
  const target = userByUpn(seed, 'hana.sato@contoso.test');
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: portalUrl });
  await signIn(page, manager);

  const dialog = await requestPassFor(page, target.userPrincipalName);
  await dialog.getByRole('button', { name: 'Get pass' }).click();
  const pass = await readRevealedPass(page);
  await expect(page.getByText('This pass will not be shown again.')).toBeVisible();
  await expect(page.getByTestId('tap-pass-usage')).toHaveText(/one sign-in only/i);

  await page.getByRole('button', { name: 'Copy' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(pass);
  // Nothing of it in web storage.
  const storage = await page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }));
  expect(storage).not.toContain(pass);

  // A reload does not bring it back, and the request now reads "issued" with no way to get it again.
  await page.reload();
  await expect(page.getByTestId('me-upn')).toHaveText(manager.userPrincipalName, { ignoreCase: true });
  await goTo(page, 'My requests');
  const row = page.getByTestId('request-row').filter({ visible: true }).filter({ hasText: target.displayName });
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-status', 'issued');
  await expect(row.getByRole('button', { name: 'Get pass' })).toHaveCount(0);
  await expect(page.getByTestId('tap-pass')).toHaveCount(0);
  expect(await page.content()).not.toContain(pass);

  // The API agrees: issued, and the pass is not in it.
  const id = await row.getAttribute('data-request-id');
  const view = await getTapRequest(page.request, manager.userPrincipalName, id!);
  expect(view.status).toBe('issued');
  expect(JSON.stringify(view)).not.toContain(pass);
});

test('an indirect report waits for an approver, who approves in the UI; then the manager gets the pass', async ({ page, browser }) => {
  const manager = userByUpn(seed, 'alex.wilber@contoso.test');
  const target = userByUpn(seed, 'gerhart.moller@contoso.test');
  const approver = userByUpn(seed, 'kim.akers@contoso.test');
  await signIn(page, manager);

  const dialog = await requestPassFor(page, target.userPrincipalName);
  await expect(dialog.getByText(/waiting for approval/i)).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Get pass' })).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
  await goTo(page, 'My requests');
  const mine = page.getByTestId('request-row').filter({ visible: true }).filter({ hasText: target.displayName });
  await expect(mine).toHaveCount(1);
  await expect(mine).toHaveAttribute('data-status', 'pending_approval');
  const requestId = (await mine.getAttribute('data-request-id'))!;
  // A manager without the approver role has no Approvals section.
  await expect(page.getByRole('link', { name: 'Approvals', exact: true }).filter({ visible: true })).toHaveCount(0);

  // The approver, in a browser session of their own.
  const approverContext = await browser.newContext();
  try {
    const approverPage = await approverContext.newPage();
    await signIn(approverPage, approver);
    await goTo(approverPage, 'Approvals');
    const pending = approverPage.getByTestId('pending-row').filter({ visible: true }).filter({ hasText: target.displayName });
    await expect(pending).toHaveCount(1);
    await expect(pending).toContainText(manager.displayName);
    await expect(pending).toContainText(JUSTIFICATION);
    // Re-judged against the directory now: still in the line, still eligible.
    await expect(pending.getByTestId('pending-evaluation')).toHaveAttribute('data-approvable', 'true');
    await pending.getByRole('button', { name: 'Approve' }).click();
    await expect(pending).toHaveCount(0);
  } finally {
    await approverContext.close();
  }

  // Back with the manager: the request is approved and the pass can be fetched once.
  expect((await getTapRequest(page.request, manager.userPrincipalName, requestId)).status).toBe('approved');
  await page.reload();
  await expect(page.getByTestId('me-upn')).toHaveText(manager.userPrincipalName, { ignoreCase: true });
  await goTo(page, 'My requests');
  const row = page.locator(`[data-testid="request-row"][data-request-id="${requestId}"]`).filter({ visible: true });
  await expect(row).toHaveAttribute('data-status', 'approved');
  await row.getByRole('button', { name: 'Get pass' }).click();
  await readRevealedPass(page);
  await expect(page.getByText('This pass will not be shown again.')).toBeVisible();
  expect((await getTapRequest(page.request, manager.userPrincipalName, requestId)).status).toBe('issued');
});

test('the team page names why each stronger account gets no pass, in plain words, with who can help', async ({ page }) => {
  await signIn(page, userByUpn(seed, 'adele.vance@contoso.test'));
  const expectations: [string, string, RegExp][] = [
    ['farah.aziz@contoso.test', 'privileged-role', /Authentication Administrator or Privileged Authentication Administrator/],
    ['cameron.white@contoso.test', 'portal-role', /approver, auditor or admin of this portal/],
    ['breakglass01@contoso.test', 'protected-account', /restricted administrative unit/],
  ];
  for (const [upn, reason, explanation] of expectations) {
    const row = page.getByTestId('reportee-row').filter({ visible: true }).filter({ hasText: upn });
    await expect(row).toHaveCount(1);
    const shown = row.locator(`[data-testid="ineligible-reason"][data-reason="${reason}"]`);
    await expect(shown).toBeVisible();
    await expect(shown).toContainText(explanation);
    await expect(row.getByRole('button', { name: 'Request pass' })).toBeDisabled();
  }
  // Only a read-only role on the allow-list: the request button is there to use.
  const nora = page.getByTestId('reportee-row').filter({ visible: true }).filter({ hasText: 'nora.blake@contoso.test' });
  await expect(nora.getByRole('button', { name: 'Request pass' })).toBeEnabled();
});
