/**
 * The reference page against the document it renders: the checked-in `docs/api-reference.md` is
 * exactly today's rendering, every operation has its heading and its problem codes, every link
 * inside the page lands on a heading, and the schema shapes the document uses read as intended.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getOpenApiDocument, type OpenApiDocument } from '@/lib/contract/openapi';
import { renderOpenApiMarkdown } from '@/lib/contract/openapi-markdown';
import { PROBLEM_CODES } from '@/lib/contract/problem';

const PAGE_PATH = path.join(process.cwd(), 'docs', 'api-reference.md');
const REGENERATE = 'docs/api-reference.md is stale: regenerate it with `npm run -s openapi -- --markdown > docs/api-reference.md`';

const document = getOpenApiDocument();
const page = renderOpenApiMarkdown(document);

/** The page cut at its `### ` headings: heading text → the section under it. */
function sectionsByHeading(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const part of markdown.split(/^### /m).slice(1)) {
    const [heading = '', ...rest] = part.split('\n');
    sections.set(heading, rest.join('\n'));
  }
  return sections;
}

/** Anchors GitHub gives the headings, written apart from the renderer's so the two check each other. */
function headingAnchors(markdown: string): Set<string> {
  const counts = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, text = ''] of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = text.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replaceAll(' ', '-');
    const count = counts.get(base) ?? 0;
    counts.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

describe('docs/api-reference.md', () => {
  it('is the rendering of the current document', () => {
    expect(readFileSync(PAGE_PATH, 'utf8'), REGENERATE).toBe(page);
  });

  it('has a heading for every operation, naming each problem code it may answer with', () => {
    const sections = sectionsByHeading(page);
    const responses = document.components.responses as Record<string, { content: Record<string, { schema: { properties: { code: { enum: string[] } } } }> }>;
    const seenCodes = new Set<string>();
    for (const [route, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const section = sections.get(`${method.toUpperCase()} ${route}`);
        expect(section, `no section for ${method.toUpperCase()} ${route}`).toBeDefined();
        for (const response of Object.values(operation.responses as Record<string, { $ref?: string }>)) {
          const name = response.$ref?.replace('#/components/responses/', '');
          if (name === undefined) continue;
          for (const code of responses[name]?.content['application/problem+json']?.schema.properties.code.enum ?? []) {
            expect(section, `${method.toUpperCase()} ${route} does not name ${code}`).toContain(`\`${code}\``);
            seenCodes.add(code);
          }
        }
      }
    }
    expect([...seenCodes].sort()).toEqual([...PROBLEM_CODES].sort());
  });

  it('links only to headings of the page', () => {
    const anchors = headingAnchors(page);
    const targets = [...page.matchAll(/\]\(#([^)]*)\)/g)].map(([, target]) => target);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => target === undefined || !anchors.has(target))).toEqual([]);
  });
});

describe('renderOpenApiMarkdown', () => {
  const tiny: OpenApiDocument = {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: { title: 'Tiny', version: '1', description: 'A test API.' },
    tags: [{ name: 'Things', description: 'Things.' }],
    paths: {
      '/things/{id}': {
        get: {
          operationId: 'getThing',
          tags: ['Things'],
          summary: 'One thing',
          security: [{ token: ['Reader'] }, { token: ['Admin'] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: { '200': { description: 'OK.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } },
        },
      },
    },
    components: {
      schemas: {
        Thing: {
          type: 'object',
          properties: {
            kind: { type: 'string', enum: ['a', 'b'], description: 'Which | one.' },
            parent: { anyOf: [{ $ref: '#/components/schemas/Thing' }, { type: 'null' }] },
            tags: { type: 'array', items: { type: 'string', minLength: 1 } },
            size: { type: 'object', properties: { width: { type: 'integer', minimum: 0 } }, required: ['width'] },
          },
          required: ['kind', 'parent'],
        },
      },
    },
  };
  const tinyPage = renderOpenApiMarkdown(tiny);

  it('writes references as links, nullable unions, enums, arrays, formats and nested fields', () => {
    expect(tinyPage).toContain('| `kind` | string, one of `a`, `b` | yes | Which \\| one. |');
    expect(tinyPage).toContain('| `parent` | [Thing](#thing), nullable | yes |  |');
    expect(tinyPage).toContain('| `tags` | string[], each ≥ 1 chars | no |  |');
    expect(tinyPage).toContain('| `size.width` | integer, ≥ 0 | yes |  |');
    expect(tinyPage).toContain('| `id` | path | yes | string (uuid) |  |');
    expect(tinyPage).toContain('| 200 | OK. | `application/json`: [Thing](#thing) |');
  });

  it('says who may call from the security requirements', () => {
    expect(tinyPage).toContain('**Who may call:** `token` with the role `Reader` or `Admin`.');
  });
});
