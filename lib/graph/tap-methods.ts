import 'server-only';
import { z } from 'zod';
import { BrokerError } from '@/lib/core/errors';
import {
  createRetryOptions,
  GraphNotSentError,
  GraphRequestError,
  GraphTimeoutOption,
  GraphTransportError,
  parseRetryAfter,
  readGraphErrorBody,
  sendGraphRaw,
  type GraphRawResponse,
} from '@/lib/graph/client';
import { isUserReference, tapMethodInfoSchema, toTapMethodInfo, type TapMethodInfo } from '@/lib/graph/get-target-facts';
import { logger as rootLogger, type Logger } from '@/lib/log';

/**
 * Temporary Access Pass methods in Graph: create, list, delete (docs/graph-behaviours.md#tap-methods).
 * Security invariant: the pass exists only in the object `createTapMethod` returns. It is never
 * logged, never put into an error message or a cause, and nothing here keeps a reference to it.
 */

export interface CreatedTap extends TapMethodInfo {
  temporaryAccessPass: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
}

/** A definitive 4xx answer to a create: Graph refused it and nothing was created. */
export class TapCreateRejectedError extends Error {
  override readonly name = 'TapCreateRejectedError';
  readonly status: number;
  readonly graphCode: string;
  readonly graphRequestId: string | null;
  constructor(message: string, status: number, graphCode: string, graphRequestId: string | null) {
    super(message);
    this.status = status;
    this.graphCode = graphCode;
    this.graphRequestId = graphRequestId;
  }
}

/**
 * The create was (or may have been) sent but its outcome is unknown: a 5xx, a timeout, a dropped
 * connection, an unreadable 201, or throttling that outlived the retry budget. Graph may or may
 * not hold a new pass; the caller must reconcile (list the target's methods) before retrying.
 */
export class TapCreateOutcomeUnknownError extends Error {
  override readonly name = 'TapCreateOutcomeUnknownError';
  readonly graphRequestId: string | null;
  /** Graph's Retry-After (seconds) when it sent one. */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, graphRequestId: string | null, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.graphRequestId = graphRequestId;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * The create was never sent: it stayed queued behind the broker's Graph budget past its wait
 * (lib/graph/graph-budget.ts). Definitely nothing was created; the caller may try again after
 * `retryAfterSeconds`.
 */
export class TapCreateNotSentError extends Error {
  override readonly name = 'TapCreateNotSentError';
  readonly retryAfterSeconds: number;
  constructor(message: string, options: { cause: GraphNotSentError }) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = options.cause.retryAfterSeconds;
  }
}

const createdSchema = tapMethodInfoSchema.extend({
  temporaryAccessPass: z.string().min(1),
  startDateTime: z.string().min(1),
  lifetimeInMinutes: z.number().int(),
  isUsableOnce: z.boolean(),
});

const listSchema = z.object({ value: z.array(tapMethodInfoSchema) });

function methodsUrl(userId: string): string {
  if (!isUserReference(userId)) throw new RangeError('userId must be an object id or a UPN');
  return `/users/${encodeURIComponent(userId)}/authentication/temporaryAccessPassMethods`;
}

function unavailable(what: string, response: GraphRawResponse | null, cause?: unknown): BrokerError {
  const retryAfterSeconds =
    response === null ? (cause instanceof GraphNotSentError ? cause.retryAfterSeconds : undefined) : parseRetryAfter(response.headers.get('Retry-After'));
  return new BrokerError('upstream-unavailable', 'Microsoft Graph could not be reached; nothing was changed. Try again later.', {
    cause: cause ?? new GraphRequestError(`Graph answered ${response?.status ?? 'nothing'} to ${what}`, response?.status ?? -1, null, response?.requestId ?? null),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

/**
 * Creates a TAP for `userId` (replacing any existing one, as Graph does). ONE HTTP request: it is
 * a write, so 5xx and timeouts are never retried here — only a 429, which Graph answers before
 * processing, is re-sent by the transport within its budget.
 *
 * @returns the created method with the pass, and Graph's request id
 * @throws TapCreateRejectedError on a definitive 4xx (nothing was created)
 * @throws TapCreateNotSentError when the Graph budget never let the create out (nothing was created)
 * @throws TapCreateOutcomeUnknownError when the outcome is unknown (see the class)
 */
export async function createTapMethod(
  userId: string,
  body: { startDateTime?: string; lifetimeInMinutes: number; isUsableOnce: boolean },
  options: { log?: Logger; timeoutMs?: number } = {},
): Promise<{ method: CreatedTap; graphRequestId: string | null }> {
  const log = options.log ?? rootLogger;
  const url = methodsUrl(userId);
  const payload = {
    lifetimeInMinutes: body.lifetimeInMinutes,
    isUsableOnce: body.isUsableOnce,
    ...(body.startDateTime === undefined ? {} : { startDateTime: body.startDateTime }),
  };
  let response: GraphRawResponse;
  try {
    response = await sendGraphRaw(
      { method: 'POST', url, body: payload, headers: { 'Content-Type': 'application/json' } },
      {
        middlewareOptions: [
          createRetryOptions({ retryServerErrorsOnWrites: false }),
          ...(options.timeoutMs === undefined ? [] : [new GraphTimeoutOption(options.timeoutMs)]),
        ],
      },
    );
  } catch (error) {
    if (error instanceof GraphNotSentError) {
      log.warn({ userId, retryAfterSeconds: error.retryAfterSeconds }, 'TAP create not sent: the Graph budget stayed exhausted');
      throw new TapCreateNotSentError('The TAP create was not sent: the Graph budget stayed exhausted.', { cause: error });
    }
    if (!(error instanceof GraphTransportError)) throw error;
    log.warn({ userId, err: error }, 'TAP create got no answer from Graph; outcome unknown');
    throw new TapCreateOutcomeUnknownError('Graph did not answer the TAP create; a pass may or may not exist.', null, { cause: error });
  }
  const { status, requestId } = response;
  if (status === 201 || status === 200) {
    const parsed = createdSchema.safeParse(response.body);
    // The message must not quote the body: it holds the pass.
    if (!parsed.success) throw new TapCreateOutcomeUnknownError('Graph answered the TAP create with an unexpected shape.', requestId);
    const m = parsed.data;
    const method: CreatedTap = {
      ...toTapMethodInfo(m),
      temporaryAccessPass: m.temporaryAccessPass,
      startDateTime: m.startDateTime,
      lifetimeInMinutes: m.lifetimeInMinutes,
      isUsableOnce: m.isUsableOnce,
    };
    log.info({ userId, methodId: method.id, graphRequestId: requestId }, 'TAP created in Graph');
    return { method, graphRequestId: requestId };
  }
  if (status === 429 || status >= 500 || status < 400) {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
    log.warn({ userId, status, graphRequestId: requestId }, 'TAP create answered without a definitive outcome');
    throw new TapCreateOutcomeUnknownError(`Graph answered ${status} to the TAP create; a pass may or may not exist.`, requestId, {
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  const error = readGraphErrorBody(response.body);
  log.warn({ userId, status, graphCode: error.code, graphRequestId: requestId ?? error.requestId }, 'Graph refused the TAP create');
  throw new TapCreateRejectedError(`Graph refused the TAP create (${status} ${error.code ?? 'unknown'})`, status, error.code ?? 'unknown', requestId ?? error.requestId);
}

/**
 * Deletes a TAP method. DELETE is idempotent, so 503/504 are retried within the budget.
 * 404 (the method or the user is gone) is `deleted: false`, not an error.
 * @throws BrokerError upstream-unavailable when Graph cannot be reached
 */
export async function deleteTapMethod(
  userId: string,
  methodId: string,
  options: { log?: Logger } = {},
): Promise<{ deleted: boolean; graphRequestId: string | null }> {
  const log = options.log ?? rootLogger;
  if (!/^[0-9a-f-]{1,64}$/i.test(methodId)) throw new RangeError('methodId must be a GUID');
  let response: GraphRawResponse;
  try {
    response = await sendGraphRaw(
      { method: 'DELETE', url: `${methodsUrl(userId)}/${encodeURIComponent(methodId)}` },
      { middlewareOptions: [createRetryOptions({ retryServerErrorsOnWrites: true })] },
    );
  } catch (error) {
    if (!(error instanceof GraphTransportError)) throw error;
    throw unavailable('the TAP delete', null, error);
  }
  if (response.status === 204 || response.status === 200) {
    log.info({ userId, methodId, graphRequestId: response.requestId }, 'TAP deleted in Graph');
    return { deleted: true, graphRequestId: response.requestId };
  }
  if (response.status === 404) return { deleted: false, graphRequestId: response.requestId };
  if (response.status === 429 || response.status >= 500) throw unavailable('the TAP delete', response);
  const error = readGraphErrorBody(response.body);
  throw new GraphRequestError(`Graph answered ${response.status} to the TAP delete`, response.status, error.code, response.requestId ?? error.requestId);
}

/**
 * The user's TAP methods (Graph keeps at most one; the pass itself always reads null and is not
 * returned). A user Graph does not know (404) has none.
 * @throws BrokerError upstream-unavailable when Graph cannot be reached
 */
export async function listTapMethods(userId: string, options: { log?: Logger } = {}): Promise<TapMethodInfo[]> {
  void options;
  let response: GraphRawResponse;
  try {
    response = await sendGraphRaw({ method: 'GET', url: methodsUrl(userId) });
  } catch (error) {
    if (!(error instanceof GraphTransportError)) throw error;
    throw unavailable('the TAP list', null, error);
  }
  if (response.status === 404) return [];
  if (response.status === 429 || response.status >= 500) throw unavailable('the TAP list', response);
  if (response.status !== 200) {
    const error = readGraphErrorBody(response.body);
    throw new GraphRequestError(`Graph answered ${response.status} to the TAP list`, response.status, error.code, response.requestId ?? error.requestId);
  }
  const parsed = listSchema.safeParse(response.body);
  if (!parsed.success) throw new GraphRequestError('Graph returned TAP methods in an unexpected shape', 200, null, response.requestId);
  return parsed.data.value.map(toTapMethodInfo);
}
