// The WebAssembly record scanner (src/usage/record-scan-wasm.ts, built from wasm/record-scan.ts) against the JS
// scanner (record-scan.ts) and JSON.parse: same validity, same records, same slots; the bounds of a chunk; memory
// growth; the composite ids EventProcessor.textSignature caches its answers by; and the processor reading logs through
// it (log-object.ts, readLogObject) against the parsed path (EventProcessor.record).
import { gzipSync } from 'node:zlib';
import type { UsageSummary } from '../../src/model.js';
import { jest } from '@jest/globals';
import { ACCOUNTS, trailEvent, uuid } from '../../bench/cloudtrail-gen.js';
import { UsageAggregator } from '../../src/usage/aggregator.js';
import { BatchBuilder, EventProcessor, ID_UUID, mayName, type EventBatch } from '../../src/usage/event-batch.js';
import { EventLedger } from '../../src/usage/event-ledger.js';
import { uuidWords } from '../../src/usage/event-id-set.js';
import { readLogObject } from '../../src/usage/log-object.js';
import { MapMemo, timeMs } from '../../src/usage/map-event.js';
import * as F from '../../src/usage/record-scan.js';
import { ScannedRecord, scanRecords } from '../../src/usage/record-scan.js';
import { WasmRecordScanner } from '../../src/usage/record-scan-wasm.js';
import { SigRegistry, SourceTally } from '../../src/usage/tally.js';
import { closeBatch } from '../../src/usage/worker-entry.js';
import { isObj, SLOT_PATHS, valueAt } from '../support/record-slots.js';

type Obj = Record<string, unknown>;
type Rand = () => number;
// Math held in module constants: a global lookup is slow in Jest's VM context (bench/cloudtrail-gen.ts's prng spent
// most of this file's time on `Math.imul`).
const { floor, imul } = Math;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[floor(rand() * xs.length)];

/** mulberry32, as bench/cloudtrail-gen.ts's prng (same seed, same numbers). */
function prng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------- scanning helpers ----------

const created = WasmRecordScanner.create();
/** This file's own scanner (log-object.ts keeps another, its own, for readLogObject). */
function wasm(): WasmRecordScanner {
  if (!created) throw new Error('WasmRecordScanner.create() gave undefined: no WebAssembly SIMD here');
  return created;
}

/** What a visit saw: the record's place, its escaped flag, and per slot `offset:text` of its value (null: absent). */
interface Seen {
  start: number;
  end: number;
  escaped: boolean;
  slots: (string | null)[];
}
interface Scan {
  ok: boolean;
  records: Seen[];
}

function seen(r: ScannedRecord): Seen {
  const slots: (string | null)[] = [];
  for (let s = 0; s < F.SLOTS; s++) slots.push(r.from[s] >= 0 ? `${r.from[s]}:${r.raw(s)}` : null);
  return { start: r.start, end: r.end, escaped: r.escaped, slots };
}

/** The text the WASM scanner reads for `s`: its first and last characters taken as `[` and `]`. */
function forced(s: string): string {
  if (s.length === 0) return s;
  if (s.length === 1) return ']'; // one byte: written `[`, then `]` over it
  return `[${s.slice(1, -1)}]`;
}

/** The WASM scanner over `s`'s bytes (latin1), with the text it stands for. */
function scanWasm(s: string): Scan {
  const data = Buffer.from(s, 'latin1');
  const records: Seen[] = [];
  const ok = wasm().scan(data, 0, data.length, forced(s), (r) => records.push(seen(r)));
  return { ok, records };
}

function scanJs(s: string): Scan {
  const records: Seen[] = [];
  const ok = scanRecords(s, new ScannedRecord(), (r) => records.push(seen(r)));
  return { ok, records };
}

function jsonArrayOfObjects(text: string): unknown[] | undefined {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) && v.every(isObj) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The deepest nesting of arrays and objects in a text JSON.parse accepted (the outer array counts 1). */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

/** A raw character below 0x20 inside a string, as a lexer that knows only strings sees it. */
function rawControlInString(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!inString) {
      if (c === 0x22) inString = true;
    } else if (c < 0x20) return true;
    else if (c === 0x5c) i++;
    else if (c === 0x22) inString = false;
  }
  return false;
}

/**
 * The WASM scanner over `s` against the JS scanner over the text it stands for: identical (return value, records
 * visited, their places, escaped flags, every slot's place and text), except where the text holds a raw control
 * character inside a string: then the WASM scanner may refuse what the JS scanner lets through (JSON.parse refuses
 * it too), having visited a prefix of the JS scanner's records. `problem`: how they differ otherwise (loops collect
 * these and expect none at the end: expect() per iteration would cost most of the run).
 */
function compareWithJs(s: string): { scan: Scan; problem?: unknown } {
  const text = forced(s);
  const w = scanWasm(s);
  const j = scanJs(text);
  if (w.ok === j.ok && w.records.length === j.records.length) {
    if (JSON.stringify(w) === JSON.stringify(j)) return { scan: w };
    const k = w.records.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(j.records[i]));
    return { scan: w, problem: { text, record: k, wasm: w.records[k], js: j.records[k] } };
  }
  // Only stricter, and only for a raw control character in a string.
  let parses = true;
  try {
    JSON.parse(text);
  } catch {
    parses = false;
  }
  const prefix = JSON.stringify(w.records) === JSON.stringify(j.records.slice(0, w.records.length));
  if (w.ok || !rawControlInString(text) || parses || !prefix) return { scan: w, problem: { text, wasm: w.ok, js: j.ok, controlInString: rawControlInString(text), jsonParse: parses, prefix } };
  return { scan: w };
}

function expectSameAsJs(s: string): Scan {
  const { scan, problem } = compareWithJs(s);
  expect(problem).toBeUndefined();
  return scan;
}

/**
 * `text` made as short as it can be while `bad` still holds (spans removed: halving sizes at aligned places, then
 * every span of up to 12 characters anywhere): a failure then shows a small input instead of KBs of generated JSON.
 */
function shrink(text: string, bad: (t: string) => boolean): string {
  for (let changed = true; changed; ) {
    changed = false;
    for (let size = text.length >> 1; size > 12; size >>= 1) {
      for (let i = 0; i + size <= text.length; ) {
        const t = text.slice(0, i) + text.slice(i + size);
        if (bad(t)) (text = t), (changed = true);
        else i += size;
      }
    }
    for (let size = 12; size >= 1; size--) {
      for (let i = 0; i + size <= text.length; ) {
        const t = text.slice(0, i) + text.slice(i + size);
        if (bad(t)) (text = t), (changed = true);
        else i++;
      }
    }
  }
  return text;
}

/** Failing texts of a loop, for its final expect: how many, and the first one shrunk (with what is wrong with it). */
function report(failing: string[], bad: (t: string) => boolean, describe: (t: string) => unknown): unknown[] {
  if (failing.length === 0) return [];
  const small = forced(shrink(failing[0], bad));
  return [{ failing: failing.length, shrunk: small, detail: describe(small) }];
}

// ---------- generators ----------


/** How a value is written: whitespace between tokens, escapes in strings, other spellings of numbers, duplicate keys. */
interface Style {
  ws: number;
  escape: number;
  numbers: number;
  dup: number;
}
const PLAIN: Style = { ws: 0, escape: 0, numbers: 0, dup: 0 };
const WS = [' ', '\n', '\r', '\t'];
const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '/': '\\/' };

function uEscape(rand: Rand, code: number): string {
  const h = code.toString(16).padStart(4, '0');
  return `\\u${rand() < 0.5 ? h : h.toUpperCase()}`;
}

/** A JS value as ASCII JSON text in `st`'s style (a key may be written twice: JSON.parse keeps the later value). */
function writeJson(v: unknown, rand: Rand, st: Style): string {
  const sp = () => (st.ws > 0 && rand() < st.ws ? pick(rand, WS) + (rand() < 0.3 ? pick(rand, WS) : '') : '');
  if (typeof v === 'string') {
    let out = '"';
    for (const ch of v) {
      const code = ch.charCodeAt(0);
      const must = ch === '"' || ch === '\\' || code < 0x20 || code > 0x7e;
      if (must || (st.escape > 0 && rand() < st.escape)) {
        const short = SHORT_ESCAPES[ch];
        out += short !== undefined && (rand() < 0.5 || code > 0x7e) ? short : ch.length === 1 && code <= 0xffff ? uEscape(rand, code) : ch;
      } else out += ch;
    }
    return `${out}"`;
  }
  if (typeof v === 'number') {
    let s = JSON.stringify(v);
    if (st.numbers > 0 && rand() < st.numbers) {
      if (!/[.eE]/.test(s) && rand() < 0.5) s += '.0';
      if (!/[eE]/.test(s)) s += pick(rand, ['e0', 'E0', 'e+0', 'E-0', 'e00']);
    }
    return s;
  }
  if (v === null || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${sp()}${v.map((x) => writeJson(x, rand, st)).join(`${sp()},${sp()}`)}${sp()}]`;
  const o = v as Obj;
  const entries = Object.entries(o).map(([k, x]) => `${writeJson(k, rand, st)}${sp()}:${sp()}${writeJson(x, rand, st)}`);
  // A duplicate before the entry it doubles: JSON.parse (and the scanners) keep the later one.
  if (st.dup > 0 && entries.length > 0 && rand() < st.dup) {
    const keys = Object.keys(o);
    const k = pick(rand, keys);
    const i = keys.indexOf(k);
    entries.splice(i, 0, `${writeJson(k, rand, st)}:${writeJson(randomValue(rand, 2, k), rand, st)}`);
  }
  return `{${sp()}${entries.join(`${sp()},${sp()}`)}${sp()}}`;
}

const TOP_KEYS = [...F.FIELD_NAMES, 'eventVersion', 'userAgent', 'requestID', 'x'];
const INNER_KEYS: Record<string, string[]> = {
  userIdentity: ['type', 'arn', 'accountId', 'sessionContext', 'invokedBy', 'identityProvider', 'principalId', 'userName', 'x'],
  sessionContext: ['sessionIssuer', 'attributes', 'x'],
  sessionIssuer: ['arn', 'type', 'userName', 'x'],
  requestParameters: [
    'bucketName', 'key', 'versionId', 'x-amz-acl', 'x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-tagging',
    'x-amz-grant-write', 'X-Amz-Acl', 'x-amz-copy-source', 'x',
  ],
};
const ALL_KEYS = [...TOP_KEYS, ...Object.values(INNER_KEYS).flat()];
/** ASCII only: the WASM scanner is used for ASCII text. Control characters and non-printing ones are escaped by writeJson. */
const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '/', '{', '}', '[', ']', ':', ',', '\n', '\u0001', '\u001f', '\u007f', '-', '.', 'u'];
const NUMBERS = [0, -0, 1, -1, 1.5, -2.5e-3, 1e21, 123456789, 0.1, 1e-7, 5e300, -1e-300];

function randomString(rand: Rand): string {
  let s = '';
  const n = floor(rand() * 7);
  for (let i = 0; i < n; i++) s += pick(rand, CHARS);
  return s;
}

function randomValue(rand: Rand, depth: number, key: string): unknown {
  const k = rand();
  if (depth > 4 || k < 0.35) return randomString(rand);
  if (k < 0.45) return pick(rand, [true, false, null]);
  if (k < 0.55) return pick(rand, NUMBERS);
  if (k < 0.68) return Array.from({ length: floor(rand() * 3) }, () => randomValue(rand, depth + 1, ''));
  return randomObject(rand, depth + 1, key);
}

/** An object whose keys are those the scanners note where they note them (under userIdentity, requestParameters ...), mostly. */
function randomObject(rand: Rand, depth: number, parentKey: string): Obj {
  const keys = depth === 0 ? TOP_KEYS : INNER_KEYS[parentKey] && rand() < 0.8 ? INNER_KEYS[parentKey] : ALL_KEYS;
  const o: Obj = {};
  const n = floor(rand() * 7);
  for (let i = 0; i < n; i++) {
    const key = pick(rand, keys);
    o[key] = randomValue(rand, depth, key);
  }
  return o;
}

function randomStyle(rand: Rand): Style {
  return rand() < 0.3 ? PLAIN : { ws: rand() < 0.5 ? 0 : rand() * 0.5, escape: rand() < 0.5 ? 0 : rand() * 0.2, numbers: rand() * 0.5, dup: rand() * 0.4 };
}

/** An array of random records as ASCII text, in a random style. */
function randomRecordsText(rand: Rand): string {
  const n = floor(rand() * 5);
  const st = randomStyle(rand);
  const sp = () => (st.ws > 0 && rand() < st.ws ? pick(rand, WS) : '');
  return `[${sp()}${Array.from({ length: n }, () => writeJson(randomObject(rand, 0, ''), rand, st)).join(`${sp()},${sp()}`)}${sp()}]`;
}

/** Odd shapes of generated trail events: fields of other types, empty ones, deep nesting, every number form. */
const SHAPES: ((e: Obj, rand: Rand) => void)[] = [
  () => {},
  (e) => (e.userIdentity = null),
  (e) => (e.userIdentity = []),
  (e) => (e.userIdentity = 'x'),
  (e) => (e.userIdentity = 5),
  (e) => (e.userIdentity = {}),
  (e) => (e.requestParameters = []),
  (e) => (e.requestParameters = 'x'),
  (e) => (e.requestParameters = {}),
  (e) => (e.requestParameters = { bucketName: ['b'], key: { k: 1 }, versionId: null, 'x-amz-acl': 1.5e-3, 'x-amz-tagging': false }),
  (e) => (e.resources = []),
  (e) => (e.resources = [[], {}, [[[]]], -0.0, 1e-10]),
  (e) => (e.tlsDetails = 'TLSv1.3'),
  (e) => (e.responseElements = { deep: JSON.parse(`${'['.repeat(60)}{"a":[1,-2.5E+3,true,null,"x"]}${']'.repeat(60)}`) }),
  (e) => (e.eventTime = 1714557600),
  (e) => (e.awsRegion = null),
  (e) => (e.errorMessage = 'a "quoted" \\ message\nwith a newline and \u0001 and a tab\t'),
  (e) => {
    const ui = e.userIdentity;
    if (isObj(ui)) ui.sessionContext = { sessionIssuer: 'x' };
  },
  (e) => {
    const ui = e.userIdentity;
    if (isObj(ui)) ui.sessionContext = [];
  },
  (e) => (e.requestParameters = { bucketName: 'b', key: 'k', 'x-amz-acl': 'private', 'x-amz-grant-read': 'id="a"', 'x-amz-grant-read-acp': '', 'x-amz-grant-write-acp': 'w', 'x-amz-grant-full-control': 'f', 'x-amz-tagging': 'a=b' }),
  (e, rand) => (e.x = NUMBERS.map((n) => n * (rand() < 0.5 ? 1 : -1))),
];

/** Generated trail events (bench/cloudtrail-gen.ts), some reshaped, written in random styles. */
function trailTexts(seed: number, n: number): string[] {
  const rand = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const records = Array.from({ length: 1 + floor(rand() * 4) }, (_, k) => {
      const e = trailEvent(rand, ACCOUNTS[(i + k) % 3], k % 2 ? 'eu-west-1' : 'us-east-1', new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''));
      pick(rand, SHAPES)(e, rand);
      return e;
    });
    const st = i % 4 === 0 ? PLAIN : randomStyle(rand);
    const sp = () => (st.ws > 0 && rand() < st.ws ? pick(rand, WS) : '');
    out.push(`[${sp()}${records.map((r) => writeJson(r, rand, st)).join(`${sp()},${sp()}`)}${sp()}]`);
  }
  return out;
}

/** One-character edits (delete, insert, replace) over JSON's characters, control characters and escape pieces. */
const EDIT_CHARS = ['{', '}', '[', ']', '"', ':', ',', '\\', 'a', '1', '-', '+', '.', 'e', 'E', 't', 'f', 'n', ' ', 'u', '0', '\n', '\t', '\r', '\u0000', '\u0001', '\u0010', '\u0015', '\u001f', '\u007f'];

function edit(rand: Rand, text: string): string {
  const p = floor(rand() * (text.length + 1));
  const k = rand();
  if (k < 0.1) {
    // `\u` and four random ASCII characters (hex digits or not), inserted (most often inside a string).
    let u = '\\u';
    for (let i = 0; i < 4; i++) u += rand() < 0.6 ? pick(rand, [...'0123456789abcdefABCDEF']) : String.fromCharCode(floor(rand() * 128));
    return text.slice(0, p) + u + text.slice(p);
  }
  const c = pick(rand, EDIT_CHARS);
  if (k < 0.4) return text.slice(0, p) + text.slice(p + 1);
  if (k < 0.7) return text.slice(0, p) + c + text.slice(p);
  return text.slice(0, p) + c + text.slice(p + 1);
}

// ---------- 1. the same records as the JS scanner ----------

describe('WasmRecordScanner gives what scanRecords gives (ASCII text)', () => {
  test('WebAssembly with SIMD is available here (else every test below is moot)', () => {
    expect(created).toBeInstanceOf(WasmRecordScanner);
    expect(wasm().maxId).toBeGreaterThan(1000);
  });

  // Generated CloudTrail in odd shapes and styles: every slot the same, and what JSON.parse has at its path.
  test('2,000 arrays of generated trail events (odd shapes, whitespace, escapes, duplicate keys, number forms)', () => {
    const problems: unknown[] = [];
    let slotsChecked = 0;
    let escaped = 0;
    for (const text of trailTexts(31, 2000)) {
      const { scan: w, problem } = compareWithJs(text);
      if (problem) problems.push(problem);
      const parsed = jsonArrayOfObjects(text);
      if (!w.ok || !parsed || w.records.length !== parsed.length) {
        problems.push({ text, ok: w.ok, valid: parsed !== undefined });
        continue;
      }
      w.records.forEach((r, k) => {
        const source = text.slice(r.start, r.end);
        if (JSON.stringify(JSON.parse(source)) !== JSON.stringify(parsed[k]) || r.escaped !== source.includes('\\')) problems.push({ source, escaped: r.escaped });
        if (r.escaped) {
          escaped++;
          return; // its slots are not read: the processor parses the record
        }
        for (const [slot, path] of SLOT_PATHS) {
          const want = valueAt(parsed[k], path);
          const got = r.slots[slot];
          if ((got !== null) !== want.found) problems.push({ source, slot, found: got !== null });
          else if (got !== null) {
            if (JSON.stringify(JSON.parse(got.slice(got.indexOf(':') + 1))) !== JSON.stringify(want.value)) problems.push({ source, slot, got, want: want.value });
            slotsChecked++;
          }
        }
      });
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(slotsChecked).toBeGreaterThan(30_000);
    expect(escaped).toBeGreaterThan(500);
  });

  // Keys are told by two or three word compares (isWords): every byte of every noted key, and of true/false/null, counts.
  test('each noted key (and literal) with any one byte changed is not noted, at the key\'s end of a chunk too', () => {
    const problems: unknown[] = [];
    let variants = 0;
    for (const [slot, path] of SLOT_PATHS) {
      const key = path[path.length - 1];
      for (let i = 0; i < key.length; i++) {
        for (const c of new Set([key.charCodeAt(i) ^ 0x20, key.charCodeAt(i) + 1, 0x5f])) {
          const spelt = key.slice(0, i) + String.fromCharCode(c) + key.slice(i + 1);
          if (spelt === key || c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) continue;
          // The misspelt key holds the value; the parents stay (an inner key needs its parent to be noted).
          const record: Obj = { eventVersion: '1.08' };
          let at = record;
          for (const k of path.slice(0, -1)) at = (at[k] = {}) as Obj;
          at[spelt] = 'v';
          for (const text of [`[${JSON.stringify(record)}]`, `[${JSON.stringify(record).slice(0, -1)}, "${spelt}": true}]`]) {
            variants++;
            const { scan, problem } = compareWithJs(text);
            if (problem) problems.push(problem);
            if (!scan.ok || scan.records[0].slots[slot] !== null) problems.push({ text, slot, ok: scan.ok });
          }
        }
      }
    }
    for (const literal of ['true', 'false', 'null']) {
      for (let i = 0; i < literal.length; i++) {
        const text = `[{"eventName":${literal.slice(0, i)}${literal[i] === 'e' ? 'E' : 'e'}${literal.slice(i + 1)}}]`;
        variants++;
        if (scanWasm(text).ok) problems.push({ text });
      }
      // At the very end of the bytes (the 32-byte tail past a chunk is zeros): still read right.
      expect(scanWasm(`[{"a":${literal}}]`).ok).toBe(true);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(variants).toBeGreaterThan(1500);
  });

  // Random JSON (ASCII): keys the scanners note, at and away from where they note them.
  test('5,000 random ASCII arrays of records', () => {
    const rand = prng(32);
    const failing: string[] = [];
    let records = 0;
    for (let i = 0; i < 5000; i++) {
      const text = randomRecordsText(rand);
      const { scan, problem } = compareWithJs(text);
      if (problem || !scan.ok) failing.push(text);
      records += scan.records.length;
    }
    const bad = (t: string) => {
      const { scan, problem } = compareWithJs(t);
      return problem !== undefined || (!scan.ok && jsonArrayOfObjects(forced(t)) !== undefined);
    };
    expect(report(failing, bad, (t) => ({ ...compareWithJs(t), jsonParse: jsonArrayOfObjects(t) !== undefined }))).toEqual([]);
    expect(records).toBeGreaterThan(8000);
  });

  // Damaged texts: where the two may differ, only by the WASM scanner refusing a raw control character in a string.
  test('30,000 one-character edits of random and generated texts', () => {
    const rand = prng(33);
    const trails = trailTexts(34, 200);
    const failing: string[] = [];
    let differed = 0;
    let refused = 0;
    for (let i = 0; i < 30_000; i++) {
      const text = edit(rand, i % 3 === 0 ? pick(rand, trails) : randomRecordsText(rand));
      const { scan, problem } = compareWithJs(text);
      if (problem) failing.push(text);
      if (!scan.ok) refused++;
      if (!scan.ok && scanJs(forced(text)).ok) differed++;
    }
    expect(report(failing, (t) => compareWithJs(t).problem !== undefined, (t) => compareWithJs(t).problem)).toEqual([]);
    expect(refused).toBeGreaterThan(8000);
    expect(differed).toBeGreaterThan(100); // raw control characters in strings were met
  });

  // Structure at the edges: empty arrays and objects, literals, numbers, whitespace, trailing commas.
  test('hand-picked texts, valid and not', () => {
    const texts = [
      '[]', '[ ]', '[\n\t\r ]', '[{}]', '[ {} , { } ]', '[{"a":[]},{"b":{}}]', '[{"eventName":"x","eventName":"y"}]',
      '[{"userIdentity":{"type":"a"},"userIdentity":"s"}]', '[{"userIdentity":{"type":"a"},"userIdentity":{"arn":"b"}}]',
      '[{"requestParameters":{"key":"k"},"requestParameters":null}]', '[{"requestParameters":{"key":"k"},"requestParameters":[{"key":"j"}]}]',
      '[{"userIdentity":{"sessionContext":{"sessionIssuer":{"arn":"a"}},"sessionContext":{"sessionIssuer":5}}}]',
      '[{"userIdentity":{"sessionContext":{"sessionIssuer":{"arn":"a"},"sessionIssuer":{"type":"t"}}}}]',
      '[{"x":{"userIdentity":{"type":"nested, not noted"}},"y":[{"eventName":"nor this"}]}]',
      '[{"a":-0.5e+10,"b":[true,false,null],"c":0,"d":-0,"e":1E5,"f":1e-5,"g":123.456e78}]',
      '[{"eventName" : "spaced" , "eventSource"\n:\n"s"\t}]', '[{"eventName":"\\u0041\\"\\\\\\/\\b\\f\\n\\r\\t"}]', '[{"event\\u004eame":"x"}]',
      '[{"a":01}]', '[{"a":.5}]', '[{"a":1.}]', '[{"a":1e}]', '[{"a":-}]', '[{"a":+1}]', '[{"a":tru}]', '[{"a":nul}]', '[{"a":falsy}]', '[{"a":1},]', '[{"a" 1}]',
      '[{a:1}]', '[{"a":"\\x"}]', '[{"a":"\\u12g4"}]', '[{"a":"\\u004"}]', '[1]', '["a"]', '[null]', '[[]]', '[{},1]', '[{}{}]', '[{},,{}]', '[,{}]', '[{"a":1,}]',
      '[{"a":[1,]}]', '[{"a":[,1]}]', '[{"a"}]', '[{"a":}]', '[{:1}]', '[{"a":1 "b":2}]', '[{"a":"b"]', '[{"a":["b"}]', '[', ']', '', ' ', 'x', '[}', '[{]',
      '[{"a":"\u0001"}]', '[{"a\u001f":1}]', '[{"a":"\n"}]', '[{"a":"\t"}]', '[{"eventName":"\u0000"}]', '[{"a":"\u007f"}]', '[{}\u0000]', '[{"a":1\u0000}]',
    ];
    for (const t of texts) expectSameAsJs(t);
  });

  // Nesting: the WASM scanner stops at 512 levels below the array (the JS scanner at its stack).
  test('nesting up to 512 levels is read, deeper is refused (not thrown)', () => {
    const nested = (n: number) => `[{"a":${'['.repeat(n - 1)}0${']'.repeat(n - 1)}}]`; // the record and n-1 arrays: n levels
    const objects = (n: number) => `[{"responseElements":${'{"a":'.repeat(n - 1)}1${'}'.repeat(n - 1)},"eventName":"e"}]`;
    for (const n of [1, 2, 100, 511, 512]) {
      for (const t of [nested(n), objects(n)]) {
        expect(nesting(t) - 1).toBe(n);
        const w = expectSameAsJs(t);
        expect({ n, ok: w.ok }).toEqual({ n, ok: true });
      }
    }
    for (const n of [513, 600, 100_000]) {
      for (const t of [nested(n), objects(n)]) {
        expect({ n, ok: scanWasm(t).ok }).toEqual({ n, ok: false });
        if (n < 1000) expect(jsonArrayOfObjects(t)).toBeDefined();
      }
    }
    // The depth starts again with each record.
    expect(scanWasm(`[${Array.from({ length: 5 }, () => `{"a":${'['.repeat(500)}${']'.repeat(500)}}`).join(',')}]`).ok).toBe(true);
  });
});

// ---------- 2. validity against JSON.parse ----------

describe('WasmRecordScanner accepts exactly the arrays of objects JSON.parse accepts', () => {
  // Both directions, over random and damaged ASCII texts (no nesting beyond 512 is generated).
  test('30,000 random and edited ASCII texts', () => {
    const rand = prng(41);
    const trails = trailTexts(42, 100);
    const valid = (t: string) => jsonArrayOfObjects(forced(t)) !== undefined && nesting(forced(t)) <= 513;
    const failing: string[] = [];
    let rejected = 0;
    for (let i = 0; i < 30_000; i++) {
      const base = i % 4 === 0 ? pick(rand, trails) : randomRecordsText(rand);
      const text = i % 5 === 0 ? base : edit(rand, rand() < 0.3 ? edit(rand, base) : base);
      const want = valid(text);
      if (!want) rejected++;
      if (scanWasm(text).ok !== want) failing.push(text);
    }
    expect(report(failing, (t) => scanWasm(t).ok !== valid(t), (t) => ({ wasm: scanWasm(t).ok, jsonParse: valid(t) }))).toEqual([]);
    expect(rejected).toBeGreaterThan(8000);
  });

  // Every escape `\uXXXX` with XXXX any four ASCII characters: hex digits only, as JSON.parse.
  test('`\\u` escapes: every ASCII character in each of the four digit places', () => {
    const bad: string[] = [];
    for (let place = 0; place < 4; place++) {
      for (let c = 0; c < 128; c++) {
        const digits = '0041'.slice(0, place) + String.fromCharCode(c) + '0041'.slice(place + 1);
        const text = `[{"eventName":"\\u${digits}"}]`;
        const want = jsonArrayOfObjects(text) !== undefined;
        if (scanWasm(text).ok !== want) bad.push(JSON.stringify(text));
      }
    }
    // All four places filled with the same character, a raw control character among them.
    for (let c = 0; c < 128; c++) {
      const text = `[{"a":"\\u${String.fromCharCode(c).repeat(4)}"}]`;
      if (scanWasm(text).ok !== (jsonArrayOfObjects(text) !== undefined)) bad.push(JSON.stringify(text));
    }
    expect(bad).toEqual([]);
  });

  // A raw control character anywhere in a string (key or value, skipped or noted) is refused, as JSON.parse does.
  test('raw control characters inside strings are refused; JSON whitespace between tokens is not', () => {
    for (let c = 0; c < 0x20; c++) {
      const ch = String.fromCharCode(c);
      for (const t of [`[{"a":"x${ch}y"}]`, `[{"a${ch}":1}]`, `[{"eventName":"${ch}"}]`, `[{"userAgent":"${'a'.repeat(40)}${ch}${'b'.repeat(40)}"}]`, `[{"x":["${ch}"]}]`]) {
        expect({ t, ok: scanWasm(t).ok }).toEqual({ t, ok: false });
      }
      const between = `[${ch}{${ch}"a"${ch}:${ch}1${ch}}${ch}]`;
      expect({ between, ok: scanWasm(between).ok }).toEqual({ between, ok: jsonArrayOfObjects(between) !== undefined });
    }
  });
});

// ---------- 3. the bounds of a chunk ----------

describe('a chunk is the bytes [start, end) only', () => {
  const visitAll = (data: Uint8Array, start: number, end: number) => {
    const text = forced(Buffer.from(data).toString('latin1', start, end));
    const records: Seen[] = [];
    const ok = wasm().scan(data, start, end, text, (r) => records.push(seen(r)));
    return { ok, records, text };
  };

  // An unterminated last string must not be closed by a quote lying just past the chunk.
  test('a string left open inside the chunk is not closed by the bytes after it', () => {
    for (const tail of ['"}]', '"}', '"', '\\""}]']) {
      const head = '[{"a":"b"},{"eventName":"unterminated';
      const data = Buffer.from(`${head}x${tail}`, 'latin1');
      // The chunk ends one byte after the open string (that byte is read as `]`): the string never ends.
      expect({ tail, ok: visitAll(data, 0, head.length + 1).ok }).toEqual({ tail, ok: false });
    }
    // A string open at the chunk's last byte, whose escape would need the next bytes.
    const data = Buffer.from('[{"a":"\\u00"}]41"}]', 'latin1');
    expect(visitAll(data, 0, 13).ok).toBe(false);
  });

  // Garbage after the chunk (and a non-zero byte at `end`) does not matter.
  test('a valid chunk followed by garbage (or a valid continuation) scans', () => {
    const chunk = '[{"eventName":"a","requestParameters":{"key":"k"}},{"eventSource":"s"}]';
    for (const after of ['', 'xx', '"', '\\', '{"a":', '\u0000\u0001', ',{"eventName":"b"}]', ']]]', ' '.repeat(100)]) {
      const data = Buffer.from(chunk + after, 'latin1');
      const { ok, records } = visitAll(data, 0, chunk.length);
      expect({ after, ok, n: records.length }).toEqual({ after, ok: true, n: 2 });
      expect(records).toEqual(scanJs(chunk).records);
    }
  });

  // Bytes before `start` are not read either, and offsets are relative to `start`.
  test('a chunk cut from a larger array: its first and last bytes are the commas around it', () => {
    const rand = prng(51);
    const records = Array.from({ length: 12 }, (_, i) => JSON.stringify(trailEvent(rand, ACCOUNTS[i % 3], 'us-east-1', `2024-05-01T00:00:${String(i).padStart(2, '0')}Z`)));
    const doc = Buffer.from(`{"Records":[${records.join(',')}]}`, 'latin1');
    // Positions of the commas between records (and the array's own brackets).
    const bounds = [doc.indexOf('[')];
    let p = bounds[0] + 1;
    for (const r of records) {
      p += r.length;
      bounds.push(p);
      p++;
    }
    expect(String.fromCharCode(doc[bounds[bounds.length - 1]])).toBe(']');
    for (let a = 0; a < records.length; a++) {
      for (let b = a + 1; b <= records.length; b++) {
        const start = bounds[a];
        const stop = bounds[b];
        const { ok, records: got, text } = visitAll(doc, start, stop + 1);
        expect({ a, b, ok }).toEqual({ a, b, ok: true });
        expect(got.map((r) => text.slice(r.start, r.end))).toEqual(records.slice(a, b));
        expect(got).toEqual(scanJs(text).records);
      }
    }
    // The document is left as it was (the brackets are written into the scanner's memory, not the caller's bytes).
    expect(doc.toString('latin1')).toBe(`{"Records":[${records.join(',')}]}`);
  });

  // Ranges too short to hold an array.
  test('empty and one-byte ranges are refused; two bytes are an empty array', () => {
    const data = Buffer.from('{}{}', 'latin1');
    expect(wasm().scan(data, 1, 1, '', () => {})).toBe(false);
    expect(wasm().scan(data, 1, 2, ']', () => {})).toBe(false);
    expect(wasm().scan(data, 1, 3, '[]', () => {})).toBe(true);
    expect(wasm().scan(data, 0, 4, '[}{]', () => {})).toBe(false);
  });

  // A failed scan leaves nothing behind: the next scan reads its own chunk from a clean state.
  test('a scan after a failed one (mid-record, mid-string, deep nesting) starts afresh', () => {
    const good = '[{"eventName":"a","userIdentity":{"type":"IAMUser"}}]';
    for (const bad of ['[{"eventName":"a","userIdentity":{"type":"IAMU', `[{"a":${'['.repeat(600)}`, '[{"eventName":"x"},{"a":"\u0001"}]', '[{"a":1},x']) {
      expect(scanWasm(bad).ok).toBe(false);
      expect(expectSameAsJs(good).records).toHaveLength(1);
    }
  });
});

// ---------- 4. large chunks ----------

describe('chunks larger than the scanner memory', () => {
  // The memory grows to hold the chunk; slots past the growth are read from the new memory.
  test('a 5 MB requestParameters, then records after it', () => {
    const big = 'k'.repeat(5 << 20);
    const after = Array.from({ length: 50 }, (_, i) => JSON.stringify({ eventName: `E${i}`, userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::1:user/u${i}` }, requestParameters: { bucketName: 'b', key: `k${i}` } }));
    const text = `[{"eventName":"first"},{"eventName":"big","requestParameters":{"bucketName":"b","key":"${big}","x":"${big}"}},${after.join(',')}]`;
    const x = (wasm() as unknown as { x: { memory: WebAssembly.Memory; inputPtr(): number } }).x;
    const before = x.memory.buffer.byteLength;
    // This test is the first to need more memory than the scanner starts with.
    expect(before).toBeLessThan(x.inputPtr() + text.length);
    const w = expectSameAsJs(text);
    expect(w.ok).toBe(true);
    expect(w.records).toHaveLength(52);
    expect(w.records[1].slots[F.RP_KEY]).toBe(`${text.indexOf(big) - 1}:"${big}"`);
    expect(w.records[51].slots[F.UI_ARN]).toBe(`${text.lastIndexOf('"arn:aws:iam::1:user/u49"')}:"arn:aws:iam::1:user/u49"`);
    expect(x.memory.buffer.byteLength).toBeGreaterThanOrEqual(x.inputPtr() + text.length);
    // And small chunks still scan after the growth.
    expect(expectSameAsJs('[{"eventName":"small"}]').records).toHaveLength(1);
  });

  // A record as large as an object the reader takes whole (64 MB): a slot offset past 2^26, composite id 0.
  test('a 40 MB record: its slots and composite id (0: too large)', () => {
    const big = 'y'.repeat(40 << 20);
    const text = `[{"requestParameters":"${big}","eventName":"after","eventSource":"s"},{"eventName":"small","eventSource":"s"}]`;
    const data = Buffer.from(text, 'latin1');
    const got: { name: string | null; ids: number }[] = [];
    const ok = wasm().scan(data, 0, data.length, text, (r) => got.push({ name: r.raw(F.EVENT_NAME), ids: wasm().compositeId(0) }));
    expect(ok).toBe(true);
    expect(got.map((g) => g.name)).toEqual(['"after"', '"small"']);
    expect(got[0].ids).toBe(0);
    expect(got[1].ids).toBeGreaterThan(0);
  });
});

// ---------- 5. composite ids ----------

/**
 * The composite ids of records scanned together (one chunk), with the epoch; scanned again if the epoch changed
 * meanwhile. `without`: slots left out (bit = slot number).
 */
function compositeIds(records: string[], without = 0): number[] {
  for (let attempt = 0; attempt < 2; attempt++) {
    const text = `[${records.join(',')}]`;
    const data = Buffer.from(text, 'latin1');
    const s = wasm();
    const epoch = s.epoch;
    const ids: number[] = [];
    expect(s.scan(data, 0, data.length, text, (r) => {
      expect(r.composites).toBe(s);
      ids.push(s.compositeId(without));
    })).toBe(true);
    if (s.epoch === epoch) return ids;
  }
  throw new Error('the epoch changed twice');
}

const ROLE_SESSION = {
  eventVersion: '1.09',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLE:session-1',
    arn: 'arn:aws:sts::111122223333:assumed-role/app/session-1',
    accountId: '111122223333',
    accessKeyId: 'ASIAEXAMPLE',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: 'arn:aws:iam::111122223333:role/app', accountId: '111122223333', userName: 'app' },
      webIdFederationData: {},
      attributes: { creationDate: '2024-05-01T00:00:00Z', mfaAuthenticated: 'false' },
    },
  },
  eventTime: '2024-05-01T00:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.7',
  userAgent: 'aws-cli/2.15.30',
  requestParameters: { bucketName: 'b', key: 'k', Host: 'b.s3.us-east-1.amazonaws.com' },
  responseElements: null,
  requestID: 'REQ1',
  eventID: '00000000-0000-4000-a000-000000000001',
  readOnly: true,
  resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::b/k' }],
  eventType: 'AwsApiCall',
  managementEvent: false,
  recipientAccountId: '111122223333',
  eventCategory: 'Data',
  errorCode: 'NoSuchKey',
  errorMessage: 'The specified key does not exist.',
  vpcEndpointId: 'vpce-1',
  tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256' },
};

type Edit = (e: Obj) => void;
const ui = (e: Obj) => e.userIdentity as Obj;
const issuer = (e: Obj) => (ui(e).sessionContext as Obj).sessionIssuer as Obj;
/** A record of ROLE_SESSION's shape with `edit` applied. */
const variant = (base: Obj, edit: Edit): string => {
  const e = structuredClone(base);
  edit(e);
  return JSON.stringify(e);
};

describe('composite ids', () => {
  /** Fields outside the composite: the answer textSignature gives does not depend on them. */
  const OUTSIDE: [string, Edit][] = [
    ['eventID', (e) => (e.eventID = '00000000-0000-4000-a000-000000000002')],
    ['eventTime', (e) => (e.eventTime = '2024-05-02T10:11:12Z')],
    ['@timestamp', (e) => (e['@timestamp'] = '2024-05-02T10:11:12Z')],
    ['requestID', (e) => (e.requestID = 'REQ2')],
    ['userAgent', (e) => (e.userAgent = 'Boto3/1.34.51')],
    ['responseElements', (e) => (e.responseElements = { x: [1, 2] })],
    ['recipientAccountId', (e) => (e.recipientAccountId = '444455556666')],
    ['sharedEventID', (e) => (e.sharedEventID = '11111111-2222-4333-a444-555555555555')],
    ['eventVersion, readOnly, managementEvent, eventCategory', (e) => Object.assign(e, { eventVersion: '1.08', readOnly: false, managementEvent: true, eventCategory: 'Management' })],
    ['the session name (arn)', (e) => (ui(e).arn = 'arn:aws:sts::111122223333:assumed-role/app/other-session')],
    ['the session name (arn, longer)', (e) => (ui(e).arn = 'arn:aws:sts::111122223333:assumed-role/app/i-0123456789abcdef0123456789')],
    ['principalId, accessKeyId', (e) => Object.assign(ui(e), { principalId: 'AROAEXAMPLE:other', accessKeyId: 'ASIAOTHER' })],
    ['sessionContext.attributes', (e) => ((ui(e).sessionContext as Obj).attributes = { creationDate: '2024-05-01T09:00:00Z', mfaAuthenticated: 'true' })],
    ['tlsDetails (another object)', (e) => (e.tlsDetails = { tlsVersion: 'TLSv1.2' })],
    ['the order of the fields', (e) => {
      const entries = Object.entries(e).reverse();
      for (const k of Object.keys(e)) delete e[k];
      Object.assign(e, Object.fromEntries(entries));
    }],
  ];

  /** Fields of the composite: each change may change the answer. */
  const INSIDE: [string, Edit][] = [
    ['eventSource', (e) => (e.eventSource = 's4.amazonaws.com')],
    ['eventName', (e) => (e.eventName = 'PutObject')],
    ['eventType', (e) => (e.eventType = 'AwsConsoleSignIn')],
    ['eventType absent', (e) => delete e.eventType],
    ['errorCode', (e) => (e.errorCode = 'AccessDenied')],
    ['errorCode absent', (e) => delete e.errorCode],
    ['errorMessage', (e) => (e.errorMessage = 'other')],
    ['errorMessage absent', (e) => delete e.errorMessage],
    ['awsRegion', (e) => (e.awsRegion = 'us-east-2')],
    ['sourceIPAddress', (e) => (e.sourceIPAddress = '198.51.100.8')],
    ['vpcEndpointId', (e) => (e.vpcEndpointId = 'vpce-2')],
    ['vpcEndpointId absent', (e) => delete e.vpcEndpointId],
    ['requestParameters.key', (e) => ((e.requestParameters as Obj).key = 'k2')],
    ['requestParameters.versionId', (e) => ((e.requestParameters as Obj).versionId = 'v1')],
    ['requestParameters.x-amz-acl', (e) => ((e.requestParameters as Obj)['x-amz-acl'] = 'private')],
    ['requestParameters null', (e) => (e.requestParameters = null)],
    ['resources', (e) => (e.resources = [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::b/k2' }])],
    ['resources absent', (e) => delete e.resources],
    ['tlsDetails absent', (e) => delete e.tlsDetails],
    ['tlsDetails a string', (e) => (e.tlsDetails = 'TLSv1.3')],
    ['userIdentity not an object', (e) => (e.userIdentity = [ui(e)])],
    ['userIdentity.type', (e) => (ui(e).type = 'IAMUser')],
    ['userIdentity.accountId', (e) => (ui(e).accountId = '444455556666')],
    ['userIdentity.arn partition', (e) => (ui(e).arn = 'arn:aws-cn:sts::111122223333:assumed-role/app/session-1')],
    ['userIdentity.arn not an ARN', (e) => (ui(e).arn = 'session-1')],
    ['userIdentity.arn absent', (e) => delete ui(e).arn],
    ['sessionIssuer.arn', (e) => (issuer(e).arn = 'arn:aws:iam::111122223333:role/other')],
    ['userIdentity.invokedBy', (e) => (ui(e).invokedBy = 'lambda.amazonaws.com')],
    ['userIdentity.identityProvider', (e) => (ui(e).identityProvider = 'idp')],
  ];

  // Every record differs from the base in one field outside the composite: all the same id.
  test.each(OUTSIDE)('same id when only %s differs', (_name, edit) => {
    const ids = compositeIds([JSON.stringify(ROLE_SESSION), variant(ROLE_SESSION, edit)]);
    expect(ids[0]).toBeGreaterThan(0);
    expect(ids[1]).toBe(ids[0]);
  });

  // Every record differs from the base in one field of the composite: a new id (and the base's again for the base).
  test.each(INSIDE)('another id when %s differs', (_name, edit) => {
    const base = JSON.stringify(ROLE_SESSION);
    const other = variant(ROLE_SESSION, edit);
    expect(other).not.toBe(base);
    const ids = compositeIds([base, other, base, other]);
    expect(ids[0]).toBeGreaterThan(0);
    expect(ids[1]).toBeGreaterThan(0);
    expect(ids[1]).not.toBe(ids[0]);
    expect(ids.slice(2)).toEqual(ids.slice(0, 2));
  });

  // The session name counts where the principal is read from the session ARN (no usable issuer) or is the ARN.
  const SESSION_COUNTS: [string, Edit][] = [
    ['AssumedRole without sessionContext', (e) => delete ui(e).sessionContext],
    ['AssumedRole without sessionIssuer', (e) => ((ui(e).sessionContext as Obj).sessionIssuer = undefined)],
    ['AssumedRole with an empty issuer ARN', (e) => (issuer(e).arn = '')],
    ['AssumedRole with an issuer ARN that is not a string', (e) => (issuer(e).arn = 5)],
    ['AssumedRole with a sessionIssuer that is not an object', (e) => ((ui(e).sessionContext as Obj).sessionIssuer = 'arn:aws:iam::111122223333:role/app')],
    ['AssumedRole with an empty accountId', (e) => (ui(e).accountId = '')],
    ['AssumedRole with an accountId that is not a string', (e) => (ui(e).accountId = 111122223333)],
    ['AssumedRole without accountId', (e) => delete ui(e).accountId],
    ['type "assumedRole" (not AssumedRole)', (e) => (ui(e).type = 'assumedRole')],
    ['type absent', (e) => delete ui(e).type],
    ['IAMUser (the user ARN)', (e) => {
      ui(e).type = 'IAMUser';
      delete ui(e).sessionContext;
    }],
    ['IAMUser with a sessionIssuer (ignored for users)', (e) => (ui(e).type = 'IAMUser')],
    ['FederatedUser', (e) => (ui(e).type = 'FederatedUser')],
  ];

  test.each(SESSION_COUNTS)('the whole userIdentity.arn counts for %s', (_name, edit) => {
    const a = variant(ROLE_SESSION, edit);
    const b = variant(ROLE_SESSION, (e) => {
      edit(e);
      ui(e).arn = 'arn:aws:sts::111122223333:assumed-role/app/session-2';
    });
    const c = variant(ROLE_SESSION, (e) => {
      edit(e);
      ui(e).arn = 'arn:aws:sts::111122223333:assumed-role/app/session-1X';
    });
    const ids = compositeIds([a, b, c, a]);
    expect(new Set(ids.slice(0, 3)).size).toBe(3);
    expect(ids[3]).toBe(ids[0]);
    expect(ids.every((id) => id > 0)).toBe(true);
  });

  // The issuer read as JSON.parse reads it: a later sessionContext without an issuer leaves the session ARN counting.
  test('duplicate keys: the last value counts, as JSON.parse keeps it', () => {
    const base = JSON.stringify(ROLE_SESSION);
    const withLaterName = base.replace('"eventName":"GetObject"', '"eventName":"PutObject","eventName":"GetObject"');
    const withEarlierName = base.replace('"eventName":"GetObject"', '"eventName":"GetObject","eventName":"PutObject"');
    const put = variant(ROLE_SESSION, (e) => (e.eventName = 'PutObject'));
    const ids = compositeIds([base, withLaterName, withEarlierName, put]);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toBe(ids[3]);
    expect(ids[2]).not.toBe(ids[0]);
    // A later sessionContext that is not an object clears the issuer: then the session ARN counts whole.
    const withIdentity = (session: string, extra: string) => {
      const u = { ...ROLE_SESSION.userIdentity, arn: `arn:aws:sts::111122223333:assumed-role/app/${session}` };
      return JSON.stringify({ ...ROLE_SESSION, userIdentity: '@' }).replace('"@"', `${JSON.stringify(u).slice(0, -1)}${extra}}`);
    };
    const c1 = withIdentity('s1', ',"sessionContext":"gone"');
    const c2 = withIdentity('s2', ',"sessionContext":"gone"');
    expect(JSON.parse(c1).userIdentity.sessionContext).toBe('gone');
    const [i1, i2] = compositeIds([c1, c2]);
    expect(i1).not.toBe(i2);
    // While with the issuer in place (or given again later) the two sessions share one.
    const [j1, j2, j3] = compositeIds([withIdentity('s1', ''), withIdentity('s2', ''), withIdentity('s3', `,"sessionContext":"gone","sessionContext":${JSON.stringify(ROLE_SESSION.userIdentity.sessionContext)}`)]);
    expect(j2).toBe(j1);
    expect(j3).toBe(j1);
  });

  // Whitespace or escapes in the text make another composite (never the same id for different texts).
  test('the composite is the text: another spelling of the same value is another composite', () => {
    const base = JSON.stringify(ROLE_SESSION);
    const spaced = base.replace('"requestParameters":{"bucketName":"b"', '"requestParameters":{ "bucketName":"b"');
    const escaped = base.replace('"eventName":"GetObject"', '"eventName":"\\u0047etObject"');
    const ids = compositeIds([base, spaced, escaped]);
    expect(new Set(ids).size).toBe(3);
  });

  // Composites that are prefixes of one another, or hold their bytes in other slots, are told apart.
  test('parts are kept apart: the same bytes in other slots or split otherwise are other composites', () => {
    const records = [
      { eventSource: 'ab', eventName: 'c' },
      { eventSource: 'a', eventName: 'bc' },
      { eventSource: 'abc' },
      { eventName: 'abc' },
      { eventSource: 'abc', eventName: '' },
      { eventSource: 'abc', eventName: null },
      {},
      { eventSource: 'abcdefgh' },
      { eventSource: 'abcdefgh', errorCode: 'x' },
      { eventSource: 'abcdefg' },
      { eventSource: 'abcdefghi' },
      { requestParameters: {} },
      { requestParameters: [] },
      { resources: {} },
    ].map((r) => JSON.stringify(r));
    const ids = compositeIds([...records, ...records]);
    expect(new Set(ids.slice(0, records.length)).size).toBe(records.length);
    expect(ids.slice(records.length)).toEqual(ids.slice(0, records.length));
  });

  // Ids hold across scans in one epoch (the processor keeps answers from chunk to chunk).
  test('slots left out (the condition keys no policy tests) do not split composites, and are part of them', () => {
    const ip = (a: string) => JSON.stringify({ ...ROLE_SESSION, sourceIPAddress: a, tlsDetails: a === '10.0.0.1' ? { tlsVersion: 'TLSv1.3' } : undefined });
    const without = (1 << F.SOURCE_IP_ADDRESS) | (1 << F.TLS_DETAILS);
    const [a, b] = compositeIds([ip('10.0.0.1'), ip('10.0.0.2')]);
    expect(a).not.toBe(b);
    const [c, d] = compositeIds([ip('10.0.0.1'), ip('10.0.0.2')], without);
    expect(c).toBe(d);
    // The same bytes with other slots left out are another composite.
    expect(c).not.toBe(a);
    const [e] = compositeIds([ip('10.0.0.1')], 1 << F.SOURCE_IP_ADDRESS);
    expect([a, c]).not.toContain(e);
    // Anything not left out still counts.
    const [f, g] = compositeIds([ip('10.0.0.1'), JSON.stringify({ ...JSON.parse(ip('10.0.0.1')), awsRegion: 'eu-west-3' })], without);
    expect(f).not.toBe(g);
  });

  test('the same composite in a later scan keeps its id', () => {
    const base = JSON.stringify(ROLE_SESSION);
    const [first] = compositeIds([base]);
    const epoch = wasm().epoch;
    const fillers = Array.from({ length: 100 }, (_, i) => JSON.stringify({ eventSource: `filler-${i}` }));
    compositeIds(fillers);
    const [again] = compositeIds([base]);
    if (wasm().epoch === epoch) expect(again).toBe(first);
  });

  // Equal hashes are told apart by comparing bytes, a word at a time with the last 1-7 bytes masked: force every hash
  // equal and change one byte anywhere in parts of every length around a word.
  test('with every hash equal, byte compares alone tell composites apart (parts of 1-20 bytes, any byte)', () => {
    const s = wasm();
    s.hashMask(0);
    try {
      const texts: string[] = [];
      const expected: string[] = [];
      for (let n = 1; n <= 20; n++) {
        const base = 'abcdefghijklmnopqrstuvwxyz'.slice(0, n);
        for (let i = 0; i < n; i++) {
          const changed = base.slice(0, i) + base[i].toUpperCase() + base.slice(i + 1);
          for (const v of [base, changed]) {
            // In the middle of the composite (errorCode) and in its last part (identityProvider).
            texts.push(JSON.stringify({ ...ROLE_SESSION, errorCode: v }), JSON.stringify({ ...ROLE_SESSION, userIdentity: { ...ROLE_SESSION.userIdentity, identityProvider: v } }));
            expected.push(`e:${v}`, `i:${v}`);
          }
        }
      }
      const ids = compositeIds(texts);
      const idOf = new Map<string, number>();
      const problems: unknown[] = [];
      ids.forEach((id, k) => {
        const known = idOf.get(expected[k]);
        if (known === undefined) idOf.set(expected[k], id);
        else if (known !== id) problems.push({ value: expected[k], id, known });
      });
      // Distinct values, distinct ids (and none is 0).
      expect(problems).toEqual([]);
      expect(new Set(idOf.values()).size).toBe(idOf.size);
      expect([...idOf.values()].every((id) => id > 0)).toBe(true);
    } finally {
      s.hashMask(0xffffffff);
    }
  });

  // eventID and sharedEventID read as UUID words during the scan (a hex table look-up a byte): as uuidWords reads them.
  test('UUIDs in eventID and sharedEventID: the words uuidWords gives, and none for any non-hex byte', () => {
    const rand = prng(77);
    const hex = '0123456789abcdefABCDEF';
    const ids: string[] = [];
    for (let k = 0; k < 200; k++) ids.push([8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => pick(rand, [...hex])).join('')).join('-'));
    // One byte of a valid id made a non-hex character, at every position (the dashes made a digit or an 'x').
    const base = ids[0];
    for (let i = 0; i < base.length; i++) for (const c of ['g', 'G', '/', ':', '@', '`', 'x', '0']) if (c !== base[i]) ids.push(base.slice(0, i) + c + base.slice(i + 1));
    const records = ids.map((id, k) => JSON.stringify(k % 2 ? { eventID: id } : { eventID: 'not-a-uuid', sharedEventID: id }));
    const text = `[${records.join(',')}]`;
    const data = Buffer.from(text, 'latin1');
    const want = new Uint32Array(4);
    const problems: unknown[] = [];
    let k = 0;
    let valid = 0;
    expect(wasm().scan(data, 0, data.length, text, (r) => {
      const id = ids[k];
      const flag = k % 2 ? 1 : 2;
      const words = Array.from(r.uuids!.subarray(flag === 1 ? 1 : 5, flag === 1 ? 5 : 9));
      const isUuid = uuidWords(id, want);
      if (isUuid) valid++;
      if (((r.uuids![0] & flag) !== 0) !== isUuid || (isUuid && words.join() !== Array.from(want).join())) problems.push({ id, flags: r.uuids![0], words, want: isUuid ? Array.from(want) : null });
      k++;
    })).toBe(true);
    expect(k).toBe(ids.length);
    expect(problems.slice(0, 5)).toEqual([]);
    expect(valid).toBeGreaterThan(200);
    expect(ids.length - valid).toBeGreaterThan(200);
  });

  // eventTime read in the scan (the day kept from the record before): what the JS path reads from the text, record
  // after record, across days that differ in any digit and among strings that are not CloudTrail's form.
  test('eventTime as epoch ms: timeMs of the text, or NaN where JS must read it (any order of days, bad forms)', () => {
    const rand = prng(5);
    const canonical = (t: string) => {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(t)) return false;
      const n = (i: number) => Number(t.slice(i, i + 2));
      return Number(t.slice(0, 4)) >= 100 && n(5) >= 1 && n(5) <= 12 && n(8) >= 1 && n(8) <= 31 && n(11) <= 23 && n(14) <= 59 && n(17) <= 60;
    };
    const times: string[] = [];
    const pad = (v: number, w: number) => String(v).padStart(w, '0');
    for (let k = 0; k < 3000; k++) {
      const year = pick(rand, [2024, 2024, 2025, 1999, 100, 99, 9999, 2000]);
      const t = `${pad(year, 4)}-${pad(1 + floor(rand() * 13), 2)}-${pad(floor(rand() * 33), 2)}T${pad(floor(rand() * 25), 2)}:${pad(floor(rand() * 61), 2)}:${pad(floor(rand() * 62), 2)}Z`;
      times.push(t);
      // The next day's or month's same time (one digit of the day apart), and a damaged copy.
      times.push(t.slice(0, 9) + String((Number(t[9]) + 1) % 10) + t.slice(10));
      const i = floor(rand() * 20);
      times.push(t.slice(0, i) + pick(rand, ['x', '/', ':', '-', 'T', '9']) + t.slice(i + 1));
    }
    const text = `[${times.map((t) => JSON.stringify({ eventTime: t })).join(',')}]`;
    const data = Buffer.from(text, 'latin1');
    const problems: unknown[] = [];
    let k = 0;
    let read = 0;
    expect(wasm().scan(data, 0, data.length, text, (r) => {
      const t = times[k++];
      const want = canonical(t) ? timeMs(t) : NaN;
      const got = r.eventTime![0];
      if (!Object.is(got, want)) problems.push({ t, got, want });
      if (got === got) read++;
    })).toBe(true);
    expect(problems.slice(0, 5)).toEqual([]);
    expect(read).toBeGreaterThan(2000);
    expect(times.length - read).toBeGreaterThan(2000);
  });

  // Over 64 KB of composite: no id (0), in any field, and nothing is kept for it.
  test('0 for a composite over 64 KB; a large one under it still gets an id', () => {
    const huge = (field: string, n: number) => JSON.stringify({ ...ROLE_SESSION, [field]: 'x'.repeat(n) });
    const ids = compositeIds([huge('errorMessage', 70_000), huge('errorMessage', 70_000), huge('sourceIPAddress', 1 << 20), huge('errorMessage', 60_000), huge('errorMessage', 60_000)]);
    expect(ids.slice(0, 3)).toEqual([0, 0, 0]);
    expect(ids[3]).toBeGreaterThan(0);
    expect(ids[4]).toBe(ids[3]);
    // Fields outside the composite do not count toward its size.
    const outside = compositeIds([JSON.stringify({ ...ROLE_SESSION, userAgent: 'u'.repeat(1 << 20), responseElements: { x: 'r'.repeat(1 << 20) } })]);
    expect(outside[0]).toBeGreaterThan(0);
    // userIdentity and tlsDetails count by their first byte only.
    const bigIdentity = compositeIds([
      JSON.stringify({ ...ROLE_SESSION, tlsDetails: { x: 't'.repeat(1 << 17) }, userIdentity: { ...ROLE_SESSION.userIdentity, principalId: 'p'.repeat(1 << 17) } }),
    ]);
    expect(bigIdentity[0]).toBeGreaterThan(0);
  });

  // Past the table's capacity a new epoch starts: ids count again from 1, distinct composites keep distinct ids.
  test('after more than maxId distinct composites the epoch changes and ids restart', () => {
    const s = wasm();
    const n = s.maxId + 10;
    const records = Array.from({ length: n }, (_, i) => `{"eventSource":"e${i}","eventName":"n"}`);
    const text = `[${records.join(',')}]`;
    const data = Buffer.from(text, 'latin1');
    const epoch0 = s.epoch;
    const ids = new Int32Array(n);
    const epochs = new Int32Array(n);
    let i = 0;
    expect(s.scan(data, 0, data.length, text, () => {
      ids[i] = s.compositeId(0);
      epochs[i] = s.epoch;
      i++;
    })).toBe(true);
    expect(i).toBe(n);
    expect(s.epoch).toBeGreaterThan(epoch0);
    // Within an epoch: 1, 2, 3 ... (every composite here is new); at each change of epoch: 1 again.
    const problems: unknown[] = [];
    for (let k = 0; k < n; k++) {
      if (ids[k] <= 0 || ids[k] > s.maxId) problems.push({ k, id: ids[k] });
      if (k > 0 && epochs[k] !== epochs[k - 1]) {
        if (ids[k] !== 1 || epochs[k] !== epochs[k - 1] + 1) problems.push({ k, id: ids[k], epoch: epochs[k], before: epochs[k - 1] });
      } else if (k > 0 && ids[k] !== ids[k - 1] + 1) problems.push({ k, id: ids[k], previous: ids[k - 1] });
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // The old epoch's composites are forgotten: met again, they get new ids after the last one (not their old ones).
    const lastEpoch = s.epoch;
    const lastId = ids[n - 1];
    const again = compositeIds([records[0], records[1], records[n - 1]]);
    if (s.epoch === lastEpoch) expect(again).toEqual([lastId + 1, lastId + 2, lastId]);
  });
});

// ---------- 6. end to end: readLogObject through the WASM scanner against the parsed path ----------

/** Everything a processor put into its batches, signatures by their definitions (ids may differ between paths). */
interface Outcome {
  /** Per event: its signature's definition (a DEF_NUMBERS number), time, id kind and id (UUID words; 0 otherwise). */
  events: number[];
  otherIds: string[];
  records: number;
  skipped: number;
  folded: number;
  contextNotKept: number;
  badRecords: number;
  problems: string[];
  accounts: string[];
  regions: string[];
  incomplete: boolean[];
  summary: unknown;
}

/** Signature definitions (SigDef JSON) by a number shared by every Collector: equal numbers, equal definitions. */
const DEF_NUMBERS = new Map<string, number>();
const defNumber = (def: string): number => {
  let n = DEF_NUMBERS.get(def);
  if (n === undefined) DEF_NUMBERS.set(def, (n = DEF_NUMBERS.size));
  return n;
};

/** Collects batches of one processor (its signature ids run on from batch to batch). */
class Collector {
  private readonly defs: number[] = [];
  private readonly registry = new SigRegistry();
  private readonly tally = new SourceTally(new EventLedger());
  readonly out: Omit<Outcome, 'summary'> = { events: [], otherIds: [], records: 0, skipped: 0, folded: 0, contextNotKept: 0, badRecords: 0, problems: [], accounts: [], regions: [], incomplete: [] };

  constructor(private readonly contextKeys: string[]) {}

  add(batch: EventBatch): void {
    batch.newSigs.forEach((d, k) => (this.defs[batch.firstSig + k] = defNumber(d)));
    const events = this.out.events;
    for (let i = 0; i < batch.count; i++) {
      const kind = batch.idKinds[i];
      events.push(this.defs[batch.sigs[i]], batch.times[i], kind);
      if (kind === ID_UUID) events.push(batch.ids[i * 4], batch.ids[i * 4 + 1], batch.ids[i * 4 + 2], batch.ids[i * 4 + 3]);
      else events.push(0, 0, 0, 0);
    }
    this.out.otherIds.push(...batch.otherIds);
    const o = this.out;
    o.records += batch.records;
    o.skipped += batch.skipped;
    o.folded += batch.folded;
    o.contextNotKept += batch.contextNotKept;
    o.badRecords += batch.badRecords;
    o.problems.push(...batch.problems);
    o.accounts.push(...batch.accounts);
    o.regions.push(...batch.regions);
    o.incomplete.push(batch.incomplete);
    this.registry.register(batch);
    this.tally.add(batch, this.registry);
  }

  outcome(): Outcome {
    return { ...this.out, summary: this.tally.into(new UsageAggregator({ contextKeys: this.contextKeys })).summary() };
  }
}

/** Two outcomes alike, field by field (compared as JSON first: toEqual over ~10^5 events takes seconds). */
function expectSameOutcome(got: Outcome, want: Outcome): void {
  for (const k of Object.keys(want) as (keyof Outcome)[]) {
    if (JSON.stringify(got[k]) === JSON.stringify(want[k])) continue;
    if (k === 'events') {
      const e = got.events.findIndex((x, i) => x !== want.events[i]);
      const at = e - (e % 7);
      expect({ event: at / 7, got: got.events.slice(at, at + 7), want: want.events.slice(at, at + 7), defs: [...DEF_NUMBERS.keys()].filter((_, n) => n === got.events[at] || n === want.events[at]) }).toEqual({});
    }
    expect({ [k]: got[k] }).toEqual({ [k]: want[k] });
  }
}

/** Log objects (record texts) read as CloudTrail delivers them, through readLogObject (gzip or not). */
async function byReader(objects: string[][], contextKeys: string[], opts: { scope?: string[]; gz?: boolean } = {}): Promise<Outcome> {
  const proc = new EventProcessor({ contextKeys, scope: opts.scope });
  const c = new Collector(contextKeys);
  for (let i = 0; i < objects.length; i++) {
    const b = new BatchBuilder(`object ${i}`);
    const json = Buffer.from(`{"Records":[${objects[i].join(',')}]}`, 'latin1');
    await readLogObject(proc, b, opts.gz ? gzipSync(json) : json, opts.gz ?? false);
    c.add(closeBatch(proc, b));
  }
  return c.outcome();
}

/** The same records one by one through record(JSON.parse(...)) (skip() for those outside the scope, as the reader does). */
function byParse(objects: string[][], contextKeys: string[], opts: { scope?: string[] } = {}): Outcome {
  const proc = new EventProcessor({ contextKeys });
  const c = new Collector(contextKeys);
  for (let i = 0; i < objects.length; i++) {
    const b = new BatchBuilder(`object ${i}`);
    for (const t of objects[i]) {
      if (opts.scope && !mayName(t, opts.scope)) proc.skip(JSON.parse(t) as Obj, b);
      else proc.record(JSON.parse(t) as Obj, b);
    }
    c.add(closeBatch(proc, b));
  }
  return c.outcome();
}

/** Changes of a generated event that keep its composite or change one field of it (the cache must tell them apart). */
const REPEATS: ((e: Obj, rand: Rand) => void)[] = [
  // Outside the composite: the cached answer is right.
  (e, rand) => {
    const u = e.userIdentity as Obj;
    if (u.type === 'AssumedRole' && typeof u.arn === 'string') u.arn = u.arn.replace(/[^/]+$/, `session-${floor(rand() * 1e6)}`);
  },
  (e, rand) => (e.userAgent = `agent-${floor(rand() * 100)}`),
  (e, rand) => (e.requestID = `R${floor(rand() * 1e9)}`),
  // Inside: each must get its own answer.
  (e, rand) => (e.sourceIPAddress = `203.0.113.${floor(rand() * 4)}`),
  (e) => delete e.tlsDetails,
  (e) => (e.tlsDetails = 'none'),
  (e) => (e.vpcEndpointId = 'vpce-0abc'),
  (e) => (e.awsRegion = 'cn-north-1'),
  (e) => (e.awsRegion = 'us-gov-west-1'),
  (e) => {
    const u = e.userIdentity as Obj;
    if (typeof u.arn === 'string') u.arn = u.arn.replace('arn:aws:', 'arn:aws-cn:');
  },
  (e) => {
    const u = e.userIdentity as Obj;
    if (u.type === 'AssumedRole') delete u.sessionContext; // the role from the session ARN
  },
  (e) => {
    const u = e.userIdentity as Obj;
    if (isObj(u.sessionContext) && isObj(u.sessionContext.sessionIssuer)) u.sessionContext.sessionIssuer.arn = 'arn:aws:iam::111122223333:role/other-role';
  },
  (e) => {
    const u = e.userIdentity as Obj;
    if (u.type === 'IAMUser' && typeof u.arn === 'string') u.arn = u.arn.replace(/user\/.*/, 'user/carol');
  },
  (e) => ((e.userIdentity as Obj).accountId = '999988887777'),
  (e) => {
    e.errorCode = 'ThrottlingException';
    e.errorMessage = 'Rate exceeded';
  },
  // Against the one above, only the message differs (and then it is a denial), or only the code.
  (e) => {
    e.errorCode = 'ThrottlingException';
    e.errorMessage = 'User: x is not authorized to perform: this';
  },
  (e) => {
    e.errorCode = 'ValidationException';
    e.errorMessage = 'Rate exceeded';
  },
  (e) => {
    e.errorCode = 'AccessDenied';
    e.errorMessage = 'User: x is not authorized to perform: s3:GetObject';
  },
  (e) => (e.eventType = 'AwsConsoleSignIn'),
  (e) => (e.eventSource = 'iam.amazonaws.com'),
  (e) => {
    const u = e.userIdentity as Obj;
    if (u.type === 'IAMUser') u.type = 'Root';
    else if (u.type === 'AssumedRole') u.type = 'IAMUser';
  },
  (e) => {
    // Another role in a session ARN read without an issuer (see logObjects: some bases have none).
    const u = e.userIdentity as Obj;
    if (u.type === 'AssumedRole' && typeof u.arn === 'string') u.arn = u.arn.replace(/assumed-role\/[^/]+/, 'assumed-role/other-role');
  },
  (e) => (e.eventName = e.eventName === 'GetObject' ? 'PutObject' : 'GetObject'),
  (e) => {
    if (isObj(e.requestParameters)) e.requestParameters.versionId = 'v1';
  },
  (e) => {
    if (isObj(e.requestParameters)) e.requestParameters['x-amz-acl'] = 'bucket-owner-full-control';
  },
  (e) => {
    if (isObj(e.requestParameters) && typeof e.requestParameters.key === 'string') e.requestParameters.key += '.bak';
  },
  (e) => (e.resources = [{ type: 'AWS::KMS::Key', ARN: 'arn:aws:kms:us-east-1:111122223333:key/other' }]),
  (e) => (e.userIdentity = { type: 'AWSService', invokedBy: 'events.amazonaws.com' }),
  (e) => (e.userIdentity = { type: 'SAMLUser', principalId: 'p', identityProvider: 'idp', accountId: '111122223333', userName: 'u' }),
  (e) => (e.userIdentity = 'not an object'),
];

/** Log objects of generated events, each base event repeated with REPEATS changes under new ids and times. */
function logObjects(seed: number, bases: number, copies: number, perObject: number): string[][] {
  const rand = prng(seed);
  const events: Obj[] = [];
  for (let i = 0; i < bases; i++) {
    const e = trailEvent(rand, ACCOUNTS[i % 3], i % 5 === 0 ? 'eu-west-1' : 'us-east-1', '2024-05-01T00:00:00Z');
    // Some sessions without their issuer: the role is read from the session ARN, which then counts whole.
    if (i % 7 === 0) delete (e.userIdentity as Obj).sessionContext;
    events.push(e);
    for (let k = 0; k < copies; k++) {
      const c = structuredClone(e);
      if (rand() < 0.7) REPEATS[floor(rand() * 3)](c, rand); // mostly the same composite
      else REPEATS[floor(rand() * REPEATS.length)](c, rand);
      events.push(c);
    }
    // For some bases every change twice: a composite met again after the base's (or its own) answer is cached.
    if (i < 40) {
      for (const change of REPEATS) {
        for (let k = 0; k < 2; k++) {
          const c = structuredClone(e);
          change(c, rand);
          events.push(c);
        }
      }
    }
  }
  // Shuffled, with ids and times of their own (one second apart), then cut into objects.
  for (let i = events.length - 1; i > 0; i--) {
    const j = floor(rand() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  const texts = events.map((e, i) => {
    e.eventID = uuid(rand);
    if (rand() < 0.05) e.sharedEventID = uuid(rand);
    e.eventTime = new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', '');
    let t = JSON.stringify(e);
    if (i % 97 === 0) t = t.replace('"eventName":"', '"eventName":"\\u0041'); // an escape: the record is parsed
    return t;
  });
  const objects: string[][] = [];
  for (let i = 0; i < texts.length; i += perObject) objects.push(texts.slice(i, i + perObject));
  return objects;
}

describe('readLogObject (WASM scanner, composite cache) gives what record(JSON.parse) gives', () => {
  const objects = logObjects(61, 150, 20, 700);
  const KEY_SETS: [string, string[]][] = [
    ['no condition keys', []],
    ['aws:sourceip and aws:securetransport', ['aws:sourceip', 'aws:securetransport']],
    ['every key read from the text', ['aws:sourceip', 'aws:securetransport', 'aws:sourcevpce', 'aws:requestedregion', 'aws:principalarn', 'aws:principalaccount', 'aws:principaltype', 'aws:principalservicename']],
  ];

  test.each(KEY_SETS)('%s: same events, signatures, counters and summary', async (_name, keys) => {
    const scan = jest.spyOn(WasmRecordScanner.prototype, 'scan');
    const ids = jest.spyOn(WasmRecordScanner.prototype, 'compositeId');
    const known = jest.spyOn(MapMemo.prototype, 'knownActions');
    const slow = jest.spyOn(EventProcessor.prototype, 'record');
    let reader: Outcome;
    let scans: unknown[];
    let idResults: number[];
    let lookups: number;
    let parsed: number;
    try {
      reader = await byReader(objects, keys);
      scans = scan.mock.results.map((r) => r.value);
      idResults = ids.mock.results.map((r) => r.value as number);
      lookups = known.mock.calls.length;
      parsed = slow.mock.calls.length;
    } finally {
      scan.mockRestore();
      ids.mockRestore();
      known.mockRestore();
      slow.mockRestore();
    }
    const parse = byParse(objects, keys);
    expectSameOutcome(reader, parse);
    const total = objects.reduce((n, o) => n + o.length, 0);
    expect(parse.records).toBe(total);
    // The WASM scanner read every chunk (several per object), and all were valid.
    expect(scans.length).toBeGreaterThan(objects.length * 3);
    expect(scans.every((ok) => ok === true)).toBe(true);
    // Composites repeated, and their answers were taken from the cache (no action lookup for those).
    expect(idResults.length).toBeGreaterThan(total / 2);
    expect(new Set(idResults).size).toBeLessThan(idResults.length / 2);
    expect(lookups).toBeLessThan(idResults.length / 2);
    expect(parsed).toBeLessThan(total / 2);
  });

  // gzip objects go through the same whole-object path.
  test('gzip objects, aws:sourceip and aws:securetransport', async () => {
    const keys = ['aws:sourceip', 'aws:securetransport'];
    expectSameOutcome(await byReader(objects.slice(0, 3), keys, { gz: true }), byParse(objects.slice(0, 3), keys));
  });

  // A scope: records naming nothing in it are skipped from the text; the others mapped (the cache still in use).
  test('with a scope: the same records skipped and mapped', async () => {
    const scope = ['app-data', 'etl-job', '111122223333'];
    const reader = await byReader(objects, ['aws:sourceip'], { scope });
    const parse = byParse(objects, ['aws:sourceip'], { scope });
    expectSameOutcome(reader, parse);
    expect(reader.skipped).toBeGreaterThan(0);
    expect(reader.skipped).toBeLessThan(reader.records);
  });

  // Two processors reading in turn through the one scanner: each keeps its own answers for the shared ids.
  test('two processors in turn (other condition keys) each give their parsed path', async () => {
    const procs = [new EventProcessor({ contextKeys: [] }), new EventProcessor({ contextKeys: ['aws:sourceip', 'aws:securetransport'] })];
    const collectors = [new Collector([]), new Collector(['aws:sourceip', 'aws:securetransport'])];
    const halves: string[][][] = [[], []];
    for (let i = 0; i < objects.length * 2; i++) {
      const k = i % 2;
      const o = objects[floor(i / 2)];
      halves[k].push(o);
      const b = new BatchBuilder(`object ${halves[k].length - 1}`);
      await readLogObject(procs[k], b, Buffer.from(`{"Records":[${o.join(',')}]}`, 'latin1'), false);
      collectors[k].add(closeBatch(procs[k], b));
    }
    expectSameOutcome(collectors[0].outcome(), byParse(halves[0], []));
    expectSameOutcome(collectors[1].outcome(), byParse(halves[1], ['aws:sourceip', 'aws:securetransport']));
  });

  // Denials take record() (the general path), and its answer is kept by composite: past the limits of kept object
  // keys and condition-key values, equal denials must be answered with the folding counted again.
  test('denials answered by composite: the same signatures, and keys and values folded past the limits counted', async () => {
    const rand = prng(63);
    const texts: string[] = [];
    const n = 9_000;
    for (let i = 0; i < n; i++) {
      // First distinct keys and addresses (past MAX_OBJECT_KEYS and MAX_CONTEXT_VALUES), then a few repeated.
      const key = i < 3_000 ? `k-${i}` : `k-${i % 7}`;
      const ip = i < 3_000 ? `10.1.${i >> 8}.${i & 255}` : i < 6_000 ? `10.2.0.${i % 5}` : `10.1.${(i % 2_500) >> 8}.${(i % 2_500) & 255}`;
      const action = pick(rand, ['GetObject', 'PutObject']);
      texts.push(
        JSON.stringify({
          eventVersion: '1.09',
          userIdentity: {
            type: 'AssumedRole',
            arn: `arn:aws:sts::111122223333:assumed-role/app/s${i % 3}`,
            accountId: '111122223333',
            sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app', accountId: '111122223333' } },
          },
          eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
          eventSource: 's3.amazonaws.com',
          eventName: action,
          awsRegion: 'us-east-1',
          sourceIPAddress: ip,
          requestParameters: { bucketName: 'data', key },
          errorCode: 'AccessDenied',
          errorMessage: `User: arn:aws:sts::111122223333:assumed-role/app/s${i % 3} is not authorized to perform: s3:${action} on resource: arn:aws:s3:::data/${key} because no identity-based policy allows the s3:${action} action`,
          eventID: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
          eventType: 'AwsApiCall',
          recipientAccountId: '111122223333',
        }),
      );
    }
    const objs: string[][] = [];
    for (let i = 0; i < n; i += 1_500) objs.push(texts.slice(i, i + 1_500));
    const slow = jest.spyOn(EventProcessor.prototype, 'record');
    let reader: Outcome;
    let parsed: number;
    try {
      reader = await byReader(objs, ['aws:sourceip']);
      parsed = slow.mock.calls.length;
    } finally {
      slow.mockRestore();
    }
    const parse = byParse(objs, ['aws:sourceip']);
    expectSameOutcome(reader, parse);
    // Folding happened (so the kept flags matter), and repeated denials were answered without record().
    expect(parse.folded).toBeGreaterThan(500);
    expect(parse.contextNotKept).toBeGreaterThan(500);
    expect(parsed).toBeLessThan(n - 2_000);
  });

  // New signatures of other services are defined from the text (textDefine): each action's resources, and the
  // iam:PassRole a call implies only where it names a role.
  test('other services\' new resources defined from the text: PassRole named or left out, several actions', async () => {
    const rand = prng(64);
    const texts: string[] = [];
    for (let i = 0; i < 600; i++) {
      const withRole = rand() < 0.5;
      const kind = floor(rand() * 3);
      const requestParameters =
        kind === 0
          ? { stackName: `stack-${i % 150}`, ...(withRole ? { roleARN: `arn:aws:iam::111122223333:role/cfn-${i % 4}` } : {}) }
          : kind === 1
            ? { TableName: `t-${i % 90}`, Key: { id: { S: `${i}` } } }
            : { functionName: `fn-${i % 70}` };
      const [eventSource, eventName] = kind === 0 ? ['cloudformation.amazonaws.com', 'CreateStack'] : kind === 1 ? ['dynamodb.amazonaws.com', 'GetItem'] : ['lambda.amazonaws.com', 'Invoke'];
      texts.push(
        JSON.stringify({
          eventVersion: '1.09',
          userIdentity: {
            type: 'AssumedRole',
            arn: 'arn:aws:sts::111122223333:assumed-role/deployer/s',
            accountId: '111122223333',
            sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/deployer', accountId: '111122223333' } },
          },
          eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
          eventSource,
          eventName,
          awsRegion: pick(rand, ['us-east-1', 'eu-west-1']),
          sourceIPAddress: `10.0.0.${i % 9}`,
          requestParameters,
          eventID: `00000000-0000-4000-b000-${String(i).padStart(12, '0')}`,
          eventType: 'AwsApiCall',
          recipientAccountId: '111122223333',
        }),
      );
    }
    const objs = [texts.slice(0, 300), texts.slice(300)];
    const slow = jest.spyOn(EventProcessor.prototype, 'record');
    let reader: Outcome;
    let parsed: number;
    try {
      reader = await byReader(objs, ['aws:sourceip', 'aws:requestedregion']);
      parsed = slow.mock.calls.length;
    } finally {
      slow.mockRestore();
    }
    const parse = byParse(objs, ['aws:sourceip', 'aws:requestedregion']);
    expectSameOutcome(reader, parse);
    const passRoles = (parse.summary as UsageSummary).records.filter((r) => r.action === 'iam:PassRole');
    expect(passRoles.length).toBeGreaterThan(0);
    expect(passRoles.every((r) => r.resource?.startsWith('arn:aws:iam::111122223333:role/cfn-'))).toBe(true);
    // Most new resources were defined from the text, not through record().
    expect(parsed).toBeLessThan(100);
  });

  // More distinct composites than the table holds: the scanner starts new epochs while the processor caches; ids
  // of a new epoch must not find the answers of the old one (the actions differ from record to record).
  test('across new epochs of the composite table: no answer of an old epoch is reused', async () => {
    const rand = prng(62);
    const actions = ['GetObject', 'PutObject', 'DeleteObject', 'HeadObject', 'ListObjects'];
    const n = 60_000;
    const texts: string[] = [];
    for (let i = 0; i < n; i++) {
      const role = `role-${floor(rand() * 3)}`;
      texts.push(
        JSON.stringify({
          eventVersion: '1.09',
          userIdentity: {
            type: 'AssumedRole',
            arn: `arn:aws:sts::111122223333:assumed-role/${role}/s${i}`,
            accountId: '111122223333',
            sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::111122223333:role/${role}`, accountId: '111122223333' } },
          },
          eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
          eventSource: 's3.amazonaws.com',
          eventName: pick(rand, actions),
          awsRegion: 'us-east-1',
          // A new address and object key per record (a new composite with or without the address: ~18,000 of these
          // fill the table), then a few hundred of each (repeated ones).
          sourceIPAddress: i < 40_000 ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `10.200.0.${i % 200}`,
          requestParameters: { bucketName: `bucket-${floor(rand() * 4)}`, key: i < 40_000 ? `k-${i}` : `k${floor(rand() * 3)}` },
          eventID: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
          eventType: 'AwsApiCall',
          recipientAccountId: '111122223333',
          ...(rand() < 0.5 ? { tlsDetails: { tlsVersion: 'TLSv1.3' } } : {}),
        }),
      );
    }
    const objs: string[][] = [];
    for (let i = 0; i < n; i += 20_000) objs.push(texts.slice(i, i + 20_000));
    // The epoch at each compositeId call of the reader's scanner (log-object.ts's own).
    const epochs: number[] = [];
    const compositeId = WasmRecordScanner.prototype.compositeId;
    const ids = jest.spyOn(WasmRecordScanner.prototype, 'compositeId').mockImplementation(function (this: WasmRecordScanner, without: number) {
      const id = compositeId.call(this, without);
      epochs.push(this.epoch);
      return id;
    });
    let reader: Outcome;
    try {
      reader = await byReader(objs, []);
    } finally {
      ids.mockRestore();
    }
    expect(epochs.length).toBeGreaterThan(n / 2);
    expect(epochs[epochs.length - 1]).toBeGreaterThan(epochs[0]); // at least one new epoch met
    expectSameOutcome(reader, byParse(objs, []));
    // And with the address as a condition key (values past 1,000 fold: the folded answers are cached too).
    const keys = ['aws:sourceip', 'aws:securetransport'];
    const withKeys = await byReader(objs, keys);
    expectSameOutcome(withKeys, byParse(objs, keys));
    expect(withKeys.contextNotKept).toBeGreaterThan(0);
  });
});
