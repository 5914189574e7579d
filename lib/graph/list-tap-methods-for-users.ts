import 'server-only';
import { z } from 'zod';
import { graphBatch, type GraphBatchRequest } from '@/lib/graph/batch';
import { isUserReference, tapMethodInfoSchema, toTapMethodInfo, type TapMethodInfo } from '@/lib/graph/get-target-facts';
import type { Logger } from '@/lib/log';

/**
 * The TAP methods of many users at once, for tracking issued passes without one Graph call per
 * person.
 */

const listSchema = z.object({ value: z.array(tapMethodInfoSchema) });

/**
 * The TAP methods of many users, read through `$batch` (20 per POST, never one request per
 * person). Per user: the methods (a 404 user has none), or `null` when Graph would not say (403,
 * an unexpected shape, …) so the caller shows "unknown" instead of guessing. Ids that are not
 * object ids or UPNs are never sent and read as `null`. Keys are the ids as given.
 *
 * @throws BrokerError upstream-unavailable when Graph cannot be reached or keeps throttling.
 */
export async function listTapMethodsForUsers(
  userIds: readonly string[],
  options: { log?: Logger } = {},
): Promise<Map<string, TapMethodInfo[] | null>> {
  const result = new Map<string, TapMethodInfo[] | null>();
  const unique = [...new Set(userIds)];
  const asked = unique.filter((id) => isUserReference(id));
  for (const id of unique) if (!asked.includes(id)) result.set(id, null);
  if (asked.length === 0) return result;
  const requests: GraphBatchRequest[] = asked.map((id) => ({
    method: 'GET',
    url: `/users/${encodeURIComponent(id)}/authentication/temporaryAccessPassMethods`,
  }));
  const answers = await graphBatch(requests, options.log ? { log: options.log } : {});
  asked.forEach((id, index) => {
    const answer = answers[index];
    if (answer?.status === 404) return void result.set(id, []);
    const parsed = answer?.status === 200 ? listSchema.safeParse(answer.body) : null;
    result.set(id, parsed?.success === true ? parsed.data.value.map(toTapMethodInfo) : null);
  });
  return result;
}
