/**
 * `GET /api/dashboard`: the auditors' and admins' figures over the last 30 UTC days.
 */
import * as z from 'zod/mini';
import { isoDateTimeSchema } from '@/lib/contract/common';

const count = z.int().check(z.minimum(0));

export const dashboardStatsSchema = z.object({
  generatedAt: isoDateTimeSchema,
  windowDays: z.int().check(z.minimum(1)),
  from: isoDateTimeSchema.check(z.describe('Inclusive start of the window: midnight UTC.')),
  issuedPerDay: z.array(z.object({ date: z.iso.date(), count })).check(z.describe('One entry per UTC day, oldest first.')),
  requestsByOutcome: z.array(z.object({ status: z.string(), count })).check(z.describe('Requests created in the window by their current status.')),
  timeToIssue: z.object({ count, medianSeconds: z.nullable(z.number().check(z.minimum(0))), p95Seconds: z.nullable(z.number().check(z.minimum(0))) }),
  approvalsWaiting: z.object({ count, oldestCreatedAt: z.nullable(isoDateTimeSchema) }),
  topRequesters: z.array(z.object({ requesterId: z.string(), displayName: z.nullable(z.string()), count })),
  refusalsByReason: z.array(z.object({ reason: z.string(), count })).check(z.describe('Each eligibility reason of a refusal, else its code.')),
  attention: z
    .object({
      failedIssuances: count.check(z.describe('Requests made in the window whose issuance failed.')),
      stuckIssuances: count.check(z.describe('Requests still `issuing` past the reconciler\'s wait, whenever they started.')),
      failedNotifications: count.check(z.describe('Mails queued in the window that the dispatcher gave up on.')),
    })
    .check(z.describe('What needs an administrator now.')),
});
