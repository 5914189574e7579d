/**
 * Microsoft Graph as setup:entra calls it: plain `fetch` with the signed-in administrator's
 * delegated token, every answer parsed with zod, collections followed through `@odata.nextLink`.
 * TLS is checked as always (a local tenant's certificate is trusted through NODE_EXTRA_CA_CERTS).
 * A failure becomes a GraphCallError carrying Graph's status, code and message — never the
 * token or the request body.
 */
import { z } from 'zod';

export class GraphCallError extends Error {
  override readonly name = 'GraphCallError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export interface GraphSession {
  get<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>>;
  /** Null on 404 (the object does not exist). */
  find<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T> | null>;
  /** Every item of a collection, all pages. */
  list<T extends z.ZodType>(path: string, item: T): Promise<z.infer<T>[]>;
  post<T extends z.ZodType>(path: string, body: unknown, schema: T): Promise<z.infer<T>>;
  patch(path: string, body: unknown): Promise<void>;
  delete(path: string): Promise<void>;
}

const TIMEOUT_MS = 30_000;
const errorBody = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

/** A Graph session on `${baseUrl}/v1.0`, authenticated by `getToken` on every request. */
export function createGraphSession(baseUrl: string, getToken: () => Promise<string>): GraphSession {
  const root = `${baseUrl.replace(/\/+$/, '')}/v1.0`;

  async function send(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const url = path.startsWith('https://') ? path : `${root}${path}`;
    const where = `${method} ${url.replace(root, '').split('?')[0] ?? ''}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${await getToken()}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new GraphCallError(`${where}: no answer from Graph (${error instanceof Error ? error.message : String(error)})`, 0, null);
    }
    const text = await response.text();
    let json: unknown = undefined;
    if (text !== '') {
      try {
        json = JSON.parse(text) as unknown;
      } catch {
        json = undefined;
      }
    }
    if (!response.ok) {
      const parsed = errorBody.safeParse(json);
      const code = parsed.success ? (parsed.data.error.code ?? null) : null;
      const message = parsed.success ? (parsed.data.error.message ?? '') : '';
      throw new GraphCallError(`${where}: Graph answered ${response.status}${code === null ? '' : ` ${code}`}${message === '' ? '' : `: ${message}`}`, response.status, code);
    }
    return { status: response.status, json };
  }

  function parse<T extends z.ZodType>(path: string, json: unknown, schema: T): z.infer<T> {
    const result = schema.safeParse(json);
    if (!result.success) throw new GraphCallError(`${path.split('?')[0] ?? ''}: Graph answered with an unexpected shape`, 200, null);
    return result.data;
  }

  return {
    async get(path, schema) {
      return parse(path, (await send('GET', path)).json, schema);
    },
    async find(path, schema) {
      try {
        return parse(path, (await send('GET', path)).json, schema);
      } catch (error) {
        if (error instanceof GraphCallError && error.status === 404) return null;
        throw error;
      }
    },
    async list(path, item) {
      const page = z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() });
      const items: z.infer<typeof item>[] = [];
      let next: string | undefined = path;
      while (next !== undefined) {
        const parsed: z.infer<typeof page> = parse(path, (await send('GET', next)).json, page);
        items.push(...parsed.value);
        next = parsed['@odata.nextLink'];
      }
      return items;
    },
    async post(path, body, schema) {
      return parse(path, (await send('POST', path, body)).json, schema);
    },
    async patch(path, body) {
      await send('PATCH', path, body);
    },
    async delete(path) {
      await send('DELETE', path);
    },
  };
}

/** OData string literal: single quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
