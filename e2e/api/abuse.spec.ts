import { expect, test, type APIResponse } from '@playwright/test';
import { reporteeListSchema } from '@/lib/contract/reportees';
import { parseAnswer, readAudit, userIdOf } from '../support/portal-api';
import { expectProblem } from '../support/problem';
import { expectedReportees, findManagerWithIndirectReports, loadSeed, type Seed, type SeedUser } from '../support/seed';
import { graphStats, replaceDirectory, resetGraphStats } from '../support/tenant-admin';
import { userAccessToken } from '../support/tokens';

/**
 * A hostile insider against the running portal: one user flooding reportee reads is held to the
 * per-user API budget (429 with Retry-After, recorded once per window), costs Graph nothing once
 * refused, and leaves another manager's reads working.
 */

const demo = loadSeed();
const AUDITOR = 'henrietta.mueller@contoso.test';
const budget = Number(process.env.E2E_API_BUDGET_PER_USER);
const windowMs = Number(process.env.E2E_API_BUDGET_WINDOW_SECONDS) * 1000;

/** A manager no other spec signs in as, with three direct reports: a budget of their own. */
function withFloodManager(seed: Seed): { seed: Seed; flooder: SeedUser } {
  const person = (name: string, manager: string | null): SeedUser => ({
    userPrincipalName: `${name}@contoso.test`,
    displayName: name,
    password: 'Flood-Manager-Pw-1!',
    manager,
    accountEnabled: true,
    userType: 'Member',
    employeeHireDate: '2024-03-04T08:00:00Z',
    directoryRoles: [],
    appRoles: [],
  });
  const flooder = person('flood.manager', null);
  return { seed: { ...seed, users: [...seed.users, flooder, ...['flood.a', 'flood.b', 'flood.c'].map((n) => person(n, flooder.userPrincipalName))] }, flooder };
}

/** Graph requests the tenant served: round trips other than `$batch`, plus every request inside a batch. */
function graphRequests(stats: { graph: Record<string, number>; batched: Record<string, number> }): number {
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  return sum(stats.graph) - (stats.graph['POST /v1.0/$batch'] ?? 0) + sum(stats.batched);
}

/** `count` calls of `send`, at most `concurrency` in flight at once. */
async function flood(count: number, concurrency: number, send: () => Promise<APIResponse>): Promise<APIResponse[]> {
  const answers: APIResponse[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started += 1;
        answers.push(await send());
      }
    }),
  );
  return answers;
}

test.afterAll(async () => {
  await replaceDirectory(demo);
});

test('a flood of reportee reads from one user gets 429s, Graph is spared, and another manager is unaffected', async ({ request }) => {
  expect(budget, 'the e2e run passes the portal budget (scripts/test.ts)').toBeGreaterThan(0);
  const { seed, flooder } = withFloodManager(demo);
  await replaceDirectory(seed);
  const floodToken = await userAccessToken(flooder.userPrincipalName, seed);
  const read = () => request.get('/api/reportees', { headers: { authorization: `Bearer ${floodToken}` } });

  // What one allowed read costs in Graph requests (the reads of the flood share in-flight calls, so
  // the flood can only cost less per read).
  await resetGraphStats();
  const single = await read();
  expect(single.status(), await single.text()).toBe(200);
  expect((await parseAnswer(single, reporteeListSchema)).reportees).toHaveLength(3);
  const costPerRead = graphRequests(await graphStats());
  expect(costPerRead).toBeGreaterThan(0);

  await resetGraphStats();
  const startedAt = Date.now();
  // Twice the budget and more: a flood that straddles a window boundary gets two windows' budget,
  // and must still meet at least 150 refusals.
  const answers = await flood(budget * 2 + 150, 20, read);
  const endedAt = Date.now();
  const windows = Math.floor(endedAt / windowMs) - Math.floor((startedAt - 1) / windowMs) + 1;
  const ok = answers.filter((a) => a.status() === 200);
  const limited = answers.filter((a) => a.status() === 429);
  expect(ok.length + limited.length, 'every answer is a 200 or a 429').toBe(answers.length);
  // The single read above counts too; a flood that crossed into a new window gets that window's budget.
  expect(windows, 'the flood fits in two budget windows').toBeLessThanOrEqual(2);
  expect(ok.length).toBeLessThanOrEqual(budget * windows - 1);
  expect(limited.length).toBeGreaterThanOrEqual(150);

  const problem = await expectProblem(limited[0]!, 429, 'rate-limited');
  expect(problem.detail).not.toContain(floodToken);
  const retryAfter = Number(limited[0]!.headers()['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000);

  // A refused read costs Graph nothing: everything Graph served is accounted for by the allowed reads.
  expect(graphRequests(await graphStats())).toBeLessThanOrEqual(ok.length * costPerRead);

  // Another manager, during the flooder's lock-out, still gets exactly their reportees.
  const other = findManagerWithIndirectReports(demo);
  const otherAnswer = await request.get('/api/reportees', { headers: { authorization: `Bearer ${await userAccessToken(other.userPrincipalName)}` } });
  expect(otherAnswer.status(), await otherAnswer.text()).toBe(200);
  const otherReportees = (await parseAnswer(otherAnswer, reporteeListSchema)).reportees;
  expect(new Set(otherReportees.map((r) => r.userPrincipalName.toLowerCase()))).toEqual(new Set(expectedReportees(demo, other.userPrincipalName).keys()));

  // Recorded once per window that saw refusals, not once per refused call.
  const flooderId = await userIdOf(flooder.userPrincipalName);
  const recorded = await readAudit(request, AUDITOR, { type: 'rate_limit.exceeded', actorId: flooderId });
  expect(recorded.length).toBeGreaterThanOrEqual(1);
  expect(recorded.length).toBeLessThanOrEqual(windows);
  expect(recorded[0]!.data).toMatchObject({ limit: budget });
});
