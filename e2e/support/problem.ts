/**
 * Problem answers of the portal API, checked against the contract's problem schema
 * (lib/contract/problem.ts).
 */
import { expect, type APIResponse } from '@playwright/test';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, problemSchema, type Problem, type ProblemCode } from '@/lib/contract/problem';
import { parseAnswer } from './portal-api';

/**
 * Strict: a member the contract does not name fails the parse instead of being dropped, so a
 * spec that looks for what a problem must not carry (a pass, a token) sees the whole body.
 */
const exactProblemSchema = z.strictObject(problemSchema.shape);

/** Asserts an RFC 9457 problem response with the contract's `code`, and returns its body. */
export async function expectProblem(res: APIResponse, status: number, code: ProblemCode): Promise<Problem> {
  expect(res.status(), `${res.url()} → ${res.status()}`).toBe(status);
  expect(res.headers()['content-type']).toContain(PROBLEM_CONTENT_TYPE);
  const body = await parseAnswer(res, exactProblemSchema);
  expect(body).toMatchObject({ status, code });
  return body;
}
