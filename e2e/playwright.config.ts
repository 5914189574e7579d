import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumExecutable } from './support/chromium';

// The stack (local tenant, database, portal) is started by `npm test` (scripts/test.ts), which
// passes its URLs here; the suite never starts servers of its own.
const portalUrl = process.env.PORTAL_URL;
const spki = process.env.TENANT_SPKI;
if (!portalUrl || !spki) {
  throw new Error('The e2e suite runs against a stack started by `npm test` (PORTAL_URL and TENANT_SPKI are not set).');
}

export default defineConfig({
  testDir: '.',
  // One worker: several specs change the tenant's directory (moves, whole new org charts), and
  // the machine has two cores.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json']],
  outputDir: '../test-results',
  use: {
    baseURL: portalUrl,
    trace: 'retain-on-failure',
    browserName: 'chromium',
    launchOptions: {
      executablePath: chromiumExecutable,
      args: [
        ...chromiumArgs,
        // Trust exactly the local tenant's self-signed certificate (by its public key hash);
        // every other certificate check stays on.
        `--ignore-certificate-errors-spki-list=${spki}`,
      ],
    },
  },
  projects: [
    { name: 'api', testMatch: /api\/.*\.spec\.ts$/ },
    { name: 'browser', testMatch: /ui\/.*\.spec\.ts$/ },
    // Runs against its own stack with notification mail on (scripts/test.ts), never with the others.
    { name: 'mail', testMatch: /mail\/.*\.spec\.ts$/ },
    // A tenant with no portal registrations, set up by `npm run setup:entra` (scripts/test.ts).
    { name: 'setup', testMatch: /setup\/.*\.spec\.ts$/ },
  ],
});
