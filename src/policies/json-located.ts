// JSON text -> located tree, with the defences untrusted PR content needs: a depth bound checked before the
// (recursive) parser runs, a size bound, strict UTF-8, and duplicate-key detection.
import { parse as momoaParse } from '@humanwhocodes/momoa';
import type { ValueNode } from '@humanwhocodes/momoa';
import type { SourceLocation } from '../model.js';
import type { LEntry, LNode } from './located.js';

export type { LEntry, LNode } from './located.js';

export const DEFAULT_MAX_DEPTH = 64;

export type JsonProblemCode = 'syntax' | 'too-deep' | 'too-large' | 'binary' | 'not-utf8' | 'utf16' | 'duplicate-key';

export interface JsonProblem {
  code: JsonProblemCode;
  message: string;
  loc: SourceLocation;
  /** For duplicate keys: the key and the JSON pointer of its object. */
  key?: string;
  pointer?: string;
}

export interface DecodedText {
  text?: string;
  /** A UTF-8 byte order mark was removed (IAM itself would reject it; editors on Windows add it). */
  bom: boolean;
  problem?: JsonProblem;
}

/** Maps a position in the parsed text to a position in the file (identity for whole files). */
export type PositionMapper = (line: number, column: number, offset: number) => { line: number; column: number };

export interface ParseOptions {
  file: string;
  maxDepth?: number;
  /** Upper bound on the text length in UTF-16 code units. */
  maxChars?: number;
  mapPosition?: PositionMapper;
}

export interface ParseResult {
  root?: LNode;
  /** Fatal problems (no root) or duplicate keys (root present, the last value of a repeated key kept). */
  problems: JsonProblem[];
}

const at = (file: string, line = 1, column = 1): SourceLocation => ({ file, line, column });

/** Strict UTF-8 decoding with a BOM strip; binary (NUL bytes) and UTF-16 files get their own message. */
export function decodeText(bytes: Uint8Array, file: string): DecodedText {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { bom: false, problem: { code: 'utf16', message: 'File is UTF-16 encoded; policy files must be UTF-8.', loc: at(file) } };
  }
  // UTF-16 without a byte order mark: ASCII text with a NUL byte after (LE) or before (BE) each character.
  if (bytes.length >= 4 && ((bytes[0] !== 0 && bytes[1] === 0 && bytes[2] !== 0 && bytes[3] === 0) || (bytes[0] === 0 && bytes[1] !== 0 && bytes[2] === 0 && bytes[3] !== 0))) {
    return { bom: false, problem: { code: 'utf16', message: 'File is UTF-16 encoded (no byte order mark); policy files must be UTF-8.', loc: at(file) } };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return { bom: false, problem: { code: 'binary', message: `File is binary (NUL byte at offset ${nul}); not a policy document.`, loc: at(file) } };
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bom ? bytes.subarray(3) : bytes);
    return { text, bom };
  } catch {
    return { bom, problem: { code: 'not-utf8', message: 'File is not valid UTF-8; policy files must be UTF-8.', loc: at(file) } };
  }
}

/** Line and column (1-based) of an offset, for errors found before parsing. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    // \n, \r\n and a lone \r each end a line, as the parser counts them.
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the first bracket nested deeper than maxDepth, or -1. Strings are skipped. */
function tooDeepAt(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return -1;
}

/** Text that is a single JSON token and trailing whitespace: the parser stopped at the very end. */
const LAST_TOKEN = /^(,|:|[[{]|"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|true|false|null)\s*$/;

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function parseLocatedJson(text: string, opts: ParseOptions): ParseResult {
  const { file } = opts;
  const map: PositionMapper = opts.mapPosition ?? ((line, column) => ({ line, column }));
  const locAt = (line: number, column: number, offset: number): SourceLocation => ({ file, ...map(line, column, offset) });

  if (opts.maxChars !== undefined && text.length > opts.maxChars) {
    return { problems: [{ code: 'too-large', message: `JSON text is ${text.length} characters, over the limit of ${opts.maxChars}.`, loc: locAt(1, 1, 0) }] };
  }
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const deep = tooDeepAt(text, maxDepth);
  if (deep >= 0) {
    const p = positionOf(text, deep);
    return { problems: [{ code: 'too-deep', message: `JSON nests deeper than ${maxDepth} levels.`, loc: locAt(p.line, p.column, deep) }] };
  }

  let body: ValueNode;
  try {
    body = momoaParse(text, { mode: 'json', ranges: false, allowTrailingCommas: false }).body;
  } catch (err) {
    const e = err as { message?: string; line?: number; column?: number; offset?: number };
    const line = typeof e.line === 'number' ? e.line : 1;
    const column = typeof e.column === 'number' ? e.column : 1;
    // momoa appends "(line:column)" to its messages; the location carries that already.
    const message = String(e.message ?? 'Invalid JSON').replace(/\s*\(\d+:\d+\)$/, '');
    const offset = typeof e.offset === 'number' ? e.offset : 0;
    // momoa blames the last token when input stops inside an array; say what happened, at the end.
    if (LAST_TOKEN.test(text.slice(offset))) {
      const end = positionOf(text, text.length);
      return { problems: [{ code: 'syntax', message: 'Invalid JSON: unexpected end of input (the text is truncated).', loc: locAt(end.line, end.column, text.length) }] };
    }
    return { problems: [{ code: 'syntax', message: `Invalid JSON at line ${line}, column ${column}: ${readableSyntaxError(message, text, offset)}`, loc: locAt(line, column, offset) }] };
  }

  const problems: JsonProblem[] = [];
  const nodeLoc = (n: { loc: { start: { line: number; column: number; offset: number }; end: { line: number; column: number; offset: number } } }): SourceLocation => {
    const s = map(n.loc.start.line, n.loc.start.column, n.loc.start.offset);
    const e = map(n.loc.end.line, n.loc.end.column, n.loc.end.offset);
    return { file, line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
  };
  // Recursion depth is bounded by the pre-scan above.
  const convert = (n: ValueNode, pointer: string): LNode => {
    const loc = nodeLoc(n);
    switch (n.type) {
      case 'Object': {
        const entries: LEntry[] = [];
        const index = new Map<string, number>();
        for (const m of n.members) {
          const key = m.name.type === 'String' ? m.name.value : m.name.name;
          const entry: LEntry = { key, keyLoc: nodeLoc(m.name), value: convert(m.value, `${pointer}/${escapePointer(key)}`) };
          const prev = index.get(key);
          // The same value twice means one thing whichever is kept: only differing values are ambiguous.
          if (prev !== undefined && sameValue(entries[prev].value, entry.value)) {
            entries[prev] = entry;
          } else if (prev !== undefined) {
            problems.push({
              code: 'duplicate-key',
              message: `Key "${key}" appears more than once in the same object; the last value is used, the earlier one at line ${entries[prev].keyLoc.line} is ignored.`,
              loc: { file, line: entry.keyLoc.line, column: entry.keyLoc.column },
              key,
              pointer,
            });
            entries[prev] = entry;
          } else {
            index.set(key, entries.length);
            entries.push(entry);
          }
        }
        return { kind: 'object', entries, loc };
      }
      case 'Array':
        return { kind: 'array', items: n.elements.map((el, i) => convert(el.value, `${pointer}/${i}`)), loc };
      case 'String':
        return { kind: 'string', value: n.value, loc };
      case 'Number':
        return { kind: 'number', value: n.value, loc };
      case 'Boolean':
        return { kind: 'boolean', value: n.value, loc };
      case 'Null':
        return { kind: 'null', loc };
      default:
        // NaN / Infinity exist only in JSON5 mode, which is not used.
        return { kind: 'null', loc };
    }
  };
  return { root: convert(body, ''), problems };
}

/**
 * A mapper for JSON that sits inside a JSON string literal (`{"Policy": "{\"Version\": ...}"}`): positions in
 * the decoded inner text are mapped to the line and column of the matching character in the outer literal.
 * `rawLiteral` is the literal as written in the file, quotes included; JSON string literals never span lines.
 */
export function embeddedStringMapper(rawLiteral: string, literalLine: number, literalColumn: number): PositionMapper {
  // rawColumnOf[i] = column offset, inside the literal, of the raw text that decodes to inner char i.
  const rawColumnOf: number[] = [];
  for (let r = 1; r < rawLiteral.length - 1; ) {
    const start = r;
    if (rawLiteral[r] === '\\') r += rawLiteral[r + 1] === 'u' ? 6 : 2;
    else r += 1;
    rawColumnOf.push(start);
    // A \uXXXX escape of a surrogate pair half still counts as one UTF-16 unit, which matches offsets.
  }
  return (_line, _column, offset) => {
    const raw = offset < rawColumnOf.length ? rawColumnOf[offset] : rawLiteral.length - 1;
    return { line: literalLine, column: literalColumn + raw };
  };
}

/** Structural equality of two parsed values (positions aside). */
function sameValue(a: LNode, b: LNode): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'object': {
      const bo = b as typeof a;
      return a.entries.length === bo.entries.length && a.entries.every((e, i) => e.key === bo.entries[i].key && sameValue(e.value, bo.entries[i].value));
    }
    case 'array': {
      const ba = b as typeof a;
      return a.items.length === ba.items.length && a.items.every((x, i) => sameValue(x, ba.items[i]));
    }
    default:
      return (a as { value?: unknown }).value === (b as { value?: unknown }).value;
  }
}

/** momoa's token names as the characters a reader sees. */
const TOKEN_TEXT: Readonly<Record<string, string>> = { RBracket: '`]`', LBracket: '`[`', RBrace: '`}`', LBrace: '`{`', Comma: '`,`', Colon: '`:`', String: 'a string', Number: 'a number', Boolean: 'true/false', Null: '`null`', EOF: 'the end of the text' };

/** "Unexpected token RBracket found." -> "a trailing comma before `]`", or "unexpected `]`". */
function readableSyntaxError(message: string, text: string, offset: number): string {
  const m = /Unexpected token (\w+) found/.exec(message);
  if (!m) return message;
  const token = TOKEN_TEXT[m[1]] ?? m[1];
  const before = text.slice(0, offset).trimEnd();
  if ((m[1] === 'RBracket' || m[1] === 'RBrace') && before.endsWith(',')) return `a trailing comma before ${token} (JSON allows none)`;
  if ((m[1] === 'String' || m[1] === 'LBrace' || m[1] === 'LBracket') && /["\]}\d el]$/.test(before)) return `a comma is missing before ${token}`;
  return `unexpected ${token}`;
}
