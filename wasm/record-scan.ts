// AssemblyScript (compiled to WebAssembly by `npm run build:wasm`, not by tsc): the CloudTrail record scanner of
// src/usage/record-scan.ts over bytes instead of a JS string. Same contract, same slots, same answers (tested
// against both JSON.parse and the JS scanner in test/unit/usage-record-scan.test.ts), but it looks for quotes,
// backslashes and control characters 16 bytes at a time (SIMD), tells keys by word compares (isWords) and walks the
// structure in compiled code: ~0.7 µs a record on the bench's logs (~1.0 µs with its composite id), where the JS
// scanner takes ~2.3 µs. It is used for ASCII text only (log-object.ts),
// so that a byte offset is a character offset of the chunk's latin1 string the processor slices.
// Stricter than the JS scanner in one way: a raw control character inside a string is rejected, as JSON.parse does.
//
// Use: copy a chunk (a JSON array of records) to inputPtr(), followed by a 0 byte and 16 more bytes that can be
// read; begin(inputPtr(), length); then next() until it returns 0 (the array ended well) or -1 (not valid). After
// each 1, the record's place and its slots are at metaPtr(), fromPtr() and toPtr(), as offsets into the chunk.

/** Slots, as in src/usage/record-scan.ts (the top-level fields 0-16, then the inner ones). */
const SLOTS: i32 = 34;
const USER_IDENTITY: i32 = 14;
const REQUEST_PARAMETERS: i32 = 15;
const UI_TYPE: i32 = 17;
const UI_ACCOUNT_ID: i32 = 18;
const UI_ARN: i32 = 19;
const UI_SESSION_CONTEXT: i32 = 20;
const UI_ISSUER: i32 = 21;
const UI_ISSUER_ARN: i32 = 22;
const UI_INVOKED_BY: i32 = 23;
const UI_IDENTITY_PROVIDER: i32 = 24;
const RP_BUCKET_NAME: i32 = 25;
const RP_KEY: i32 = 26;
const RP_VERSION_ID: i32 = 27;
const RP_ACL: i32 = 28;
const RP_GRANT_FULL_CONTROL: i32 = 29;
const RP_GRANT_READ: i32 = 30;
const RP_GRANT_READ_ACP: i32 = 31;
const RP_GRANT_WRITE_ACP: i32 = 32;
const RP_TAGGING: i32 = 33;
/** objectEnd's owner for a record itself, and for an object whose fields are not noted. */
const RECORD: i32 = SLOTS;
const NONE: i32 = -1;
/** Deeper nesting is not an event: -1, and the caller's JSON.parse decides (the JS scanner stops at its stack). */
const MAX_DEPTH: i32 = 512;

const FROM: usize = memory.data(SLOTS * 4, 16);
const TO: usize = memory.data(SLOTS * 4, 16);
/**
 * The last record's start, end (one past its `}`) and escaped flag (1: it holds a backslash), as i32 at 0, 4 and 8;
 * its ids (see readIds) as u32 from 12: flags (1: eventID, 2: sharedEventID is a UUID), then eventID's four words,
 * then sharedEventID's; its eventTime (see readTime) as f64 at 48.
 */
const META: usize = memory.data(56, 16);
const EVENT_TIME: i32 = 3;
const EVENT_ID: i32 = 9;
const SHARED_EVENT_ID: i32 = 10;

let base: usize = 0;
let end: usize = 0;
let pos: usize = 0;
let first: bool = true;
let escaped: bool = false;
let depth: i32 = 0;

export function fromPtr(): usize {
  return FROM;
}
export function toPtr(): usize {
  return TO;
}
export function metaPtr(): usize {
  return META;
}
// The composite table (see composite()): open addressing over TABLE_SLOTS slots (offset into an arena of entries,
// hash), 512 KB, and the 4 MB arena: at most ~4.5 MB per thread, touched as it fills. (An 8 MB arena kept 76% of
// the bench's records answered instead of ~71%, for no measurable speed and ~10 MB more peak RSS.)
const TABLE_SLOTS: i32 = 1 << 16;
/** Entries per epoch: the table's load stays at most 1/2. */
const MAX_ENTRIES: i32 = TABLE_SLOTS >> 1;
const ARENA_BYTES: usize = 4 << 20;
/** The largest composite kept (bytes, as stored); a larger one gets no id. */
const MAX_COMPOSITE: usize = 64 << 10;
const TABLE: usize = (__heap_base + 15) & ~15;
const ARENA: usize = TABLE + (<usize>TABLE_SLOTS << 3);
/** The last record's composite parts: address (u32) and length (u32) per slot of COMPOSITE_SLOTS. */
const PARTS: usize = ARENA + ARENA_BYTES;
const ABSENT: usize = 0xffffffff;
/** An arena entry's header: hash, the parts' byte count, id, the slots left out (u32 each). */
const ENTRY_HEADER: usize = 16;

let arenaTop: usize = 0;
let entries: i32 = 0;
let seed: u64 = 0x9e3779b97f4a7c15;

/** Where the chunk goes: past the static data and the composite table, 16-byte aligned. */
export function inputPtr(): usize {
  return PARTS + 256;
}

/** The largest id composite() returns. */
export function maxId(): i32 {
  return MAX_ENTRIES;
}

/** Bits of the hash kept (tests keep none: every composite then collides, and byte compares alone tell them apart). */
let hashMask: u32 = 0xffffffff;
export function setHashMask(mask: u32): void {
  hashMask = mask;
}

/** The hash seed (from the caller's random numbers: a log cannot be written to collide on purpose). */
export function setSeed(lo: u32, hi: u32): void {
  seed = ((<u64>hi << 32) | <u64>lo) | 1;
}

@inline function at(p: usize): u32 {
  return <u32>load<u8>(p);
}

@inline function ws(p: usize): usize {
  let c = at(p);
  while (c == 32 || c == 10 || c == 13 || c == 9) c = at(++p);
  return p;
}

/** Starts a chunk of `len` bytes at `start`. -1: it does not start with `[`. */
export function begin(start: usize, len: usize): i32 {
  base = start;
  end = start + len;
  pos = ws(start);
  if (at(pos) != 0x5b) return -1;
  pos = ws(pos + 1);
  first = true;
  return 0;
}

/** 1: the next record (its place and slots written); 0: the array ended, and the chunk with it; -1: not valid. */
export function next(): i32 {
  let c = at(pos);
  if (first) {
    first = false;
    if (c == 0x5d) return ws(pos + 1) == end ? 0 : -1;
  } else if (c == 0x2c) {
    pos = ws(pos + 1);
    c = at(pos);
  } else if (c == 0x5d) return ws(pos + 1) == end ? 0 : -1;
  else return -1;
  if (c != 0x7b) return -1;
  memory.fill(FROM, 0xff, SLOTS * 4); // every slot -1: absent
  escaped = false;
  depth = 0;
  const e = objectEnd(pos, RECORD);
  if (e == 0) return -1;
  store<i32>(META, <i32>(pos - base));
  store<i32>(META, <i32>(e - base), 4);
  store<i32>(META, escaped ? 1 : 0, 8);
  store<u32>(META, (readUuid(EVENT_ID, META + 16) ? 1 : 0) | (readUuid(SHARED_EVENT_ID, META + 32) ? 2 : 0), 12);
  store<f64>(META, readTime(), 48);
  pos = ws(e);
  return 1;
}

/** Hex digits' values by byte (0-9, a-f, A-F), 0xff for any other byte. */
const HEX: usize = memory.data(256);
for (let c: u32 = 0; c < 256; c++) store<u8>(HEX + <usize>c, c - 48 < 10 ? c - 48 : (c | 0x20) - 97 < 6 ? (c | 0x20) - 87 : 0xff);

/** `count` hex digits at `p` as a number; -1: not all hex digits. Branch-free: a table look-up a byte. */
@inline function hexRun(p: usize, count: usize): i64 {
  let v: i64 = 0;
  let bad: u32 = 0;
  for (let k: usize = 0; k < count; k++) {
    const d = <u32>load<u8>(HEX + <usize>at(p + k));
    bad |= d;
    v = (v << 4) | <i64>(d & 15);
  }
  return bad > 15 ? -1 : v;
}

/**
 * Whether the slot holds a UUID string ("8-4-4-4-12" hex digits, either case): then its four words (as
 * src/usage/event-id-set.ts parses them) are written at `out`.
 */
function readUuid(slot: i32, out: usize): bool {
  const f = load<i32>(FROM + (<usize>slot << 2));
  if (f < 0 || load<i32>(TO + (<usize>slot << 2)) - f != 38) return false;
  const p = base + <usize>f + 1;
  if (at(p - 1) != 0x22 || at(p + 8) != 0x2d || at(p + 13) != 0x2d || at(p + 18) != 0x2d || at(p + 23) != 0x2d) return false;
  const a = hexRun(p, 8);
  const b1 = hexRun(p + 9, 4);
  const b2 = hexRun(p + 14, 4);
  const c1 = hexRun(p + 19, 4);
  const c2 = hexRun(p + 24, 4);
  const d = hexRun(p + 28, 8);
  if ((a | b1 | b2 | c1 | c2 | d) < 0) return false;
  store<u32>(out, <u32>a);
  store<u32>(out, <u32>((b1 << 16) | b2), 4);
  store<u32>(out, <u32>((c1 << 16) | c2), 8);
  store<u32>(out, <u32>d, 12);
  return true;
}

@inline function two(p: usize): u32 {
  return (at(p) - 48) * 10 + at(p + 1) - 48;
}

/**
 * eventTime in epoch milliseconds when it is CloudTrail's own form, "YYYY-MM-DDTHH:MM:SSZ", with the fields
 * src/usage/map-event.ts (isCanonicalTime, isoToMs) accepts and a year from 100 (Date.UTC reads 0-99 as 19xx);
 * NaN otherwise (the caller reads the text). The same arithmetic as Date.UTC: a day or second past the month's or
 * minute's end runs into the next.
 */
function readTime(): f64 {
  const f = load<i32>(FROM + (<usize>EVENT_TIME << 2));
  if (f < 0 || load<i32>(TO + (<usize>EVENT_TIME << 2)) - f != 22) return NaN;
  const p = base + <usize>f + 1;
  if (at(p - 1) != 0x22 || at(p + 10) != 0x54 || at(p + 13) != 0x3a || at(p + 16) != 0x3a || at(p + 19) != 0x5a) return NaN;
  // The day ("YYYY-MM-D" and "D") as the last record's, already checked and counted: a log object's events are of
  // one day or two.
  const dayWord = load<u64>(p);
  const dayTail = <u32>at(p + 8) | (<u32>at(p + 9) << 8);
  let dayMs = lastDayMs;
  if (dayWord != lastDayWord || dayTail != lastDayTail) {
    dayMs = dayStart(p);
    if (isNaN(dayMs)) return NaN;
    lastDayWord = dayWord;
    lastDayTail = dayTail;
    lastDayMs = dayMs;
  }
  for (let k: usize = 11; k < 19; k++) {
    if (k == 13 || k == 16) continue;
    if (at(p + k) - 48 >= 10) return NaN;
  }
  const hour = <i32>two(p + 11);
  const minute = <i32>two(p + 14);
  const second = <i32>two(p + 17);
  if (hour > 23 || minute > 59 || second > 60) return NaN;
  return dayMs + <f64>(hour * 3600 + minute * 60 + second) * 1000;
}

/** The last eventTime's day, as its first 8 bytes and the next 2, and that day's start in epoch ms. */
let lastDayWord: u64 = 0;
let lastDayTail: u32 = 0;
let lastDayMs: f64 = NaN;

/** The start (epoch ms) of the day "YYYY-MM-DD" at `p`; NaN when it is not one (digits, dashes and ranges checked). */
function dayStart(p: usize): f64 {
  if (at(p + 4) != 0x2d || at(p + 7) != 0x2d) return NaN;
  for (let k: usize = 0; k < 10; k++) {
    if (k == 4 || k == 7) continue;
    if (at(p + k) - 48 >= 10) return NaN;
  }
  const year = <i32>(two(p) * 100 + two(p + 2));
  const month = <i32>two(p + 5);
  const day = <i32>two(p + 8);
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31) return NaN;
  // Days since 1970-01-01 of the month's first day (Hinnant's days_from_civil), then the day as an offset.
  const y = month <= 2 ? year - 1 : year;
  const era = y / 400;
  const yoe = y - era * 400;
  const doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5;
  const days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468 + day - 1;
  return <f64>days * 86400000;
}

/**
 * One past the closing quote of the string whose first character is at `p`; 0: not a valid string. Quotes,
 * backslashes and bytes below 0x20 are found 16 at a time; the 0 byte after the chunk stops a string that runs on.
 */
function stringEnd(p: usize): usize {
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  const space = i8x16.splat(0x20);
  while (true) {
    const v = v128.load(p);
    const hits = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), i8x16.lt_u(v, space)));
    if (hits == 0) {
      p += 16;
      continue;
    }
    const q = p + <usize>ctz(hits);
    const c = at(q);
    if (c == 0x22) return q < end ? q + 1 : 0;
    if (c != 0x5c || q >= end) return 0; // a control character, or the end of the chunk
    escaped = true;
    const e = at(q + 1);
    if (e == 0x75) {
      // \uXXXX
      for (let k: usize = 2; k < 6; k++) {
        const h = at(q + k);
        if (!(h - 48 < 10 || (h | 0x20) - 97 < 6)) return 0; // 0-9, a-f, A-F
      }
      p = q + 6;
    } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) p = q + 2;
    else return 0;
  }
  return 0;
}

@inline function isDigit(c: u32): bool {
  return c - 48 < 10;
}

/** JSON's number grammar, the longest match (as the JS scanner's sticky regular expression). */
function numberEnd(p: usize): usize {
  if (at(p) == 0x2d) p++;
  const c = at(p);
  if (c == 0x30) p++;
  else if (c - 49 < 9) {
    p++;
    while (isDigit(at(p))) p++;
  } else return 0;
  if (at(p) == 0x2e && isDigit(at(p + 1))) {
    p += 2;
    while (isDigit(at(p))) p++;
  }
  const e = at(p);
  if (e == 0x65 || e == 0x45) {
    let q = p + 1;
    const s = at(q);
    if (s == 0x2b || s == 0x2d) q++;
    if (isDigit(at(q))) {
      p = q + 1;
      while (isDigit(at(p))) p++;
    }
  }
  return p;
}

/**
 * True when the `n` bytes at `p` are an ASCII key or literal whose bytes, as little-endian words, are `a` (bytes
 * 0-7, zero-padded), `m` (8-15, for one over 16 bytes) and `z` (the last 8, for one over 8): two or three word
 * compares (n is a constant where this is inlined), where a loop over the characters took ~14% of the scan. A word
 * may run past the bytes compared (masked, or overlapping the first): a key or literal is followed by more of its
 * record, and a chunk by 32 bytes of tail, so the read stays inside the chunk. Each call names its literal in a
 * comment; its words are the literal's bytes read little-endian (in Node: `Buffer.from(s.padEnd(8, '\0'))
 * .readBigUInt64LE(0)` for `a`, the same at 8 for `m` and at length - 8 for `z`), and a test changes every byte of
 * every key to check them.
 */
@inline function isWords(p: usize, n: usize, a: u64, m: u64, z: u64): bool {
  if (n < 8) return (load<u64>(p) & ((<u64>1 << (<u64>n << 3)) - 1)) == a;
  if (load<u64>(p) != a) return false;
  if (n == 8) return true;
  if (n <= 16) return load<u64>(p + n - 8) == z;
  return load<u64>(p + 8) == m && load<u64>(p + n - 8) == z;
}

function valueEnd(p: usize): usize {
  const c = at(p);
  if (c == 0x22) return stringEnd(p + 1);
  if (c == 0x7b) return objectEnd(p, NONE);
  if (c == 0x5b) return arrayEnd(p);
  if (c == 0x74) return isWords(p, 4, 0x65757274, 0x0, 0x0) /* true */ ? p + 4 : 0;
  if (c == 0x66) return isWords(p, 5, 0x65736c6166, 0x0, 0x0) /* false */ ? p + 5 : 0;
  if (c == 0x6e) return isWords(p, 4, 0x6c6c756e, 0x0, 0x0) /* null */ ? p + 4 : 0;
  return numberEnd(p);
}

function arrayEnd(p: usize): usize {
  if (++depth > MAX_DEPTH) return 0;
  p = ws(p + 1);
  if (at(p) != 0x5d) {
    while (true) {
      p = valueEnd(p);
      if (p == 0) return 0;
      p = ws(p);
      const c = at(p);
      if (c == 0x5d) break;
      if (c != 0x2c) return 0;
      p = ws(p + 1);
    }
  }
  depth--;
  return p + 1;
}

/**
 * One past the object at `p`; 0: not valid. `owner`: which object this is, to note its fields' places (NONE: none
 * noted; RECORD: the top-level fields; USER_IDENTITY, UI_SESSION_CONTEXT, UI_ISSUER, REQUEST_PARAMETERS: their
 * inner fields). Whitespace is looked for only where a character is not the expected one (CloudTrail writes none).
 */
function objectEnd(p: usize, owner: i32): usize {
  if (++depth > MAX_DEPTH) return 0;
  let c = at(++p);
  if (c <= 32) c = at((p = ws(p)));
  if (c != 0x7d) {
    while (true) {
      if (c != 0x22) return 0;
      const ks = p + 1;
      p = stringEnd(ks);
      if (p == 0) return 0;
      const slot = owner == NONE ? NONE : owner == RECORD ? topSlot(ks, <i32>(p - 1 - ks)) : innerSlot(owner, ks, <i32>(p - 1 - ks));
      c = at(p);
      if (c <= 32) c = at((p = ws(p)));
      if (c != 0x3a) return 0;
      let vs = p + 1;
      c = at(vs);
      if (c <= 32) c = at((vs = ws(vs)));
      if (c == 0x22) {
        p = stringEnd(vs + 1);
        if (slot >= 0) clearInner(slot);
      } else if (slot == USER_IDENTITY || slot == REQUEST_PARAMETERS || slot == UI_SESSION_CONTEXT || slot == UI_ISSUER) {
        // A later duplicate key replaces a value whole, as in JSON.parse: its inner fields go with it.
        clearInner(slot);
        p = c == 0x7b ? objectEnd(vs, slot) : valueEnd(vs);
      } else p = valueEnd(vs);
      if (p == 0) return 0;
      if (slot >= 0) {
        store<i32>(FROM + (<usize>slot << 2), <i32>(vs - base));
        store<i32>(TO + (<usize>slot << 2), <i32>(p - base));
      }
      c = at(p);
      if (c <= 32) c = at((p = ws(p)));
      if (c == 0x7d) break;
      if (c != 0x2c) return 0;
      c = at(++p);
      if (c <= 32) c = at((p = ws(p)));
    }
  }
  depth--;
  return p + 1;
}

function clearInner(slot: i32): void {
  if (slot == USER_IDENTITY) clearSlots(UI_TYPE, UI_IDENTITY_PROVIDER);
  else if (slot == UI_SESSION_CONTEXT) clearSlots(UI_ISSUER, UI_ISSUER_ARN);
  else if (slot == UI_ISSUER) clearSlots(UI_ISSUER_ARN, UI_ISSUER_ARN);
  else if (slot == REQUEST_PARAMETERS) clearSlots(RP_BUCKET_NAME, RP_TAGGING);
}

function clearSlots(first: i32, last: i32): void {
  for (let s = first; s <= last; s++) store<i32>(FROM + (<usize>s << 2), -1);
}

/** The slot of a top-level key of `n` bytes at `k` (NONE: not read): told by its length and a byte, then compared. */
function topSlot(k: usize, n: i32): i32 {
  switch (n) {
    case 7:
      return isWords(k, 7, 0x4449746e657665, 0x0, 0x0) /* eventID */ ? 9 : NONE;
    case 9: {
      const c = at(k + 5);
      if (c == 78) return isWords(k, 9, 0x6d614e746e657665, 0x0, 0x656d614e746e6576) /* eventName */ ? 1 : NONE;
      if (c == 84) return at(k + 6) == 105 ? (isWords(k, 9, 0x6d6954746e657665, 0x0, 0x656d6954746e6576) /* eventTime */ ? 3 : NONE) : isWords(k, 9, 0x707954746e657665, 0x0, 0x65707954746e6576) /* eventType */ ? 2 : NONE;
      if (c == 67) return isWords(k, 9, 0x646f43726f727265, 0x0, 0x65646f43726f7272) /* errorCode */ ? 5 : NONE;
      if (c == 103) return isWords(k, 9, 0x6f69676552737761, 0x0, 0x6e6f696765527377) /* awsRegion */ ? 7 : NONE;
      if (c == 114) return isWords(k, 9, 0x656372756f736572, 0x0, 0x73656372756f7365) /* resources */ ? 16 : NONE;
      return NONE;
    }
    case 10: {
      const c = at(k);
      if (c == 116) return isWords(k, 10, 0x6961746544736c74, 0x0, 0x736c696174654473) /* tlsDetails */ ? 13 : NONE;
      if (c == 64) return isWords(k, 10, 0x617473656d697440, 0x0, 0x706d617473656d69) /* @timestamp */ ? 4 : NONE;
      return NONE;
    }
    case 11:
      return isWords(k, 11, 0x756f53746e657665, 0x0, 0x656372756f53746e) /* eventSource */ ? 0 : NONE;
    case 12: {
      const c = at(k);
      if (c == 117) return isWords(k, 12, 0x6e65644972657375, 0x0, 0x797469746e656449) /* userIdentity */ ? USER_IDENTITY : NONE;
      if (c == 101) return isWords(k, 12, 0x73654d726f727265, 0x0, 0x6567617373654d72) /* errorMessage */ ? 6 : NONE;
      return NONE;
    }
    case 13: {
      const c = at(k);
      if (c == 115) return isWords(k, 13, 0x7645646572616873, 0x0, 0x4449746e65764564) /* sharedEventID */ ? 10 : NONE;
      if (c == 118) return isWords(k, 13, 0x6f70646e45637076, 0x0, 0x6449746e696f7064) /* vpcEndpointId */ ? 12 : NONE;
      return NONE;
    }
    case 15:
      return isWords(k, 15, 0x5049656372756f73, 0x0, 0x7373657264644150) /* sourceIPAddress */ ? 11 : NONE;
    case 17:
      return isWords(k, 17, 0x5074736575716572, 0x726574656d617261, 0x73726574656d6172) /* requestParameters */ ? REQUEST_PARAMETERS : NONE;
    case 18:
      return isWords(k, 18, 0x6e65697069636572, 0x746e756f63634174, 0x6449746e756f6363) /* recipientAccountId */ ? 8 : NONE;
  }
  return NONE;
}

/** The slot of a key of `n` bytes at `k` inside the object `owner` (NONE: not read). */
function innerSlot(owner: i32, k: usize, n: i32): i32 {
  if (owner == USER_IDENTITY) {
    if (n == 4) return isWords(k, 4, 0x65707974, 0x0, 0x0) /* type */ ? UI_TYPE : NONE;
    if (n == 3) return isWords(k, 3, 0x6e7261, 0x0, 0x0) /* arn */ ? UI_ARN : NONE;
    if (n == 9) return at(k) == 97 ? (isWords(k, 9, 0x49746e756f636361, 0x0, 0x6449746e756f6363) /* accountId */ ? UI_ACCOUNT_ID : NONE) : isWords(k, 9, 0x4264656b6f766e69, 0x0, 0x794264656b6f766e) /* invokedBy */ ? UI_INVOKED_BY : NONE;
    if (n == 16) return isWords(k, 16, 0x797469746e656469, 0x0, 0x72656469766f7250) /* identityProvider */ ? UI_IDENTITY_PROVIDER : NONE;
    return n == 14 && isWords(k, 14, 0x436e6f6973736573, 0x0, 0x747865746e6f436e) /* sessionContext */ ? UI_SESSION_CONTEXT : NONE;
  }
  if (owner == UI_SESSION_CONTEXT) return n == 13 && isWords(k, 13, 0x496e6f6973736573, 0x0, 0x7265757373496e6f) /* sessionIssuer */ ? UI_ISSUER : NONE;
  if (owner == UI_ISSUER) return n == 3 && isWords(k, 3, 0x6e7261, 0x0, 0x0) /* arn */ ? UI_ISSUER_ARN : NONE;
  if (owner != REQUEST_PARAMETERS) return NONE;
  if (n == 3) return isWords(k, 3, 0x79656b, 0x0, 0x0) /* key */ ? RP_KEY : NONE;
  if (n == 10) return isWords(k, 10, 0x614e74656b637562, 0x0, 0x656d614e74656b63) /* bucketName */ ? RP_BUCKET_NAME : NONE;
  if (n == 9) return at(k) == 118 ? (isWords(k, 9, 0x496e6f6973726576, 0x0, 0x64496e6f69737265) /* versionId */ ? RP_VERSION_ID : NONE) : isWords(k, 9, 0x63612d7a6d612d78, 0x0, 0x6c63612d7a6d612d) /* x-amz-acl */ ? RP_ACL : NONE;
  // The S3 headers of a write that set the object's ACL or tags (the other x-amz-… headers cost no compare).
  if (n < 13 || at(k) != 120) return NONE;
  if (n == 13) return isWords(k, 13, 0x61742d7a6d612d78, 0x0, 0x676e69676761742d) /* x-amz-tagging */ ? RP_TAGGING : NONE;
  if (n == 16) return isWords(k, 16, 0x72672d7a6d612d78, 0x0, 0x646165722d746e61) /* x-amz-grant-read */ ? RP_GRANT_READ : NONE;
  if (n == 20) return isWords(k, 20, 0x72672d7a6d612d78, 0x646165722d746e61, 0x7063612d64616572) /* x-amz-grant-read-acp */ ? RP_GRANT_READ_ACP : NONE;
  if (n == 21) return isWords(k, 21, 0x72672d7a6d612d78, 0x746972772d746e61, 0x7063612d65746972) /* x-amz-grant-write-acp */ ? RP_GRANT_WRITE_ACP : NONE;
  if (n == 24) return isWords(k, 24, 0x72672d7a6d612d78, 0x6c6c75662d746e61, 0x6c6f72746e6f632d) /* x-amz-grant-full-control */ ? RP_GRANT_FULL_CONTROL : NONE;
  return NONE;
}

// ---------- composites ----------

/**
 * The record's fields that textSignature (src/usage/event-batch.ts) reads after the event time, each as its JSON
 * text: equal composites give the same signature. userIdentity and tlsDetails count by their first byte (only
 * whether they are objects is read), and an assumed role's session ARN by its partition (see arnPart).
 */
const COMPOSITE_SLOTS: StaticArray<i32> = [0, 1, 2, 5, 6, 7, 11, 12, 15, 16, 13, 14, 17, 18, 19, 22, 23, 24];
const TLS_DETAILS: i32 = 13;

/**
 * How many bytes of userIdentity.arn count. A session of a role known by its issuer (type "AssumedRole", a
 * non-empty accountId and sessionContext.sessionIssuer.arn) is the role's, whatever the session's name: only the
 * ARN's partition is read (`"arn:aws:`). Anything else counts whole.
 */
function arnPart(f: usize, n: usize): usize {
  const type = load<i32>(FROM + (<usize>UI_TYPE << 2));
  const account = load<i32>(FROM + (<usize>UI_ACCOUNT_ID << 2));
  const issuer = load<i32>(FROM + (<usize>UI_ISSUER_ARN << 2));
  if (type < 0 || account < 0 || issuer < 0) return n;
  if (load<i32>(TO + (<usize>UI_TYPE << 2)) - type != 13 || !isWords(base + <usize>type, 13, 0x64656d7573734122, 0x0, 0x22656c6f5264656d) /* "AssumedRole" */) return n;
  // Non-empty strings: more than their two quotes.
  if (load<i32>(TO + (<usize>UI_ACCOUNT_ID << 2)) - account <= 2 || at(base + <usize>account) != 0x22) return n;
  if (load<i32>(TO + (<usize>UI_ISSUER_ARN << 2)) - issuer <= 2 || at(base + <usize>issuer) != 0x22) return n;
  // `"arn:<partition>:`, up to the second colon.
  const p = base + f;
  if (n < 6 || !isWords(p, 5, 0x3a6e726122, 0x0, 0x0) /* "arn: */) return n;
  for (let k: usize = 5; k < n; k++) if (at(p + k) == 0x3a) return k + 1;
  return n;
}

/**
 * The id of the last record's composite: equal ids, equal composites (compared byte for byte, never by hash alone).
 * Ids count from 1 in an epoch; when the table is full it is emptied and a new epoch begins: the id is then returned
 * negated, so the caller forgets the ids it knew. 0: the composite is too large to keep (over 64 KB). `without`:
 * slots (bit = slot number, below 32) the caller does not read, left out (a source address when no policy tests
 * aws:SourceIp); it is part of the composite, so composites made without different slots never match.
 */
export function composite(without: u32): i32 {
  // The composite's parts, in place: per slot, its bytes' address and length (ABSENT: no such field, or left out).
  let h = seed ^ <u64>without;
  let bytes: usize = 0;
  for (let i = 0; i < COMPOSITE_SLOTS.length; i++) {
    const slot = unchecked(COMPOSITE_SLOTS[i]);
    const f = load<i32>(FROM + (<usize>slot << 2));
    let n: usize = ABSENT;
    let p: usize = 0;
    if (f >= 0 && ((without >> <u32>slot) & 1) == 0) {
      p = base + <usize>f;
      n = <usize>(load<i32>(TO + (<usize>slot << 2)) - f);
      if (slot == TLS_DETAILS || slot == USER_IDENTITY) n = 1;
      else if (slot == UI_ARN) n = arnPart(<usize>f, n);
      h = hashBytes(h, p, n);
      bytes += n;
    }
    store<usize>(PARTS + (<usize>i << 3), p);
    store<u32>(PARTS + (<usize>i << 3), <u32>n, 4);
    h = (h ^ <u64>n) * 0x9e3779b97f4a7c15;
  }
  h ^= h >> 29;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 32;
  const hash = <u32>h & hashMask;
  if (bytes > MAX_COMPOSITE) return 0;
  const mask = <u32>(TABLE_SLOTS - 1);
  let i = hash & mask;
  while (true) {
    // A table slot: the entry's arena offset + 1 (0: free) and its hash, so that a probe past another entry does
    // not read the arena.
    const at = load<u32>(TABLE + (<usize>i << 3));
    if (at == 0) break;
    if (load<u32>(TABLE + (<usize>i << 3), 4) == hash) {
      const e = ARENA + <usize>(at - 1);
      if (<usize>load<u32>(e, 4) == bytes && load<u32>(e, 12) == without && sameParts(e + ENTRY_HEADER)) return <i32>load<u32>(e, 8);
    }
    i = (i + 1) & mask;
  }
  // New: kept, in a new epoch if this one is full. The entry: its header, the parts' lengths (u32 each), then their
  // bytes one after the other, the whole zero-padded to 8 bytes.
  let sign: i32 = 1;
  const lengths = <usize>COMPOSITE_SLOTS.length << 2;
  const size = (ENTRY_HEADER + lengths + bytes + 7) & ~7;
  if (entries >= MAX_ENTRIES || arenaTop + size > ARENA_BYTES) {
    memory.fill(TABLE, 0, <usize>TABLE_SLOTS << 3);
    arenaTop = 0;
    entries = 0;
    sign = -1;
    i = hash & mask;
  }
  const e = ARENA + arenaTop;
  const id = ++entries;
  store<u32>(e, hash);
  store<u32>(e, <u32>bytes, 4);
  store<u32>(e, <u32>id, 8);
  store<u32>(e, without, 12);
  store<u64>(e + size - 8, 0);
  let w = e + ENTRY_HEADER + lengths;
  for (let k = 0; k < COMPOSITE_SLOTS.length; k++) {
    const n = <usize>load<u32>(PARTS + (<usize>k << 3), 4);
    store<u32>(e + ENTRY_HEADER + (<usize>k << 2), <u32>n);
    if (n == ABSENT) continue;
    memory.copy(w, <usize>load<u32>(PARTS + (<usize>k << 3)), n);
    w += n;
  }
  store<u32>(TABLE + (<usize>i << 3), <u32>(arenaTop + 1));
  store<u32>(TABLE + (<usize>i << 3), hash, 4);
  arenaTop += size;
  return id * sign;
}

/** The parts (PARTS) against an entry's lengths and bytes (from `w`), 8 bytes at a time where they can be. */
function sameParts(w: usize): bool {
  const count = COMPOSITE_SLOTS.length;
  for (let k = 0; k < count; k++) if (load<u32>(w + (<usize>k << 2)) != load<u32>(PARTS + (<usize>k << 3), 4)) return false;
  let b = w + (<usize>count << 2);
  for (let k = 0; k < count; k++) {
    const n = <usize>load<u32>(PARTS + (<usize>k << 3), 4);
    if (n == ABSENT) continue;
    const p = <usize>load<u32>(PARTS + (<usize>k << 3));
    let j: usize = 0;
    for (; j + 8 <= n; j += 8) if (load<u64>(b + j) != load<u64>(p + j)) return false;
    // The last 1-7 bytes as one word, the bytes past them masked off (both sides can be read 8 bytes on: an entry
    // is followed by others or the free arena, a part by the rest of its chunk and the chunk's tail).
    const tail = n - j;
    if (tail != 0 && ((load<u64>(b + j) ^ load<u64>(p + j)) & ((<u64>1 << (<u64>tail << 3)) - 1)) != 0) return false;
    b += n;
  }
  return true;
}

/** `h` mixed with the `n` bytes at `p` (read 8 at a time; the last word's bytes past `n` are masked off). */
@inline function hashBytes(h: u64, p: usize, n: usize): u64 {
  const full = n >> 3;
  for (let j: usize = 0; j < full; j++) h = rotl<u64>((h ^ load<u64>(p + (j << 3))) * 0xff51afd7ed558ccd, 31);
  const tail = n & 7;
  if (tail != 0) h = rotl<u64>((h ^ (load<u64>(p + (full << 3)) & ((<u64>1 << (<u64>tail << 3)) - 1))) * 0xff51afd7ed558ccd, 31);
  return h;
}

