// Folds mapped events into UsageRecords while they stream past. Pure: no I/O, mergeable across
// sources and worker threads. Memory is O(distinct keys), not O(events).
import type { UnmappedEvent, UsageRecord, UsageSourceReport, UsageSummary } from '../model.js';
import { flatKey, type MappedEvent } from './map-event.js';

const SEP = '\u0000';

/** What a count of events needs from their mapping: a worker's signature definition is exactly this. */
export type CountedEvent = Pick<MappedEvent, 'principal' | 'principalType' | 'account' | 'targets' | 'outcome' | 'errorCode' | 'deniedBy' | 'eventSource' | 'eventName' | 'context'>;

export interface AggregatorOptions {
  /** Lower-cased condition keys the policies use; only these context values split records. */
  contextKeys?: string[];
}

export class UsageAggregator {
  private readonly records = new Map<string, UsageRecord>();
  private readonly unmapped = new Map<string, UnmappedEvent>();
  private readonly contextKeys: string[];
  private permissionless = 0;
  private mappedEvents = 0;
  private duplicates = 0;
  private bad = 0;
  private start?: string;
  private end?: string;

  constructor(opts: AggregatorOptions = {}) {
    this.contextKeys = [...new Set((opts.contextKeys ?? []).map((k) => k.toLowerCase()))].sort();
  }

  /** Adds one mapped event: one record per (action, resource) target. */
  add(ev: MappedEvent): void {
    this.addCounted(ev, 1, ev.time, ev.time);
  }

  /**
   * Adds `count` events that all map like `ev` and were seen between `first` and `last` (ISO): what an aggregate
   * query (Lake, Athena) or a worker's per-signature tally returns. `ev.time` is ignored.
   */
  addCounted(ev: CountedEvent, count: number, first: string, last: string): void {
    this.addPlanned(planRecords(ev, this.contextKeys), count, first, last);
  }

  /** The context keys this aggregator keeps (sorted, lower-cased): planRecords' second argument. */
  get keptContextKeys(): readonly string[] {
    return this.contextKeys;
  }

  /** addCounted with the records planned already (planRecords with keptContextKeys). */
  addPlanned(plan: RecordPlan, count: number, first: string, last: string): void {
    if (!(count > 0)) return;
    this.mappedEvents += count;
    this.widenWindow(first, last);
    const { eventSource, eventName, entries } = plan;
    for (let i = 0; i < entries.length; i += 4) {
      const key = entries[i]!;
      const existing = this.records.get(key);
      if (existing) {
        existing.count += count;
        if (first < existing.firstSeen || (first === existing.firstSeen && eventName < existing.eventName)) {
          // Order-independent (files are read concurrently): the earliest event names the record.
          existing.firstSeen = first;
          existing.eventSource = eventSource;
          existing.eventName = eventName;
        }
        if (last > existing.lastSeen) existing.lastSeen = last;
        continue;
      }
      const record: UsageRecord = {
        principal: plan.principal,
        principalType: plan.principalType,
        action: entries[i + 1]!,
        outcome: plan.outcome,
        count,
        firstSeen: first,
        lastSeen: last,
        context: { ...plan.context },
        eventSource,
        eventName,
      };
      const resource = entries[i + 2];
      const bucket = entries[i + 3];
      if (resource !== undefined) record.resource = resource;
      else if (bucket !== undefined) record.bucket = bucket;
      if (plan.account !== undefined) record.account = plan.account;
      if (plan.errorCode !== undefined) record.errorCode = plan.errorCode;
      if (plan.deniedBy !== undefined) record.deniedBy = plan.deniedBy;
      this.records.set(key, record);
    }
  }

  addUnmapped(eventSource: string, eventName: string, time?: string, count = 1, lastTime = time): void {
    if (time && lastTime) this.widenWindow(time, lastTime);
    const key = `${eventSource}${SEP}${eventName}`;
    const u = this.unmapped.get(key);
    if (u) u.count += count;
    else this.unmapped.set(key, { eventSource, eventName, count });
  }

  addPermissionless(count = 1): void {
    this.permissionless += count;
  }

  addDuplicate(count = 1): void {
    this.duplicates += count;
  }

  addBad(count = 1): void {
    this.bad += count;
  }

  /** Events seen, duplicates and bad records excluded. */
  get totalEvents(): number {
    let unmapped = 0;
    for (const u of this.unmapped.values()) unmapped += u.count;
    return this.mappedEvents + unmapped + this.permissionless;
  }

  /** One aggregator of several whose owners are done with them: the only one as it is, else a merge of all. */
  static combine(parts: UsageAggregator[], opts: AggregatorOptions = {}): UsageAggregator {
    if (parts.length === 1) return parts[0];
    const agg = new UsageAggregator(opts);
    for (const p of parts) agg.merge(p);
    return agg;
  }

  /** Folds another aggregator (e.g. from a worker or another source) into this one. */
  merge(other: UsageAggregator): this {
    for (const [key, r] of other.records) {
      const mine = this.records.get(key);
      if (!mine) {
        this.records.set(key, { ...r, context: { ...r.context } });
        continue;
      }
      mine.count += r.count;
      if (r.firstSeen < mine.firstSeen || (r.firstSeen === mine.firstSeen && r.eventName < mine.eventName)) {
        mine.firstSeen = r.firstSeen;
        // eventSource/eventName are "first seen": take the earlier one's.
        mine.eventSource = r.eventSource;
        mine.eventName = r.eventName;
      }
      if (r.lastSeen > mine.lastSeen) mine.lastSeen = r.lastSeen;
    }
    for (const [key, u] of other.unmapped) {
      const mine = this.unmapped.get(key);
      if (mine) mine.count += u.count;
      else this.unmapped.set(key, { ...u });
    }
    this.permissionless += other.permissionless;
    this.mappedEvents += other.mappedEvents;
    this.duplicates += other.duplicates;
    this.bad += other.bad;
    if (other.start && other.end) this.widenWindow(other.start, other.end);
    return this;
  }

  /** The summary, records sorted for stable output. Sources are the caller's to report. */
  summary(sources: UsageSourceReport[] = []): UsageSummary {
    // The record keys are the sort keys: principal, action, resource, outcome, errorCode, then the context's
    // key=value pairs, each field ended by U+0000 (the lowest code unit, so a field sorts before its own
    // extensions, as a field-by-field comparison would). Sorting the strings themselves (no comparator function)
    // runs inside V8, several times faster at 30k records.
    const keys = [...this.records.keys()].sort();
    const records = keys.map((k) => this.records.get(k)!);
    const unmapped = [...this.unmapped.values()].sort((a, b) => b.count - a.count || cmp(a.eventSource, b.eventSource) || cmp(a.eventName, b.eventName));
    return {
      window: { start: this.start, end: this.end },
      sources,
      records,
      unmapped,
      permissionless: this.permissionless,
      totalEvents: this.totalEvents,
      duplicateEvents: this.duplicates,
      badRecords: this.bad,
      complete: sources.every((s) => s.status === 'ran'),
    };
  }

  private widenWindow(start: string, end: string): void {
    if (this.start === undefined || start < this.start) this.start = start;
    if (this.end === undefined || end > this.end) this.end = end;
  }
}

/**
 * The records events mapping like one event count into: what they share, then per record its key (the summary's
 * sort key), action, resource and bucket, flattened (4 entries a record: a signature's plan is kept for the whole
 * read, see tally.ts, so it is kept small).
 */
export interface RecordPlan extends Pick<UsageRecord, 'principal' | 'principalType' | 'outcome' | 'context' | 'account' | 'errorCode' | 'deniedBy' | 'eventSource' | 'eventName'> {
  entries: Array<string | undefined>;
}

/**
 * The records `ev` counts into: one per (action, resource) target, split by the values of `contextKeys` (sorted,
 * lower-cased: UsageAggregator.keptContextKeys). `share` may return an equal string already kept (the same
 * principals and actions recur in thousands of plans). Made once per signature (tally.ts), while logs are read.
 */
export function planRecords(ev: CountedEvent, contextKeys: readonly string[], share: (s: string) => string = (s) => s): RecordPlan {
  let context: Record<string, string> = NO_CONTEXT;
  let contextKey = '';
  for (const k of contextKeys) {
    const v = ev.context[k];
    if (v === undefined) continue;
    if (context === NO_CONTEXT) context = {};
    context[k] = share(v);
    contextKey += `${SEP}${k}=${v}`;
  }
  // A denial's policy type keeps its own record (an SCP's denials are not an identity policy's).
  const tail = `${ev.outcome}${SEP}${ev.errorCode ?? ''}${ev.deniedBy ? `${SEP}\u0002${ev.deniedBy}` : ''}${contextKey}`;
  const entries: Array<string | undefined> = [];
  for (const t of ev.targets) {
    const resources = t.resources.length > 0 ? t.resources : [undefined];
    const bucket = t.resources.length > 0 ? undefined : t.bucket;
    for (const resource of resources) {
      // Fields in the summary's sort order: the keys sort the records (see summary). An outcome never starts
      // with U+0001, so a bucket's unknown objects get a key of their own.
      const key = `${ev.principal}${SEP}${t.action}${SEP}${resource ?? ''}${SEP}${bucket ? `\u0001${bucket}${SEP}` : ''}${tail}`;
      entries.push(flatKey(key), share(t.action), resource, bucket === undefined ? undefined : share(bucket));
    }
  }
  const plan: RecordPlan = {
    principal: share(ev.principal),
    principalType: ev.principalType,
    outcome: ev.outcome,
    context,
    eventSource: share(ev.eventSource),
    eventName: share(ev.eventName),
    entries,
  };
  if (ev.account !== undefined) plan.account = share(ev.account);
  if (ev.errorCode !== undefined) plan.errorCode = share(ev.errorCode);
  if (ev.deniedBy !== undefined) plan.deniedBy = ev.deniedBy;
  return plan;
}

/** The context of a record no kept condition key splits (never changed: records get copies). */
const NO_CONTEXT: Record<string, string> = Object.freeze({}) as Record<string, string>;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
