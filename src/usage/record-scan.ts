// Reads CloudTrail records from their JSON text without building them: JSON.parse makes every field of every
// record a JS value (userAgent, tlsDetails, responseElements, requestID ...: a third of a record's bytes), where
// the mapping reads about fifteen strings. This scanner checks the whole text against JSON's grammar, skips the
// strings it does not need with indexOf, and notes where the needed values lie (ScannedRecord); the processor
// slices out what it reads (event-batch.ts, recordText). Measured on the bench's logs, one thread: scanning
// ~1.9 µs per record, against ~3.6 µs for JSON.parse of the same text.
// No npm library scans JSON lazily into offsets from a JS string (simdjson's bindings are native addons, which the
// ncc bundle cannot carry), so this is written here; it is kept to CloudTrail's record array and tested against
// JSON.parse (test/unit/usage-record-scan.test.ts).

import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-chars.js';

/** The top-level fields the mapping reads, by slot. */
export const EVENT_SOURCE = 0;
export const EVENT_NAME = 1;
export const EVENT_TYPE = 2;
export const EVENT_TIME = 3;
export const TIMESTAMP = 4; // '@timestamp', read when eventTime is absent
export const ERROR_CODE = 5;
export const ERROR_MESSAGE = 6;
export const AWS_REGION = 7;
export const RECIPIENT_ACCOUNT_ID = 8;
export const EVENT_ID = 9;
export const SHARED_EVENT_ID = 10;
export const SOURCE_IP_ADDRESS = 11;
export const VPC_ENDPOINT_ID = 12;
export const TLS_DETAILS = 13;
export const USER_IDENTITY = 14;
export const REQUEST_PARAMETERS = 15;
export const RESOURCES = 16;
// Fields inside userIdentity and requestParameters, noted while those are scanned.
export const UI_TYPE = 17;
export const UI_ACCOUNT_ID = 18;
export const UI_ARN = 19;
export const UI_SESSION_CONTEXT = 20;
export const UI_ISSUER = 21; // userIdentity.sessionContext.sessionIssuer
export const UI_ISSUER_ARN = 22;
export const UI_INVOKED_BY = 23;
export const UI_IDENTITY_PROVIDER = 24;
export const RP_BUCKET_NAME = 25;
export const RP_KEY = 26;
export const RP_VERSION_ID = 27; // S3: a call on one version of an object is authorised as the *Version action
// S3 headers of a write that make it set the object's ACL or tags too (map-event.ts, s3HeaderBits): the ACL ones
// (x-amz-acl, x-amz-grant-*) from RP_ACL to RP_GRANT_WRITE_ACP, then x-amz-tagging.
export const RP_ACL = 28;
export const RP_GRANT_FULL_CONTROL = 29;
export const RP_GRANT_READ = 30;
export const RP_GRANT_READ_ACP = 31;
export const RP_GRANT_WRITE_ACP = 32;
export const RP_TAGGING = 33;
export const SLOTS = 34;
/** objectEnd's owner for a record itself (its keys are told by topSlot). */
const RECORD = SLOTS;

/** Names of the top-level fields by slot (tests and messages). */
export const FIELD_NAMES: readonly string[] = [
  'eventSource', 'eventName', 'eventType', 'eventTime', '@timestamp', 'errorCode', 'errorMessage', 'awsRegion',
  'recipientAccountId', 'eventID', 'sharedEventID', 'sourceIPAddress', 'vpcEndpointId', 'tlsDetails', 'userIdentity',
  'requestParameters', 'resources',
];


/**
 * Ids of records' composites (wasm/record-scan.ts, composite()): equal ids in one epoch, equal composites. The
 * epoch changes when the ids are renumbered; ids of an earlier epoch mean nothing.
 */
export interface CompositeIds {
  /** The id of the record being visited (0: none, too large), without the slots whose bits `without` sets. */
  compositeId(without: number): number;
  readonly epoch: number;
  /** Ids are at most this. */
  readonly maxId: number;
}

/**
 * Where one record's needed values lie in the scanned text: `from[slot]` is the value's first character (-1:
 * absent), `to[slot]` one past its last. Reused from record to record: copy what must outlive the visit.
 */
export class ScannedRecord {
  text = '';
  /** The record's `{` and one past its `}`. */
  start = 0;
  end = 0;
  /** The record holds a backslash: its strings are not their text (read it with JSON.parse instead). */
  escaped = false;
  readonly from: Int32Array;
  readonly to: Int32Array;
  /** The WebAssembly scanner's composite ids of its records (undefined: this scanner has none). */
  composites?: CompositeIds;
  /**
   * Read by the WebAssembly scanner (undefined: not by this one): `uuids[0]` flags eventID (1) and sharedEventID
   * (2) as UUIDs, whose words are uuids[1..5) and uuids[5..9); `eventTime[0]` is eventTime in epoch ms when it is
   * CloudTrail's own form (else NaN).
   */
  uuids?: Uint32Array;
  eventTime?: Float64Array;

  /** `from` and `to`: where a scanner writes them (the WebAssembly one's memory); new arrays by default. */
  constructor(from?: Int32Array, to?: Int32Array) {
    this.from = from ?? new Int32Array(SLOTS).fill(-1);
    this.to = to ?? new Int32Array(SLOTS);
  }

  /** The record's JSON text. */
  source(): string {
    return this.text.slice(this.start, this.end);
  }

  has(slot: number): boolean {
    return this.from[slot] >= 0;
  }

  /** The value when it is a string (only for records that are not `escaped`), else undefined. */
  string(slot: number): string | undefined {
    const f = this.from[slot];
    return f >= 0 && this.text.charCodeAt(f) === QUOTE ? this.text.slice(f + 1, this.to[slot] - 1) : undefined;
  }

  /** True when the value is a JSON object. */
  isObject(slot: number): boolean {
    const f = this.from[slot];
    return f >= 0 && this.text.charCodeAt(f) === OPEN_BRACE;
  }

  /** The value's JSON text, or '\u0001' when absent. */
  raw(slot: number): string {
    const f = this.from[slot];
    return f >= 0 ? this.text.slice(f, this.to[slot]) : '\u0001';
  }

  /** The value parsed (undefined when absent). */
  parse(slot: number): unknown {
    const f = this.from[slot];
    return f >= 0 ? JSON.parse(this.text.slice(f, this.to[slot])) : undefined;
  }

  /** Whether the string value equals `s` (the length is compared first: most values differ in it). */
  stringIs(slot: number, s: string): boolean {
    const f = this.from[slot];
    return f >= 0 && this.to[slot] - f === s.length + 2 && this.text.charCodeAt(f) === QUOTE && this.text.slice(f + 1, f + 1 + s.length) === s;
  }
}

// Scanner state for the text being scanned (one thread: module state is safe and saves passing it around).
let text = '';
/** The next backslash at or after the scan position (Infinity: none): strings before it have no escapes. */
let nextBackslash = Infinity;
let escaped = false;
let rec: ScannedRecord;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Scans `s`, a JSON array of objects (`[` first, `]` last, JSON whitespace allowed), calling `visit` with each
 * object in turn. False when `s` is not that (then records already visited are the caller's to undo); what JSON.parse
 * would reject is rejected too, except raw control characters inside the strings it skips (looking for them costs
 * ~0.8 µs per record, a fifth of the read; CloudTrail writes none, and gzip's checksum catches damage in transit).
 */
export function scanRecords(s: string, r: ScannedRecord, visit: (r: ScannedRecord) => void): boolean {
  text = s;
  rec = r;
  r.text = s;
  const bs = s.indexOf('\\');
  nextBackslash = bs < 0 ? Infinity : bs;
  try {
    let i = ws(0);
    if (s.charCodeAt(i) !== OPEN_BRACKET) return false;
    i = ws(i + 1);
    if (s.charCodeAt(i) === CLOSE_BRACKET) return ws(i + 1) === s.length;
    for (;;) {
      if (s.charCodeAt(i) !== OPEN_BRACE) return false;
      const end = recordEnd(i);
      if (end < 0) return false;
      r.start = i;
      r.end = end;
      r.escaped = escaped;
      visit(r);
      i = ws(end);
      const c = s.charCodeAt(i);
      if (c === COMMA) i = ws(i + 1);
      else if (c === CLOSE_BRACKET) return ws(i + 1) === s.length;
      else return false;
    }
  } catch (e) {
    if (e instanceof RangeError) return false; // nested too deep for the stack: not an event
    throw e;
  } finally {
    text = '';
  }
}

function ws(i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

/** One past the string's closing quote (`i` is just after its opening quote); -1: not a valid string. */
function stringEnd(i: number): number {
  const q = text.indexOf('"', i);
  // Small enough to be inlined in the loops; the rare escapes are walked apart.
  return q >= 0 && q < nextBackslash ? q + 1 : escapedStringEnd(i);
}

/** stringEnd when the string may hold an escape (or never ends): character by character. */
function escapedStringEnd(i: number): number {
  if (text.indexOf('"', i) < 0) return -1;
  escaped = true;
  let j = i;
  for (;;) {
    const c = text.charCodeAt(j);
    if (c !== c) return -1;
    if (c === QUOTE) break;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(j + 1);
      if (e === 117) {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) return -1;
        j += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) j += 2;
      else return -1;
    } else j++;
  }
  const bs = text.indexOf('\\', j + 1);
  nextBackslash = bs < 0 ? Infinity : bs;
  return j + 1;
}

/** One past the value starting at `i`; -1: not a valid value. */
function valueEnd(i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(i + 1);
  if (c === OPEN_BRACE) return objectEnd(i, -1);
  if (c === OPEN_BRACKET) return arrayEnd(i);
  if (c === 116) return text.startsWith('true', i) ? i + 4 : -1;
  if (c === 102) return text.startsWith('false', i) ? i + 5 : -1;
  if (c === 110) return text.startsWith('null', i) ? i + 4 : -1;
  NUMBER.lastIndex = i;
  return NUMBER.test(text) ? NUMBER.lastIndex : -1;
}

function arrayEnd(i: number): number {
  i = ws(i + 1);
  if (text.charCodeAt(i) === CLOSE_BRACKET) return i + 1;
  for (;;) {
    i = valueEnd(i);
    if (i < 0) return -1;
    i = ws(i);
    const c = text.charCodeAt(i);
    if (c === COMMA) i = ws(i + 1);
    else return c === CLOSE_BRACKET ? i + 1 : -1;
  }
}

/**
 * One past the object at `i`; -1: not valid. `owner`: which object this is, to note its fields' places (-1: none
 * noted; RECORD: the top-level fields; USER_IDENTITY, UI_SESSION_CONTEXT, UI_ISSUER, REQUEST_PARAMETERS: the inner
 * fields above). Whitespace is looked for only where a character is not the expected one (CloudTrail writes none).
 */
function objectEnd(i: number, owner: number): number {
  let c = text.charCodeAt(++i);
  if (c <= 32) c = text.charCodeAt((i = ws(i)));
  if (c === CLOSE_BRACE) return i + 1;
  for (;;) {
    if (c !== QUOTE) return -1;
    const ks = i + 1;
    i = stringEnd(ks);
    if (i < 0) return -1;
    const slot = owner < 0 ? -1 : owner === RECORD ? topSlot(ks, i - 1) : innerSlot(owner, ks, i - 1);
    c = text.charCodeAt(i);
    if (c <= 32) c = text.charCodeAt((i = ws(i)));
    if (c !== COLON) return -1;
    let vs = i + 1;
    c = text.charCodeAt(vs);
    if (c <= 32) c = text.charCodeAt((vs = ws(vs)));
    if (c === QUOTE) {
      i = stringEnd(vs + 1);
      if (slot >= 0) clearInner(slot);
    } else i = slot === USER_IDENTITY || slot === REQUEST_PARAMETERS || slot === UI_SESSION_CONTEXT || slot === UI_ISSUER ? nested(slot, vs) : valueEnd(vs);
    if (i < 0) return -1;
    if (slot >= 0) {
      rec.from[slot] = vs;
      rec.to[slot] = i;
    }
    c = text.charCodeAt(i);
    if (c <= 32) c = text.charCodeAt((i = ws(i)));
    if (c === COMMA) {
      c = text.charCodeAt(++i);
      if (c <= 32) c = text.charCodeAt((i = ws(i)));
    } else return c === CLOSE_BRACE ? i + 1 : -1;
  }
}

/** A value whose own fields are noted (one of the slots that own inner slots). */
function nested(slot: number, i: number): number {
  clearInner(slot);
  return text.charCodeAt(i) === OPEN_BRACE ? objectEnd(i, slot) : valueEnd(i);
}

/** Forgets the inner fields of `slot`, if it has any: a later duplicate key replaces a value whole, as in JSON.parse. */
function clearInner(slot: number): void {
  if (slot === USER_IDENTITY) clearFrom(UI_TYPE, UI_IDENTITY_PROVIDER);
  else if (slot === UI_SESSION_CONTEXT) clearFrom(UI_ISSUER, UI_ISSUER_ARN);
  else if (slot === UI_ISSUER) clearFrom(UI_ISSUER_ARN, UI_ISSUER_ARN);
  else if (slot === REQUEST_PARAMETERS) clearFrom(RP_BUCKET_NAME, RP_TAGGING);
}

function clearFrom(first: number, last: number): void {
  for (let s = first; s <= last; s++) rec.from[s] = -1;
}

/** The whole record: its top-level fields noted by slot. */
function recordEnd(i: number): number {
  rec.from.fill(-1);
  escaped = false; // stringEnd sets it: in valid JSON a backslash lies inside a string
  return objectEnd(i, RECORD);
}

/**
 * The slot of a top-level key spanning [ks, ke) (-1: not read). A key is told by its length and a character or two
 * first, so each key costs at most one comparison (a slice and `===`: ~12 ns, where startsWith took ~30; most records
 * have twenty keys).
 */
function topSlot(ks: number, ke: number): number {
  const t = text;
  switch (ke - ks) {
    case 7:
      return t.charCodeAt(ks + 5) === 73 && t.slice(ks, ke) === 'eventID' ? EVENT_ID : -1; // I
    case 9:
      switch (t.charCodeAt(ks + 5)) {
        case 78: // N
          return t.slice(ks, ke) === 'eventName' ? EVENT_NAME : -1;
        case 84: // T
          if (t.charCodeAt(ks + 6) === 105) return t.slice(ks, ke) === 'eventTime' ? EVENT_TIME : -1;
          return t.slice(ks, ke) === 'eventType' ? EVENT_TYPE : -1;
        case 67: // C
          return t.slice(ks, ke) === 'errorCode' ? ERROR_CODE : -1;
        case 103: // g
          return t.slice(ks, ke) === 'awsRegion' ? AWS_REGION : -1;
        case 114: // r
          return t.slice(ks, ke) === 'resources' ? RESOURCES : -1;
      }
      return -1;
    case 10:
      switch (t.charCodeAt(ks)) {
        case 116: // t
          return t.slice(ks, ke) === 'tlsDetails' ? TLS_DETAILS : -1;
        case 64: // @
          return t.slice(ks, ke) === '@timestamp' ? TIMESTAMP : -1;
      }
      return -1;
    case 11:
      return t.charCodeAt(ks + 5) === 83 && t.slice(ks, ke) === 'eventSource' ? EVENT_SOURCE : -1; // S
    case 12:
      switch (t.charCodeAt(ks)) {
        case 117: // u
          return t.slice(ks, ke) === 'userIdentity' ? USER_IDENTITY : -1;
        case 101: // e
          return t.slice(ks, ke) === 'errorMessage' ? ERROR_MESSAGE : -1;
      }
      return -1;
    case 13:
      switch (t.charCodeAt(ks)) {
        case 115: // s
          return t.slice(ks, ke) === 'sharedEventID' ? SHARED_EVENT_ID : -1;
        case 118: // v
          return t.slice(ks, ke) === 'vpcEndpointId' ? VPC_ENDPOINT_ID : -1;
      }
      return -1;
    case 15:
      return t.charCodeAt(ks) === 115 && t.slice(ks, ke) === 'sourceIPAddress' ? SOURCE_IP_ADDRESS : -1;
    case 17:
      return t.charCodeAt(ks + 7) === 80 && t.slice(ks, ke) === 'requestParameters' ? REQUEST_PARAMETERS : -1; // P
    case 18:
      return t.charCodeAt(ks + 9) === 65 && t.slice(ks, ke) === 'recipientAccountId' ? RECIPIENT_ACCOUNT_ID : -1; // A
  }
  return -1;
}

/** The slot of a key spanning [ks, ke) inside the object `owner` (-1: not read). */
function innerSlot(owner: number, ks: number, ke: number): number {
  const t = text;
  const n = ke - ks;
  switch (owner) {
    case USER_IDENTITY:
      if (n === 4) return t.charCodeAt(ks) === 116 && t.slice(ks, ke) === 'type' ? UI_TYPE : -1;
      if (n === 3) return t.charCodeAt(ks) === 97 && t.slice(ks, ke) === 'arn' ? UI_ARN : -1;
      if (n === 9) {
        const c = t.charCodeAt(ks);
        if (c === 97) return t.slice(ks, ke) === 'accountId' ? UI_ACCOUNT_ID : -1;
        return c === 105 && t.slice(ks, ke) === 'invokedBy' ? UI_INVOKED_BY : -1;
      }
      if (n === 16) return t.slice(ks, ke) === 'identityProvider' ? UI_IDENTITY_PROVIDER : -1;
      return n === 14 && t.slice(ks, ke) === 'sessionContext' ? UI_SESSION_CONTEXT : -1;
    case UI_SESSION_CONTEXT:
      return n === 13 && t.slice(ks, ke) === 'sessionIssuer' ? UI_ISSUER : -1;
    case UI_ISSUER:
      return n === 3 && t.slice(ks, ke) === 'arn' ? UI_ISSUER_ARN : -1;
    case REQUEST_PARAMETERS:
      if (n === 3) return t.slice(ks, ke) === 'key' ? RP_KEY : -1;
      if (n === 10) return t.slice(ks, ke) === 'bucketName' ? RP_BUCKET_NAME : -1;
      // The S3 headers all start with x (120); versionId with v (118).
      if (n === 9) return t.charCodeAt(ks) === 118 ? (t.slice(ks, ke) === 'versionId' ? RP_VERSION_ID : -1) : t.charCodeAt(ks) === 120 && t.slice(ks, ke) === 'x-amz-acl' ? RP_ACL : -1;
      return n >= 13 && t.charCodeAt(ks) === 120 ? headerSlot(ks, ke) : -1;
  }
  return -1;
}

/** The slot of an `x…` key of requestParameters spanning [ks, ke) that is an S3 ACL or tagging header (-1: not one). */
function headerSlot(ks: number, ke: number): number {
  const t = text;
  // By length first: the other x-amz-… headers of a write (server-side encryption, storage class, copy source)
  // cost no slice.
  switch (ke - ks) {
    case 13:
      return t.slice(ks, ke) === 'x-amz-tagging' ? RP_TAGGING : -1;
    case 16:
      return t.slice(ks, ke) === 'x-amz-grant-read' ? RP_GRANT_READ : -1;
    case 20:
      return t.slice(ks, ke) === 'x-amz-grant-read-acp' ? RP_GRANT_READ_ACP : -1;
    case 21:
      return t.slice(ks, ke) === 'x-amz-grant-write-acp' ? RP_GRANT_WRITE_ACP : -1;
    case 24:
      return t.slice(ks, ke) === 'x-amz-grant-full-control' ? RP_GRANT_FULL_CONTROL : -1;
  }
  return -1;
}
