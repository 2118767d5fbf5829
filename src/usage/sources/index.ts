// Runs every CloudTrail source at once and merges what they read into one UsageSummary. Sources share the worker
// pool (log objects) and the event-id set (an event two sources see counts once).
import type { UsageSourceReport, UsageSummary } from '../../model.js';
import { UsageAggregator } from '../aggregator.js';
import { readLocalSource } from '../read-local.js';
import { readAthenaSource, type AthenaSourceOptions, type AthenaSourceSpec } from './athena.js';
import { errorText, makeContext, type ContextOptions, type SourceContext, type SourceRun } from './common.js';
import { readLakeSource, type LakeSourceOptions, type LakeSourceSpec } from './lake.js';
import { readLookupEventsSource, type LookupEventsOptions, type LookupEventsSpec } from './lookup-events.js';
import { readS3Source, type S3SourceOptions, type S3SourceSpec } from './s3.js';

export type UsageSourceSpec =
  | { kind: 'file'; path: string }
  | ({ kind: 's3' } & S3SourceSpec)
  | ({ kind: 'lookup-events' } & LookupEventsSpec)
  | ({ kind: 'lake' } & LakeSourceSpec)
  | ({ kind: 'athena' } & AthenaSourceSpec);

export interface RunSourcesOptions extends ContextOptions {
  s3?: S3SourceOptions;
  lookupEvents?: LookupEventsOptions;
  lake?: LakeSourceOptions;
  athena?: AthenaSourceOptions;
}

export function sourceId(spec: UsageSourceSpec): string {
  switch (spec.kind) {
    case 'file':
      return `file:${spec.path}`;
    case 's3':
      return spec.uri;
    case 'lookup-events':
      return `lookup-events:${(spec.regions ?? []).join(',') || 'default region'}`;
    case 'lake':
      return `lake:${spec.eventDataStore}`;
    case 'athena':
      return `athena:${spec.database ?? 'default'}.${spec.table}`;
  }
}

function runOne(spec: UsageSourceSpec, ctx: SourceContext, opts: RunSourcesOptions): Promise<SourceRun> {
  switch (spec.kind) {
    case 'file':
      return readLocalSource(spec.path, ctx);
    case 's3':
      return readS3Source(spec, ctx, opts.s3);
    case 'lookup-events':
      return readLookupEventsSource(spec, ctx, opts.lookupEvents);
    case 'lake':
      return readLakeSource(spec, ctx, opts.lake);
    case 'athena':
      return readAthenaSource(spec, ctx, opts.athena);
  }
}

/** Reads every source in parallel. A source that throws is reported as failed; the others still count. */
export async function runUsageSources(specs: UsageSourceSpec[], opts: RunSourcesOptions = {}): Promise<UsageSummary> {
  const ctx = makeContext(opts);
  try {
    const runs = await Promise.all(
      specs.map(async (spec): Promise<SourceRun> => {
        try {
          return await runOne(spec, ctx, opts);
        } catch (e) {
          const msg = `${sourceId(spec)}: ${errorText(e)}`;
          ctx.onProblem?.(msg);
          const report: UsageSourceReport = { id: sourceId(spec), kind: spec.kind, status: 'failed', events: 0, errors: [msg] };
          return { report, fold: () => new UsageAggregator({ contextKeys: ctx.contextKeys }) };
        }
      }),
    );
    await ctx.close(); // before folding: see SourceRun.fold
    const agg = UsageAggregator.combine(runs.map((r) => r.fold()), { contextKeys: ctx.contextKeys });
    const summary = agg.summary(runs.map((r) => r.report));
    // The window asked for is the report's window (not just the span of the events found).
    if (opts.since) summary.window.start = opts.since.toISOString();
    if (opts.until) summary.window.end = opts.until.toISOString();
    if (opts.scope) summary.scope = [...new Set(opts.scope)].sort();
    return summary;
  } finally {
    await ctx.close();
  }
}

export { parseSourceArg, specsFromConfig } from './spec.js';
