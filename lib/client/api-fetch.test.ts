import { describe, expect, it } from 'vitest';
import { readApiError, StepUpRequiredError } from '@/lib/client/api-fetch';

function problem(body: unknown, status = 400): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json' } });
}

describe('reading the API’s refusals', () => {
  it('keeps validation issues with their paths, and as readable lines', async () => {
    const error = await readApiError(
      problem({
        type: '/problems/validation-failed',
        title: 'The policy is not valid.',
        status: 400,
        detail: 'The policy was not saved.',
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
      problem({ type: '/problems/target-ineligible', title: 'Target ineligible', status: 422, detail: 'No.', code: 'target-ineligible', reasons: ['portal-role', 'cannot-verify'] }, 422),
    );
    expect(error.reasons).toEqual(['portal-role', 'cannot-verify']);
    expect(error.detail).toBe('No.');
    expect(error.issues).toEqual([]);
  });

  it('reads a body that is not the contract’s problem as the status line only', async () => {
    for (const body of [{ title: 'Bad', code: 'forbidden', reasons: ['portal-role', 7] }, { errors: ['plain'] }, '<html>Bad gateway</html>']) {
      const error = await readApiError(new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 502, statusText: 'Bad Gateway' }));
      expect(error).toMatchObject({ status: 502, title: 'Bad Gateway', detail: null, code: 'http-502', reasons: [], issues: [] });
    }
  });
});

describe('a step-up refusal', () => {
  const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
  const body = {
    type: '/problems/step-up-required',
    title: 'Step-up required',
    status: 401,
    detail: 'Getting a pass needs a second factor.',
    code: 'step-up-required',
    authContextId: 'c1',
  };

  it('becomes a StepUpRequiredError carrying the decoded claims from WWW-Authenticate', async () => {
    const header = `Bearer realm="", error="insufficient_claims", error_description="A claims challenge is required for this action", claims="${Buffer.from(claims).toString('base64url')}"`;
    const error = await readApiError(new Response(JSON.stringify(body), { status: 401, headers: { 'WWW-Authenticate': header } }));
    expect(error).toBeInstanceOf(StepUpRequiredError);
    const stepUp = error as StepUpRequiredError;
    expect(stepUp.claims).toBe(claims);
    expect(stepUp.authContextId).toBe('c1');
    expect(stepUp.code).toBe('step-up-required');
    expect(stepUp.title).toBe('Step-up required');
  });

  it('falls back to the context the body names when the header did not arrive', async () => {
    const error = await readApiError(new Response(JSON.stringify(body), { status: 401 }));
    expect(error).toBeInstanceOf(StepUpRequiredError);
    expect((error as StepUpRequiredError).claims).toBe(claims);
  });

  it('leaves a plain 401 a plain ApiError', async () => {
    const error = await readApiError(
      new Response(JSON.stringify({ type: '/problems/unauthenticated', title: 'Unauthenticated', status: 401, detail: 'Sign in.', code: 'unauthenticated' }), { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } }),
    );
    expect(error).not.toBeInstanceOf(StepUpRequiredError);
    expect(error.code).toBe('unauthenticated');
  });
});
