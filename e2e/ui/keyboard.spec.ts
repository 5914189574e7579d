/**
 * The main flows with the keyboard only — Tab, Shift+Tab, Enter, Escape; no mouse on the portal
 * (signing in happens on the local tenant's page through the shared helper). A manager requests and
 * gets a pass and is back on the button they started from; an approver approves from the queue;
 * an auditor filters the trail.
 *
 * The manager is nestor.wilke with his direct report joni.sherman (auto-approved; no other spec gives
 * her a pass); the approver's request is megan.bowen's for johanna.lorenz (four levels down: waits).
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { recordIssuedPass } from '../support/issued-passes';
import { createTapRequest, getTapRequest, JUSTIFICATION, readAudit } from '../support/portal-api';
import { loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';

const seed = loadSeed();
/** Enough for a queue or a trail page ahead of the target; a control never reached fails the test. */
const MAX_TABS = 250;

/** Presses Tab until `target` has focus, as a keyboard user would. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let presses = 0; presses < MAX_TABS; presses += 1) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target, `not reachable with Tab within ${MAX_TABS} presses`).toBeFocused();
}

test.use({ viewport: { width: 1280, height: 800 } });
// A keyboard walk is one key press at a time through the page; on a busy machine that takes longer
// than the default test budget, though it waits on nothing but visible outcomes.
test.describe.configure({ timeout: 120_000 });

test('a manager requests a pass, gets it and closes it, and focus is back on the button they started from', async ({ page, request }) => {
  const manager = userByUpn(seed, 'nestor.wilke@contoso.test');
  await signIn(page, manager);
  await expect(page.getByRole('heading', { name: 'Your team' })).toBeVisible();

  await tabTo(page, page.getByRole('searchbox'));
  await page.keyboard.type('Joni');
  const opener = page.getByRole('button', { name: 'Request pass' }).filter({ visible: true });
  await expect(opener).toHaveCount(1);
  await tabTo(page, opener);
  await opener.evaluate((el) => el.setAttribute('data-e2e-opener', ''));
  await page.keyboard.press('Enter');

  const dialog = page.getByTestId('request-pass-dialog');
  await expect(dialog).toBeVisible();
  await tabTo(page, dialog.getByLabel(/justification/i));
  await page.keyboard.type(JUSTIFICATION);
  await tabTo(page, dialog.getByRole('button', { name: 'Submit request' }));
  await page.keyboard.press('Enter');

  // Auto-approved (a direct report): "Get pass" takes focus; Enter reveals the pass.
  const getPass = dialog.getByRole('button', { name: 'Get pass' });
  await expect(getPass).toBeFocused();
  const requestId = await dialog.getByTestId('request-outcome').getAttribute('data-request-id');
  await page.keyboard.press('Enter');
  const reveal = page.getByTestId('pass-reveal');
  const shown = reveal.getByTestId('tap-pass');
  await expect(shown).toBeVisible();
  recordIssuedPass((await shown.innerText()).trim());
  // Escape does not throw away a pass that is never shown again.
  await page.keyboard.press('Escape');
  await expect(reveal).toBeVisible();
  await tabTo(page, reveal.getByRole('button', { name: 'Done' }));
  await page.keyboard.press('Enter');
  await expect(reveal).toHaveCount(0);
  await expect(dialog).toHaveCount(0);

  await expect(page.locator('[data-e2e-opener]')).toBeFocused();
  expect((await getTapRequest(request, manager.userPrincipalName, requestId!)).status).toBe('issued');
});

test('an approver approves a request from the queue with the keyboard', async ({ page, request }) => {
  const pending = await createTapRequest(request, 'megan.bowen@contoso.test', 'johanna.lorenz@contoso.test');
  expect(pending.status).toBe('pending_approval');
  await signIn(page, userByUpn(seed, 'kim.akers@contoso.test'));
  await expect(page).toHaveURL(/\/approvals$/);

  const row = page.locator(`[data-testid="pending-row"][data-request-id="${pending.id}"]`);
  await expect(row.getByTestId('pending-evaluation')).toHaveAttribute('data-approvable', 'true');
  await tabTo(page, row.getByRole('button', { name: 'Approve' }));
  await page.keyboard.press('Enter');
  await expect(row).toHaveCount(0);
  // The approved row is gone with the focused button: focus lands on what happened, inside the queue.
  await expect(page.getByTestId('decision-announcement')).toBeFocused();
  expect((await getTapRequest(request, 'megan.bowen@contoso.test', pending.id)).status).toBe('approved');
});

test('an auditor filters the trail by request with the keyboard', async ({ page, request }) => {
  const created = await createTapRequest(request, 'adele.vance@contoso.test', 'nora.blake@contoso.test');
  const ofRequest = await readAudit(request, 'henrietta.mueller@contoso.test', { requestId: created.id });
  expect(ofRequest.length).toBeGreaterThan(0);

  await signIn(page, userByUpn(seed, 'henrietta.mueller@contoso.test'));
  await expect(page).toHaveURL(/\/audit$/);
  const filters = page.getByTestId('audit-filters');
  await expect(page.getByTestId('audit-count')).toBeVisible();
  await tabTo(page, filters.getByLabel('Request id'));
  await page.keyboard.type(created.id);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('audit-row')).toHaveCount(ofRequest.length);
  const seqs = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-seq'))));
  expect(seqs).toEqual(ofRequest.map((e) => e.seq));
});
