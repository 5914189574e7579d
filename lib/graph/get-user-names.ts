import 'server-only';
import { z } from 'zod';
import { graphBatch } from '@/lib/graph/batch';
import { isUserReference } from '@/lib/graph/get-target-facts';
import type { Logger } from '@/lib/log';

/**
 * Display names for user ids the broker stored (such as who saved a policy version), so answers
 * name people, not bare ids.
 */

const userSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
});

export interface UserName {
  displayName: string | null;
  userPrincipalName: string | null;
}

/**
 * Display names for a handful of user ids, in one `$batch` pass (20 per POST). Ids Graph does not
 * know, or would not show, are left out of the map; so are strings that are not user references
 * (e.g. `system`), which are never sent.
 *
 * @throws BrokerError upstream-unavailable when Graph cannot be reached or keeps throttling.
 */
export async function getUserNames(ids: readonly string[], options: { log?: Logger } = {}): Promise<Map<string, UserName>> {
  const asked = [...new Set(ids)].filter((id) => isUserReference(id));
  const names = new Map<string, UserName>();
  if (asked.length === 0) return names;
  const answers = await graphBatch(
    asked.map((id) => ({ method: 'GET' as const, url: `/users/${encodeURIComponent(id)}?$select=id,displayName,userPrincipalName` })),
    options.log ? { log: options.log } : {},
  );
  asked.forEach((id, index) => {
    const answer = answers[index];
    const parsed = answer?.status === 200 ? userSchema.safeParse(answer.body) : null;
    if (parsed?.success === true) {
      names.set(id, { displayName: parsed.data.displayName ?? null, userPrincipalName: parsed.data.userPrincipalName ?? null });
    }
  });
  return names;
}
