import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { textSchema } from '@/lib/contract/text';

describe('textSchema', () => {
  const single = textSchema({ max: 50 });
  const paragraph = textSchema({ max: 50, multiLine: true });
  const messages = (schema: typeof single, value: string) => z.safeParse(schema, value).error?.issues.map((issue) => issue.message) ?? [];

  it('accepts text, emoji and (in a paragraph) line breaks', () => {
    expect(messages(single, 'Lost the phone 😀')).toEqual([]);
    expect(messages(paragraph, 'Line one\nline two\twith a tab\r\n')).toEqual([]);
  });

  it('refuses control characters, naming them; a single line refuses line breaks too', () => {
    expect(messages(paragraph, 'nul\u0000byte')).toEqual(['must not contain control characters']);
    expect(messages(paragraph, 'escape\u001b[31m')).toEqual(['must not contain control characters']);
    expect(messages(single, 'two\nlines')).toEqual(['must not contain control characters']);
  });

  it('refuses unpaired surrogates but not pairs', () => {
    expect(messages(single, 'lone \ud800 high')).toEqual(['must not contain unpaired UTF-16 surrogates']);
    expect(messages(single, 'lone \udc00 low')).toEqual(['must not contain unpaired UTF-16 surrogates']);
    expect(messages(single, 'pair \ud83d\ude00')).toEqual([]);
  });

  it('refuses what looks like a credential and says to remove it', () => {
    expect(messages(paragraph, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toEqual(['looks like a JWT: remove it (never paste a credential here)']);
    expect(messages(paragraph, 'Bearer abcdefghijklmnopqrstuvwxyz')[0]).toContain('bearer credential');
  });
});
