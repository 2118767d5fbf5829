// The worker half of bulk reading: records -> compact batches. Each event becomes (signature id, time, event id);
// a signature is everything the aggregate keys on (principal, action targets, outcome, context ...), interned once
// per worker and sent once. The main thread dedupes ids and counts signatures (see tally.ts), so workers never
// need to share state and a batch costs ~30 bytes per event to send.
import type { CountedEvent } from './aggregator.js';
import { contextValue, deniedBy, deniedDetails, flatKey, isS3WriteWithHeaders, MapMemo, namesVersion, s3HeaderBits, s3HeaderSent, timeMs, mapEvent, outcomeOf, partitionOf, type ActionTarget, type MappedEvent, type MapResult } from './map-event.js';
import { lookupAction as defaultLookup } from '../catalog/catalog.js';
import { roleArnFromSessionArn, type NormalisedPrincipal } from './principal.js';
import { isS3ObjectAction, type ActionLookup, type ActionResolution } from './event-actions.js';
import { objectBucketArn, resourcesFor, type ResourceContext } from './resources.js';
import { uuidWords } from './event-id-set.js';
import * as F from './record-scan.js';
import type { CompositeIds, ScannedRecord } from './record-scan.js';

/** What a signature stands for. */
export type SigDef =
  | { kind: 'mapped'; event: CountedEvent }
  | { kind: 'unmapped'; eventSource: string; eventName: string }
  | { kind: 'permissionless' };

export const ID_UUID = 0;
export const ID_OTHER = 1;
export const ID_NONE = 2;

/** One object's (or one page's) events, ready to post to the main thread (typed arrays are transferable). */
export interface EventBatch {
  /** Events in the window. */
  count: number;
  sigs: Uint32Array;
  /** Epoch milliseconds. */
  times: Float64Array;
  /** ID_UUID (4 words in `ids`), ID_OTHER (next string of `otherIds`) or ID_NONE. */
  idKinds: Uint8Array;
  ids: Uint32Array;
  otherIds: string[];
  /**
   * Signatures first used in this batch, each a SigDef as JSON (a string costs the main thread far less to receive
   * and keep than an object graph, and two workers' identical definitions are one string there, see tally.ts);
   * their ids run on from `firstSig`.
   */
  newSigs: string[];
  firstSig: number;
  /** Records read (in the window or not). */
  records: number;
  /** Records read but not mapped: outside the processor's scope (see ProcessorOptions.scope). */
  skipped: number;
  /** Events on S3 objects counted for their bucket only: their key was one too many to keep (MAX_OBJECT_KEYS). */
  folded: number;
  /** Events with a condition-key value left unknown: one too many for its key to keep (MAX_CONTEXT_VALUES). */
  contextNotKept: number;
  badRecords: number;
  /** Problems in reading order, already prefixed with the object's name; capped, see `suppressed`. */
  problems: string[];
  suppressed: number;
  bytes: number;
  accounts: string[];
  regions: string[];
  /** The object could not be read completely (the source becomes partial). */
  incomplete: boolean;
}

export interface ProcessorOptions {
  contextKeys?: readonly string[];
  /** ISO bounds of the window (inclusive). */
  since?: string;
  until?: string;
  lookup?: ActionLookup;
  /**
   * The names the run needs usage for (the change's subjects and the data resources they grant). A record whose
   * text contains none of them, and no backslash (a JSON escape could spell one), cannot be about them: it is
   * counted as read (`skipped`) and not mapped. Only records parsed from CloudTrail's own layout are skipped (see
   * log-object.ts); undefined maps every record.
   */
  scope?: readonly string[];
}

/** True when one record's whole text may be about something in `scope`: it names it, or holds an escape that could. */
export function mayName(text: string, scope: readonly string[]): boolean {
  if (text.includes('\\')) return true;
  for (let i = 0; i < scope.length; i++) if (text.includes(scope[i])) return true;
  return false;
}

const MAX_PROBLEMS_PER_BATCH = 100;
const MAX_LISTED = 1000;

export interface BatchMark {
  count: number;
  otherIds: number;
  problems: number;
  suppressed: number;
  records: number;
  skipped: number;
  folded: number;
  contextNotKept: number;
  badRecords: number;
  incomplete: boolean;
}

/** Collects one batch; arrays grow as records arrive (the count is unknown while streaming). */
export class BatchBuilder {
  count = 0;
  private sigs = new Uint32Array(256);
  private times = new Float64Array(256);
  private idKinds = new Uint8Array(256);
  private ids = new Uint32Array(1024);
  private readonly otherIds: string[] = [];
  readonly problems: string[] = [];
  suppressed = 0;
  records = 0;
  skipped = 0;
  folded = 0;
  contextNotKept = 0;
  badRecords = 0;
  bytes = 0;
  incomplete = false;
  readonly accounts = new Set<string>();
  readonly regions = new Set<string>();
  lastAccount?: string;
  lastRegion?: string;
  private readonly words = new Uint32Array(4);

  constructor(readonly name: string) {}

  problem(message: string, incomplete = true): void {
    if (incomplete) this.incomplete = true;
    if (this.problems.length < MAX_PROBLEMS_PER_BATCH) this.problems.push(`${this.name}: ${message}`);
    else this.suppressed++;
  }

  /** A point to roll back to (see rollback): what a failed fast parse of an object must undo. */
  mark(): BatchMark {
    return { count: this.count, otherIds: this.otherIds.length, problems: this.problems.length, suppressed: this.suppressed, records: this.records, skipped: this.skipped, folded: this.folded, contextNotKept: this.contextNotKept, badRecords: this.badRecords, incomplete: this.incomplete };
  }

  /** Forgets the records added since `m` (accounts and regions seen stay: the same records are read again). */
  rollback(m: BatchMark): void {
    this.count = m.count;
    this.otherIds.length = m.otherIds;
    this.problems.length = m.problems;
    this.suppressed = m.suppressed;
    this.records = m.records;
    this.skipped = m.skipped;
    this.folded = m.folded;
    this.contextNotKept = m.contextNotKept;
    this.badRecords = m.badRecords;
    this.incomplete = m.incomplete;
  }

  push(sig: number, timeMs: number, id: string | undefined): void {
    const i = this.count++;
    if (i === this.sigs.length) this.grow();
    this.sigs[i] = sig;
    this.times[i] = timeMs;
    if (id === undefined) this.idKinds[i] = ID_NONE;
    else if (uuidWords(id, this.words)) {
      this.idKinds[i] = ID_UUID;
      this.ids.set(this.words, i * 4);
    } else {
      this.idKinds[i] = ID_OTHER;
      this.otherIds.push(id);
    }
  }

  /** push() for an id already read as a UUID: its words are `words[at, at + 4)`. */
  pushUuid(sig: number, timeMs: number, words: Uint32Array, at: number): void {
    const i = this.count++;
    if (i === this.sigs.length) this.grow();
    this.sigs[i] = sig;
    this.times[i] = timeMs;
    this.idKinds[i] = ID_UUID;
    const ids = this.ids;
    const j = i * 4;
    ids[j] = words[at];
    ids[j + 1] = words[at + 1];
    ids[j + 2] = words[at + 2];
    ids[j + 3] = words[at + 3];
  }

  private grow(): void {
    const n = this.sigs.length * 2;
    const sigs = new Uint32Array(n);
    sigs.set(this.sigs);
    this.sigs = sigs;
    const times = new Float64Array(n);
    times.set(this.times);
    this.times = times;
    const kinds = new Uint8Array(n);
    kinds.set(this.idKinds);
    this.idKinds = kinds;
    const ids = new Uint32Array(n * 4);
    ids.set(this.ids);
    this.ids = ids;
  }

  /** The batch, its typed arrays copied into buffers of `spare` (given back by the main thread, see BatchBuffers). */
  finish(newSigs: string[], firstSig: number, spare?: BatchBuffers): EventBatch {
    const n = this.count;
    const take = <T extends Uint8Array | Uint32Array | Float64Array>(a: T, len: number, make: (b: ArrayBuffer, len: number) => T): T => {
      const out = make(spare ? spare.take(len * a.BYTES_PER_ELEMENT) : new ArrayBuffer(len * a.BYTES_PER_ELEMENT), len);
      out.set(a.subarray(0, len) as never);
      return out;
    };
    return {
      count: n,
      sigs: take(this.sigs, n, (b, l) => new Uint32Array(b, 0, l)),
      times: take(this.times, n, (b, l) => new Float64Array(b, 0, l)),
      idKinds: take(this.idKinds, n, (b, l) => new Uint8Array(b, 0, l)),
      ids: take(this.ids, n * 4, (b, l) => new Uint32Array(b, 0, l)),
      otherIds: this.otherIds,
      newSigs,
      firstSig,
      records: this.records,
      skipped: this.skipped,
      folded: this.folded,
      contextNotKept: this.contextNotKept,
      badRecords: this.badRecords,
      problems: this.problems,
      suppressed: this.suppressed,
      bytes: this.bytes,
      accounts: [...this.accounts],
      regions: [...this.regions],
      incomplete: this.incomplete,
    };
  }
}

/**
 * Buffers for batches, kept by a worker for reuse: the main thread gives each batch's buffers back once it has
 * counted it (LogReaderPool.release). Allocated by the worker and freed by the main thread, they piled up in the
 * worker's malloc arena until the main thread's rare GCs (its heap allocates little): that arena grew from ~12 to
 * ~25 MB per worker between 1M and 3M events with the answer held fixed, the last memory that grew with the event
 * count. Sizes are powers of two, at most PER_CLASS kept of each.
 */
export class BatchBuffers {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private static readonly PER_CLASS = 16;

  take(bytes: number): ArrayBuffer {
    const size = 2 ** Math.max(10, Math.ceil(Math.log2(Math.max(1, bytes))));
    return this.free.get(size)?.pop() ?? new ArrayBuffer(size);
  }

  give(buffers: ArrayBuffer[]): void {
    for (const b of buffers) {
      const size = b.byteLength;
      // Only buffers this pool made (a power of two of at least 1 KB); anything else is left to the GC.
      if (size < 1024 || (size & (size - 1)) !== 0) continue;
      let list = this.free.get(size);
      if (!list) this.free.set(size, (list = []));
      if (list.length < BatchBuffers.PER_CLASS) list.push(b);
    }
  }
}

/** Buffers a batch's typed arrays, for postMessage's transfer list. */
export function transferables(b: EventBatch): ArrayBuffer[] {
  return [b.sigs.buffer, b.times.buffer, b.idKinds.buffer, b.ids.buffer] as ArrayBuffer[];
}

type Obj = Record<string, unknown>;

/**
 * Distinct S3 object keys kept exact per principal and action, in each worker (in-process: in all). A pipeline
 * that writes a new key per call would otherwise make one usage record per event: 1M such events held 1.4 GB and
 * 3M 4.3 GB. Later keys count for their bucket only (UsageRecord.bucket, resource unknown), as Lake rows do.
 */
export const MAX_OBJECT_KEYS = 1000;

/**
 * Distinct values kept of each condition key the policies test, per principal and action, in each worker: a
 * function outside a VPC calls from ever new AWS addresses (aws:SourceIp), a crawler lists ever new prefixes
 * (s3:prefix). Later values leave the key unknown in the record, never absent: a condition on it is undecided.
 */
export const MAX_CONTEXT_VALUES = 1000;

/** The signatures of one principal and action, and the object keys and condition-key values they keep. */
interface KeptDetails {
  keys: Set<string>;
  /** By condition key (the processor's key order on the fast path, the key itself on the general path). */
  context: Map<string, Set<string>>;
}
/** Flags of an answer kept by composite id (EventProcessor.answers). */
const KEY_FOLDED = 1;
const VALUE_NOT_KEPT = 2;
/**
 * textSignature's answer for a denial: take record() (the general path: the message names the action and the
 * resource). What record() then counts depends only on fields of the record's composite (the message, the request,
 * the caller as the memo resolved it from the composite's identity fields), and on processor state that only grows
 * (signatures never change; folding past the limits never undoes itself), so recordText keeps it by composite id.
 */
const DENIED = -3;

interface FastGroup extends KeptDetails {
  sigs: Map<string, number>;
}

/** Whether `value` is kept (already, or now as one of at most `max`); false: fold it. */
function keep(kept: Set<string>, value: string, max: number): boolean {
  if (kept.has(value)) return true;
  if (kept.size >= max) return false;
  kept.add(value);
  return true;
}

/**
 * mapEvent's targets for textDefine's calls (not denied): the usual S3 call's one target from its bucket and key
 * (resources.ts, s3Resources and objectBucketArn for a plain bucket name in the aws partition), or each action's
 * resources from `rctx`, without an iam:PassRole that names no role when there are other actions.
 */
function textTargets(actions: readonly string[], bucket: string | undefined, rctx: ResourceContext | undefined, key: string | undefined): ActionTarget[] {
  if (bucket !== undefined) {
    const action = actions[0];
    const bucketArn = `arn:aws:s3:::${bucket}`;
    if (!isS3ObjectAction(action)) return [{ action, resources: [bucketArn] }];
    return key !== undefined ? [{ action, resources: [`${bucketArn}/${key}`] }] : [{ action, resources: [], bucket: bucketArn }];
  }
  let targets: ActionTarget[] = [];
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    const resources = resourcesFor(rctx!, action, i);
    const onBucket = resources.length ? undefined : objectBucketArn(rctx!, action, i);
    targets.push(onBucket ? { action, resources, bucket: onBucket } : { action, resources });
  }
  if (targets.length > 1 && targets.some((t) => t.action === 'iam:PassRole' && t.resources.length === 0)) targets = targets.filter((t) => t.action !== 'iam:PassRole' || t.resources.length > 0);
  return targets;
}

/** keep() for a value sliced from a chunk's text: a copy is kept. */
function keepCopy(kept: Set<string>, value: string, max: number): boolean {
  if (kept.has(value)) return true;
  if (kept.size >= max) return false;
  kept.add(copyString(value));
  return true;
}

/** The event without its object key (a copy: records are not changed), for a signature that keeps only the bucket. */
function withoutObjectKey(ev: Obj): Obj {
  const rp = ev.requestParameters as Obj;
  return { ...ev, requestParameters: { ...rp, key: undefined } };
}

/** An object call's targets with their object ARNs folded into the bucket (resources unknown). */
function foldObjectTargets(targets: ActionTarget[]): ActionTarget[] | undefined {
  let folded = false;
  const out = targets.map((t) => {
    if (!isS3ObjectAction(t.action) || t.resources.length === 0) return t;
    const bucket = /^(arn:[^:]+:s3:::[^/]+)\/./.exec(t.resources[0])?.[1];
    if (!bucket || !t.resources.every((r) => r.startsWith(`${bucket}/`))) return t;
    folded = true;
    return { action: t.action, resources: [], bucket };
  });
  return folded ? out : undefined;
}

/** The bucket name when resources.ts would derive the ARNs from bucketName (and key) alone, in the aws partition. */
function simpleBucket(ctx: ResourceContext): string | undefined {
  if (ctx.partition !== 'aws' || ctx.eventName === 'CopyObject' || ctx.eventName === 'UploadPartCopy') return undefined;
  const b = ctx.requestParameters?.bucketName;
  return typeof b === 'string' && b !== '' && !b.includes('/') && !b.startsWith('arn:') ? b : undefined;
}

/**
 * Condition keys whose value recordText reads from the text: the top-level fields the scan notes, and those that
 * depend on the principal alone. The others (aws:userid, aws:username, aws:MultiFactorAuthPresent,
 * aws:SourceIdentity, aws:ViaAWSService, s3:prefix) read inner fields of userIdentity or requestParameters.
 */
const TEXT_CONTEXT_KEYS = new Set([
  'aws:sourceip',
  'aws:requestedregion',
  'aws:sourcevpce',
  'aws:securetransport',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principaltype',
  'aws:principalservicename',
]);

/** s3HeaderBits of a scanned record's requestParameters, from the header slots (record-scan.ts). */
function textHeaderBits(r: ScannedRecord): number {
  let bits = 0;
  for (let slot = F.RP_ACL; slot <= F.RP_GRANT_WRITE_ACP; slot++) {
    if (r.from[slot] >= 0 && textHeaderSent(r, slot)) {
      bits = 1;
      break;
    }
  }
  return r.from[F.RP_TAGGING] >= 0 && textHeaderSent(r, F.RP_TAGGING) ? bits | 2 : bits;
}

/** s3HeaderSent of a present header slot: a string by its text, anything else parsed (rare). */
function textHeaderSent(r: ScannedRecord, slot: number): boolean {
  const v = r.string(slot);
  return v !== undefined ? v !== '' : s3HeaderSent(r.parse(slot));
}

/**
 * A copy of `s` that does not share its characters (a slice of a large string keeps all of it alive). V8 copies a
 * slice under 13 characters anyway; a longer one is prefixed and flattened into a string of its own, then sliced
 * past the prefix (one byte a character stays one: a round trip through UTF-16 made every copy two).
 */
function copyString(s: string): string {
  return s.length < 13 ? s : flatKey(`\u0000${s}`).slice(1);
}

/** What a signature is made from: a mapping's result, or the fields of one that the count keys on (deniedText). */
type Signable =
  | Exclude<MapResult, MappedEvent | { bad: string }>
  | Pick<MappedEvent, 'principal' | 'principalType' | 'account' | 'outcome' | 'errorCode' | 'deniedBy' | 'eventSource' | 'eventName' | 'context' | 'targets'>;

/** Everything the aggregate keys on, as one string (the general path's signature key). */
function signatureKey(m: Signable): string {
  if ('permissionless' in m) return 'p';
  if ('unmapped' in m) return `u\u0000${m.unmapped.eventSource}\u0000${m.unmapped.eventName}`;
  let key = `m\u0000${m.principal}\u0000${m.principalType}\u0000${m.account ?? ''}\u0000${m.outcome}\u0000${m.errorCode ?? ''}\u0000${m.deniedBy ?? ''}\u0000${m.eventSource}\u0000${m.eventName}`;
  for (const k in m.context) key += `\u0001${k}=${m.context[k]}`;
  for (const t of m.targets) {
    key += `\u0002${t.action}`;
    for (const r of t.resources) key += `\u0003${r}`;
    if (t.bucket) key += `\u0004${t.bucket}`;
  }
  return key;
}

/** Maps records and interns their signatures. One per worker (or one in-process). Not thread-safe, not needed. */
export class EventProcessor {
  private readonly memo = new MapMemo();
  private minute = '';
  private minuteMs = 0;
  /** Fast-path signatures: principal -> action resolution -> rest of the key (see fastSignature). */
  private readonly fast = new Map<NormalisedPrincipal, Map<ActionResolution, FastGroup>>();
  private readonly sigIds = new Map<string, number>();
  /** General-path object keys and condition-key values kept, per principal and action. */
  private readonly generalKept = new Map<string, KeptDetails>();

  private readonly pendingSigs: string[] = [];
  private nextSig = 0;
  private readonly contextKeys: ReadonlySet<string>;
  private readonly contextKeyList: readonly string[];
  /** Every condition key can be read from a scanned record's text (else recordText parses every record). */
  private readonly textContext: boolean;
  private readonly ipMemo = new Map<string, boolean>();
  private readonly sinceMs: number;
  private readonly untilMs: number;
  private readonly lookup?: ActionLookup;
  /** ProcessorOptions.scope, without empty names; undefined: map every record. */
  readonly scope?: readonly string[];

  constructor(opts: ProcessorOptions = {}) {
    this.contextKeys = new Set((opts.contextKeys ?? []).map((k) => k.toLowerCase()));
    this.contextKeyList = [...this.contextKeys];
    this.textContext = this.contextKeyList.every((k) => TEXT_CONTEXT_KEYS.has(k));
    const unread = (key: string, slot: number) => (this.contextKeys.has(key) ? 0 : 1 << slot);
    this.compositeWithout = unread('aws:sourceip', F.SOURCE_IP_ADDRESS) | unread('aws:sourcevpce', F.VPC_ENDPOINT_ID) | unread('aws:securetransport', F.TLS_DETAILS);
    this.sinceMs = opts.since ? Date.parse(opts.since) : -Infinity;
    this.untilMs = opts.until ? Date.parse(opts.until) : Infinity;
    this.lookup = opts.lookup;
    this.scope = opts.scope ? [...new Set(opts.scope.filter((n) => typeof n === 'string' && n !== ''))] : undefined;
  }

  /** Adds one record (already known to be a JSON object) to the batch: its signature, or -1 when none was counted. */
  record(ev: Obj, b: BatchBuilder): number {
    b.records++;
    this.origin(ev, b);
    const t = this.time(ev.eventTime ?? ev['@timestamp']);
    if (t < this.sinceMs || t > this.untilMs) return -1;
    let sig = t === t ? this.fastSignature(ev, b) : -1;
    if (sig < 0) {
      const mapped = mapEvent(ev, this.lookup, { contextKeys: this.contextKeys, memo: this.memo });
      if ('bad' in mapped) {
        b.badRecords++;
        b.problem(mapped.bad);
        return -1;
      }
      sig = this.signature(mapped, b);
    }
    // Cross-account calls reach both accounts' trails under one sharedEventID: count them once.
    const shared = ev.sharedEventID;
    const eventId = typeof shared === 'string' && shared !== '' ? shared : typeof ev.eventID === 'string' && ev.eventID !== '' ? ev.eventID : undefined;
    b.push(sig, t, eventId);
    return sig;
  }

  /**
   * record() for a record scanned from text (record-scan.ts), with the same result: a common event whose action,
   * principal and signature key are known already takes fastSignature's path on the text, without being built;
   * anything else (escapes, a field of an unusual type, a first sighting, the general path) is parsed and goes
   * through record(). JSON.parse may throw (a raw control character the scan does not look for): the caller's to
   * handle, as for a chunk that does not parse. Strings sliced from the text must not be kept past the record (a slice
   * keeps its whole chunk alive): memos are only looked up here, never added to (copyString where one must be).
   */
  recordText(r: ScannedRecord, b: BatchBuilder): void {
    this.textKeyFolded = false;
    this.textValueNotKept = false;
    let sig = r.escaped ? -2 : this.textSignature(r);
    if (sig === -2 || sig === DENIED) {
      const folded = b.folded;
      const notKept = b.contextNotKept;
      // A denial the message names the action of is signed from the text (deniedText); any other through record().
      const fromText = sig === DENIED ? this.deniedText(r, b) : -2;
      const counted = fromText >= 0 ? fromText : this.record(JSON.parse(r.source()) as Obj, b);
      // A denial's signature is a function of its composite too (see DENIED): kept for the next equal one, with
      // whether its object key or a condition-key value was folded.
      const cid = this.deniedCid;
      if (sig === DENIED && counted >= 0 && counted < 2 ** 29 && cid > 0 && r.composites !== undefined) {
        this.answers[cid] = counted * 4 + (b.folded > folded ? KEY_FOLDED : 0) + (b.contextNotKept > notKept ? VALUE_NOT_KEPT : 0);
        this.answerEpochs[cid] = r.composites.epoch;
      }
      if (fromText < 0) return;
      // Counted below as any record answered from its text; signature() counted its folding on `b` already.
      sig = fromText;
    }
    if (this.textKeyFolded) b.folded++;
    if (this.textValueNotKept) b.contextNotKept++;
    b.records++;
    this.originText(r, b);
    if (sig === -1) return; // outside the window
    // The id: sharedEventID, else eventID; as words when the scanner read it as a UUID.
    const uuids = r.uuids;
    if (uuids !== undefined && (uuids[0] & 2) !== 0) return b.pushUuid(sig, this.textTime, uuids, 5);
    const shared = r.string(F.SHARED_EVENT_ID);
    if (shared !== undefined && shared !== '') return b.push(sig, this.textTime, shared);
    if (uuids !== undefined && (uuids[0] & 1) !== 0) return b.pushUuid(sig, this.textTime, uuids, 1);
    const id = r.string(F.EVENT_ID);
    b.push(sig, this.textTime, id !== undefined && id !== '' ? id : undefined);
  }

  /** skip() for a scanned record. */
  skipText(r: ScannedRecord, b: BatchBuilder): void {
    b.records++;
    b.skipped++;
    this.originText(r, b);
  }

  private originText(r: ScannedRecord, b: BatchBuilder): void {
    if (b.lastAccount === undefined || !r.stringIs(F.RECIPIENT_ACCOUNT_ID, b.lastAccount)) {
      const account = r.string(F.RECIPIENT_ACCOUNT_ID);
      if (account !== undefined && account !== b.lastAccount && b.accounts.size < MAX_LISTED) b.accounts.add((b.lastAccount = account));
    }
    if (b.lastRegion === undefined || !r.stringIs(F.AWS_REGION, b.lastRegion)) {
      const region = r.string(F.AWS_REGION);
      if (region !== undefined && region !== b.lastRegion && b.regions.size < MAX_LISTED) b.regions.add((b.lastRegion = region));
    }
  }

  /** The event time textSignature read (epoch ms), and whether it folded an object key or a condition-key value. */
  private textTime = 0;
  private textKeyFolded = false;
  private textValueNotKept = false;

  /**
   * fastSignature on the text, only where its answer is known: the action and principal memoised, the key among the
   * group's signatures. -1: outside the window; -2: take record() (parse the record). Adds nothing anywhere (a new
   * group's empty maps aside): record() then does it all once.
   */
  private textSignature(r: ScannedRecord): number {
    if (!this.textContext) return -2;
    let t = r.eventTime !== undefined ? r.eventTime[0] : NaN;
    if (t !== t) {
      const rawTime = r.string(F.EVENT_TIME);
      if (rawTime === undefined) return -2;
      t = this.time(rawTime);
      if (t !== t) return -2;
    }
    this.textTime = t;
    if (t < this.sinceMs || t > this.untilMs) return -1;
    // What follows reads only the fields of the record's composite (wasm/record-scan.ts): an answer given before for
    // an equal composite is given again, without reading them.
    const composites = r.composites;
    let cid = 0;
    if (composites !== undefined) {
      cid = composites.compositeId(this.compositeWithout);
      if (composites !== this.answersOf) this.answersFor(composites);
      // Only an answer given in this epoch: an id of an earlier one named another composite. (Tagging answers with
      // their epoch, rather than clearing them when it changes, leaves no branch that first runs ~30k records in,
      // which would make V8 throw this function's optimised code away for lack of type feedback.)
      if (this.answerEpochs[cid] === composites.epoch) {
        const a = this.answers[cid];
        this.textKeyFolded = (a & KEY_FOLDED) !== 0;
        this.textValueNotKept = (a & VALUE_NOT_KEPT) !== 0;
        return a >>> 2;
      }
    }
    const eventSource = r.string(F.EVENT_SOURCE);
    const eventName = r.string(F.EVENT_NAME);
    if (eventSource === undefined || eventName === undefined || eventSource === '' || eventName === '') return -2;
    // Sign-ins, insights and calls no policy governs: mapEvent's first answer, whoever the caller (the general path).
    if (r.stringIs(F.EVENT_TYPE, 'AwsConsoleSignIn') || r.stringIs(F.EVENT_TYPE, 'AwsCloudTrailInsight')) return this.sigIds.get('p') ?? -2;
    const resolved = this.memo.knownActions(eventSource, eventName);
    if (resolved === undefined) return -2;
    if ('permissionless' in resolved) return this.sigIds.get('p') ?? -2;
    // The principal: the memo's common shapes only (MapMemo.principal).
    if (!r.isObject(F.USER_IDENTITY)) return -2;
    const uiArn = r.string(F.UI_ARN);
    const principal = this.textPrincipal(r, uiArn);
    if (!principal) return -2;
    if (eventName === 'ExecuteStatement' && eventSource === 'dynamodb.amazonaws.com') return -2;
    let rest = '';
    let region: string | undefined;
    // Where the S3 object key lies in `rest` (-1: none), as in fastSignature.
    let keyStart = -1;
    let key = '';
    // The outcome and error code, for textDefine: mapEvent's (an empty code is none).
    let outcome: MappedEvent['outcome'] = 'allowed';
    let errorCode: string | undefined;
    if (r.has(F.ERROR_CODE)) {
      const code = r.string(F.ERROR_CODE);
      if (code === undefined) return -2;
      if (code !== '') {
        const message = r.string(F.ERROR_MESSAGE);
        if (message === undefined && r.has(F.ERROR_MESSAGE)) return -2;
        outcome = outcomeOf(code, message);
        if (outcome === 'denied') {
          // The general path (the message names the action and resource), whose answer recordText keeps by composite;
          // what deniedText needs of the record, known here already.
          this.deniedCid = cid;
          this.denial = { eventSource, eventName, principal, uiArn, errorCode: code, message };
          return DENIED;
        }
        errorCode = code;
        rest = `${outcome}\u0000${code}`;
      }
    }
    // After the denials: a caller denied an action has no fast-path group for it (fastSignature makes none).
    const group = this.fast.get(principal)?.get(resolved);
    if (group === undefined) return -2;
    // The usual S3 call without ACL or tagging headers: a new key of it is defined from the text (textDefine).
    let simpleBucket: string | undefined;
    let headers = false;
    // Any other service's call: its resources' context, for textDefine.
    let general: ResourceContext | undefined;
    if ('actions' in resolved) {
      if (eventSource === 's3.amazonaws.com') {
        // A call on an object version maps to another action (mapEvent): never answered from the text.
        if (r.has(F.RP_VERSION_ID)) return -2;
        // A write with ACL or tagging headers: fastSignature's marker (s3HeaderBits), from the headers' slots.
        if (isS3WriteWithHeaders(eventName)) {
          const bits = textHeaderBits(r);
          if (bits !== 0) rest += `\u000b${bits}`;
          headers = bits !== 0;
        }
      }
      region = r.string(F.AWS_REGION);
      if (region === undefined && r.has(F.AWS_REGION)) return -2;
      const actions = resolved.actions;
      const partition = partitionOf(region || undefined, uiArn || undefined);
      const rpObject = r.isObject(F.REQUEST_PARAMETERS);
      const bucket = r.string(F.RP_BUCKET_NAME);
      if (
        eventSource === 's3.amazonaws.com' &&
        actions.length === 1 &&
        partition === 'aws' &&
        eventName !== 'CopyObject' &&
        eventName !== 'UploadPartCopy' &&
        rpObject &&
        bucket !== undefined &&
        bucket !== '' &&
        !bucket.includes('/') &&
        !bucket.startsWith('arn:')
      ) {
        // fastSignature's usual S3 call (simpleBucket).
        if (!headers && actions[0].startsWith('s3:')) simpleBucket = bucket;
        const k = r.string(F.RP_KEY);
        if (!isS3ObjectAction(actions[0])) rest += `\u0002\u0004${bucket}`;
        else if (k !== undefined && k !== '') {
          rest += `\u0002\u0004${bucket}\u0005${k}`;
          keyStart = rest.length - k.length;
          key = k;
        } else rest += `\u0002\u0004${bucket}\u0005\u0006`;
      } else {
        const requestParameters = rpObject ? (r.parse(F.REQUEST_PARAMETERS) as Obj) : undefined;
        // A copy of one version of an object reads it as s3:GetObjectVersion: mapEvent's to decide.
        if (eventSource === 's3.amazonaws.com' && namesVersion(eventName, requestParameters)) return -2;
        const rctx: ResourceContext = {
          eventSource,
          eventName,
          partition,
          region: region || undefined,
          account: principal.account,
          requestParameters,
          // Parsed even when resourcesFor will not read it: a getter here (one shape of ResourceContext more, a closure
          // per record) made the whole read ~10% slower and its peak RSS 20-40 MB higher.
          resources: r.parse(F.RESOURCES),
        };
        for (let i = 0; i < actions.length; i++) {
          rest += '\u0002';
          for (const res of resourcesFor(rctx, actions[i], i)) rest += `\u0003${res}`;
        }
        if (eventSource !== 's3.amazonaws.com') general = rctx;
      }
      const keys = this.contextKeyList;
      for (let i = 0; i < keys.length; i++) {
        const v = this.contextText(r, region, principal, keys[i]);
        rest += `\u0001${v ?? '\u0007'}`;
      }
    }
    const found = group.sigs.get(rest);
    let sig = found !== undefined ? found : 'actions' in resolved ? this.textFolded(r, region, principal, group, rest, keyStart, key) : -2;
    if (sig === -2 && (simpleBucket !== undefined || general !== undefined) && 'actions' in resolved) {
      sig = this.textDefine(r, region, principal, group, rest, keyStart, key, { eventSource, eventName, actions: resolved.actions, bucket: simpleBucket, rctx: general, outcome, errorCode });
    }
    // Kept once the group defines it: a signature never changes, and folding, once the limits are reached, neither.
    if (cid > 0 && sig >= 0 && sig < 2 ** 29) {
      this.answers[cid] = sig * 4 + (this.textKeyFolded ? KEY_FOLDED : 0) + (this.textValueNotKept ? VALUE_NOT_KEPT : 0);
      this.answerEpochs[cid] = composites!.epoch;
    }
    return sig;
  }

  /**
   * textSignature's answers by composite id (see record-scan-wasm.ts): the signature times 4 plus KEY_FOLDED and
   * VALUE_NOT_KEPT, valid where `answerEpochs` holds the scanner's current epoch (-1: none; index 0, no id, is never
   * set).
   */
  private answers = new Int32Array(0);
  private answerEpochs = new Int32Array(0);
  /** The composite id of the denial textSignature last answered DENIED. */
  private deniedCid = 0;
  /**
   * Slots (bit = slot number) textSignature never reads with this processor's condition keys, left out of
   * composites: a source address, VPC endpoint or TLS detail no policy tests would make every caller's calls
   * from new addresses miss.
   */
  private readonly compositeWithout: number;
  private answersOf: CompositeIds | undefined;

  /** Answers for another scanner (its ids mean nothing to the last one's). */
  private answersFor(composites: CompositeIds): void {
    if (this.answers.length <= composites.maxId) {
      this.answers = new Int32Array(composites.maxId + 1);
      this.answerEpochs = new Int32Array(composites.maxId + 1);
    }
    this.answerEpochs.fill(-1);
    this.answersOf = composites;
  }

  /** The composite id of the denial textSignature last answered DENIED, and what it had read of it. */
  private denial?: { eventSource: string; eventName: string; principal: NormalisedPrincipal; uiArn: string | undefined; errorCode: string; message: string | undefined };

  /**
   * A denial's signature from the text, when its message names the action IAM checked (then mapEvent maps the call
   * to that action alone, on the resource the message names or else the request's): the same fields mapEvent gives
   * the general path's signature(), without parsing the record or mapping it (~11 µs a denial in the bench's logs).
   * -2: record() decides (no action named, or one the catalogue does not know). Values that signature() may keep
   * (condition-key values) are copies.
   */
  private deniedText(r: ScannedRecord, b: BatchBuilder): number {
    const d = this.denial;
    if (d === undefined) return -2;
    this.denial = undefined;
    const details = deniedDetails(d.message);
    const action = details.action ? (this.lookup ?? defaultLookup)(details.action)?.id : undefined;
    if (action === undefined) return -2;
    const region = r.string(F.AWS_REGION);
    if (region === undefined && r.has(F.AWS_REGION)) return -2;
    const rctx: ResourceContext = {
      eventSource: d.eventSource,
      eventName: d.eventName,
      partition: partitionOf(region || undefined, d.uiArn || undefined),
      region: region || undefined,
      account: d.principal.account,
      requestParameters: r.isObject(F.REQUEST_PARAMETERS) ? (r.parse(F.REQUEST_PARAMETERS) as Obj) : undefined,
      resources: r.parse(F.RESOURCES),
    };
    const resources = details.resource ? [details.resource] : resourcesFor(rctx, action, 0);
    const bucket = resources.length ? undefined : objectBucketArn(rctx, action, 0);
    const context: Record<string, string> = {};
    const keys = this.contextKeyList;
    for (let i = 0; i < keys.length; i++) {
      const v = this.contextText(r, region, d.principal, keys[i]);
      if (v !== undefined) context[keys[i]] = copyString(v);
    }
    const m: Signable = {
      principal: d.principal.principal,
      principalType: d.principal.type,
      account: d.principal.account,
      outcome: 'denied',
      errorCode: d.errorCode,
      eventSource: d.eventSource,
      eventName: d.eventName,
      context,
      targets: [bucket ? { action, resources, bucket } : { action, resources }],
    };
    const by = deniedBy(d.message);
    if (by) m.deniedBy = by;
    return this.signature(m, b);
  }

  /**
   * defineFast from the text, for a call that is not denied and is either the usual S3 call (one S3 action on a
   * bucket named plainly, in the aws partition, no ACL or tagging headers: `bucket`) or any other service's
   * (`rctx`, its resources' context as textSignature made it): keeps the new object key and condition-key values
   * (or folds them past the limits), then defines the signature as mapEvent would map the call, without parsing the
   * record. In the bench's logs ~5% of records are a new key or value: each cost ~11 µs through record() (the whole
   * record parsed, then mapped). Strings kept (keys, values) are copies: slices would keep the chunk's text alive.
   */
  private textDefine(
    r: ScannedRecord,
    region: string | undefined,
    principal: NormalisedPrincipal,
    group: FastGroup,
    rest: string,
    keyStart: number,
    key: string,
    call: {
      eventSource: string;
      eventName: string;
      actions: readonly string[];
      bucket: string | undefined;
      rctx: ResourceContext | undefined;
      outcome: MappedEvent['outcome'];
      errorCode: string | undefined;
    },
  ): number {
    const keys = this.contextKeyList;
    const context: Record<string, string> = {};
    let valueNotKept = false;
    if (keys.length > 0) {
      // The values end `rest`, in key order; folded from the last, so earlier positions stay right (as defineFast).
      const values: Array<string | undefined> = [];
      for (let i = 0; i < keys.length; i++) values.push(this.contextText(r, region, principal, keys[i]));
      let end = rest.length;
      const kept: boolean[] = [];
      for (let i = keys.length - 1; i >= 0; i--) {
        const v = values[i];
        const start = end - (v ?? '\u0007').length;
        end = start - 1;
        if (v === undefined) continue;
        let inKey = group.context.get(keys[i]);
        if (!inKey) group.context.set(keys[i], (inKey = new Set()));
        if (keepCopy(inKey, v, MAX_CONTEXT_VALUES)) {
          kept[i] = true;
          continue;
        }
        rest = `${rest.slice(0, start)}\u0007${rest.slice(start + v.length)}`;
        valueNotKept = true;
      }
      // mapEvent's context: the keys in order, each value the event has (and that is kept).
      for (let i = 0; i < keys.length; i++) if (kept[i]) context[keys[i]] = copyString(values[i]!);
    }
    let keyFolded = false;
    if (keyStart >= 0 && !keepCopy(group.keys, key, MAX_OBJECT_KEYS)) {
      rest = `${rest.slice(0, keyStart)}\u0008${rest.slice(keyStart + key.length)}`;
      keyFolded = true;
    }
    this.textKeyFolded = keyFolded;
    this.textValueNotKept = valueNotKept;
    if (keyFolded || valueNotKept) {
      const sig = group.sigs.get(rest);
      if (sig !== undefined) return sig;
    }
    const sig = this.defineCounted({
      principal: principal.principal,
      principalType: principal.type,
      account: principal.account,
      targets: textTargets(call.actions, call.bucket, call.rctx, keyStart >= 0 && !keyFolded ? key : undefined),
      outcome: call.outcome,
      errorCode: call.errorCode,
      eventSource: call.eventSource,
      eventName: call.eventName,
      context,
    });
    group.sigs.set(flatKey(rest), sig);
    return sig;
  }

  /**
   * defineFast's folding, for a key textSignature did not find, where it only folds: past the limits an object key
   * counts for its bucket and a condition-key value becomes unknown (a pipeline writing a new key per call, a function
   * calling from ever new addresses: every later event lands here). -2 where defineFast would keep a new key or value,
   * or define a signature. Sets textKeyFolded / textValueNotKept for recordText to count.
   */
  private textFolded(r: ScannedRecord, region: string | undefined, principal: NormalisedPrincipal, group: FastGroup, rest: string, keyStart: number, key: string): number {
    const keys = this.contextKeyList;
    let valueNotKept = false;
    if (keys.length > 0) {
      // The values end `rest`, in key order; folded from the last, so earlier positions stay right (as defineFast).
      const values: Array<string | undefined> = [];
      for (let i = 0; i < keys.length; i++) values.push(this.contextText(r, region, principal, keys[i])); // a loop: see defineFast
      let end = rest.length;
      for (let i = keys.length - 1; i >= 0; i--) {
        const v = values[i];
        const start = end - (v ?? '\u0007').length;
        end = start - 1;
        if (v === undefined) continue;
        const kept = group.context.get(keys[i]);
        if (kept?.has(v)) continue;
        if (kept === undefined || kept.size < MAX_CONTEXT_VALUES) return -2;
        rest = `${rest.slice(0, start)}\u0007${rest.slice(start + v.length)}`;
        valueNotKept = true;
      }
    }
    let keyFolded = false;
    if (keyStart >= 0 && !group.keys.has(key)) {
      if (group.keys.size < MAX_OBJECT_KEYS) return -2;
      rest = `${rest.slice(0, keyStart)}\u0008${rest.slice(keyStart + key.length)}`;
      keyFolded = true;
    }
    if (!valueNotKept && !keyFolded) return -2;
    const sig = group.sigs.get(rest);
    if (sig === undefined) return -2;
    this.textKeyFolded = keyFolded;
    this.textValueNotKept = valueNotKept;
    return sig;
  }

  /**
   * MapMemo.principal for a scanned record, when memoised: AssumedRole and IAMUser by their two strings, the other
   * types (AWS services, other accounts, sessions without an issuer) by identityKey's key built from the text.
   */
  private textPrincipal(r: ScannedRecord, uiArn: string | undefined): NormalisedPrincipal | null | undefined {
    const accountId = r.string(F.UI_ACCOUNT_ID);
    const type = r.string(F.UI_TYPE);
    if ((type === 'AssumedRole' || type === 'IAMUser') && accountId !== undefined && accountId !== '') {
      const keyArn = type === 'IAMUser' ? uiArn : r.string(F.UI_ISSUER_ARN);
      if (keyArn !== undefined && keyArn !== '') return this.memo.knownPrincipal(type, keyArn, accountId);
    }
    if (type === 'SAMLUser' || type === 'WebIdentityUser' || type === 'IdentityCenterUser') return undefined;
    const k = (slot: number) => {
      const v = r.string(slot);
      return v !== undefined ? v : r.has(slot) ? '\u0002' : '\u0001';
    };
    if (type === 'AssumedRole' && uiArn !== undefined && !r.string(F.UI_ISSUER_ARN)) {
      const role = roleArnFromSessionArn(uiArn);
      if (role) return this.memo.knownPrincipalByKey(`A\u0000${role}\u0000${k(F.UI_ACCOUNT_ID)}`);
    }
    return this.memo.knownPrincipalByKey(
      `*\u0000${k(F.UI_TYPE)}\u0000${k(F.UI_ARN)}\u0000${k(F.UI_ACCOUNT_ID)}\u0000${k(F.UI_ISSUER_ARN)}\u0000${k(F.UI_INVOKED_BY)}\u0000${k(F.UI_IDENTITY_PROVIDER)}\u0000\u0000`,
    );
  }

  /** contextValue for the keys textContext allows, from the text. */
  private contextText(r: ScannedRecord, region: string | undefined, principal: NormalisedPrincipal, key: string): string | undefined {
    switch (key) {
      case 'aws:sourceip': {
        const source = r.string(F.SOURCE_IP_ADDRESS);
        if (source === undefined || source === '') return undefined;
        const ok = this.ipMemo.get(source);
        if (ok !== undefined) return ok ? source : undefined;
        // A copy for the memo to keep (a slice would keep its chunk of text alive).
        return contextValue({ sourceIPAddress: copyString(source) }, {}, principal, key, this.ipMemo) === undefined ? undefined : source;
      }
      case 'aws:requestedregion':
        return region || undefined;
      case 'aws:sourcevpce':
        return r.string(F.VPC_ENDPOINT_ID) || undefined;
      case 'aws:securetransport':
        return r.isObject(F.TLS_DETAILS) ? 'true' : undefined;
    }
    // The keys that read the principal only.
    return contextValue({}, {}, principal, key);
  }

  /** A record outside the scope: read (its account and region are listed) but not mapped or counted. */
  skip(ev: Obj, b: BatchBuilder): void {
    b.records++;
    b.skipped++;
    this.origin(ev, b);
  }

  /** Notes the account and region a record was delivered for (the report lists what was read). */
  private origin(ev: Obj, b: BatchBuilder): void {
    const account = ev.recipientAccountId;
    if (typeof account === 'string' && account !== b.lastAccount && b.accounts.size < MAX_LISTED) b.accounts.add((b.lastAccount = account));
    const region = ev.awsRegion;
    if (typeof region === 'string' && region !== b.lastRegion && b.regions.size < MAX_LISTED) b.regions.add((b.lastRegion = region));
  }

  /** timeMs, with the minute cached: a log object's events are minutes apart at most, mostly seconds. */
  private time(raw: unknown): number {
    if (typeof raw === 'string' && raw.length === 20 && this.minute !== '' && raw.startsWith(this.minute)) {
      const a = raw.charCodeAt(17) - 48;
      const b = raw.charCodeAt(18) - 48;
      if (raw.charCodeAt(16) === 58 && raw.charCodeAt(19) === 90 && a >= 0 && a <= 6 && b >= 0 && b <= 9 && a * 10 + b <= 60) return this.minuteMs + (a * 10 + b) * 1000;
    }
    const t = timeMs(raw);
    if (t === t && typeof raw === 'string' && raw.length === 20) {
      this.minute = raw.slice(0, 16);
      this.minuteMs = t - ((raw.charCodeAt(17) - 48) * 10 + raw.charCodeAt(18) - 48) * 1000;
    }
    return t;
  }

  /**
   * The signature of a common event without building its MappedEvent: keyed on the memo's (canonical) principal and
   * action resolution plus the outcome, per-action resources and context values, i.e. on everything mapEvent's
   * result depends on. The first event of a new key is mapped in full to define it. -1: take the general path
   * (denials, whose message names the action; PartiQL; anything odd).
   */
  private fastSignature(ev: Obj, b: BatchBuilder): number {
    const eventSource = ev.eventSource;
    const eventName = ev.eventName;
    if (typeof eventSource !== 'string' || typeof eventName !== 'string' || eventSource === '' || eventName === '') return -1;
    const eventType = ev.eventType;
    if (eventType === 'AwsConsoleSignIn' || eventType === 'AwsCloudTrailInsight') return -1;
    const lookup = this.lookup ?? defaultLookup;
    const resolved = this.memo.resolve(eventSource, eventName, lookup);
    if ('permissionless' in resolved) return -1;
    const ui = ev.userIdentity;
    if (ui === null || typeof ui !== 'object' || Array.isArray(ui)) return -1;
    const principal = this.memo.principal(ui as Obj);
    if (!principal) return -1;
    if (eventName === 'ExecuteStatement' && eventSource === 'dynamodb.amazonaws.com') return -1;
    const errorCode = typeof ev.errorCode === 'string' && ev.errorCode !== '' ? ev.errorCode : undefined;
    let rest = '';
    // Where the S3 object key lies in `rest` (-1: none), to fold it when a group holds MAX_OBJECT_KEYS already.
    let keyStart = -1;
    let key = '';
    // Whether `rest` ends with the condition-key values (defineFast finds them again there, see MAX_CONTEXT_VALUES).
    let withContext = false;
    // Any other S3 call (a copy, another partition): where its resources lie in `rest`, to fold object ARNs there.
    let s3Section: { start: number; end: number; rctx: ResourceContext; actions: string[] } | undefined;
    if (errorCode) {
      const outcome = outcomeOf(errorCode, typeof ev.errorMessage === 'string' ? ev.errorMessage : undefined);
      if (outcome === 'denied') return -1;
      rest = `${outcome}\u0000${errorCode}`;
    }
    if ('actions' in resolved) {
      const region = typeof ev.awsRegion === 'string' && ev.awsRegion !== '' ? ev.awsRegion : undefined;
      const rp = ev.requestParameters;
      // A call on an object version (or a copy of one) maps to another action: mapEvent decides, on the general path.
      if (eventSource === 's3.amazonaws.com' && rp !== null && typeof rp === 'object' && !Array.isArray(rp)) {
        if (namesVersion(eventName, rp as Obj)) return -1;
        // A write that sets the object's ACL or tags (headers) is also s3:PutObjectAcl / s3:PutObjectTagging.
        if (isS3WriteWithHeaders(eventName)) {
          const bits = s3HeaderBits(rp as Obj);
          if (bits !== 0) rest += `\u000b${bits}`;
        }
      }
      const arn = (ui as Obj).arn;
      const rctx: ResourceContext = {
        eventSource,
        eventName,
        partition: partitionOf(region, typeof arn === 'string' && arn !== '' ? arn : undefined),
        region,
        account: principal.account,
        requestParameters: rp !== null && typeof rp === 'object' && !Array.isArray(rp) ? (rp as Obj) : undefined,
        resources: ev.resources,
      };
      const actions = resolved.actions;
      const bucket = eventSource === 's3.amazonaws.com' && actions.length === 1 ? simpleBucket(rctx) : undefined;
      if (bucket !== undefined) {
        // The usual S3 call: its resource is the bucket, or bucket/key for object actions (resources.ts): key on
        // the raw strings instead of building the ARN.
        const k = rctx.requestParameters!.key;
        if (!isS3ObjectAction(actions[0])) rest += `\u0002\u0004${bucket}`;
        else if (typeof k === 'string' && k !== '') {
          rest += `\u0002\u0004${bucket}\u0005${k}`;
          keyStart = rest.length - k.length;
          key = k;
        } else rest += `\u0002\u0004${bucket}\u0005\u0006`;
      } else {
        const start = rest.length;
        for (let i = 0; i < actions.length; i++) {
          rest += '\u0002';
          for (const r of resourcesFor(rctx, actions[i], i)) rest += `\u0003${r}`;
        }
        if (eventSource === 's3.amazonaws.com') s3Section = { start, end: rest.length, rctx, actions };
      }
      // Context values in the processor's key order (positions say which key), without building an object.
      const keys = this.contextKeyList;
      for (let i = 0; i < keys.length; i++) {
        const v = contextValue(ev, ui as Obj, principal, keys[i], this.ipMemo);
        rest += `\u0001${v ?? '\u0007'}`;
      }
      withContext = keys.length > 0;
    }
    let byAction = this.fast.get(principal);
    if (!byAction) this.fast.set(principal, (byAction = new Map()));
    let group = byAction.get(resolved);
    if (!group) byAction.set(resolved, (group = { sigs: new Map(), keys: new Set(), context: new Map() }));
    const sig = group.sigs.get(rest);
    return sig !== undefined ? sig : this.defineFast(ev, ui as Obj, principal, b, group, rest, keyStart, key, withContext, s3Section);
  }

  /**
   * fastSignature's new key (rare: kept out of the hot function, which stays small enough to optimise well): past
   * the limits, from the end of the key backwards (positions before a change stay right), a condition-key value
   * becomes unknown (\u0007, as when the event has none) and object keys count for their bucket (\u0008); then the
   * signature is defined from the full mapping. (Another key may map the same way, e.g. after the memo was cleared;
   * that only means two signatures for one record, which the aggregator adds up.)
   */
  private defineFast(
    ev: Obj,
    ui: Obj,
    principal: NormalisedPrincipal,
    b: BatchBuilder,
    group: FastGroup,
    rest: string,
    keyStart: number,
    key: string,
    withContext: boolean,
    s3Section: { start: number; end: number; rctx: ResourceContext; actions: string[] } | undefined,
  ): number {
    let source = ev;
    let folded = false;
    let unknownKeys: string[] | undefined;
    const keys = this.contextKeyList;
    if (withContext) {
      // The values end `rest`, in key order: computed again here, which the hot path need not track (tracking their
      // positions for every event cost ~3%).
      // Loops, not Array#map and #reduce (see mapEvent's targets: V8 threw this function's optimised code away).
      const values: Array<string | undefined> = [];
      let length = 0;
      for (let i = 0; i < keys.length; i++) {
        const v = contextValue(ev, ui, principal, keys[i], this.ipMemo);
        values.push(v);
        length += 1 + (v ?? '\u0007').length;
      }
      const starts: number[] = [];
      let at = rest.length - length;
      for (let i = 0; i < values.length; i++) {
        starts.push(at + 1);
        at += 1 + (values[i] ?? '\u0007').length;
      }
      for (let i = keys.length - 1; i >= 0; i--) {
        const v = values[i];
        if (v === undefined) continue;
        let kept = group.context.get(keys[i]);
        if (!kept) group.context.set(keys[i], (kept = new Set()));
        if (keep(kept, v, MAX_CONTEXT_VALUES)) continue;
        rest = `${rest.slice(0, starts[i])}\u0007${rest.slice(starts[i] + v.length)}`;
        (unknownKeys ??= []).push(keys[i]);
      }
    }
    if (unknownKeys) {
      b.contextNotKept++;
      folded = true;
    }
    if (keyStart >= 0 && !keep(group.keys, key, MAX_OBJECT_KEYS)) {
      b.folded++;
      rest = `${rest.slice(0, keyStart)}\u0008${rest.slice(keyStart + key.length)}`;
      source = withoutObjectKey(source);
      folded = true;
    }
    let onBucket: ActionTarget[] | undefined;
    if (s3Section) {
      const { start, end, rctx, actions } = s3Section;
      const targets = actions.map((action, i) => ({ action, resources: resourcesFor(rctx, action, i) }));
      const folding = foldObjectTargets(targets);
      if (folding && !keep(group.keys, targets.flatMap((t) => t.resources).join('\u0003'), MAX_OBJECT_KEYS)) {
        b.folded++;
        onBucket = folding;
        const section = folding.map((t) => `\u0002${t.bucket ? `\u0004${t.bucket}\u0008` : t.resources.map((r) => `\u0003${r}`).join('')}`).join('');
        rest = `${rest.slice(0, start)}${section}${rest.slice(end)}`;
        folded = true;
      }
    }
    if (folded) {
      const sig = group.sigs.get(rest);
      if (sig !== undefined) return sig;
    }
    const mapped = mapEvent(source, this.lookup, { contextKeys: this.contextKeys, memo: this.memo });
    if ('bad' in mapped) return -1;
    if (unknownKeys && 'context' in mapped) for (const k of unknownKeys) delete mapped.context[k];
    if (onBucket && 'targets' in mapped) mapped.targets = foldObjectTargets(mapped.targets) ?? mapped.targets;
    const sig = this.define(mapped);
    group.sigs.set(flatKey(rest), sig);
    return sig;
  }

  /** Signatures defined since the last call (each batch carries the ones it introduced). */
  takeNewSigs(): { newSigs: string[]; firstSig: number } {
    // The same array kept (a new empty one is another elements kind until its first push: define's code was thrown
    // away for it).
    const newSigs = this.pendingSigs.splice(0);
    return { newSigs, firstSig: this.nextSig - newSigs.length };
  }

  /** The general path's signature: interned by a string of everything the aggregate keys on. */
  private signature(m: Signable, b: BatchBuilder): number {
    const key = signatureKey(m);
    let id = this.sigIds.get(key);
    if (id !== undefined) return id;
    if ('targets' in m && m.targets.length > 0) {
      // A new object key or condition-key value (a denial's, mostly): kept while the principal and action hold
      // fewer than the limits (see MAX_OBJECT_KEYS, MAX_CONTEXT_VALUES).
      const name = `${m.principal}\u0000${m.targets[0].action}`;
      let kept = this.generalKept.get(name);
      if (!kept) this.generalKept.set(name, (kept = { keys: new Set(), context: new Map() }));
      let folded = m;
      let context: Record<string, string> | undefined;
      for (const k in m.context) {
        let values = kept.context.get(k);
        if (!values) kept.context.set(k, (values = new Set()));
        if (keep(values, m.context[k], MAX_CONTEXT_VALUES)) continue;
        delete (context ??= { ...m.context })[k];
      }
      if (context) {
        b.contextNotKept++;
        folded = { ...folded, context };
      }
      const onBucket = foldObjectTargets(m.targets);
      if (onBucket && !keep(kept.keys, m.targets.flatMap((t) => t.resources).join('\u0003'), MAX_OBJECT_KEYS)) {
        b.folded++;
        folded = { ...folded, targets: onBucket };
      }
      if (folded !== m) {
        const foldedKey = signatureKey(folded);
        id = this.sigIds.get(foldedKey);
        if (id !== undefined) return id;
        id = this.define(folded);
        this.sigIds.set(flatKey(foldedKey), id);
        return id;
      }
    }
    id = this.define(m);
    this.sigIds.set(flatKey(key), id);
    return id;
  }

  private define(m: Signable): number {
    let def: SigDef;
    if ('permissionless' in m) def = { kind: 'permissionless' };
    else if ('unmapped' in m) def = { kind: 'unmapped', eventSource: m.unmapped.eventSource, eventName: m.unmapped.eventName };
    else {
      // Only what the count needs (actions and resources repeat targets): shorter to send, keep and parse.
      const event: CountedEvent = {
        principal: m.principal,
        principalType: m.principalType,
        account: m.account,
        targets: m.targets,
        outcome: m.outcome,
        errorCode: m.errorCode,
        eventSource: m.eventSource,
        eventName: m.eventName,
        context: m.context,
      };
      if (m.deniedBy !== undefined) event.deniedBy = m.deniedBy;
      return this.defineCounted(event);
    }
    this.pendingSigs.push(JSON.stringify(def));
    return this.nextSig++;
  }

  /** A mapped signature: its definition, the fields in define's order (equal events, equal strings). */
  private defineCounted(event: CountedEvent): number {
    const def: SigDef = { kind: 'mapped', event };
    this.pendingSigs.push(JSON.stringify(def));
    return this.nextSig++;
  }
}
