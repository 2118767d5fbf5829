import { decodeText, embeddedStringMapper, parseLocatedJson } from '../../src/policies/json-located.js';
import { entryOf, fromPlain, toPlain, valueOf } from '../../src/policies/located.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('parseLocatedJson', () => {
  test('locates every value and key (1-based lines and columns)', () => {
    const text = '{\n  "a": [1, "x"],\n  "b": {"c": null, "d": true}\n}';
    const { root, problems } = parseLocatedJson(text, { file: 'f.json' });
    expect(problems).toEqual([]);
    expect(root?.kind).toBe('object');
    const a = valueOf(root!, 'a')!;
    expect(a.loc).toMatchObject({ file: 'f.json', line: 2, column: 8 });
    expect(a.kind === 'array' && a.items.map((i) => [i.kind, i.loc.line, i.loc.column])).toEqual([
      ['number', 2, 9],
      ['string', 2, 12],
    ]);
    expect(entryOf(root!, 'b')?.keyLoc).toMatchObject({ line: 3, column: 3 });
    expect(toPlain(root!)).toEqual({ a: [1, 'x'], b: { c: null, d: true } });
  });

  test('syntax errors carry line and column, without the parser suffix', () => {
    const { root, problems } = parseLocatedJson('{\n  "a": 1,\n  "b": }', { file: 'f.json' });
    expect(root).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'syntax', loc: { file: 'f.json', line: 3, column: 8 } });
    expect(problems[0].message).toBe('Invalid JSON at line 3, column 8: unexpected `}`');
    expect(problems[0].message).not.toMatch(/\(\d+:\d+\)/);
  });

  test('syntax errors say what is wrong in characters: a trailing comma, a missing comma', () => {
    expect(parseLocatedJson('{"a": [1, 2,]}', { file: 'f' }).problems[0].message).toBe('Invalid JSON at line 1, column 13: a trailing comma before `]` (JSON allows none)');
    expect(parseLocatedJson('{"a": 1,\n}', { file: 'f' }).problems[0].message).toMatch(/a trailing comma before `}`/);
    expect(parseLocatedJson('{"a": 1\n "b": 2}', { file: 'f' }).problems[0].message).toBe('Invalid JSON at line 2, column 2: a comma is missing before a string');
  });

  test('trailing commas and comments are rejected (IAM takes strict JSON)', () => {
    expect(parseLocatedJson('[1,]', { file: 'f' }).problems[0].code).toBe('syntax');
    expect(parseLocatedJson('// c\n{}', { file: 'f' }).problems[0].code).toBe('syntax');
  });

  test('duplicate keys: reported at the second key, the last value kept', () => {
    const { root, problems } = parseLocatedJson('{"Statement": {\n "Action": "a",\n "Action": "b"}}', { file: 'f' });
    expect(problems).toEqual([expect.objectContaining({ code: 'duplicate-key', key: 'Action', pointer: '/Statement', loc: { file: 'f', line: 3, column: 2 } })]);
    expect(toPlain(root!)).toEqual({ Statement: { Action: 'b' } });
    const st = valueOf(root!, 'Statement')!;
    expect(st.kind === 'object' && st.entries.length).toBe(1);
  });

  test('nesting beyond the bound is refused before parsing, at the offending bracket', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = parseLocatedJson(deep, { file: 'f' });
    expect(r.problems[0]).toMatchObject({ code: 'too-deep', loc: { line: 1, column: 65 } });
    expect(parseLocatedJson('['.repeat(64) + ']'.repeat(64), { file: 'f' }).problems).toEqual([]);
    // brackets inside strings do not count
    expect(parseLocatedJson(`["${'['.repeat(200)}"]`, { file: 'f' }).problems).toEqual([]);
  });

  test('size bound', () => {
    expect(parseLocatedJson('"' + 'x'.repeat(100) + '"', { file: 'f', maxChars: 50 }).problems[0].code).toBe('too-large');
  });
});

describe('decodeText', () => {
  test('strips and notes a UTF-8 BOM', () => {
    const d = decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...enc('{}')]), 'f');
    expect(d).toEqual({ text: '{}', bom: true });
  });
  test('rejects NUL bytes, invalid UTF-8 and UTF-16 with distinct messages', () => {
    expect(decodeText(new Uint8Array([0x7b, 0x00, 0x7d]), 'f').problem).toMatchObject({ code: 'binary', loc: { file: 'f', line: 1, column: 1 } });
    expect(decodeText(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), 'f').problem?.code).toBe('not-utf8');
    expect(decodeText(new Uint8Array([0xff, 0xfe, 0x7b, 0x00]), 'f').problem?.message).toMatch(/UTF-16/);
  });
  test('accepts multi-byte UTF-8', () => {
    expect(decodeText(enc('{"a":"é✓"}'), 'f').text).toBe('{"a":"é✓"}');
  });
});

describe('embeddedStringMapper', () => {
  test('maps inner offsets through escapes to columns of the outer literal', () => {
    // outer literal starts at column 15 of line 2: "{\"A\":\"x\"}"
    const literal = String.raw`"{\"A\":\"x\"}"`;
    const map = embeddedStringMapper(literal, 2, 15);
    // inner text {"A":"x"}: offset 0 '{' -> raw 1; offset 1 '"' -> raw 2 (the backslash); offset 5 '"' -> raw 8
    expect(map(1, 1, 0)).toEqual({ line: 2, column: 16 });
    expect(map(1, 2, 1)).toEqual({ line: 2, column: 17 });
    expect(map(1, 6, 5)).toEqual({ line: 2, column: 23 });
  });
});

test('fromPlain builds a tree located at one place, round-tripping through toPlain', () => {
  const loc = { file: 'f', line: 3, column: 4 };
  const v = { a: [1, 'b', true, null, { c: 'd' }] };
  const t = fromPlain(v, loc);
  expect(toPlain(t)).toEqual(v);
  expect(valueOf(t, 'a')?.loc).toBe(loc);
});
