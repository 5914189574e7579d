/**
 * The team view benchmark's measured half (started by `npm run bench -- --only=team`): the built
 * portal (`next start`, embedded database) with the local tenant holding one manager over 5,000
 * people (50 leads of 99), opened in Chromium as that manager:
 *
 *   team-view-bench.ts <dataDir>
 *
 *   1. time to first rows and to all 5,000 loaded and shown, from a reload of the signed-in team
 *      page; reference: the same API calls alone (the first page; every page, as the page asks
 *      for them), from Node with the same token flow, in the same run.
 *   2. a scroll through the whole list, one viewport per frame: frame time p50/p95 and the most
 *      rows in the DOM at once; reference: the same 5,000 names as a plain static list in the
 *      same browser (all 5,000 rows in the DOM), scrolled the same way.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Page } from 'playwright';
import { chromiumArgs, chromiumExecutable } from '../../e2e/support/chromium';
import demoOrg from '../../tenant/demo-org.json';
import { startStack, type Stack } from '../lib/stack';
import { findFreePort } from '../pg-cluster';
import { formatRatio, percentile, reportBenchRows, type BenchRow } from './bench-rows';

const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: team-view-bench.ts <dataDir>');

const LEADS = 50;
const PER_LEAD = 99;
const TEAM = LEADS + LEADS * PER_LEAD;
const PAGE = 1000;
const DOMAIN = 'team.contoso.test';
const BOSS = `team.boss@${DOMAIN}`;
const PASSWORD = demoOrg.demoAccounts.password;

function buildSeed(): Record<string, unknown> {
  const person = (upn: string, displayName: string, manager: string | null) => ({
    userPrincipalName: upn,
    displayName,
    password: PASSWORD,
    manager,
    jobTitle: 'Engineer',
    department: 'Scale',
    accountEnabled: true,
    userType: 'Member',
    employeeHireDate: '2020-01-06T08:00:00Z',
    directoryRoles: [],
    appRoles: [],
  });
  const users = [person(BOSS, 'Team Boss', null)];
  for (let l = 1; l <= LEADS; l++) {
    const lead = `lead${l}@${DOMAIN}`;
    users.push(person(lead, `Lead ${String(l).padStart(2, '0')}`, BOSS));
    for (let m = 1; m <= PER_LEAD; m++) {
      const n = (l - 1) * PER_LEAD + m;
      users.push(person(`member${n}@${DOMAIN}`, `Member ${String(n).padStart(4, '0')}`, lead));
    }
  }
  const { tenantId, portal, broker, automation, tapPolicy } = demoOrg;
  return { tenantId, portal, broker, automation, tapPolicy, users };
}

/** The SPA's access token, through the local tenant's password grant. */
async function userToken(stack: Stack): Promise<string> {
  const form = {
    grant_type: 'password',
    client_id: demoOrg.portal.clientId,
    username: BOSS,
    password: PASSWORD,
    scope: `api://${demoOrg.portal.apiClientId}/${demoOrg.portal.scope} openid profile`,
  };
  const res = await fetch(`${stack.tenantUrl}/${stack.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || body.access_token === undefined) throw new Error(`token request failed: ${res.status}`);
  return body.access_token;
}

/** The API alone: the first page, then the rest two at a time, as the team page asks for them. */
async function fetchTeam(stack: Stack, token: string): Promise<{ firstMs: number; allMs: number; total: number; source: string }> {
  const get = async (offset: number) => {
    const res = await fetch(`${stack.portalUrl.replace('localhost', '127.0.0.1')}/api/reportees?limit=${PAGE}&offset=${offset}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`GET /api/reportees: ${res.status}`);
    return (await res.json()) as { total: number; source: string; reportees: unknown[] };
  };
  const t0 = performance.now();
  const first = await get(0);
  const firstMs = performance.now() - t0;
  for (let offset = PAGE; offset < first.total; offset += 2 * PAGE) {
    await Promise.all([get(offset), ...(offset + PAGE < first.total ? [get(offset + PAGE)] : [])]);
  }
  return { firstMs, allMs: performance.now() - t0, total: first.total, source: first.source };
}

/**
 * Scrolls the window one viewport per frame to the bottom: frame durations and the most rows seen
 * at once. Sent as source text: tsx's transform would add helpers the page does not have.
 */
const SCROLL_THROUGH = `(selector) => new Promise((resolve) => {
  window.scrollTo(0, 0);
  const frames = [];
  let maxRows = 0;
  let last = performance.now();
  function tick(now) {
    frames.push(now - last);
    last = now;
    maxRows = Math.max(maxRows, document.querySelectorAll(selector).length);
    if (window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1) {
      resolve({ frames: frames.slice(1), maxRows });
      return;
    }
    window.scrollBy(0, window.innerHeight);
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})`;

function scrollThrough(page: Page, rowSelector: string): Promise<{ frames: number[]; maxRows: number }> {
  return page.evaluate(`(${SCROLL_THROUGH})(${JSON.stringify(rowSelector)})`);
}

/** The reference list: the same 5,000 names as static rows, all in the DOM. */
async function staticList(page: Page): Promise<{ renderMs: number; frames: number[]; maxRows: number }> {
  await page.setContent('<!doctype html><html><body><ul id="list"></ul></body></html>');
  const renderMs = await page.evaluate<number>(`(() => {
    const t0 = performance.now();
    const list = document.getElementById('list');
    const items = [];
    for (let i = 1; i <= ${TEAM}; i++) items.push('<li data-row style="padding:12px;border-bottom:1px solid #eee">Member ' + i + '<br><small>member' + i + '@team.contoso.test</small></li>');
    list.innerHTML = items.join('');
    void list.getBoundingClientRect().height;
    return performance.now() - t0;
  })()`);
  return { renderMs, ...(await scrollThrough(page, '[data-row]')) };
}

const ms = (n: number) => `${Math.round(n)} ms`;

async function main() {
  const portalLog: string[] = [];
  const seedPath = path.join(dataDir!, 'team-org.json');
  await writeFile(seedPath, JSON.stringify(buildSeed()));
  const stack = await startStack({
    portalPort: await findFreePort(),
    tenantPort: await findFreePort(),
    dataDir: dataDir!,
    seedPath,
    logLevel: 'warn',
    notifications: false,
    onPortalOutput: (chunk) => portalLog.push(chunk),
    env: { API_BUDGET_PER_USER: '1000000', API_BUDGET_WINDOW_SECONDS: '60', GRAPH_BUDGET_PER_SECOND: '0' },
  }).catch((error: unknown) => {
    console.error(portalLog.join('').slice(-4000));
    throw error;
  });
  // Trusts exactly the local tenant's certificate (by its public key hash), as the e2e run does.
  const browser = await chromium.launch({
    executablePath: chromiumExecutable,
    args: [...chromiumArgs, `--ignore-certificate-errors-spki-list=${stack.spkiSha256}`],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Signed in once through the real MSAL redirect; the figures are from a reload after.
    await page.goto(stack.portalUrl);
    await page
      .getByRole('button', { name: 'Sign in' })
      .click()
      .catch(async (error: unknown) => {
        console.error(`the portal showed no "Sign in" at ${page.url()}:\n${(await page.locator('body').innerText()).slice(0, 2000)}\n${portalLog.join('').slice(-2000)}`);
        throw error;
      });
    await page.waitForURL((url) => url.origin === new URL(stack.tenantUrl).origin);
    await page.getByLabel(/user ?name|email/i).fill(BOSS);
    await page.getByLabel(/password/i).fill(PASSWORD);
    await page.getByRole('button', { name: /sign in/i }).click();
    const count = page.getByTestId('reportee-count');
    await count.filter({ hasText: new RegExp(`^${TEAM} people$`) }).waitFor({ timeout: 300_000 });

    // The API alone, warm as the page's own calls are.
    const token = await userToken(stack);
    await fetchTeam(stack, token);
    const api = await fetchTeam(stack, token);

    const t0 = Date.now();
    await page.reload();
    await page.getByTestId('reportee-row').first().waitFor({ timeout: 120_000 });
    const firstRowsMs = Date.now() - t0;
    await count.filter({ hasText: new RegExp(`^${TEAM} people$`) }).waitFor({ timeout: 300_000 });
    const allMs = Date.now() - t0;

    const team = await scrollThrough(page, '[role="row"][data-user-id]');
    const reference = await staticList(page);
    const p95 = percentile(team.frames, 95);
    const refP95 = percentile(reference.frames, 95);

    console.log(`team of ${api.total} (source ${api.source}); first rows ${ms(firstRowsMs)}, all shown ${ms(allMs)}; API first page ${ms(api.firstMs)}, all pages ${ms(api.allMs)}`);
    console.log(`scroll: ${team.frames.length} frames, p50 ${ms(percentile(team.frames, 50))}, p95 ${ms(p95)}, at most ${team.maxRows} rows in the DOM`);
    console.log(`static list: rendered in ${ms(reference.renderMs)}; ${reference.frames.length} frames, p50 ${ms(percentile(reference.frames, 50))}, p95 ${ms(refP95)}, ${reference.maxRows} rows in the DOM`);

    const rows: BenchRow[] = [
      {
        section: 'team',
        what: `team page: time to first rows (reload, ${TEAM} reportees, source ${api.source})`,
        measured: ms(firstRowsMs),
        reference: `API first page alone ${ms(api.firstMs)}`,
        ratio: formatRatio(firstRowsMs, api.firstMs),
        goal: '—',
        met: '—',
      },
      {
        section: 'team',
        what: `team page: time to all ${TEAM} loaded and shown (pages of ${PAGE}, two at a time)`,
        measured: ms(allMs),
        reference: `API all pages alone ${ms(api.allMs)}`,
        ratio: formatRatio(allMs, api.allMs),
        goal: '—',
        met: '—',
      },
      {
        section: 'team',
        what: `team page: scroll-through frame time p95 (one viewport per frame, ${team.frames.length} frames)`,
        measured: ms(p95),
        reference: `static ${TEAM}-row list ${ms(refP95)}`,
        ratio: formatRatio(p95, refP95),
        goal: '—',
        met: '—',
      },
      {
        section: 'team',
        what: 'team page: most rows in the DOM at once while scrolling',
        measured: String(team.maxRows),
        reference: `static list ${reference.maxRows}`,
        ratio: formatRatio(team.maxRows, reference.maxRows),
        goal: '—',
        met: '—',
      },
    ];
    reportBenchRows(rows);
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
