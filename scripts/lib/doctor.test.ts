/**
 * The doctor's report and exit code, and its child process run end to end against a local tenant
 * with no database (the lifetime check then says so rather than crash).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HealthCheck } from '@/lib/contract/session';
import { buildTestSeed, startLocalTenant, TEST_DOMAIN } from '@/lib/testing/local-tenant';
import { formatDoctorJson, formatDoctorReport, getDoctorExitCode, runDoctorChecks } from './doctor';

const CHECKS: HealthCheck[] = [
  { id: 'authority-metadata', status: 'ok', detail: 'The authority answers.', fix: null },
  { id: 'api-token-version', status: 'fail', detail: 'The API registration issues v1 access tokens.', fix: 'Run `npm run setup:entra`.' },
  { id: 'step-up', status: 'warn', detail: 'Step-up is off.', fix: 'Turn it on.' },
];

describe('the doctor report', () => {
  it('prints one aligned line per check with its mark, the fix indented under it, and a summary', () => {
    expect(formatDoctorReport(CHECKS).split('\n')).toEqual([
      '✓ authority-metadata  The authority answers.',
      '✗ api-token-version   The API registration issues v1 access tokens.',
      '                      fix: Run `npm run setup:entra`.',
      '! step-up             Step-up is off.',
      '                      fix: Turn it on.',
      '',
      '3 checks: 1 ok, 1 warning, 1 failure — the configuration has faults: fix each ✗ above.',
    ]);
  });

  it('exits 1 on any failure, 0 with warnings only', () => {
    expect(getDoctorExitCode(CHECKS)).toBe(1);
    expect(getDoctorExitCode(CHECKS.filter((check) => check.status !== 'fail'))).toBe(0);
    expect(formatDoctorReport(CHECKS.filter((check) => check.status !== 'fail')).split('\n').at(-1)).toBe(
      '2 checks: 1 ok, 1 warning, 0 failures — the configuration works.',
    );
  });

  it('--json prints the checks in the shape of GET /api/health/details', () => {
    expect(JSON.parse(formatDoctorJson(CHECKS))).toEqual({ checks: CHECKS });
  });
});

describe('runDoctorChecks', () => {
  it('runs the checks in a child process; without a database the lifetime check warns, and nothing fails', async () => {
    const local = await startLocalTenant(
      buildTestSeed([
        { upn: 'boss', displayName: 'Boss Person' },
        { upn: 'worker', displayName: 'Worker Person', manager: 'boss' },
      ]),
    );
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tap-broker-doctor-run-'));
    try {
      const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', PORTAL_URL: 'http://localhost:3000' };
      const checks = await runDoctorChecks({ user: `worker@${TEST_DOMAIN}`, env });
      expect(checks.filter((check) => check.status === 'fail')).toEqual([]);
      expect(checks.find((check) => check.id === 'graph-chain-read')).toMatchObject({ status: 'ok' });
      const lifetimes = checks.find((check) => check.id === 'tap-policy-lifetimes');
      expect(lifetimes).toMatchObject({ status: 'warn' });
      expect(lifetimes?.detail).toContain(`no database in ${dataDir}`);
      expect(getDoctorExitCode(checks)).toBe(0);
    } finally {
      await local.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an invalid configuration is one failing check listing the problems', async () => {
    const env = { ...process.env, ENTRA_AUTHORITY_HOST: '', ENTRA_TENANT_ID: 'not-a-guid' };
    const checks = await runDoctorChecks({ env });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ id: 'configuration', status: 'fail' });
    expect(checks[0]?.detail).toContain('ENTRA_TENANT_ID: must be a GUID');
    expect(checks[0]?.fix).toContain('npm run setup:entra');
    expect(getDoctorExitCode(checks)).toBe(1);
  }, 60_000);
});
