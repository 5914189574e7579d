/**
 * `GET /api/dashboard`: the auditors' and admins' figures over the last 30 UTC days.
 */
import { z } from 'zod';
import { isoDateTimeSchema } from '@/lib/contract/common';

const count = z.number().int().min(0);

export const dashboardStatsSchema = z.object({
  generatedAt: isoDateTimeSchema,
  windowDays: z.number().int().min(1),
  from: isoDateTimeSchema.meta({ description: 'Inclusive start of the window: midnight UTC.' }),
  issuedPerDay: z.array(z.object({ date: z.iso.date(), count })).meta({ description: 'One entry per UTC day, oldest first.' }),
  requestsByOutcome: z.array(z.object({ status: z.string(), count })).meta({ description: 'Requests created in the window by their current status.' }),
  timeToIssue: z.object({ count, medianSeconds: z.number().min(0).nullable(), p95Seconds: z.number().min(0).nullable() }),
  approvalsWaiting: z.object({ count, oldestCreatedAt: isoDateTimeSchema.nullable() }),
  topRequesters: z.array(z.object({ requesterId: z.string(), displayName: z.string().nullable(), count })),
  refusalsByReason: z.array(z.object({ reason: z.string(), count })).meta({ description: 'Each eligibility reason of a refusal, else its code.' }),
});
