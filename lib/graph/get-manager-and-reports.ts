import 'server-only';
import { z } from 'zod';
import { graphBatch } from '@/lib/graph/batch';
import type { Logger } from '@/lib/log';

/**
 * Who a user reports to, and whether anyone reports to them: what the portal needs to choose
 * where someone lands and whom to point them to for a pass of their own.
 */

const managerSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  displayName: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
});

const reportsPageSchema = z.looseObject({ value: z.array(z.unknown()) });

export interface ManagerAndReports {
  /** Null when Graph names no manager (404) or the manager is not a user (an org contact). */
  manager: { displayName: string; userPrincipalName: string } | null;
  /** Null when Graph's answer could not be read; the caller then decides nothing from it. */
  hasReports: boolean | null;
}

/**
 * The user's manager and whether they have any direct report, in one `$batch` POST of two reads.
 * A read that fails or answers an unexpected shape leaves its field unknown rather than failing the
 * caller: both only shape the portal's first page, never what anyone may do.
 *
 * @throws BrokerError upstream-unavailable when Graph cannot be reached at all.
 */
export async function getManagerAndReports(userId: string, options: { log?: Logger } = {}): Promise<ManagerAndReports> {
  const id = encodeURIComponent(userId);
  const [managerAnswer, reportsAnswer] = await graphBatch(
    [
      { method: 'GET', url: `/users/${id}/manager?$select=id,displayName,userPrincipalName` },
      { method: 'GET', url: `/users/${id}/directReports?$select=id&$top=1` },
    ],
    options.log ? { log: options.log } : {},
  );
  const manager = managerAnswer?.status === 200 ? managerSchema.safeParse(managerAnswer.body) : null;
  const managerUser =
    manager?.success === true && (manager.data['@odata.type'] ?? '#microsoft.graph.user') === '#microsoft.graph.user' && manager.data.displayName && manager.data.userPrincipalName
      ? { displayName: manager.data.displayName, userPrincipalName: manager.data.userPrincipalName }
      : null;
  const reports = reportsAnswer?.status === 200 ? reportsPageSchema.safeParse(reportsAnswer.body) : null;
  return { manager: managerUser, hasReports: reports?.success === true ? reports.data.value.length > 0 : null };
}
