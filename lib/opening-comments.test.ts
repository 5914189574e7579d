/**
 * Every source file opens with a comment saying what it is for, before its first declaration: at
 * the top as `//` lines, or after the imports as a `/** … *\/` block. Tests and type declarations
 * are exempt; a tool directive (`eslint-disable`, `@ts-…`) does not count as an opening comment.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['lib', 'components', 'app', 'tenant', 'scripts', 'e2e'];

/** The first top-level declaration; a comment must come before it to open the file. */
const FIRST_DECLARATION =
  /^(?:export |function |async function |const |let |var |class |abstract class |interface |type |enum |declare )/m;
const COMMENT = /^[ \t]*(?:\/\/(.*)$|\/\*([\s\S]*?)\*\/)/gm;
const DIRECTIVE = /^[\s*]*(?:eslint[- ]|@ts-|prettier-ignore|istanbul |c8 |@vitest-environment|global )/;

/** Tracked and new (not ignored) files under the source folders, so a file counts before its first commit. */
function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...SOURCE_DIRS], {
    cwd: root,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((file) => /\.(?:ts|tsx|mjs)$/.test(file) && !file.includes('.test.') && !file.endsWith('.d.ts'))
    .filter((file) => existsSync(path.join(root, file)));
}

/** True when the text before the first declaration holds a comment that is not only a tool directive. */
function hasOpeningComment(source: string): boolean {
  const first = FIRST_DECLARATION.exec(source);
  const opening = source.slice(0, first === null ? source.length : first.index);
  return [...opening.matchAll(COMMENT)].some((match) => !DIRECTIVE.test(match[1] ?? match[2] ?? ''));
}

describe('opening comments', () => {
  it('tells a file that opens with a comment from one that does not', () => {
    expect(hasOpeningComment("// The portal's one button.\n'use client';\n\nexport function Button() {}\n")).toBe(true);
    expect(hasOpeningComment("import x from 'x';\n\n/** What this file is for. */\n\nexport const y = x;\n")).toBe(true);
    expect(hasOpeningComment("import x from 'x';\n\nexport const y = x;\n/** Too late: after the first declaration. */\n")).toBe(false);
    expect(hasOpeningComment("/* eslint-disable no-console */\nimport x from 'https://example.test/x';\n\nexport const y = x;\n")).toBe(false);
  });

  it('every source file under lib, components, app, tenant, scripts and e2e has one', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const missing = files.filter((file) => !hasOpeningComment(readFileSync(path.join(root, file), 'utf8')));
    expect(missing, `files with no opening comment before their first declaration:\n${missing.join('\n')}`).toEqual([]);
  });
});
