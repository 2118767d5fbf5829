// What every CloudTrail source shares: the run context, a report builder, and what a source returns.
import type { UsageSourceReport } from '../../model.js';
import { UsageAggregator } from '../aggregator.js';
import type { EventBatch } from '../event-batch.js';
import { EventLedger, type LedgerOptions } from '../event-ledger.js';
import { LogReaderPool, type PoolOptions } from '../worker-pool.js';

export interface SourceContext {
  /** Lower-cased condition keys the policies use; only these split usage records. */
  contextKeys: string[];
  since?: Date;
  until?: Date;
  /** ContextOptions.scope: records naming none of these are read but not mapped. */
  scope?: readonly string[];
  /** Event ids of every source: an event read twice (org and account trail, two sources) counts once. */
  ledger: EventLedger;
  /** The worker pool for log objects, made on first use. */
  pool(): LogReaderPool;
  /** A problem that makes a source partial or failed (also in the source's report). */
  onProblem?: (msg: string) => void;
  /** Something skipped on purpose (a digest file). */
  onNote?: (msg: string) => void;
  /** Progress lines. */
  log?: (msg: string) => void;
}

export interface SourceRun {
  report: UsageSourceReport;
  /**
   * The source's aggregate, built when called: callers close the worker pool first, so the workers' memory is
   * gone before the aggregate's (at 1M events with 2 workers the peak fell by ~45 MB).
   */
  fold(): UsageAggregator;
}

export interface ContextOptions {
  contextKeys?: string[];
  /** Names the run needs usage for: log records that name none of them are read but not mapped (ProcessorOptions.scope). */
  scope?: readonly string[];
  since?: Date;
  until?: Date;
  workers?: number;
  pool?: PoolOptions;
  /** Where and how the eventID dedupe spills (tests make it spill early). */
  ledger?: LedgerOptions;
  onProblem?: (msg: string) => void;
  onNote?: (msg: string) => void;
  log?: (msg: string) => void;
}

/**
 * A context with its own pool and event ledger; call `close()` when every source is read, before folding: it stops
 * the workers and settles the ledger (the tallies' counts are complete after it).
 */
export function makeContext(opts: ContextOptions = {}): SourceContext & { close(): Promise<void> } {
  let pool: LogReaderPool | undefined;
  const ledger = new EventLedger(opts.ledger);
  const contextKeys = [...new Set((opts.contextKeys ?? []).map((k) => k.toLowerCase()))];
  return {
    contextKeys,
    since: opts.since,
    until: opts.until,
    scope: opts.scope,
    ledger,
    pool: () => {
      if (!pool) {
        pool = new LogReaderPool({ workers: opts.workers, ...opts.pool, contextKeys, scope: opts.scope, since: opts.since?.toISOString(), until: opts.until?.toISOString() });
        opts.log?.(`cloudtrail: log objects are parsed ${pool.workers ? `on ${pool.workers} worker thread(s)` : 'on the main thread'}`);
      }
      return pool;
    },
    onProblem: opts.onProblem,
    onNote: opts.onNote,
    log: opts.log,
    close: async () => {
      const closing = pool?.close();
      pool = undefined;
      // Reading is over: count the deferred events (and free the ledger) while the workers stop, before the
      // aggregates are made (their memory is gone by then).
      try {
        ledger.settle();
      } finally {
        if (ledger.spillError) opts.onNote?.(`cloudtrail: ${ledger.spillError}`);
        await closing;
      }
    },
  };
}

const MAX_ERRORS = 100;
const MAX_LISTED = 1000;

/** Builds a UsageSourceReport: capped error list, accounts and regions, objects and bytes. */
export class ReportBuilder {
  readonly report: UsageSourceReport;
  private readonly accounts = new Set<string>();
  private readonly regions = new Set<string>();
  private suppressed = 0;
  /** Set when the source was cut short or something could not be read. */
  incomplete = false;
  failed = false;

  constructor(id: string, kind: UsageSourceReport['kind'], private readonly ctx: Pick<SourceContext, 'onProblem'>) {
    this.report = { id, kind, status: 'ran', events: 0, errors: [] };
  }

  problem(msg: string, incomplete = true): void {
    if (incomplete) this.incomplete = true;
    this.ctx.onProblem?.(msg);
    if (this.report.errors.length < MAX_ERRORS) this.report.errors.push(msg);
    else this.suppressed++;
  }

  /** The source could not run at all (or lost everything): failed, with the reason. */
  fail(msg: string): void {
    this.failed = true;
    this.problem(msg);
  }

  account(a: string | undefined): void {
    if (a && this.accounts.size < MAX_LISTED) this.accounts.add(a);
  }

  region(r: string | undefined): void {
    if (r && this.regions.size < MAX_LISTED) this.regions.add(r);
  }

  /** Folds a batch's reading facts (its events go to the tally). */
  batch(b: EventBatch, object = true): void {
    this.report.events += b.records;
    if (b.skipped > 0) this.report.skipped = (this.report.skipped ?? 0) + b.skipped;
    if (b.folded > 0) this.report.keysNotKept = (this.report.keysNotKept ?? 0) + b.folded;
    if (b.contextNotKept > 0) this.report.contextValuesNotKept = (this.report.contextValuesNotKept ?? 0) + b.contextNotKept;
    if (object) this.report.objects = (this.report.objects ?? 0) + 1;
    this.report.bytes = (this.report.bytes ?? 0) + b.bytes;
    for (const a of b.accounts) this.account(a);
    for (const r of b.regions) this.region(r);
    for (const p of b.problems) this.problem(p, b.incomplete);
    if (b.suppressed > 0) {
      this.incomplete ||= b.incomplete;
      this.suppressed += b.suppressed;
    }
  }

  blindSpots(spots: string[]): void {
    this.report.blindSpots = spots;
  }

  finish(): UsageSourceReport {
    const r = this.report;
    if (this.suppressed > 0) r.errors.push(`... and ${this.suppressed} more problems`);
    r.status = this.failed ? 'failed' : this.incomplete || r.errors.length > 0 ? 'partial' : 'ran';
    if (this.accounts.size > 0) r.accounts = [...this.accounts].sort();
    if (this.regions.size > 0) r.regions = [...this.regions].sort();
    return r;
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function forEachLimit<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  const worker = async () => {
    for (let n = it.next(); !n.done; n = it.next()) await fn(n.value);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

export function errorText(e: unknown): string {
  const err = e as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = err?.Code ?? err?.name;
  const msg = err?.message && err.message !== code ? err.message : '';
  const status = err?.$metadata?.httpStatusCode;
  return [code, msg].filter(Boolean).join(': ') + (status ? ` (HTTP ${status})` : '') || String(e);
}
