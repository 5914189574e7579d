import 'server-only';
import { z } from 'zod';
import type { EligibilitySignal } from '@/lib/graph/eligibility-signals';
import type { TenantTapPolicy } from '@/lib/graph/get-target-facts';

/**
 * What the reportee walk answers (`ReporteeTree`), and the schemas its users are read with.
 */

export const ROOT_SELECT = 'id,displayName,userPrincipalName,accountEnabled,userType';
export const REPORT_SELECT = 'id,displayName,userPrincipalName,jobTitle,department,accountEnabled,userType,employeeHireDate';
/** Directory collections page at most 999 items (docs/graph-behaviours.md#paging). */
export const PAGE_SIZE = 999;

// Graph is input: every field the broker relies on is checked; optional ones may be absent or
// null (an account without a UPN or a title exists in real tenants).
const nullableString = z.string().nullish().transform((v) => v ?? null);

export const rootUserSchema = z.object({
  id: z.string().min(1),
  displayName: nullableString,
  userPrincipalName: nullableString,
  accountEnabled: z.boolean().nullish().transform((v) => v ?? null),
  userType: nullableString,
});

export const reportUserSchema = rootUserSchema.extend({
  jobTitle: nullableString,
  department: nullableString,
  employeeHireDate: nullableString,
});

export type GraphRootUser = z.infer<typeof rootUserSchema>;

export interface GraphReportee extends z.infer<typeof reportUserSchema> {
  /** 1 = direct report of the root. */
  depth: number;
  managerId: string;
}

/** A signal Graph would not show the walk, with the read and the permission that would show it. */
export interface UnverifiableSignal {
  signal: EligibilitySignal;
  read: string;
  missingPermission: string;
}

export interface ReporteeTree {
  /** The root user, or null when Graph does not know them. */
  root: GraphRootUser | null;
  /** Everyone below the root up to `maxDepth`, each once, in breadth-first order. */
  reportees: GraphReportee[];
  /** `$batch` HTTP requests the walk cost. */
  graphRequests: number;
  /** The tenant TAP policy; null when the root is unknown or Graph refused the broker the policy. */
  tapPolicy: TenantTapPolicy | null;
  /**
   * Role definition ids (lower case) per user id (lower case): every active and PIM-eligible
   * assignment in the tenant, at any scope, held directly or through a role-assignable group —
   * for everyone, not only reportees (read once for the tenant).
   */
  roleDefinitionIdsByUser: Map<string, string[]>;
  /** Members and owners of role-assignable groups (lower-case user ids). */
  roleAssignableGroupUsers: Set<string>;
  /** Holders of an app role of the portal's API, directly or through a group (lower-case user ids). */
  portalRoleUsers: Set<string>;
  /** Members of restricted-management administrative units (lower-case user ids). */
  restrictedAdministrativeUnitUsers: Set<string>;
  /** Members of administrative units whose restriction Graph did not show (lower-case user ids). */
  unverifiableAdministrativeUnitUsers: Set<string>;
  /**
   * For each protected group and each group the TAP policy targets (lower-case ids): its
   * transitive members (lower-case user ids). A group whose members could not be read is absent.
   */
  groupMembers: Map<string, Set<string>>;
  /** Tenant-wide signals Graph would not show: nobody in the tree can be verified for them. */
  unverifiable: EligibilitySignal[];
  /** The same, with the read and the permission to grant (for logs and health checks). */
  unverifiableDetails: UnverifiableSignal[];
}
