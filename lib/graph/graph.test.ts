import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { graphBatch, type GraphBatchStats } from '@/lib/graph/batch';
import { callGraph, GraphRequestError } from '@/lib/graph/client';
import { buildTestSeed, startLocalTenant, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';

let local: LocalTenant;
const USERS = 30;

beforeAll(async () => {
  const users: TestSeedUser[] = Array.from({ length: USERS }, (_, i) => ({ upn: `u${i}`, displayName: `User ${i}` }));
  local = await startLocalTenant(buildTestSeed(users));
});

afterAll(async () => {
  await local?.close();
});

function batchRequests(): number {
  return Object.entries(local.tenant.ctx.stats.graph)
    .filter(([template]) => template.includes('$batch'))
    .reduce((sum, [, count]) => sum + count, 0);
}

describe('Graph access as the broker', () => {
  it('callGraph reads and parses one resource with the broker app token', async () => {
    const user = await callGraph(
      { method: 'GET', url: `/users/${local.userId('u3')}?$select=id,displayName,accountEnabled` },
      z.object({ id: z.string(), displayName: z.string(), accountEnabled: z.boolean() }),
    );
    expect(user).toEqual({ id: local.userId('u3'), displayName: 'User 3', accountEnabled: true });
  });

  it('callGraph reports Graph errors with status, code and request id', async () => {
    const error = await callGraph({ method: 'GET', url: '/users/00000000-0000-4000-8000-00000000beef' }, z.unknown()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error).toMatchObject({ status: 404, graphCode: 'Request_ResourceNotFound' });
    expect((error as GraphRequestError).graphRequestId).toMatch(/[0-9a-f-]{36}/);
  });

  it('callGraph refuses an answer that does not match the schema', async () => {
    await expect(callGraph({ method: 'GET', url: `/users/${local.userId('u1')}` }, z.object({ accountEnabled: z.boolean() }))).rejects.toBeInstanceOf(
      GraphRequestError,
    );
  });

  it('graphBatch chunks by 20, answers in request order, and passes per-item statuses through', async () => {
    const ids = Array.from({ length: USERS }, (_, i) => local.userId(`u${i}`));
    const requests = [
      ...ids.map((id) => ({ method: 'GET' as const, url: `/users/${id}?$select=id,displayName` })),
      { method: 'GET' as const, url: '/users/00000000-0000-4000-8000-00000000beef' },
      { method: 'GET' as const, url: `/users/${ids[0] ?? ''}?$select=id` },
    ];
    const stats: GraphBatchStats = { httpRequests: 0 };
    const before = batchRequests();
    const responses = await graphBatch(requests, { stats });
    expect(batchRequests() - before).toBe(2);
    expect(stats.httpRequests).toBe(2);
    expect(responses).toHaveLength(USERS + 2);
    responses.slice(0, USERS).forEach((response, i) => {
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: ids[i], displayName: `User ${i}` });
    });
    expect(responses[USERS]?.status).toBe(404);
    expect(responses[USERS + 1]?.body).toMatchObject({ id: ids[0] });
  });

  it('graphBatch sends nothing for no requests', async () => {
    const before = batchRequests();
    expect(await graphBatch([])).toEqual([]);
    expect(batchRequests()).toBe(before);
  });
});
