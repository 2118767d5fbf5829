// Cross-file and cross-source dedupe of CloudTrail events (one event delivered by an organization trail and an
// account trail, or read from two sources, counts once), with memory that does not grow with the event count.
//
// An event with a UUID id is not counted when it is read: it is appended (id, sink, signature, time: 32 bytes) to
// one of 64 partitions chosen by a hash of the id, and a partition's buffer goes to a temporary file when full.
// settle() then takes the partitions one by one, each through an id table sized for it, and counts every event
// whose id the partition has not seen before (so the first one read wins, as it would in one big set). A
// partition too large for one table is split by further hash bits first. Memory: 64 buffers of 32 KB while
// reading, then one partition's table (at most `maxInMemory` ids, 8 MB); the disk holds 32 bytes per event until
// settle() ends.
// A run that never fills a buffer never touches the disk. If the disk fails, the buffers stay in memory instead
// (the result is the same; `spillError` says why memory grew).
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdTable, mix } from './event-id-set.js';

/** Where settled events are counted. */
export interface LedgerSink {
  counted(sig: number, timeMs: number): void;
  duplicate(): void;
}

export interface LedgerOptions {
  /** Parent folder of the spill folder; default RUNNER_TEMP, else the OS temp folder. */
  dir?: string;
  /** Partitions while reading (a power of two). Default 64. */
  partitions?: number;
  /** Records buffered per partition before it is written out. Default 1,024 (32 KB). */
  bufferRecords?: number;
  /** Records settled in one table; a larger partition is split 16 ways first. Default 2^18 (an 8 MB table). */
  maxInMemory?: number;
}

/** uint32 words per record: a, b, c, d (the UUID), sink, signature, then the time as one float64. */
const WORDS = 8;
const RECORD_BYTES = WORDS * 4;
/** Records per read while settling (1 MB). */
const READ_RECORDS = 32 * 1024;
const SPLIT_BITS = 4;

/** Partition bits: a hash independent of the one IdTable places ids by (same words, other order). */
function partitionHash(a: number, b: number, c: number, d: number): number {
  return mix(d, c, b, a);
}

/** Records in arrival order: `spilled` on disk first, then `held` buffers (after a disk failure), then `buf`. */
class Partition {
  u32: Uint32Array;
  f64: Float64Array;
  n = 0;
  fd?: number;
  path?: string;
  spilled = 0;
  readonly held: Array<{ u32: Uint32Array; f64: Float64Array; n: number }> = [];

  constructor(records: number) {
    const buf = new ArrayBuffer(records * RECORD_BYTES);
    this.u32 = new Uint32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  get total(): number {
    let n = this.spilled + this.n;
    for (const h of this.held) n += h.n;
    return n;
  }
}

type Visit = (u32: Uint32Array, f64: Float64Array, n: number) => void;

const live = new Set<EventLedger>();
let exitHook = false;

export class EventLedger {
  private readonly sinks: LedgerSink[] = [];
  private readonly parts: Partition[];
  private readonly mask: number;
  private readonly bufferRecords: number;
  private readonly maxInMemory: number;
  private readonly parent: string;
  private dir?: string;
  private files = 0;
  /** One read buffer for every partition's file, and one id table, while settling. */
  private readBlock?: Partition;
  private ids?: IdTable;
  private settled = false;
  private readonly other = new Set<string>();
  /** Events deferred to settle(). */
  deferred = 0;
  /** Bytes written to the spill folder. */
  spilledBytes = 0;
  /** Why records stayed in memory (the spill folder could not be written), if they did. */
  spillError?: string;

  constructor(opts: LedgerOptions = {}) {
    const partitions = opts.partitions ?? 64;
    if (!(partitions > 0 && (partitions & (partitions - 1)) === 0)) throw new Error('partitions must be a power of two');
    this.mask = partitions - 1;
    this.bufferRecords = Math.max(1, opts.bufferRecords ?? 1024);
    this.maxInMemory = Math.max(1, opts.maxInMemory ?? 1 << 18);
    this.parent = opts.dir ?? process.env.RUNNER_TEMP ?? tmpdir();
    this.parts = Array.from({ length: partitions }, () => new Partition(0));
  }

  /** A sink's index, for defer(). */
  addSink(sink: LedgerSink): number {
    this.sinks.push(sink);
    return this.sinks.length - 1;
  }

  /** An event with a UUID id (as uuidWords gives it): counted into `sink` at settle(), unless its id came first. */
  defer(a: number, b: number, c: number, d: number, sink: number, sig: number, timeMs: number): void {
    if (this.settled) throw new Error('event ledger already settled');
    const p = this.parts[partitionHash(a, b, c, d) & this.mask];
    if (p.n === p.u32.length / WORDS) this.makeRoom(p);
    append(p, a, b, c, d, sink, sig, timeMs);
    this.deferred++;
  }

  /** An id that is not a UUID (rare: re-exported or synthetic logs), decided now: false when already seen. */
  addOther(id: string): boolean {
    if (this.other.has(id)) return false;
    this.other.add(id);
    return true;
  }

  /** Counts every deferred event into its sink, once per id, and removes the spill folder. Idempotent. */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    try {
      for (const p of this.parts) {
        this.settlePartition(p, 0);
        this.drop(p);
      }
    } finally {
      this.dispose();
    }
  }

  /** Removes the spill folder (settle() does; call it when a run ends without settling). */
  dispose(): void {
    for (const p of this.parts) this.drop(p);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.readBlock = undefined;
    this.ids = undefined;
    this.other.clear();
    live.delete(this);
  }

  private makeRoom(p: Partition): void {
    if (p.u32.length === 0) {
      const fresh = new Partition(this.bufferRecords);
      p.u32 = fresh.u32;
      p.f64 = fresh.f64;
      return;
    }
    if (this.spillError === undefined) {
      try {
        this.write(p);
        p.n = 0;
        return;
      } catch (e) {
        this.spillError = `cannot write the dedupe spill folder under ${this.parent} (${(e as Error).message}): kept in memory`;
      }
    }
    p.held.push({ u32: p.u32, f64: p.f64, n: p.n });
    const fresh = new Partition(this.bufferRecords);
    p.u32 = fresh.u32;
    p.f64 = fresh.f64;
    p.n = 0;
  }

  private write(p: Partition): void {
    if (p.fd === undefined) {
      if (!this.dir) {
        this.dir = mkdtempSync(join(this.parent, 'iam-policy-gate-events-'));
        live.add(this);
        if (!exitHook) {
          exitHook = true;
          process.once('exit', () => {
            for (const l of live) l.dispose();
          });
        }
      }
      p.path = join(this.dir, `p${this.files++}`);
      p.fd = openSync(p.path, 'wx+', 0o600);
    }
    const bytes = p.n * RECORD_BYTES;
    let done = 0;
    while (done < bytes) done += writeSync(p.fd, new Uint8Array(p.u32.buffer, done, bytes - done), 0, bytes - done, p.spilled * RECORD_BYTES + done);
    p.spilled += p.n;
    this.spilledBytes += bytes;
  }

  /** Visits a partition's records in arrival order, a block at a time. */
  private visit(p: Partition, fn: Visit): void {
    if (p.spilled > 0) {
      const block = (this.readBlock ??= new Partition(READ_RECORDS));
      const bytes = new Uint8Array(block.u32.buffer);
      for (let at = 0; at < p.spilled; ) {
        const want = Math.min(READ_RECORDS, p.spilled - at) * RECORD_BYTES;
        let got = 0;
        while (got < want) {
          const r = readSync(p.fd!, bytes, got, want - got, at * RECORD_BYTES + got);
          if (r === 0) throw new Error('event ledger: spill file shorter than written');
          got += r;
        }
        fn(block.u32, block.f64, want / RECORD_BYTES);
        at += want / RECORD_BYTES;
      }
    }
    for (const h of p.held) fn(h.u32, h.f64, h.n);
    if (p.n > 0) fn(p.u32, p.f64, p.n);
  }

  private settlePartition(p: Partition, shift: number): void {
    const total = p.total;
    if (total === 0) return;
    if (total <= this.maxInMemory || shift + SPLIT_BITS > 32 - Math.log2(this.mask + 1)) {
      const seen = (this.ids ??= new IdTable());
      seen.reset(total);
      const sinks = this.sinks;
      this.visit(p, (u32, f64, n) => {
        for (let i = 0; i < n; i++) {
          const o = i * WORDS;
          const sink = sinks[u32[o + 4]];
          if (seen.add(u32[o], u32[o + 1], u32[o + 2], u32[o + 3])) sink.counted(u32[o + 5], f64[i * 4 + 3]);
          else sink.duplicate();
        }
      });
      return;
    }
    // Too many ids for one set: split by the next hash bits (above the partition's), keeping the order.
    const low = Math.log2(this.mask + 1) + shift;
    const kids = Array.from({ length: 1 << SPLIT_BITS }, () => new Partition(0));
    this.visit(p, (u32, f64, n) => {
      for (let i = 0; i < n; i++) {
        const o = i * WORDS;
        const a = u32[o];
        const b = u32[o + 1];
        const c = u32[o + 2];
        const d = u32[o + 3];
        const kid = kids[(partitionHash(a, b, c, d) >>> low) & ((1 << SPLIT_BITS) - 1)];
        if (kid.n === kid.u32.length / WORDS) this.makeRoom(kid);
        append(kid, a, b, c, d, u32[o + 4], u32[o + 5], f64[i * 4 + 3]);
      }
    });
    this.drop(p);
    for (const kid of kids) {
      this.settlePartition(kid, shift + SPLIT_BITS);
      this.drop(kid);
    }
  }

  /** Frees a partition's buffers and its file. */
  private drop(p: Partition): void {
    if (p.fd !== undefined) {
      try {
        closeSync(p.fd);
      } catch {
        // already closed
      }
      p.fd = undefined;
    }
    if (p.path !== undefined) {
      try {
        unlinkSync(p.path); // a split partition's file goes before its parts are settled
      } catch {
        // dispose() removes the folder anyway
      }
      p.path = undefined;
    }
    p.spilled = 0;
    p.held.length = 0;
    p.n = 0;
    p.u32 = new Uint32Array(0);
    p.f64 = new Float64Array(0);
  }
}

function append(p: Partition, a: number, b: number, c: number, d: number, sink: number, sig: number, timeMs: number): void {
  const o = p.n * WORDS;
  const u32 = p.u32;
  u32[o] = a;
  u32[o + 1] = b;
  u32[o + 2] = c;
  u32[o + 3] = d;
  u32[o + 4] = sink;
  u32[o + 5] = sig;
  p.f64[p.n * 4 + 3] = timeMs;
  p.n++;
}
