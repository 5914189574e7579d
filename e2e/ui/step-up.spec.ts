/**
 * Step-up in Chromium: a user signed in with a password only is asked by the local tenant for the
 * code of their authenticator app right before the action the policy protects, and the portal
 * finishes that action when they are back — or says plainly that nothing happened.
 *
 * Stable selectors: the tenant's code page labels its field "Code" and its button "Verify"; the
 * portal's `step-up-note` (said before the click), `step-up-resume` (the dialog on the way back)
 * and the test ids of tap-flow.spec.ts. Codes come from the seed's `mfa.totpSecret` (RFC 6238).
 *
 * Targets used only here: vanessa.dolan and priya.natarajan (pradeep.gupta's direct reports) and
 * enrico.cattaneo (below isaiah.langer). The policy is set at the start of each test and put back;
 * "Policy changes" is never ticked, since the admin's ROPC token could not put it back.
 */
import { expect, test, type Page } from '@playwright/test';
import { tenantUrl, portalUrl } from '../support/env';
import { recordIssuedPass } from '../support/issued-passes';
import { createTapRequest, getTapRequest, JUSTIFICATION, readAudit, userIdOf } from '../support/portal-api';
import { loadSeed, userByUpn, type SeedUser } from '../support/seed';
import { signIn } from '../support/sign-in';
import { getPolicySettings, POLICY_ADMIN } from '../support/policy-api';
import { currentCode, withStepUp, wrongCode } from '../support/step-up';

const seed = loadSeed();
const AUDITOR = 'henrietta.mueller@contoso.test';
const PENDING_KEY = 'tapbroker.pendingStepUp';

const isTenant = (url: URL) => url.origin === new URL(tenantUrl).origin;
const isPortal = (url: URL) => url.origin === new URL(portalUrl).origin;

/** Opens the request form from the reportee's row, fills it, submits it; returns the dialog. */
async function requestPassFor(page: Page, targetUpn: string) {
  const row = page.getByTestId('reportee-row').filter({ visible: true }).filter({ hasText: targetUpn });
  await expect(row).toHaveCount(1);
  await row.getByRole('button', { name: 'Request pass' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/justification/i).fill(JUSTIFICATION);
  await dialog.getByRole('button', { name: 'Submit request' }).click();
  await expect(dialog.getByTestId('request-outcome')).toHaveAttribute('data-status', 'approved');
  return dialog;
}

/** On the tenant's code page: the prompt, the account it is for, the field and the button. */
async function expectCodePage(page: Page, user: SeedUser): Promise<void> {
  await page.waitForURL(isTenant);
  await expect(page.getByText('Enter the code from your authenticator app')).toBeVisible();
  await expect(page.getByText(user.userPrincipalName, { exact: true })).toBeVisible();
  // Only the code: the password was given at sign-in, in this session.
  await expect(page.getByLabel(/password/i)).toHaveCount(0);
}

async function enterCode(page: Page, code: string): Promise<void> {
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

async function webStorage(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }));
}

test('a manager signed in with a password is asked for the code before the pass, enters it and sees the pass', async ({ page, request }) => {
  const manager = userByUpn(seed, 'pradeep.gupta@contoso.test');
  const target = userByUpn(seed, 'vanessa.dolan@contoso.test');
  await withStepUp(request, { stepUpAuthContextId: 'c1', stepUpActions: [] }, async () => {
    await signIn(page, manager);
    const dialog = await requestPassFor(page, target.userPrincipalName);
    const requestId = (await dialog.getByTestId('request-outcome').getAttribute('data-request-id'))!;
    // Said before the click.
    await expect(dialog.getByTestId('step-up-note')).toHaveText(/asked for a code from your authenticator app before the pass is shown/);

    await dialog.getByRole('button', { name: 'Get pass' }).click();
    await expectCodePage(page, manager);
    await enterCode(page, currentCode(manager));

    await page.waitForURL(isPortal);
    const shown = page.getByTestId('tap-pass');
    await expect(shown).toBeVisible();
    const pass = (await shown.innerText()).trim();
    recordIssuedPass(pass);
    expect(pass).toMatch(/^\S{8,48}$/);
    await expect(page.getByTestId('pass-reveal')).toContainText(`Temporary Access Pass for ${target.displayName}`);
    await expect(page.getByText('This pass will not be shown again.')).toBeVisible();
    // The interrupted action was taken out of storage, and the pass never went in.
    const storage = await webStorage(page);
    expect(storage).not.toContain(pass);
    expect(storage).not.toContain(PENDING_KEY);

    const view = await getTapRequest(request, manager.userPrincipalName, requestId);
    expect(view.status).toBe('issued');
    // The audit has the refusal of the first click, then the pass issued after the second factor.
    const events = (await readAudit(request, AUDITOR, { requestId })).sort((a, b) => a.seq - b.seq);
    const refusal = events.findIndex((e) => e.type === 'tap_request.refused' && e.data.code === 'step-up-required' && e.data.stage === 'issue');
    const issued = events.findIndex((e) => e.type === 'tap.issued');
    expect(refusal).toBeGreaterThanOrEqual(0);
    expect(issued).toBeGreaterThan(refusal);
    expect(events[issued]!.actorId).toBe(await userIdOf(manager.userPrincipalName));
    expect(JSON.stringify(events)).not.toContain(pass);
  });
});

test('wrong codes end the sign-in: a clear message, no pass, and the request is still approved', async ({ page, request }) => {
  const manager = userByUpn(seed, 'pradeep.gupta@contoso.test');
  const target = userByUpn(seed, 'priya.natarajan@contoso.test');
  await withStepUp(request, { stepUpAuthContextId: 'c1', stepUpActions: [] }, async () => {
    await signIn(page, manager);
    const dialog = await requestPassFor(page, target.userPrincipalName);
    const requestId = (await dialog.getByTestId('request-outcome').getAttribute('data-request-id'))!;
    await dialog.getByRole('button', { name: 'Get pass' }).click();
    await expectCodePage(page, manager);

    // The tenant allows a few tries, each refused with its message, then sends the user back.
    const refused = page.getByText("That code didn't work. Check the time on your device and try again.");
    const outcome = page.getByTestId('step-up-resume');
    let tries = 0;
    for (;;) {
      await enterCode(page, wrongCode(manager));
      tries += 1;
      await expect(refused.or(outcome)).toBeVisible();
      if (isPortal(new URL(page.url()))) break;
      await expect(refused).toBeVisible();
      expect(tries, 'the tenant bounds the tries').toBeLessThan(10);
    }
    expect(tries).toBeGreaterThan(1);
    await expect(outcome).toBeVisible();
    await expect(outcome.getByRole('alert')).toContainText('The second factor was not completed; no pass was issued.');
    await expect(page.getByTestId('tap-pass')).toHaveCount(0);
    expect(await webStorage(page)).not.toContain(PENDING_KEY);

    const view = await getTapRequest(request, manager.userPrincipalName, requestId);
    expect(view.status).toBe('approved');
    const events = await readAudit(request, AUDITOR, { requestId });
    expect(events.some((e) => e.type === 'tap_request.refused' && e.data.code === 'step-up-required' && e.data.stage === 'issue')).toBe(true);
    expect(events.map((e) => e.type)).not.toContain('tap.issued');

    // Closing it leaves the user where they were, signed in.
    await outcome.getByRole('button', { name: 'Close' }).click();
    await expect(page.getByTestId('me-upn')).toHaveText(manager.userPrincipalName, { ignoreCase: true });
  });
});

test('an approver’s approve asks for the code when the policy says so, and keeps the comment typed', async ({ page, request }) => {
  const approver = userByUpn(seed, 'kim.akers@contoso.test');
  const pending = await createTapRequest(request, 'isaiah.langer@contoso.test', 'enrico.cattaneo@contoso.test');
  expect(pending.status).toBe('pending_approval');
  const comment = `Checked with the service desk (${pending.id.slice(0, 8)})`;
  await withStepUp(request, { stepUpAuthContextId: 'c1', stepUpActions: ['approve'] }, async () => {
    await signIn(page, approver);
    await page.getByRole('link', { name: 'Approvals', exact: true }).filter({ visible: true }).first().click();
    const row = page.locator(`[data-testid="pending-row"][data-request-id="${pending.id}"]`);
    await expect(page.getByTestId('step-up-note')).toHaveText(/asked for a code from your authenticator app before your decision is saved/);
    await row.getByLabel('Comment or reason').fill(comment);
    await row.getByRole('button', { name: 'Approve' }).click();

    await expectCodePage(page, approver);
    await enterCode(page, currentCode(approver));
    await page.waitForURL((url) => isPortal(url) && url.pathname === '/approvals');

    await expect(page.getByRole('status').filter({ hasText: 'Approved the request for Enrico Cattaneo.' })).toBeVisible();
    await expect(row).toHaveCount(0);
    const view = await getTapRequest(request, approver.userPrincipalName, pending.id);
    expect(view.status).toBe('approved');
    expect((view as unknown as { decisionComment: string | null }).decisionComment).toBe(comment);
    expect(view.decidedBy).toBe(await userIdOf(approver.userPrincipalName));

    const types = (await readAudit(request, AUDITOR, { requestId: pending.id })).map((e) => `${e.type}:${String(e.data.stage ?? '')}`);
    expect(types).toContain('tap_request.refused:approve');
    expect(types).toContain('tap_request.approved:');
  });
});

test('an admin turns step-up on in the policy console: the context, what else needs it, and why', async ({ page, request }) => {
  await withStepUp(request, null, async () => {
    const before = await getPolicySettings(request);
    expect(before.stepUpAuthContextId, 'the e2e stack starts without step-up').toBeNull();
    await signIn(page, userByUpn(seed, POLICY_ADMIN));
    await page.getByRole('link', { name: 'Policy', exact: true }).filter({ visible: true }).first().click();
    const form = page.getByTestId('policy-form');
    const context = form.getByLabel('Step-up authentication context');
    await expect(context).toHaveValue('');
    const section = form.getByTestId('policy-step-up');
    await expect(section).toContainText('Leave empty to turn step-up off.');
    await expect(section).toContainText('Strongly recommended in production');
    await expect(section).toContainText('Issuing a pass always needs it when a context is set.');
    const approve = section.getByRole('checkbox', { name: 'Approve and deny' });
    await expect(approve).not.toBeChecked();
    await expect(section.getByRole('checkbox', { name: 'Policy changes' })).not.toBeChecked();

    // Not an authentication context id: said beside the field, nothing saved.
    await context.fill('c100');
    await form.getByTestId('policy-save').click();
    await expect(context).toHaveAttribute('aria-invalid', 'true');
    await expect(section).toContainText('Enter an authentication context id from c1 to c99, or leave it empty to turn step-up off.');
    expect((await getPolicySettings(request)).version).toBe(before.version);

    await context.fill('c1');
    await approve.check();
    await form.getByTestId('policy-save').click();
    const dialog = page.getByTestId('policy-change-dialog');
    await dialog.getByLabel('Reason for the change').fill('Step-up for issuing and approving');
    await dialog.getByTestId('policy-change-confirm').click();
    await expect(page.getByTestId('policy-saved')).toHaveText(`Saved. Version ${Number(before.version) + 1} is now in force.`);
    const after = await getPolicySettings(request);
    expect(after).toMatchObject({ stepUpAuthContextId: 'c1', stepUpActions: ['approve'] });
    const newest = page.getByTestId('policy-version').first();
    await expect(newest.locator('[data-testid="policy-change"][data-field="stepUpAuthContextId"]')).toContainText('off');
    await expect(newest.locator('[data-testid="policy-change"][data-field="stepUpActions"]')).toContainText('approve and deny');
  });
});
