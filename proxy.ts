import { NextResponse, type NextRequest } from 'next/server';
import { buildContentSecurityPolicy, createNonce } from '@/lib/http/content-security-policy';

/**
 * Runs before every page (not the API, not static files): a fresh nonce and the
 * Content-Security-Policy built with it, on the request (Next reads the nonce from there and puts
 * it on its scripts) and on the response (the browser enforces it).
 */
export function proxy(request: NextRequest): NextResponse {
  const nonce = createNonce();
  const policy = buildContentSecurityPolicy(nonce, {
    authorityHost: process.env.ENTRA_AUTHORITY_HOST,
    development: process.env.NODE_ENV === 'development',
  });
  const headers = new Headers(request.headers);
  headers.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', policy);
  return response;
}

export const config = {
  // Pages only: API answers are JSON (their bodies are never cloned for the proxy either), and
  // static files carry no script of ours.
  matcher: [{ source: '/((?!api/|_next/static|_next/image|favicon.svg).*)' }],
};
