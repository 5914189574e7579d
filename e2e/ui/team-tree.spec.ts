/**
 * The team view as a tree: people grouped under their managers (collapsible), a flat list with
 * "Reports to", filters by level, eligibility and pass state with their counts, the same on a
 * phone, and a team of thousands that stays a bounded number of DOM rows while scrolling reaches
 * its last person. Expected values come from the seed and from the API's own answer.
 */
import { expect, test, type Page } from '@playwright/test';
import { reporteeListSchema, type Reportee } from '../../lib/contract/reportees';
import { findAxeViolations, formatAxeViolations } from '../support/axe';
import { asUser, parseAnswer } from '../support/portal-api';
import { expectedReportees, loadSeed, userByUpn, type Seed, type SeedUser } from '../support/seed';
import { signIn } from '../support/sign-in';
import { replaceDirectory } from '../support/tenant-admin';

const demo = loadSeed();
const MANAGER = 'alex.wilber@contoso.test';

async function teamOf(page: Page, upn: string): Promise<Reportee[]> {
  const res = await asUser(page.request, upn).get('/api/reportees');
  expect(res.status()).toBe(200);
  return (await parseAnswer(res, reporteeListSchema)).reportees;
}

function rowOf(page: Page, upn: string) {
  return page.getByTestId('reportee-row').filter({ hasText: upn });
}

async function expectAxeClean(page: Page, where: string): Promise<void> {
  const violations = await findAxeViolations(page, { minImpact: 'serious' });
  expect(violations, `${where}\n${formatAxeViolations(violations)}`).toEqual([]);
}

/** Everyone below `upn` in the seed, directly or not. */
function below(seed: Seed, upn: string): string[] {
  return [...expectedReportees(seed, upn).keys()];
}

test.describe('at desktop width', () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test('people sit under their managers, a team collapses, the list says who each reports to', async ({ page }) => {
    await signIn(page, userByUpn(demo, MANAGER));
    const expected = expectedReportees(demo, MANAGER);
    const grid = page.getByRole('treegrid', { name: 'Your team' });
    await expect(grid).toBeVisible();
    await expect(page.getByTestId('reportee-row')).toHaveCount(expected.size);
    await expect(grid).toHaveAttribute('aria-rowcount', String(expected.size + 1));

    // Each person's level in the tree is their depth below the manager, under their own manager.
    for (const [upn, depth] of expected) await expect(rowOf(page, upn)).toHaveAttribute('aria-level', String(depth));
    const bianca = rowOf(page, 'bianca.pisani@contoso.test');
    await expect(bianca).toHaveAttribute('aria-expanded', 'true');

    // Collapsing Bianca hides everyone below her, and only them.
    const hidden = below(demo, 'bianca.pisani@contoso.test');
    await bianca.getByRole('button', { name: /^Collapse Bianca Pisani’s team/ }).click();
    await expect(bianca).toHaveAttribute('aria-expanded', 'false');
    await expect(page.getByTestId('reportee-row')).toHaveCount(expected.size - hidden.length);
    for (const upn of hidden) await expect(rowOf(page, upn)).toHaveCount(0);
    // The keyboard opens it again: focus the row, Right arrow.
    await bianca.focus();
    await page.keyboard.press('ArrowRight');
    await expect(bianca).toHaveAttribute('aria-expanded', 'true');
    await expect(page.getByTestId('reportee-row')).toHaveCount(expected.size);
    await page.getByRole('button', { name: 'Collapse all' }).click();
    await expect(page.getByTestId('reportee-row')).toHaveCount([...expected.values()].filter((d) => d === 1).length);
    await page.getByRole('button', { name: 'Expand all' }).click();
    await expect(page.getByTestId('reportee-row')).toHaveCount(expected.size);

    // Down arrow moves to the next person; Enter on an eligible one opens the request form.
    await bianca.focus();
    await page.keyboard.press('ArrowDown');
    const next = rowOf(page, 'lee.gu@contoso.test');
    await expect(next).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('dialog')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);

    // The flat list, remembered in the URL, names each person's manager.
    await page.getByRole('button', { name: 'List', exact: true }).click();
    await expect(page.getByRole('grid', { name: 'Your team' })).toBeVisible();
    await expect(page).toHaveURL(/[?&]team=list/);
    await expect(page.getByRole('columnheader', { name: 'Reports to' })).toBeVisible();
    for (const upn of expected.keys()) {
      const manager = userByUpn(demo, upn).manager!;
      const name = manager.toLowerCase() === MANAGER ? 'You' : userByUpn(demo, manager).displayName;
      await expect(rowOf(page, upn).getByTestId('reports-to')).toHaveText(name);
    }
    await expectAxeClean(page, 'team list, desktop');
  });

  test('filters by level, eligibility and pass state narrow the list, with the counts they name', async ({ page }) => {
    await signIn(page, userByUpn(demo, MANAGER));
    const team = await teamOf(page, MANAGER);
    const rows = page.getByTestId('reportee-row');
    await expect(rows).toHaveCount(team.length);

    const third = team.filter((r) => r.depth === 3);
    const level = page.getByLabel('Level', { exact: true });
    await expect(level.locator('option[value="3"]')).toHaveText(`3rd level (${third.length})`);
    await level.selectOption('3');
    await expect(rows).toHaveCount(third.length);
    await expect(page.getByTestId('reportee-count')).toHaveText(`${third.length} of ${team.length} people match`);

    const ineligible = third.filter((r) => !r.eligible);
    expect(ineligible.length).toBeGreaterThan(0);
    const eligibility = page.getByLabel('Eligibility', { exact: true });
    await expect(eligibility.locator('option[value="ineligible"]')).toHaveText(`Not eligible (${ineligible.length})`);
    await eligibility.selectOption('ineligible');
    await expect(rows).toHaveCount(ineligible.length);
    for (const r of ineligible) await expect(rowOf(page, r.userPrincipalName)).toHaveCount(1);

    // Pass state, as the server reports each person's open request or live pass.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect(rows).toHaveCount(team.length);
    const pass = page.getByLabel('Pass', { exact: true });
    const byState = {
      active: team.filter((r) => r.currentRequest?.status === 'issued'),
      open: team.filter((r) => r.currentRequest !== undefined && r.currentRequest.status !== 'issued'),
      none: team.filter((r) => r.currentRequest === undefined),
    };
    await expect(pass.locator('option[value="active"]')).toHaveText(`Active pass (${byState.active.length})`);
    await expect(pass.locator('option[value="open"]')).toHaveText(`Request open (${byState.open.length})`);
    await expect(pass.locator('option[value="none"]')).toHaveText(`None (${byState.none.length})`);
    await pass.selectOption('none');
    await expect(rows).toHaveCount(byState.none.length);
    await expectAxeClean(page, 'team tree filtered, desktop');
  });
});

test.describe('at phone width', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('the cards are grouped and filtered the same way, and fit the screen', async ({ page }) => {
    await signIn(page, userByUpn(demo, MANAGER));
    const team = await teamOf(page, MANAGER);
    await expect(page.getByRole('treegrid', { name: 'Your team' })).toBeVisible();
    const rows = page.getByTestId('reportee-row');
    await expect(rows).toHaveCount(team.length);
    await expect(rowOf(page, 'ben.walters@contoso.test').getByTestId('reports-to')).toHaveText('Lee Gu');
    await expect(rowOf(page, 'ben.walters@contoso.test')).toHaveAttribute('aria-level', '3');

    const eligible = team.filter((r) => r.eligible);
    await page.getByLabel('Eligibility', { exact: true }).selectOption('eligible');
    await expect(rows).toHaveCount(eligible.length);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAxeClean(page, 'team cards, phone');
  });
});

/** One manager over `leads` team leads of `perLead` people each; the apps and policy from the demo. */
function bigOrg(leads: number, perLead: number): { seed: Seed; boss: SeedUser; last: SeedUser } {
  const password = 'Big-Team-Pw-2026!';
  const person = (upn: string, displayName: string, manager: string | null): SeedUser => ({
    userPrincipalName: upn,
    displayName,
    password,
    manager,
    jobTitle: 'Engineer',
    department: 'Scale',
    accountEnabled: true,
    userType: 'Member',
    employeeHireDate: '2024-03-04T08:00:00Z',
    directoryRoles: [],
    appRoles: [],
  });
  const boss = person('big.boss@fabrikam.test', 'Big Boss', null);
  const users = [boss];
  for (let l = 1; l <= leads; l++) {
    const lead = person(`lead${l}@fabrikam.test`, `Lead ${String(l).padStart(2, '0')}`, boss.userPrincipalName);
    users.push(lead);
    for (let m = 1; m <= perLead; m++) {
      const n = (l - 1) * perLead + m;
      users.push(person(`member${n}@fabrikam.test`, `Member ${String(n).padStart(4, '0')}`, lead.userPrincipalName));
    }
  }
  const { groups: _groups, administrativeUnits: _units, customRoles: _roles, ...apps } = demo;
  return { seed: { ...apps, users }, boss, last: users[users.length - 1]! };
}

test.describe('a team of thousands', () => {
  test.use({ viewport: { width: 1280, height: 800 } });
  test.afterAll(async () => {
    await replaceDirectory(demo);
  });

  test('stays a bounded number of DOM rows while scrolling reaches the last person', async ({ page }) => {
    test.setTimeout(240_000);
    const { seed, boss, last } = bigOrg(30, 100);
    await replaceDirectory(seed);
    await signIn(page, boss);
    const everyone = seed.users.length - 1;
    // Loading thousands walks the local tenant's Graph: allow it the time a big walk takes.
    await expect(page.getByTestId('reportee-count')).toHaveText(`${everyone} people`, { timeout: 120_000 });
    const grid = page.getByRole('treegrid', { name: 'Your team' });
    await expect(grid).toHaveAttribute('aria-rowcount', String(everyone + 1));
    const inDom = () => page.locator('[role="row"][data-user-id]').count();
    expect(await inDom()).toBeLessThan(100);

    // End jumps to the last person (keyboard), and the page scrolled there shows them.
    await page.getByTestId('reportee-row').first().focus();
    await page.keyboard.press('End');
    const lastRow = rowOf(page, last.userPrincipalName);
    await expect(lastRow).toBeFocused();
    await expect(lastRow).toHaveAttribute('aria-rowindex', String(everyone + 1));
    await expect(lastRow).toBeInViewport();
    expect(await inDom()).toBeLessThan(100);

    // Scrolling by hand back to the top brings the first person back, still a bounded DOM.
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect(rowOf(page, 'lead1@fabrikam.test')).toBeInViewport();
    expect(await inDom()).toBeLessThan(100);
    await expectAxeClean(page, 'a team of thousands');
  });
});
