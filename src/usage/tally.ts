// The main-thread half of bulk reading: dedupe event ids across every batch (whichever worker or source sent
// it), count signatures with first/last seen, and at the end fold the counts into a UsageAggregator.
// Per event this is a hash-table insert and three array writes, so one main thread keeps up with many workers.
import { UsageAggregator } from './aggregator.js';
import { ID_NONE, ID_OTHER, ID_UUID, type EventBatch, type SigDef } from './event-batch.js';
import { EventIdSet } from './event-id-set.js';

/** The signatures one producer (a worker, or the in-process processor) has defined, by id. */
export class SigRegistry {
  readonly defs: SigDef[] = [];

  register(batch: Pick<EventBatch, 'newSigs' | 'firstSig'>): void {
    // Batches from one producer arrive in order, so ids continue where the last batch stopped.
    if (batch.firstSig !== this.defs.length && batch.newSigs.length > 0) throw new Error(`signature ids out of order (${batch.firstSig} after ${this.defs.length})`);
    for (const d of batch.newSigs) this.defs.push(d);
  }
}

interface Counts {
  registry: SigRegistry;
  count: Float64Array;
  first: Float64Array;
  last: Float64Array;
}

/** One source's tally. Sources share the dedupe set so an event read by two sources counts once. */
export class SourceTally {
  private readonly perProducer = new Map<SigRegistry, Counts>();
  duplicates = 0;
  badRecords = 0;

  constructor(private readonly seen: EventIdSet = new EventIdSet()) {}

  add(batch: EventBatch, registry: SigRegistry): void {
    let c = this.perProducer.get(registry);
    if (!c) {
      c = { registry, count: new Float64Array(64), first: new Float64Array(64), last: new Float64Array(64) };
      this.perProducer.set(registry, c);
    }
    const needed = registry.defs.length;
    if (c.count.length < needed) {
      let n = c.count.length;
      while (n < needed) n *= 2;
      c.count = grow(c.count, n);
      c.first = grow(c.first, n);
      c.last = grow(c.last, n);
    }
    this.badRecords += batch.badRecords;
    const { sigs, times, idKinds, ids, otherIds, count: n } = batch;
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
      const s = sigs[i];
      const t = times[i];
      if (c.count[s]++ === 0) {
        c.first[s] = t;
        c.last[s] = t;
      } else {
        if (t < c.first[s]) c.first[s] = t;
        if (t > c.last[s]) c.last[s] = t;
      }
    }
  }

  /** Folds the counts into `agg`. */
  into(agg: UsageAggregator): UsageAggregator {
    for (const c of this.perProducer.values()) {
      const defs = c.registry.defs;
      for (let s = 0; s < defs.length && s < c.count.length; s++) {
        const n = c.count[s];
        if (n === 0) continue;
        const d = defs[s];
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
