/**
 * `npm run openapi`: prints the portal API's OpenAPI 3.1 document (what `GET /api/openapi.json`
 * serves) without starting the portal, e.g. `npm run -s openapi > openapi.json` for a viewer or a
 * client generator. Writes nothing to the repository.
 */
import { getOpenApiDocument } from '@/lib/contract/openapi';

console.log(JSON.stringify(getOpenApiDocument(), null, 2));
