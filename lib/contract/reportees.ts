/**
 * `GET /api/reportees`: everyone below the caller up to the policy's depth, each with the
 * eligibility verdict a request would meet.
 */
import * as z from 'zod/mini';
import { objectIdSchema } from '@/lib/contract/common';
import { ineligibleReasonSchema } from '@/lib/contract/eligibility';

export const reporteeSchema = z.object({
  id: objectIdSchema,
  displayName: z.string(),
  userPrincipalName: z.string().check(z.describe('Empty when Graph did not show one.')),
  jobTitle: z.nullable(z.string()),
  department: z.nullable(z.string()).check(z.describe('Extension.')),
  employeeHireDate: z.nullable(z.string()).check(z.describe('Extension: as Graph has it (ISO 8601); lets new hires stand out.')),
  managerId: objectIdSchema.check(z.describe("Extension: the reportee's direct manager.")),
  depth: z.int().check(z.minimum(1), z.describe('1 = direct report.')),
  eligible: z.boolean(),
  ineligibleReasons: z.array(ineligibleReasonSchema).check(z.describe('Empty when eligible.')),
});

export type Reportee = z.infer<typeof reporteeSchema>;

export const reporteeListSchema = z.object({
  reportees: z.array(reporteeSchema).check(z.describe('By depth, then display name.')),
});
