/**
 * Next.js boot hook: validates the portal's configuration once, before the first request, so a
 * misconfigured portal stops at start with a message listing every bad variable instead of
 * failing later, request by request.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { validateEnvAtBoot } = await import('@/lib/env-boot');
  validateEnvAtBoot();
}
