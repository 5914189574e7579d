import { expect, test } from '@playwright/test';
import { reporteeListSchema, type Reportee } from '@/lib/contract/reportees';
import { meSchema } from '@/lib/contract/session';
import { parseAnswer } from '../support/portal-api';
import { randomOrg } from '../support/random-org';
import { expectedReportees, findManagerWithIndirectReports, findUserWithoutReports, loadSeed, userByUpn, type Seed } from '../support/seed';
import { graphStats, replaceDirectory, resetGraphStats, totalGraphRoundTrips } from '../support/tenant-admin';
import { graphAsAutomation, userAccessToken } from '../support/tokens';

/**
 * `GET /api/reportees` against the local tenant: exactly the people below the caller, in few Graph
 * round trips, on seeded and random org charts and after the directory changes.
 */

async function getReportees(request: import('@playwright/test').APIRequestContext, upn: string, seed?: Seed): Promise<Reportee[]> {
  const token = await userAccessToken(upn, seed);
  const res = await request.get('/api/reportees', { headers: { authorization: `Bearer ${token}` } });
  expect(res.status(), await res.text()).toBe(200);
  return (await parseAnswer(res, reporteeListSchema)).reportees;
}

function asDepthMap(reportees: Reportee[]): Map<string, number> {
  return new Map(reportees.map((r) => [r.userPrincipalName.toLowerCase(), r.depth]));
}

const demo = loadSeed();

test.afterAll(async () => {
  await replaceDirectory(demo);
});

test('a manager gets exactly everyone below them, with depths', async ({ request }) => {
  const manager = findManagerWithIndirectReports(demo);
  const reportees = await getReportees(request, manager.userPrincipalName);
  expect(asDepthMap(reportees)).toEqual(expectedReportees(demo, manager.userPrincipalName));
  expect(new Set(reportees.map((r) => r.id)).size).toBe(reportees.length);
  for (const r of reportees) {
    const seeded = userByUpn(demo, r.userPrincipalName);
    expect(r.displayName).toBe(seeded.displayName);
    expect(r.eligible).toBe(r.ineligibleReasons.length === 0);
    if (!seeded.accountEnabled) expect(r.ineligibleReasons).toContain('account-disabled');
    if (seeded.userType === 'Guest') expect(r.ineligibleReasons).toContain('guest');
  }
});

test('someone with no reports gets an empty list', async ({ request }) => {
  const loner = findUserWithoutReports(demo);
  expect(await getReportees(request, loner.userPrincipalName)).toEqual([]);
});

test('the walk costs one Graph round trip per level, batched, never one per person', async ({ request }) => {
  const top = demo.users.find((u) => u.manager === null && u.accountEnabled)!;
  const expected = expectedReportees(demo, top.userPrincipalName);
  const levels = Math.max(...expected.values());
  const token = await userAccessToken(top.userPrincipalName);
  await resetGraphStats();
  const res = await request.get('/api/reportees', { headers: { authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  expect(asDepthMap((await parseAnswer(res, reporteeListSchema)).reportees)).toEqual(expected);
  const stats = await graphStats();
  // The first batch reads the caller and their direct reports; each further level is one batch
  // round (≤ 20 managers per batch; this org has fewer than 20 managers per level).
  expect(totalGraphRoundTrips(stats)).toBeLessThanOrEqual(levels + 1);
  expect(Object.keys(stats.graph).every((k) => k.includes('$batch'))).toBe(true);
});

test('org charts the portal has never seen: exactly the people below, nobody else', async ({ request }) => {
  for (const prngSeed of [11, 4242, 90210]) {
    const org = randomOrg(demo, 120, prngSeed);
    await replaceDirectory(org);
    const managers = org.users.filter((u) => u.accountEnabled && u.userType === 'Member' && expectedReportees(org, u.userPrincipalName).size > 0);
    // The roots, the deepest managers, and a spread in between.
    const picks = [...new Set([managers[0]!, managers[managers.length - 1]!, managers[Math.floor(managers.length / 2)]!, ...managers.slice(1, 4)])];
    for (const m of picks) {
      const got = asDepthMap(await getReportees(request, m.userPrincipalName, org));
      expect(got, `reportees of ${m.userPrincipalName} in org ${prngSeed}`).toEqual(expectedReportees(org, m.userPrincipalName));
    }
  }
});

test('a move in the directory shows at once, and a management cycle ends the walk', async ({ request }) => {
  await replaceDirectory(demo);
  const manager = findManagerWithIndirectReports(demo);
  const before = await getReportees(request, manager.userPrincipalName);
  const direct = before.find((r) => r.depth === 1)!;
  const me = await parseAnswer(await request.get('/api/me', { headers: { authorization: `Bearer ${await userAccessToken(manager.userPrincipalName)}` } }), meSchema);

  // The manager now reports to one of their own direct reports: a management cycle.
  const res = await graphAsAutomation('PUT', `/users/${me.id}/manager/$ref`, {
    '@odata.id': `https://graph.microsoft.com/v1.0/users/${direct.id}`,
  });
  expect(res.status).toBe(204);
  const after = await getReportees(request, manager.userPrincipalName);
  expect(asDepthMap(after)).toEqual(asDepthMap(before));
  expect(after.some((r) => r.id === me.id)).toBe(false);

  // Move the direct report away under the top of the org: they and their team leave the list.
  const top = demo.users.find((u) => u.manager === null)!;
  const move = await graphAsAutomation('PUT', `/users/${direct.id}/manager/$ref`, {
    '@odata.id': `https://graph.microsoft.com/v1.0/users/${top.userPrincipalName}`,
  });
  expect(move.status).toBe(204);
  const moved = await getReportees(request, manager.userPrincipalName);
  expect(moved.some((r) => r.id === direct.id)).toBe(false);
  const leftWith = expectedReportees(demo, direct.userPrincipalName);
  for (const upn of leftWith.keys()) expect(moved.some((r) => r.userPrincipalName.toLowerCase() === upn)).toBe(false);
});
