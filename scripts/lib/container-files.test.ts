/**
 * The container files (Dockerfile, compose.yaml, deploy/haproxy.cfg) describe the topology
 * `npm run stack:prod` runs: the same entry command, port variable and readiness path as
 * getInstanceEntryCommand(), and the balancer configuration the script renders comes from
 * deploy/haproxy.cfg. No Docker engine runs here, so the files are read as text: compose.yaml
 * stays simple enough (two-space indentation, no anchors) for the small block reader below.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haproxyTemplatePath, renderHaproxyConfig } from './prod-stack';
import { repoRoot } from './stack';
import { getInstanceEntryCommand } from './standalone';

const entry = getInstanceEntryCommand();
const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const compose = readFileSync(path.join(repoRoot, 'compose.yaml'), 'utf8');
const haproxyTemplate = readFileSync(haproxyTemplatePath, 'utf8');

/** The instructions of the Dockerfile's last stage (the image that runs), continuation lines joined. */
function getRuntimeStage(): { instruction: string; args: string }[] {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  const lines = joined.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const lastFrom = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  return lines.slice(lastFrom).map((line) => {
    const [, instruction = '', args = ''] = /^(\w+)\s+(.*)$/.exec(line.trim()) ?? [];
    return { instruction: instruction.toUpperCase(), args };
  });
}

function getInstruction(stage: { instruction: string; args: string }[], name: string): string[] {
  return stage.filter((i) => i.instruction === name).map((i) => i.args);
}

/** The lines under `<indent>name:` that are indented deeper, as text (compose.yaml's blocks). */
function getBlock(text: string, name: string, indent: number): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line === `${' '.repeat(indent)}${name}:`);
  if (start === -1) throw new Error(`compose.yaml has no "${name}:" at indentation ${indent}`);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && !line.startsWith(' '.repeat(indent + 1))) break;
    body.push(line);
  }
  return body.join('\n');
}

const services = getBlock(compose, 'services', 0);
const getService = (name: string) => getBlock(services, name, 2);
/** `key: value` directly inside a service (4 spaces), quotes removed. */
function getServiceValue(service: string, key: string): string | undefined {
  const match = new RegExp(`^ {4}${key}: *(.+)$`, 'm').exec(getService(service));
  return match?.[1]?.trim().replace(/^"(.*)"$/, '$1');
}
function getServiceEnv(service: string): Record<string, string> {
  const block = getBlock(getService(service), 'environment', 4);
  return Object.fromEntries([...block.matchAll(/^ {6}([A-Z_][A-Z0-9_]*): *(.*)$/gm)].map(([, key, value]) => [key!, value!.trim().replace(/^"(.*)"$/, '$1')]));
}

describe('the Dockerfile runs the instance entry of scripts/lib/standalone.ts', () => {
  const runtime = getRuntimeStage();

  it('starts node:20-slim as a non-root user with the entry command (exec form) in the standalone folder', () => {
    expect(runtime[0]?.args).toMatch(/^node:20-slim\b/);
    expect(getInstruction(runtime, 'USER')).toEqual(['node']);
    const cmd = getInstruction(runtime, 'CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]!)).toEqual(entry.command);
    // server.js sits at the top of .next/standalone, so the working directory is where it is copied.
    const [workdir, ...more] = getInstruction(runtime, 'WORKDIR');
    expect(more).toEqual([]);
    const standaloneCopy = getInstruction(runtime, 'COPY').find((args) => args.includes('/.next/standalone '));
    const destination = standaloneCopy?.split(/\s+/).at(-1) ?? '';
    expect(path.posix.resolve(workdir ?? '', destination)).toBe(workdir);
  });

  it('listens on the exposed port through the port and host variables server.js reads', () => {
    expect(getInstruction(runtime, 'EXPOSE')).toEqual([String(entry.containerPort)]);
    const env = getInstruction(runtime, 'ENV').join(' ');
    expect(env).toMatch(new RegExp(`(^|\\s)${entry.portEnv}=${entry.containerPort}(\\s|$)`));
    expect(env).toMatch(new RegExp(`(^|\\s)${entry.hostEnv}=0\\.0\\.0\\.0(\\s|$)`));
  });

  it('checks health by asking the readiness path with node’s fetch on that port', () => {
    const [healthcheck] = getInstruction(runtime, 'HEALTHCHECK');
    const [, execForm = ''] = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck ?? '') ?? [];
    const [command, flag, script] = JSON.parse(execForm) as string[];
    expect([command, flag]).toEqual(['node', '-e']);
    expect(script).toContain(`process.env.${entry.portEnv}`);
    expect(script).toContain(`'${entry.healthPath}'`);
    expect(script).toContain('fetch(');
  });

  it('builds with the same completion step the script uses (prepareStandalone)', () => {
    expect(dockerfile).toMatch(/^RUN npm run build:standalone$/m);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build:standalone']).toBe('next build && tsx scripts/prepare-standalone.ts');
  });
});

describe('compose.yaml deploys that image behind deploy/haproxy.cfg', () => {
  it('runs the migration once, from the image, before the portals start', () => {
    expect(JSON.parse(getServiceValue('migrate', 'command') ?? '')).toEqual(entry.migrateCommand);
    expect(getServiceValue('migrate', 'image')).toBe(getServiceValue('portal', 'image'));
    expect(getServiceValue('migrate', 'build')).toBe('.');
    expect(getServiceValue('migrate', 'restart')).toBe('no');
    const dependsOn = getBlock(getService('portal'), 'depends_on', 4);
    expect(getBlock(dependsOn, 'migrate', 6)).toMatch(/^ {8}condition: service_completed_successfully$/m);
  });

  it('gives the portals the image’s port and host variables, and as many replicas as the balancer has slots', () => {
    const env = getServiceEnv('portal');
    expect(env[entry.portEnv]).toBe(String(entry.containerPort));
    expect(env[entry.hostEnv]).toBe('0.0.0.0');
    expect(env.TRUSTED_PROXY_HOPS).toBe('1');
    const replicas = /^ {6}replicas: *(\d+)$/m.exec(getBlock(getService('portal'), 'deploy', 4))?.[1];
    const [, slots, target] = /^\s*server-template\s+\S+\s+(\d+)\s+(\S+)/m.exec(haproxyTemplate) ?? [];
    expect(replicas).toBe(slots);
    expect(target).toBe(`portal:${entry.containerPort}`);
  });

  it('mounts deploy/haproxy.cfg and publishes the port it binds', () => {
    expect(getBlock(getService('haproxy'), 'volumes', 4)).toContain('- ./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    const [, bindPort] = /^\s*bind\s+:(\d+)\s*$/m.exec(haproxyTemplate) ?? [];
    expect(getBlock(getService('haproxy'), 'ports', 4)).toContain(`- "${bindPort}:${bindPort}"`);
  });

  it('writes no secret inline: passwords, keys and the database URL come from secret files', () => {
    for (const service of ['postgres', 'migrate', 'portal']) {
      const env = getService(service).includes('    environment:') ? getServiceEnv(service) : {};
      for (const [key, value] of Object.entries(env)) {
        if (/PASSWORD|SECRET|DATABASE_URL|KEY/.test(key)) expect(value, `${service}.${key}`).toMatch(/^\/run\/secrets\//);
      }
    }
    expect(getServiceValue('migrate', 'env_file')).toBeUndefined();
    expect(getBlock(getService('migrate'), 'env_file', 4)).toMatch(/- secrets\//);
  });
});

describe('renderHaproxyConfig: the script’s balancer is deploy/haproxy.cfg', () => {
  const rendered = renderHaproxyConfig(haproxyTemplate, { bind: '127.0.0.1:4000', ports: [4001, 4002, 4003, 4004] });

  it('changes only the bind line and turns the server-template into one server per instance', () => {
    const kept = (text: string) => text.split('\n').filter((line) => !/^\s*(bind|server|server-template)\s/.test(line));
    expect(kept(rendered)).toEqual(kept(haproxyTemplate));
    expect(rendered).toMatch(/^ {4}bind 127\.0\.0\.1:4000$/m);
    expect(rendered.match(/^ {4}server portal-\d 127\.0\.0\.1:\d+ check$/gm)).toEqual([
      '    server portal-1 127.0.0.1:4001 check',
      '    server portal-2 127.0.0.1:4002 check',
      '    server portal-3 127.0.0.1:4003 check',
      '    server portal-4 127.0.0.1:4004 check',
    ]);
  });

  it('checks the readiness path, and retries past a delivered request only for GET and HEAD', () => {
    expect(rendered).toMatch(new RegExp(`^\\s*http-check send meth GET uri ${entry.healthPath} `, 'm'));
    expect(rendered).toMatch(/^\s*retry-on conn-failure empty-response 503$/m);
    expect(rendered).toMatch(/^\s*http-request disable-l7-retry unless METH_GET$/m);
    expect(rendered).toMatch(/^\s*option redispatch\b/m);
  });
});
