import { describe, expect, it } from 'vitest';
import { readApiError, readValidationIssues } from '@/lib/client/api-fetch';

function problem(body: unknown, status = 400): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json' } });
}

describe('reading the API’s refusals', () => {
  it('keeps validation issues with their paths, and as readable lines', async () => {
    const error = await readApiError(
      problem({
        title: 'The policy is not valid.',
        status: 400,
        code: 'validation-failed',
        errors: [
          { path: 'allowedDirectoryRoleTemplateIds.1', message: 'Password Administrator can act on other people’s passwords' },
          { path: '', message: 'one more thing' },
        ],
      }),
    );
    expect(error.code).toBe('validation-failed');
    expect(error.issues).toEqual([
      { path: 'allowedDirectoryRoleTemplateIds.1', message: 'Password Administrator can act on other people’s passwords' },
      { path: '', message: 'one more thing' },
    ]);
    expect(error.errors).toEqual(['allowedDirectoryRoleTemplateIds.1: Password Administrator can act on other people’s passwords', 'one more thing']);
  });

  it('reads the reasons of a target-ineligible refusal', async () => {
    const error = await readApiError(
      problem({ title: 'Not eligible', status: 422, code: 'target-ineligible', reasons: ['portal-role', 7, 'cannot-verify'] }, 422),
    );
    expect(error.reasons).toEqual(['portal-role', 'cannot-verify']);
    expect(error.issues).toEqual([]);
  });

  it('accepts the other shapes of `errors`', () => {
    expect(readValidationIssues(['plain'])).toEqual([{ path: '', message: 'plain' }]);
    expect(readValidationIssues({ maxDepth: ['too big', ''], isUsableOnce: 'must be true' })).toEqual([
      { path: 'maxDepth', message: 'too big' },
      { path: 'isUsableOnce', message: 'must be true' },
    ]);
    expect(readValidationIssues([{ field: ['a', 0], detail: 'bad' }, null, 3])).toEqual([{ path: 'a.0', message: 'bad' }]);
  });
});
