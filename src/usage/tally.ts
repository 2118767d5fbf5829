// The main-thread half of bulk reading: count each batch's signatures with first/last seen, events with an id
// through the event ledger (dedupe across every batch, whichever worker or source sent it, see event-ledger.ts),
// and at the end fold the counts into a UsageAggregator. Per event this is a few sequential array writes, so one
// main thread keeps up with many workers. Memory here is one string per distinct signature (definitions arrive as
// JSON and are interned, so the same signature defined by several workers is kept once, never as an object graph)
// plus the ledger's buffers.
import { planRecords, type RecordPlan, UsageAggregator } from './aggregator.js';
import { isoTime } from '../util/iso-time.js';
import { ID_NONE, ID_OTHER, ID_UUID, type EventBatch, type SigDef } from './event-batch.js';
import { EventLedger, type LedgerSink } from './event-ledger.js';

/** What a signature's events count into: planned records (mapped), an unmapped call, or a call no policy governs. */
type SigPlan = RecordPlan | { kind: 'unmapped'; eventSource: string; eventName: string } | { kind: 'permissionless' };

/**
 * Signature definitions (SigDef JSON) shared by the producers of one pool: equal definitions get one id. Each is
 * also planned (the records it counts into, with their keys) when it arrives, while the workers are still reading:
 * folding at the end then only adds numbers to records, where parsing and keying 30k definitions there took ~150 ms
 * with the other cores idle.
 */
export class SigInterner {
  private readonly index = new Map<string, number>();
  private readonly defs: string[] = [];
  private readonly plans: SigPlan[] = [];
  /** The context keys plans are made for (sorted, lower-cased, as UsageAggregator keeps them). */
  private planKeys: readonly string[];
  /** Strings plans share (principals, actions, event names: one copy each, not one a plan). */
  private readonly strings = new Map<string, string>();
  private readonly share = (s: string): string => {
    const kept = this.strings.get(s);
    if (kept !== undefined) return kept;
    this.strings.set(s, s);
    return s;
  };

  /** `contextKeys`: the aggregator's (see UsageAggregator.keptContextKeys); plans for others are made when asked. */
  constructor(contextKeys: readonly string[] = []) {
    this.planKeys = [...new Set(contextKeys.map((k) => k.toLowerCase()))].sort();
  }

  intern(def: string): number {
    let id = this.index.get(def);
    if (id === undefined) {
      id = this.defs.length;
      this.defs.push(def);
      this.index.set(def, id);
      this.plans.push(this.planSig(this.def(id)));
    }
    return id;
  }

  get size(): number {
    return this.defs.length;
  }

  def(id: number): SigDef {
    return JSON.parse(this.defs[id]) as SigDef;
  }

  /** The plan of signature `id` for an aggregator keeping `contextKeys` (sorted, lower-cased). */
  plan(id: number, contextKeys: readonly string[]): SigPlan {
    if (!sameKeys(contextKeys, this.planKeys)) {
      // Another aggregator's keys (not the bulk reader's case): plan every signature again for them.
      this.planKeys = [...contextKeys];
      for (let i = 0; i < this.plans.length; i++) this.plans[i] = this.planSig(this.def(i));
    }
    return this.plans[id];
  }

  private planSig(d: SigDef): SigPlan {
    return d.kind === 'mapped' ? planRecords(d.event, this.planKeys, this.share) : d;
  }
}


function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** The signatures one producer (a worker, or the in-process processor) has defined: its ids -> interned ids. */
export class SigRegistry {
  private ids = new Int32Array(64);
  private count = 0;

  constructor(readonly interner: SigInterner = new SigInterner()) {}

  get size(): number {
    return this.count;
  }

  register(batch: Pick<EventBatch, 'newSigs' | 'firstSig'>): void {
    // Batches from one producer arrive in order, so ids continue where the last batch stopped.
    if (batch.firstSig !== this.count && batch.newSigs.length > 0) throw new Error(`signature ids out of order (${batch.firstSig} after ${this.count})`);
    for (const d of batch.newSigs) {
      if (this.count === this.ids.length) {
        const ids = new Int32Array(this.ids.length * 2);
        ids.set(this.ids);
        this.ids = ids;
      }
      this.ids[this.count++] = this.interner.intern(d);
    }
  }

  /** The producer's signature ids -> the interner's (valid up to `size`). */
  get table(): Int32Array {
    return this.ids;
  }

  /** The definition of the producer's signature `sig`. */
  def(sig: number): SigDef {
    return this.interner.def(this.ids[sig]);
  }
}

/** One interner's counts in one tally: count, first and last seen per signature. */
class SigCounts implements LedgerSink {
  count: Float64Array = new Float64Array(64);
  first: Float64Array = new Float64Array(64);
  last: Float64Array = new Float64Array(64);
  /** This one's index in the ledger. */
  sink = -1;

  constructor(
    readonly interner: SigInterner,
    private readonly owner: SourceTally,
  ) {}

  /** Room for every signature the interner has. */
  fit(): void {
    const needed = this.interner.size;
    if (this.count.length >= needed) return;
    let n = this.count.length;
    while (n < needed) n *= 2;
    this.count = grow(this.count, n);
    this.first = grow(this.first, n);
    this.last = grow(this.last, n);
  }

  add(s: number, t: number): void {
    const { count, first, last } = this;
    if (count[s]++ === 0) {
      first[s] = t;
      last[s] = t;
    } else {
      if (t < first[s]) first[s] = t;
      if (t > last[s]) last[s] = t;
    }
  }

  /** LedgerSink: a deferred event, counted once its id proved new (the interner is complete by then). */
  counted(s: number, t: number): void {
    if (s >= this.count.length) this.fit();
    this.add(s, t);
  }

  duplicate(): void {
    this.owner.duplicates++;
  }
}

/**
 * One source's tally. Sources share the ledger, so an event read by two sources counts once. Events with a UUID
 * id are counted when the ledger settles (on the first fold), the others at once.
 */
export class SourceTally {
  private readonly perInterner = new Map<SigInterner, SigCounts>();
  duplicates = 0;
  badRecords = 0;

  constructor(private readonly ledger: EventLedger = new EventLedger()) {}

  add(batch: EventBatch, registry: SigRegistry): void {
    const interner = registry.interner;
    let c = this.perInterner.get(interner);
    if (!c) {
      c = new SigCounts(interner, this);
      c.sink = this.ledger.addSink(c);
      this.perInterner.set(interner, c);
    }
    c.fit();
    this.badRecords += batch.badRecords;
    const { sigs, times, idKinds, ids, otherIds, count: n } = batch;
    const table = registry.table;
    const ledger = this.ledger;
    const sink = c.sink;
    let other = 0;
    for (let i = 0; i < n; i++) {
      const kind = idKinds[i];
      if (kind === ID_UUID) {
        const o = i * 4;
        ledger.defer(ids[o], ids[o + 1], ids[o + 2], ids[o + 3], sink, table[sigs[i]], times[i]);
        continue;
      }
      if (kind === ID_OTHER) {
        if (!ledger.addOther(otherIds[other++])) {
          this.duplicates++;
          continue;
        }
      } else if (kind !== ID_NONE) continue;
      c.add(table[sigs[i]], times[i]);
    }
  }

  /** Settles the ledger (every tally sharing it must be complete) and folds the counts into `agg`. */
  into(agg: UsageAggregator): UsageAggregator {
    this.ledger.settle();
    const keys = agg.keptContextKeys;
    for (const c of this.perInterner.values()) {
      const size = Math.min(c.interner.size, c.count.length);
      for (let s = 0; s < size; s++) {
        const n = c.count[s];
        if (n === 0) continue;
        const d = c.interner.plan(s, keys);
        if ('entries' in d) agg.addPlanned(d, n, isoTime(c.first[s]), isoTime(c.last[s]));
        else if (d.kind === 'unmapped') agg.addUnmapped(d.eventSource, d.eventName, undefined, n);
        else agg.addPermissionless(n);
      }
    }
    agg.addDuplicate(this.duplicates);
    agg.addBad(this.badRecords);
    return agg;
  }
}

function grow(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
