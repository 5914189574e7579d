/**
 * The API routes as the files under app/api declare them, read from their source: each
 * `export const GET|POST|PUT|PATCH|DELETE` and the contract operation its `defineRoute` names. Tests hold the
 * contract's route table (lib/contract/routes.ts) to this, so a route cannot exist without an
 * operation, or an operation without a route. Read as text rather than imported: importing a route
 * module loads the whole server, and the declaration is all that is compared.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DeclaredRoute {
  /** Relative to the repository, e.g. `app/api/tap-requests/[id]/approve/route.ts`. */
  file: string;
  method: string;
  /** OpenAPI style, e.g. `/api/tap-requests/{id}/approve`. */
  path: string;
  /** The `[name]` segments of the file's folder, in order. */
  params: string[];
  /** The operation id `defineRoute` names (`'getMe'`), or null when the source does not name one literally. */
  operation: string | null;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXPORTED_METHOD = /export\s+const\s+(GET|POST|PUT|PATCH|DELETE)\s*=\s*([^;]*)/g;
// `defineRoute('getMe', …)` or `defineRoute({ operation: 'updatePolicy', … }, …)`.
const OPERATION = /^defineRoute\s*\(\s*(?:\{\s*operation:\s*)?'([A-Za-z]+)'/;

function listRouteFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listRouteFiles(full);
    return entry.name === 'route.ts' ? [full] : [];
  });
}

/**
 * Every exported method of every `app/api/**\/route.ts`, except catch-all folders (`[...path]`),
 * which answer 404 to what no route claims.
 */
export function listDeclaredApiRoutes(root: string = ROOT): DeclaredRoute[] {
  const apiDir = path.join(root, 'app', 'api');
  return listRouteFiles(apiDir)
    .map((full) => ({ full, segments: path.relative(apiDir, path.dirname(full)).split(path.sep).filter((s) => s !== '') }))
    .filter(({ segments }) => !segments.some((segment) => segment.startsWith('[...') || segment.startsWith('[[...')))
    .flatMap(({ full, segments }) => {
      const source = readFileSync(full, 'utf8');
      const routePath = `/api${segments.map((s) => `/${s.startsWith('[') ? `{${s.slice(1, -1)}}` : s}`).join('')}`;
      const params = segments.filter((s) => s.startsWith('[')).map((s) => s.slice(1, -1));
      return [...source.matchAll(EXPORTED_METHOD)].map(
        (match): DeclaredRoute => ({
          file: path.relative(root, full).split(path.sep).join('/'),
          method: match[1] as string,
          path: routePath,
          params,
          operation: OPERATION.exec((match[2] ?? '').trim())?.[1] ?? null,
        }),
      );
    })
    .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}
