// The main-thread half of bulk reading: dedupe event ids across every batch (whichever worker or source sent
// it), count signatures with first/last seen, and at the end fold the counts into a UsageAggregator.
// Per event this is a hash-table insert and a few array writes, so one main thread keeps up with many workers.
// Memory here is the dedupe set plus one string per distinct signature: definitions arrive as JSON and are interned,
// so the same signature defined by several workers is kept once and never as a cloned object graph.
import { UsageAggregator } from './aggregator.js';
import { ID_NONE, ID_OTHER, ID_UUID, type EventBatch, type SigDef } from './event-batch.js';
import { EventIdSet } from './event-id-set.js';

/** Signature definitions (SigDef JSON) shared by the producers of one pool: equal definitions get one id. */
export class SigInterner {
  private readonly index = new Map<string, number>();
  private readonly defs: string[] = [];

  intern(def: string): number {
    let id = this.index.get(def);
    if (id === undefined) {
      id = this.defs.length;
      this.defs.push(def);
      this.index.set(def, id);
    }
    return id;
  }

  get size(): number {
    return this.defs.length;
  }

  def(id: number): SigDef {
    return JSON.parse(this.defs[id]) as SigDef;
  }
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

interface Counts {
  interner: SigInterner;
  count: Float64Array;
  first: Float64Array;
  last: Float64Array;
}

/** One source's tally. Sources share the dedupe set so an event read by two sources counts once. */
export class SourceTally {
  private readonly perInterner = new Map<SigInterner, Counts>();
  duplicates = 0;
  badRecords = 0;

  constructor(private readonly seen: EventIdSet = new EventIdSet()) {}

  add(batch: EventBatch, registry: SigRegistry): void {
    const interner = registry.interner;
    let c = this.perInterner.get(interner);
    if (!c) {
      c = { interner, count: new Float64Array(64), first: new Float64Array(64), last: new Float64Array(64) };
      this.perInterner.set(interner, c);
    }
    const needed = interner.size;
    if (c.count.length < needed) {
      let n = c.count.length;
      while (n < needed) n *= 2;
      c.count = grow(c.count, n);
      c.first = grow(c.first, n);
      c.last = grow(c.last, n);
    }
    this.badRecords += batch.badRecords;
    const { sigs, times, idKinds, ids, otherIds, count: n } = batch;
    const table = registry.table;
    const { count, first, last } = c;
    const seen = this.seen;
    let other = 0;
    for (let i = 0; i < n; i++) {
      const kind = idKinds[i];
      if (kind === ID_UUID) {
        const o = i * 4;
        if (!seen.addWords(ids[o], ids[o + 1], ids[o + 2], ids[o + 3])) {
          this.duplicates++;
          continue;
        }
      } else if (kind === ID_OTHER) {
        if (!seen.addOther(otherIds[other++])) {
          this.duplicates++;
          continue;
        }
      } else if (kind !== ID_NONE) continue;
      const s = table[sigs[i]];
      const t = times[i];
      if (count[s]++ === 0) {
        first[s] = t;
        last[s] = t;
      } else {
        if (t < first[s]) first[s] = t;
        if (t > last[s]) last[s] = t;
      }
    }
  }

  /** Folds the counts into `agg`. */
  into(agg: UsageAggregator): UsageAggregator {
    for (const c of this.perInterner.values()) {
      const size = Math.min(c.interner.size, c.count.length);
      for (let s = 0; s < size; s++) {
        const n = c.count[s];
        if (n === 0) continue;
        const d = c.interner.def(s);
        const first = new Date(c.first[s]).toISOString();
        const last = new Date(c.last[s]).toISOString();
        if (d.kind === 'mapped') agg.addCounted(d.event, n, first, last);
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
