/**
 * STUB written by the Entra half so the server compiles until the Graph half lands.
 * The Graph engineer replaces this file wholesale.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TenantContext } from '../types';
import { sendGraphError } from '../http-util';

export async function handleGraph(
  req: IncomingMessage,
  res: ServerResponse,
  _ctx: TenantContext,
  _subPath: string,
): Promise<void> {
  sendGraphError(res, 501, 'NotImplemented', 'The local Graph is not implemented yet.', req);
}
