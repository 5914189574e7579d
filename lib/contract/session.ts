/**
 * What the browser needs before and right after sign-in, and the liveness answers:
 * `GET /api/config`, `GET /api/me`, `GET /api/health`, `GET /api/health/ready`, `GET /api/health/details`.
 */
import * as z from 'zod/mini';
import { objectIdSchema } from '@/lib/contract/common';
import { appRoleSchema } from '@/lib/contract/roles';

/** What MSAL needs, served at run time so one build serves any tenant. All of it is public. */
export const portalConfigSchema = z.object({
  authority: z.string().check(z.describe('The tenant authority, e.g. `https://login.microsoftonline.com/<tenant id>/`.')),
  clientId: z.string().check(z.describe("The portal SPA's client id.")),
  scopes: z.array(z.string()).check(z.describe("The portal API's scope, `api://<api client id>/access_as_user`.")),
  knownAuthorities: z.array(z.string()),
});

/** The signed-in user as the verified token describes them. */
export const meSchema = z.object({
  id: objectIdSchema,
  displayName: z.string(),
  userPrincipalName: z.string(),
  roles: z.array(appRoleSchema).check(z.describe('The portal app roles in the token, sorted.')),
  manager: z.optional(
    z.nullable(z.object({ displayName: z.string(), userPrincipalName: z.string() })).check(
      z.describe('Extension: who can request a pass for the caller (their manager in Graph); null when there is none, absent when Graph could not say.'),
    ),
  ),
  hasReports: z.optional(z.boolean().check(z.describe('Extension: whether anyone reports to the caller directly; absent when Graph could not say.'))),
  helpdeskContact: z.optional(
    z.nullable(z.string()).check(z.describe('Extension: HELPDESK_CONTACT — a URL, a mailto: link or text naming who else gives a pass; null when not configured.')),
  ),
});

export type Me = z.infer<typeof meSchema>;

export const healthSchema = z.object({ status: z.literal('ok') });

export const READINESS_CHECK_STATES = ['ok', 'failed', 'pending', 'draining'] as const;

/** One readiness check's state. */
export type ReadinessCheckState = (typeof READINESS_CHECK_STATES)[number];

const readinessCheckSchema = z.enum(READINESS_CHECK_STATES);

export const readinessSchema = z.object({
  status: z.enum(['ready', 'not-ready', 'draining']).check(z.describe('`ready` (200) only when every check is `ok`; `draining` while the instance shuts down; else `not-ready` (503).')),
  checks: z
    .object({
      database: readinessCheckSchema.check(z.describe('`ok` when the database answers, else `failed`.')),
      migrations: readinessCheckSchema.check(
        z.describe('`ok` when every migration this build ships is recorded as finished with the same checksum; `pending` while one is not recorded yet; `failed` when one failed, was changed, or could not be read.'),
      ),
      graph: readinessCheckSchema.check(z.describe("`ok` when the broker can get its Graph token (a cached one counts; Graph itself is not called), else `failed`.")),
    })
    .check(z.describe('Each bounded by 2 seconds; one that takes longer is `failed`. While draining, none is run and each reads `draining`.')),
});

export type Readiness = z.infer<typeof readinessSchema>;

export const HEALTH_CHECK_STATUSES = ['ok', 'warn', 'fail'] as const;

export const healthCheckSchema = z.object({
  id: z.string().check(z.describe('Stable, kebab-case: what is checked.')),
  status: z.enum(HEALTH_CHECK_STATUSES),
  detail: z.string().check(z.describe('What was found, and what breaks when it is not ok.')),
  fix: z.nullable(z.string()).check(z.describe('What an administrator does about it; null when nothing needs doing.')),
});

/** One configuration check (`npm run doctor`, `GET /api/health/details`). */
export type HealthCheck = z.infer<typeof healthCheckSchema>;

export const healthDetailsSchema = z.object({ checks: z.array(healthCheckSchema) });
