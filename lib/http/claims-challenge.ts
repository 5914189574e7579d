/**
 * The claims challenge of a step-up refusal (Entra's claims-challenge pattern), as the API sends
 * it in `WWW-Authenticate`; `problem.ts` adds it to every `step-up-required` response, and the
 * browser reads it back in `lib/client/claims-challenge.ts`.
 */

/**
 * The claims request a client sends to the authorize endpoint (MSAL's `claims`) to get a token
 * proving `authContextId`, as Entra's claims-challenge pattern specifies it. Key order is fixed.
 */
export function getClaimsRequest(authContextId: string): string {
  return JSON.stringify({ access_token: { acrs: { essential: true, value: authContextId } } });
}

/**
 * The `WWW-Authenticate` value of a step-up refusal: the claims request base64url-encoded
 * (without padding) in `claims`, with the error members Entra's pattern uses.
 */
export function getStepUpWwwAuthenticate(authContextId: string): string {
  const claims = Buffer.from(getClaimsRequest(authContextId), 'utf8').toString('base64url');
  return `Bearer realm="", error="insufficient_claims", error_description="A claims challenge is required for this action", claims="${claims}"`;
}
