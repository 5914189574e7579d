import 'server-only';
import { z } from 'zod';
import type { GraphBatchResponse } from '@/lib/graph/batch';
import { GraphRequestError } from '@/lib/graph/client';

/**
 * Reading the answers of the reportee walk's `$batch` items: a failed item as a
 * `GraphRequestError`, a page and its items checked with zod (Graph is input too).
 */

export const directoryObjectSchema = z.looseObject({ '@odata.type': z.string().optional(), id: z.string().min(1) });
export const directoryObjectsPageSchema = z.object({ value: z.array(directoryObjectSchema), '@odata.nextLink': z.string().optional() });
export const itemsPageSchema = z.object({ value: z.array(z.looseObject({})), '@odata.nextLink': z.string().optional() });
export type ItemsPage = z.infer<typeof itemsPageSchema>;

/** The error for a `$batch` item that did not answer 200, with Graph's error code and request id when given. */
export function toBatchItemFailure(what: string, response: GraphBatchResponse): GraphRequestError {
  const error = z
    .object({ error: z.object({ code: z.string().optional(), innerError: z.looseObject({ 'request-id': z.string().optional() }).optional() }) })
    .safeParse(response.body);
  const code = error.success ? (error.data.error.code ?? null) : null;
  const requestId = error.success ? (error.data.error.innerError?.['request-id'] ?? null) : null;
  return new GraphRequestError(`Graph answered ${response.status} to ${what}`, response.status, code, requestId);
}

/** A 200 body parsed with `schema`; any other shape is a `GraphRequestError` naming `what`. */
export function parseBatchBody<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new GraphRequestError(`Graph returned ${what} in an unexpected shape`, 200);
  return parsed.data;
}

/** The items of a `directoryObject` page, each with its `id` and (usually) `@odata.type`. */
export function parseDirectoryObjects(page: ItemsPage, what: string): z.infer<typeof directoryObjectSchema>[] {
  return page.value.map((item) => parseBatchBody(directoryObjectSchema, item, what));
}
