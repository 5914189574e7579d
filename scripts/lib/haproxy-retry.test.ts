/**
 * The balancer's retry policy, run in the real HAProxy (deploy/haproxy.cfg as `npm run stack:prod`
 * renders it) in front of two small upstreams: a request an instance received and then dropped
 * without an answer is replayed on another instance for GET only; a POST reaches one instance
 * exactly once and its client gets the 502, because replaying it could issue a second pass. A POST
 * whose connection never opened goes to the other instance.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../pg-cluster';
import { haproxyTemplatePath, renderHaproxyConfig } from './prod-stack';
import { stopChild } from './stack';
import { getInstanceEntryCommand } from './standalone';

const haproxyBin = process.env.HAPROXY_BIN || '/usr/sbin/haproxy';
const { healthPath } = getInstanceEntryCommand();

/** An upstream that answers readiness, records each other request and answers it with `respond`. */
async function startUpstream(name: string, seen: string[], respond: (res: http.ServerResponse) => void): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === healthPath) return void res.end('ok');
    req.resume();
    req.on('end', () => {
      seen.push(`${name} ${req.method}`);
      respond(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: http.Server) => (server.address() as AddressInfo).port;

/** One request on its own connection: the status, or the error's message. */
function send(port: number, method: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/tap-requests', method, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error) => resolve(error.message));
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

/** HAProxy in front of `ports`; resolves once it answers. */
async function startBalancer(dir: string, ports: number[]): Promise<{ port: number; child: ChildProcess }> {
  const port = await findFreePort();
  const config = path.join(dir, `haproxy-${port}.cfg`);
  writeFileSync(config, renderHaproxyConfig(readFileSync(haproxyTemplatePath, 'utf8'), { bind: `127.0.0.1:${port}`, ports }));
  const child = spawn(haproxyBin, ['-db', '-f', config], { stdio: 'ignore' });
  // Waiting for the listener is synchronisation on an observable condition.
  while (typeof (await send(port, 'HEAD')) === 'string') {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, child };
}

describe('the balancer replays a request an instance received only when it is a GET', () => {
  const seen: string[] = [];
  const servers: http.Server[] = [];
  const children: ChildProcess[] = [];
  let dir: string;
  let dropping: http.Server;
  let answering: http.Server;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tap-haproxy-'));
    // Received, then gone without a byte: an instance killed mid-request.
    dropping = await startUpstream('dropping', seen, (res) => res.socket?.destroy());
    answering = await startUpstream('answering', seen, (res) => res.end('done'));
    servers.push(dropping, answering);
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => stopChild(child)));
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every GET from the other instance and every POST with 502, delivered once', async () => {
    const balancer = await startBalancer(dir, [portOf(dropping), portOf(answering)]);
    children.push(balancer.child);
    seen.length = 0;
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await send(balancer.port, 'GET'), await send(balancer.port, 'POST'));

    expect(statuses.filter((_, i) => i % 2 === 0)).toEqual([200, 200, 200, 200]);
    const posts = statuses.filter((_, i) => i % 2 === 1);
    const postsSeen = seen.filter((entry) => entry.endsWith(' POST'));
    // Each POST reached exactly one instance; the ones the dropping instance got were not replayed.
    expect(postsSeen).toHaveLength(4);
    expect(posts.filter((status) => status === 502)).toHaveLength(postsSeen.filter((entry) => entry === 'dropping POST').length);
    expect(postsSeen).toContain('dropping POST');
  });

  it('sends a POST whose connection was refused to the other instance', async () => {
    const closedPort = await findFreePort();
    const balancer = await startBalancer(dir, [closedPort, portOf(answering)]);
    children.push(balancer.child);
    seen.length = 0;
    const statuses = [await send(balancer.port, 'POST'), await send(balancer.port, 'POST')];
    expect(statuses).toEqual([200, 200]);
    expect(seen).toEqual(['answering POST', 'answering POST']);
  });
});
