/**
 * setup:entra after the sign-in, read → plan → execute, against an in-memory Graph with Graph's
 * shapes: an empty tenant is set up and the written `.env` configures the portal; a second run
 * changes nothing; `--dry-run` writes nothing; a 403 names the directory role and a re-run
 * finishes the job; the `.env`'s other lines survive.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnv } from '@/lib/env';
import { BROKER_PERMISSION_NEEDS } from '@/lib/core/graph-permission-needs';
import { createMemoryGraph, type MemoryGraph } from '@/scripts/lib/setup-entra/graph-test-support';
import { parseSetupArgs, resolveSettings, type SetupSettings } from '@/scripts/lib/setup-entra/options';
import { applySetup, type SetupIo } from '@/scripts/lib/setup-entra/run-setup';
import { parseEnvFile } from '@/scripts/lib/setup-entra/env-file';

const TENANT = '22222222-2222-4222-8222-222222222222';
const PERMISSIONS = [...BROKER_PERMISSION_NEEDS.map((n) => n.least), 'Mail.Send', 'Directory.Read.All'];
const ALICE_ID = '77777777-7777-4777-8777-777777777777';
const GROUP_ID = '88888888-8888-4888-8888-888888888888';

let dir: string;
let graph: MemoryGraph;
let out: string[];
let err: string[];

const io: SetupIo = {
  print: (line) => out.push(line),
  printError: (line) => err.push(line),
  env: { NODE_ENV: 'test' },
  readStdin: () => Promise.resolve(''),
  now: () => new Date('2026-12-01T12:00:00Z'),
};

function settings(...extra: string[]): SetupSettings {
  const parsed = parseSetupArgs([
    `--tenant-id=${TENANT}`,
    '--portal-url=https://tap.contoso.example',
    `--env-path=${path.join(dir, '.env')}`,
    `--certificate-path=${path.join(dir, 'secrets', 'broker.pem')}`,
    ...extra,
  ]);
  if (parsed.kind !== 'ok') throw new Error('bad test arguments');
  const resolved = resolveSettings(parsed.args, {});
  if ('error' in resolved) throw new Error(resolved.error);
  return resolved;
}

async function run(...extra: string[]): Promise<number> {
  out = [];
  err = [];
  return applySetup(settings(...extra), io, graph);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'setup-entra-run-'));
  graph = createMemoryGraph(PERMISSIONS, { 'alice@contoso.example': ALICE_ID });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('setup:entra against an empty tenant', () => {
  it('creates the registrations, writes an .env the portal accepts, and a second run changes nothing', async () => {
    expect(await run('--assign-approvers=alice@contoso.example', `--assign-admins=${GROUP_ID}`)).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toMatch(/^Applying \d+ actions:$/);
    expect(out).toContain('  done: create application TAP Broker API');
    expect(out).toContain('  done: grant Microsoft Graph application permission RoleManagement.Read.Directory to TAP Broker service (admin consent)');

    const envText = await readFile(path.join(dir, '.env'), 'utf8');
    expect((await stat(path.join(dir, '.env'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'secrets', 'broker.pem'))).mode & 0o777).toBe(0o600);
    const env = parseEnv(parseEnvFile(envText));
    const api = graph.applications.find((a) => a['displayName'] === 'TAP Broker API');
    const broker = graph.applications.find((a) => a['displayName'] === 'TAP Broker service');
    expect(env.api.clientId).toBe(api?.['appId']);
    expect(env.api.scope).toBe(`api://${String(api?.['appId'])}/access_as_user`);
    expect(env.broker.clientId).toBe(broker?.['appId']);
    expect(env.broker.credential.kind).toBe('certificate');
    expect(env.portalUrl).toBe('https://tap.contoso.example');

    // Admin consent: exactly the least-privileged permissions, as app role assignments on Graph.
    const graphSp = graph.servicePrincipals.find((sp) => sp['appId'] === '00000003-0000-0000-c000-000000000000');
    const brokerSp = graph.servicePrincipals.find((sp) => sp['appId'] === broker?.['appId']);
    const consented = graph.assignments.filter((a) => a['principalId'] === brokerSp?.['id'] && a['resourceId'] === graphSp?.['id']).map((a) => a['appRoleId']);
    const roleName = (id: unknown) => (graphSp?.['appRoles'] as { id: string; value: string }[]).find((r) => r.id === id)?.value;
    expect(consented.map(roleName).sort()).toEqual(BROKER_PERMISSION_NEEDS.map((n) => n.least).sort());
    expect(graph.assignments.filter((a) => a['principalId'] === ALICE_ID || a['principalId'] === GROUP_ID)).toHaveLength(2);

    const writes = graph.writes.length;
    expect(await run('--assign-approvers=alice@contoso.example', `--assign-admins=${GROUP_ID}`)).toBe(0);
    expect(out).toEqual(['No change: everything is in place.']);
    expect(graph.writes).toHaveLength(writes);
    expect(await readFile(path.join(dir, '.env'), 'utf8')).toBe(envText);
  });

  it('--dry-run prints the plan and writes nothing, in Graph or on disk', async () => {
    expect(await run('--dry-run')).toBe(0);
    expect(out[0]).toMatch(/^Plan \(dry run: nothing was changed\), \d+ actions:$/);
    expect(out).toContain('  - create application TAP Broker portal');
    expect(out.at(-1)).toMatch(/^ {2}- write \.env: /);
    expect(graph.writes).toEqual([]);
    await expect(stat(path.join(dir, '.env'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(path.join(dir, 'secrets'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a 403 on admin consent names Privileged Role Administrator and stops; a re-run with the role finishes', async () => {
    graph.deny = (method, p) => method === 'POST' && p.endsWith('/appRoleAssignments');
    expect(await run()).toBe(1);
    expect(err[0]).toMatch(/^setup:entra failed at: grant Microsoft Graph application permission \S+ to TAP Broker service \(admin consent\)$/);
    expect(err.join('\n')).toContain('403 Authorization_RequestDenied');
    expect(err.join('\n')).toContain('needs the directory role Privileged Role Administrator');
    // Nothing after the failed step: no consent grant for the portal, no .env.
    expect(graph.grants).toEqual([]);
    await expect(stat(path.join(dir, '.env'))).rejects.toMatchObject({ code: 'ENOENT' });

    graph.deny = null;
    expect(await run()).toBe(0);
    expect(out.filter((l) => l.startsWith('  done: create application'))).toEqual([]);
    expect(graph.applications).toHaveLength(3);
    expect(await run()).toBe(0);
    expect(out).toEqual(['No change: everything is in place.']);
  });

  it('a 403 on registrations names Application Administrator', async () => {
    graph.deny = (method) => method !== 'GET';
    expect(await run()).toBe(1);
    expect(err.join('\n')).toContain('needs the directory role Application Administrator');
  });

  it('keeps the .env file’s other lines and drops a client secret the certificate replaces', async () => {
    await writeFile(path.join(dir, '.env'), '# my portal\nPORT=3100\nBROKER_CLIENT_SECRET=abc~secret\nLOG_LEVEL=debug\n');
    expect(await run()).toBe(0);
    const text = await readFile(path.join(dir, '.env'), 'utf8');
    expect(text.startsWith('# my portal\nPORT=3100\nLOG_LEVEL=debug\n')).toBe(true);
    expect(text).not.toContain('BROKER_CLIENT_SECRET');
    expect(text).not.toContain('abc~secret');
    expect(out.join('\n')).not.toContain('abc~secret');
  });

  it('a scope or app role that drifted while enabled is disabled first, as Graph requires, then fixed', async () => {
    expect(await run()).toBe(0);
    const api = graph.applications.find((a) => a['displayName'] === 'TAP Broker API') as { api: { oauth2PermissionScopes: { type: string }[] }; appRoles: { allowedMemberTypes: string[] }[] };
    const scope = api.api.oauth2PermissionScopes[0];
    const role = api.appRoles[0];
    if (scope === undefined || role === undefined) throw new Error('setup made no scope or role');
    scope.type = 'Admin';
    role.allowedMemberTypes = ['Application'];
    const writes = graph.writes.length;
    const code = await run();
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toEqual([
      'Applying 2 actions:',
      '  done: expose scope access_as_user (users may consent) on TAP Broker API',
      expect.stringMatching(/^ {2}done: define app role TapBroker\.\w+ \(for users\) on TAP Broker API$/),
      expect.stringMatching(/^Done\. /),
    ]);
    expect(graph.writes.slice(writes)).toHaveLength(4);
    expect(await run()).toBe(0);
    expect(out).toEqual(['No change: everything is in place.']);
  });

  it('an extra Graph permission on the broker is a warning until --prune revokes it', async () => {
    expect(await run()).toBe(0);
    const broker = graph.applications.find((a) => a['displayName'] === 'TAP Broker service');
    const brokerSp = graph.servicePrincipals.find((sp) => sp['appId'] === broker?.['appId']);
    const graphSp = graph.servicePrincipals.find((sp) => sp['appId'] === '00000003-0000-0000-c000-000000000000');
    const wide = (graphSp?.['appRoles'] as { id: string; value: string }[]).find((r) => r.value === 'Directory.Read.All');
    graph.assignments.push({ id: 'extra', principalId: brokerSp?.['id'], principalType: 'ServicePrincipal', resourceId: graphSp?.['id'], appRoleId: wide?.id });

    expect(await run()).toBe(0);
    expect(out).toEqual([
      'warning: TAP Broker service requests or holds Microsoft Graph application permission no feature needs: Directory.Read.All (kept; --prune removes it).',
      'No change: everything is in place.',
    ]);
    expect(await run('--prune')).toBe(0);
    expect(out).toContain('  done: revoke Microsoft Graph application permission Directory.Read.All from TAP Broker service (--prune)');
    expect(graph.assignments.some((a) => a['id'] === 'extra')).toBe(false);
  });
});
