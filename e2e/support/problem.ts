import { expect, type APIResponse } from '@playwright/test';

/** Asserts an RFC 9457 problem response with the contract's `code`, and returns its body. */
export async function expectProblem(res: APIResponse, status: number, code: string): Promise<Record<string, unknown>> {
  expect(res.status(), `${res.url()} → ${res.status()}`).toBe(status);
  expect(res.headers()['content-type']).toContain('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.type).toBe('string');
  return body;
}
