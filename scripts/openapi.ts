/**
 * `npm run openapi`: prints the portal API's OpenAPI 3.1 document (what `GET /api/openapi.json`
 * serves) without starting the portal, e.g. `npm run -s openapi > openapi.json` for a viewer or a
 * client generator. With `--markdown` it prints the reference page instead:
 * `npm run -s openapi -- --markdown > docs/api-reference.md` regenerates the checked-in copy.
 * Writes nothing to the repository itself.
 */
import { getOpenApiDocument } from '@/lib/contract/openapi';
import { renderOpenApiMarkdown } from '@/lib/contract/openapi-markdown';

if (process.argv.includes('--markdown')) process.stdout.write(renderOpenApiMarkdown(getOpenApiDocument()));
else console.log(JSON.stringify(getOpenApiDocument(), null, 2));
