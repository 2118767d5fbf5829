// AssemblyScript (compiled to WebAssembly by `npm run build:wasm`, not by tsc): the CloudTrail record scanner of
// src/usage/record-scan.ts over bytes instead of a JS string. Same contract, same slots, same answers (tested
// against both JSON.parse and the JS scanner in test/unit/usage-record-scan.test.ts), but it looks for quotes,
// backslashes and control characters 16 bytes at a time (SIMD) and walks the structure in compiled code: ~0.8 µs
// a record on the bench's logs, where the JS scanner takes ~2.3 µs. It is used for ASCII text only (log-object.ts),
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

/** `count` hex digits at `p` as a number; -1: not all hex digits. */
function hexRun(p: usize, count: usize): i64 {
  let v: i64 = 0;
  for (let k: usize = 0; k < count; k++) {
    const c = at(p + k);
    let d: u32;
    if (c - 48 < 10) d = c - 48;
    else if ((c | 0x20) - 97 < 6) d = (c | 0x20) - 87;
    else return -1;
    v = (v << 4) | <i64>d;
  }
  return v;
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
  if (at(p - 1) != 0x22 || at(p + 4) != 0x2d || at(p + 7) != 0x2d || at(p + 10) != 0x54 || at(p + 13) != 0x3a || at(p + 16) != 0x3a || at(p + 19) != 0x5a) return NaN;
  for (let k: usize = 0; k < 19; k++) {
    if (k == 4 || k == 7 || k == 10 || k == 13 || k == 16) continue;
    if (at(p + k) - 48 >= 10) return NaN;
  }
  const year = <i32>(two(p) * 100 + two(p + 2));
  const month = <i32>two(p + 5);
  const day = <i32>two(p + 8);
  const hour = <i32>two(p + 11);
  const minute = <i32>two(p + 14);
  const second = <i32>two(p + 17);
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  // Days since 1970-01-01 of the month's first day (Hinnant's days_from_civil), then the day as an offset.
  const y = month <= 2 ? year - 1 : year;
  const era = y / 400;
  const yoe = y - era * 400;
  const doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5;
  const days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468 + day - 1;
  return <f64>days * 86400000 + <f64>(hour * 3600 + minute * 60 + second) * 1000;
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

/** True when the `n` bytes at `p` are the ASCII string `s` (a literal: its UTF-16 code units read directly). */
@inline function is(p: usize, n: i32, s: string): bool {
  const chars = changetype<usize>(s);
  for (let k = 0; k < n; k++) if (at(p + <usize>k) != <u32>load<u16>(chars + (<usize>k << 1))) return false;
  return true;
}

function valueEnd(p: usize): usize {
  const c = at(p);
  if (c == 0x22) return stringEnd(p + 1);
  if (c == 0x7b) return objectEnd(p, NONE);
  if (c == 0x5b) return arrayEnd(p);
  if (c == 0x74) return is(p, 4, 'true') ? p + 4 : 0;
  if (c == 0x66) return is(p, 5, 'false') ? p + 5 : 0;
  if (c == 0x6e) return is(p, 4, 'null') ? p + 4 : 0;
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
      return is(k, 7, 'eventID') ? 9 : NONE;
    case 9: {
      const c = at(k + 5);
      if (c == 78) return is(k, 9, 'eventName') ? 1 : NONE;
      if (c == 84) return at(k + 6) == 105 ? (is(k, 9, 'eventTime') ? 3 : NONE) : is(k, 9, 'eventType') ? 2 : NONE;
      if (c == 67) return is(k, 9, 'errorCode') ? 5 : NONE;
      if (c == 103) return is(k, 9, 'awsRegion') ? 7 : NONE;
      if (c == 114) return is(k, 9, 'resources') ? 16 : NONE;
      return NONE;
    }
    case 10: {
      const c = at(k);
      if (c == 116) return is(k, 10, 'tlsDetails') ? 13 : NONE;
      if (c == 64) return is(k, 10, '@timestamp') ? 4 : NONE;
      return NONE;
    }
    case 11:
      return is(k, 11, 'eventSource') ? 0 : NONE;
    case 12: {
      const c = at(k);
      if (c == 117) return is(k, 12, 'userIdentity') ? USER_IDENTITY : NONE;
      if (c == 101) return is(k, 12, 'errorMessage') ? 6 : NONE;
      return NONE;
    }
    case 13: {
      const c = at(k);
      if (c == 115) return is(k, 13, 'sharedEventID') ? 10 : NONE;
      if (c == 118) return is(k, 13, 'vpcEndpointId') ? 12 : NONE;
      return NONE;
    }
    case 15:
      return is(k, 15, 'sourceIPAddress') ? 11 : NONE;
    case 17:
      return is(k, 17, 'requestParameters') ? REQUEST_PARAMETERS : NONE;
    case 18:
      return is(k, 18, 'recipientAccountId') ? 8 : NONE;
  }
  return NONE;
}

/** The slot of a key of `n` bytes at `k` inside the object `owner` (NONE: not read). */
function innerSlot(owner: i32, k: usize, n: i32): i32 {
  if (owner == USER_IDENTITY) {
    if (n == 4) return is(k, 4, 'type') ? UI_TYPE : NONE;
    if (n == 3) return is(k, 3, 'arn') ? UI_ARN : NONE;
    if (n == 9) return at(k) == 97 ? (is(k, 9, 'accountId') ? UI_ACCOUNT_ID : NONE) : is(k, 9, 'invokedBy') ? UI_INVOKED_BY : NONE;
    if (n == 16) return is(k, 16, 'identityProvider') ? UI_IDENTITY_PROVIDER : NONE;
    return n == 14 && is(k, 14, 'sessionContext') ? UI_SESSION_CONTEXT : NONE;
  }
  if (owner == UI_SESSION_CONTEXT) return n == 13 && is(k, 13, 'sessionIssuer') ? UI_ISSUER : NONE;
  if (owner == UI_ISSUER) return n == 3 && is(k, 3, 'arn') ? UI_ISSUER_ARN : NONE;
  if (owner != REQUEST_PARAMETERS) return NONE;
  if (n == 3) return is(k, 3, 'key') ? RP_KEY : NONE;
  if (n == 10) return is(k, 10, 'bucketName') ? RP_BUCKET_NAME : NONE;
  if (n == 9) return at(k) == 118 ? (is(k, 9, 'versionId') ? RP_VERSION_ID : NONE) : is(k, 9, 'x-amz-acl') ? RP_ACL : NONE;
  // The S3 headers of a write that set the object's ACL or tags (the other x-amz-… headers cost no compare).
  if (n < 13 || at(k) != 120) return NONE;
  if (n == 13) return is(k, 13, 'x-amz-tagging') ? RP_TAGGING : NONE;
  if (n == 16) return is(k, 16, 'x-amz-grant-read') ? RP_GRANT_READ : NONE;
  if (n == 20) return is(k, 20, 'x-amz-grant-read-acp') ? RP_GRANT_READ_ACP : NONE;
  if (n == 21) return is(k, 21, 'x-amz-grant-write-acp') ? RP_GRANT_WRITE_ACP : NONE;
  if (n == 24) return is(k, 24, 'x-amz-grant-full-control') ? RP_GRANT_FULL_CONTROL : NONE;
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
  if (load<i32>(TO + (<usize>UI_TYPE << 2)) - type != 13 || !is(base + <usize>type, 13, '"AssumedRole"')) return n;
  // Non-empty strings: more than their two quotes.
  if (load<i32>(TO + (<usize>UI_ACCOUNT_ID << 2)) - account <= 2 || at(base + <usize>account) != 0x22) return n;
  if (load<i32>(TO + (<usize>UI_ISSUER_ARN << 2)) - issuer <= 2 || at(base + <usize>issuer) != 0x22) return n;
  // `"arn:<partition>:`, up to the second colon.
  const p = base + f;
  if (n < 6 || !is(p, 5, '"arn:')) return n;
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
  const hash = <u32>h;
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
    for (; j < n; j++) if (load<u8>(b + j) != load<u8>(p + j)) return false;
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

