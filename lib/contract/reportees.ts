/**
 * `GET /api/reportees`: everyone below the caller up to the policy's depth, each with the
 * eligibility verdict a request would meet.
 */
import { z } from 'zod';
import { objectIdSchema } from '@/lib/contract/common';
import { ineligibleReasonSchema } from '@/lib/contract/eligibility';

export const reporteeSchema = z.object({
  id: objectIdSchema,
  displayName: z.string(),
  userPrincipalName: z.string().meta({ description: 'Empty when Graph did not show one.' }),
  jobTitle: z.string().nullable(),
  department: z.string().nullable().meta({ description: 'Extension.' }),
  employeeHireDate: z.string().nullable().meta({ description: 'Extension: as Graph has it (ISO 8601); lets new hires stand out.' }),
  managerId: objectIdSchema.meta({ description: "Extension: the reportee's direct manager." }),
  depth: z.number().int().min(1).meta({ description: '1 = direct report.' }),
  eligible: z.boolean(),
  ineligibleReasons: z.array(ineligibleReasonSchema).meta({ description: 'Empty when eligible.' }),
});

export type Reportee = z.infer<typeof reporteeSchema>;

export const reporteeListSchema = z.object({
  reportees: z.array(reporteeSchema).meta({ description: 'By depth, then display name.' }),
});
