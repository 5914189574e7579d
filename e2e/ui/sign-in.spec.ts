import { expect, test } from '@playwright/test';
import { signIn } from '../support/sign-in';
import { expectedReportees, findManagerWithIndirectReports, findUserWithoutReports, loadSeed } from '../support/seed';

/**
 * Sign-in through the real MSAL redirect, the team list it leads to, and sign-out, at desktop and
 * phone width.
 */

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

  // The search box narrows the list to the people whose name, UPN, title or department match.
  const team = seed.users.filter((u) => expected.has(u.userPrincipalName.toLowerCase()));
  const query = team[team.length - 1]!.displayName;
  const matching = team.filter((u) =>
    [u.displayName, u.userPrincipalName, u.jobTitle ?? '', u.department ?? ''].some((f) => f.toLowerCase().includes(query.toLowerCase())),
  );
  await page.getByRole('searchbox').fill(query);
  await expect(rows).toHaveCount(matching.length);
  for (const t of await rows.allInnerTexts()) expect(t.toLowerCase()).toContain(query.toLowerCase());
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
