/**
 * `GET /api/reportees`: everyone below the caller up to the policy's depth, each with the
 * eligibility verdict a request would meet.
 */
import * as z from 'zod/mini';
import { isoDateTimeSchema, objectIdSchema, uuidSchema } from '@/lib/contract/common';
import { ineligibleReasonSchema } from '@/lib/contract/eligibility';
import { textSchema } from '@/lib/contract/text';

/** The request states in which a person has a pass on its way or live (see `currentRequest`). */
export const OPEN_REQUEST_STATUSES = ['pending_approval', 'approved', 'issuing', 'issued'] as const;

/**
 * Extension: the broker's newest request for this person that is still open (waiting for
 * approval, approved, being issued) or whose pass is live (issued, not yet expired, used or
 * removed as far as the broker knows). A new pass replaces a live one in Entra, so the portal warns
 * before asking for another.
 */
export const reporteeCurrentRequestSchema = z.object({
  requestId: uuidSchema,
  status: z.enum(OPEN_REQUEST_STATUSES),
  expiresDateTime: z.optional(isoDateTimeSchema).check(z.describe('When the pass stops working; for `issued` only.')),
  isUsableOnce: z.boolean(),
  requestedByCaller: z.boolean().check(z.describe('Whether the caller made the request (another manager above may have).')),
});

export type ReporteeCurrentRequest = z.infer<typeof reporteeCurrentRequestSchema>;

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
  currentRequest: z.optional(reporteeCurrentRequestSchema),
});

export type Reportee = z.infer<typeof reporteeSchema>;

/** The most people one answer lists when `limit` is given. */
export const MAX_REPORTEE_PAGE_SIZE = 1000;

/**
 * `GET /api/reportees` (extension): all optional — without them the answer lists everyone, as the
 * contract has it. A manager of tens of thousands asks for a first screen (`limit`) and searches
 * on the server (`q`). Unknown parameters are refused.
 */
export const listReporteesQuerySchema = z.strictObject({
  q: z
    .optional(textSchema({ max: 100 }).check(z.trim(), z.minLength(1)))
    .check(z.describe('Only people whose display name, UPN, job title or department contains this (case-insensitive).')),
  limit: z
    .optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_REPORTEE_PAGE_SIZE)))
    .check(z.describe(`1–${MAX_REPORTEE_PAGE_SIZE}: list at most this many (in the answer's order); everyone when left out.`)),
  offset: z.optional(z.coerce.number().check(z.int(), z.minimum(0))).check(z.describe('Skip this many first (0 when left out).')),
});

export type ListReporteesQuery = z.infer<typeof listReporteesQuerySchema>;

export const REPORTEE_SOURCES = ['mirror', 'graph'] as const;
export const ELIGIBILITY_SCOPES = ['full', 'account'] as const;

export const reporteeListSchema = z.object({
  reportees: z.array(reporteeSchema).check(z.describe('By depth, then display name.')),
  total: z.int().check(z.minimum(0), z.describe('Extension: how many people match `q` (everyone without it), whatever `limit` and `offset` left out.')),
  source: z
    .enum(REPORTEE_SOURCES)
    .check(
      z.describe(
        "Extension: `mirror` — the broker's org-chart copy, kept by Graph delta queries (no Graph call for this answer); `graph` — read live from Microsoft Graph.",
      ),
    ),
  asOf: isoDateTimeSchema.check(z.describe('Extension: when the list was true in Graph — the mirror\'s last completed sync, or now for a live read.')),
  eligibilityScope: z
    .enum(ELIGIBILITY_SCOPES)
    .check(
      z.describe(
        "Extension: `full` — every eligibility rule was judged; `account` — only the account's own state (`account-disabled`, `guest`), so `eligible` true means only that; roles, groups and the tenant's TAP policy are checked, fresh from Graph, when a request is made.",
      ),
    ),
});

export type ReporteeList = z.infer<typeof reporteeListSchema>;
