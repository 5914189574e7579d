import { expect, test } from '@playwright/test';
import { signIn } from '../support/sign-in';
import { expectedReportees, findManagerWithIndirectReports, findUserWithoutReports, loadSeed } from '../support/seed';

const seed = loadSeed();

test('a manager signs in through MSAL and sees everyone who reports to them', async ({ page }) => {
  const manager = findManagerWithIndirectReports(seed);
  const expected = expectedReportees(seed, manager.userPrincipalName);
  await signIn(page, manager);

  await expect(page.getByRole('heading', { name: 'Your team' })).toBeVisible();
  const rows = page.getByTestId('reportee-row').filter({ visible: true });
  await expect(rows).toHaveCount(expected.size);
  const text = (await rows.allInnerTexts()).join('\n').toLowerCase();
  for (const upn of expected.keys()) expect(text).toContain(upn);

  // The search box narrows the list to matching people.
  const someone = seed.users.find((u) => u.userPrincipalName.toLowerCase() === [...expected.keys()][0])!;
  await page.getByRole('searchbox').fill(someone.displayName);
  await expect(rows.first()).toContainText(someone.displayName);
  expect(await rows.count()).toBeLessThan(expected.size + 1);
  for (const t of await rows.allInnerTexts()) expect(t.toLowerCase()).toContain(someone.displayName.toLowerCase());
});

test('someone with no reports sees an empty team, and can sign out', async ({ page }) => {
  const loner = findUserWithoutReports(seed);
  await signIn(page, loner);
  await expect(page.getByText('No one reports to you in the directory.')).toBeVisible();
  await expect(page.getByTestId('reportee-row').filter({ visible: true })).toHaveCount(0);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByTestId('me-upn')).toHaveCount(0);
});

test('the reportee list works at phone width', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const manager = findManagerWithIndirectReports(seed);
  await signIn(page, manager);
  const rows = page.getByTestId('reportee-row').filter({ visible: true });
  await expect(rows).toHaveCount(expectedReportees(seed, manager.userPrincipalName).size);
  // Nothing overflows the viewport sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
