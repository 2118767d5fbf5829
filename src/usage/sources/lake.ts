// CloudTrail Lake: one aggregate query (StartQuery), polled and paged through GetQueryResults. The Lake does the
// grouping, so what travels is one row per principal x action x resource x outcome.
import { CancelQueryCommand, CloudTrailClient, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import { UsageAggregator } from '../aggregator.js';
import { addRows, aggregateQuery } from './aggregate-sql.js';
import { errorText, ReportBuilder, type SourceContext, type SourceRun } from './common.js';
import { checkResultsBucket, parseBucketTarget } from './results-bucket.js';
import { sleep, withRetry, type RetryOptions } from './retry.js';
import { defaultS3Client } from './s3.js';

export interface LakeSourceSpec {
  /** The event data store ARN. */
  eventDataStore: string;
  /** Optional: deliver the results to this bucket (name or s3://bucket/prefix) too; checked first. */
  resultsBucket?: string;
}

export interface PollOptions {
  /** Give up (and cancel) after this long (default 10 minutes). */
  timeoutMs?: number;
  /** First wait between polls (default 1 s), growing to maxIntervalMs (default 5 s). */
  intervalMs?: number;
  maxIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface LakeSourceOptions {
  client?: CloudTrailClient;
  s3Client?: S3Client;
  retry?: RetryOptions;
  poll?: PollOptions;
}

const LAKE_BLIND_SPOTS = [
  'only what the event data store collects (its event selectors: management and/or data events, its accounts and regions, its retention)',
  'S3 object keys are not grouped (that would be one row per object): object-level calls carry no resource',
  'an event present both here and in a trail bucket or event history counts once per source (aggregates carry no event IDs)',
];

export function parseEventDataStoreArn(arn: string): { region: string; account: string; id: string } | undefined {
  const m = /^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):(\d{12}):eventdatastore\/(.+)$/.exec(arn);
  return m ? { region: m[1], account: m[2], id: m[3] } : undefined;
}

export async function readLakeSource(spec: LakeSourceSpec, ctx: SourceContext, opts: LakeSourceOptions = {}): Promise<SourceRun> {
  const rb = new ReportBuilder(`lake:${spec.eventDataStore}`, 'lake', ctx);
  rb.blindSpots(LAKE_BLIND_SPOTS);
  const agg = new UsageAggregator({ contextKeys: ctx.contextKeys });
  const done = (): SourceRun => ({ report: rb.finish(), fold: () => agg });
  const eds = parseEventDataStoreArn(spec.eventDataStore);
  if (!eds) {
    rb.fail(`lake:${spec.eventDataStore}: not an event data store ARN (arn:aws:cloudtrail:<region>:<account>:eventdatastore/<id>)`);
    return done();
  }
  if (!ctx.since) {
    rb.fail(`lake:${eds.id}: a window start (--since) is needed`);
    return done();
  }
  const client = opts.client ?? new CloudTrailClient({ region: eds.region, maxAttempts: 1 });
  const retry: RetryOptions = { ...opts.retry, onRetry: (n, e, ms) => ctx.log?.(`lake:${eds.id}: retry ${n} in ${ms} ms after ${errorText(e)}`) };

  let delivery: string | undefined;
  if (spec.resultsBucket) {
    const check = await checkResultsBucket(opts.s3Client ?? defaultS3Client({ region: eds.region }), spec.resultsBucket, spec.eventDataStore);
    for (const n of check.notes) ctx.onNote?.(n);
    for (const p of check.problems) rb.problem(p);
    // A bucket CloudTrail cannot write to would fail the query: read the results without delivery instead.
    if (check.problems.length === 0) {
      const { bucket, prefix } = parseBucketTarget(spec.resultsBucket);
      delivery = `s3://${bucket}/${prefix}`;
    }
  }

  const { sql, uncarried } = aggregateQuery({ dialect: 'lake', from: eds.id, since: ctx.since, until: ctx.until, contextKeys: ctx.contextKeys });
  if (uncarried.length) rb.blindSpots([...LAKE_BLIND_SPOTS, `condition keys not carried by the aggregate: ${uncarried.join(', ')}`]);
  let queryId: string;
  try {
    const started = await withRetry(() => client.send(new StartQueryCommand({ QueryStatement: sql, DeliveryS3Uri: delivery })), retry);
    if (!started.QueryId) throw new Error('StartQuery returned no QueryId');
    queryId = started.QueryId;
  } catch (e) {
    rb.fail(`lake:${eds.id}: StartQuery failed: ${errorText(e)}${hint(e)}`);
    return done();
  }
  ctx.log?.(`lake:${eds.id}: query ${queryId} started`);

  const label = `lake:${eds.id} query ${queryId}`;
  const rows = await pollAndPage(
    (NextToken) => withRetry(() => client.send(new GetQueryResultsCommand({ QueryId: queryId, NextToken })), retry),
    opts.poll ?? {},
    label,
    rb,
    () => client.send(new CancelQueryCommand({ QueryId: queryId })),
  );
  if (rows) {
    const out = addRows(agg, rows, ctx.contextKeys, label);
    rb.report.events = out.events;
    if (out.valuesNotKept > 0) rb.report.contextValuesNotKept = (rb.report.contextValuesNotKept ?? 0) + out.valuesNotKept;
    for (const a of out.accounts) rb.account(a);
    for (const r of out.regions) rb.region(r);
    for (const b of out.bad) rb.problem(b);
  }
  return done();
}

function hint(e: unknown): string {
  const code = (e as { name?: string }).name ?? '';
  if (code === 'InsufficientS3BucketPolicyException') return ' (the results bucket policy does not let CloudTrail write: see the README, CloudTrail sources)';
  if (code === 'EventDataStoreNotFoundException' || code === 'EventDataStoreARNInvalidException') return ' (check the ARN and that its region is the data store\'s)';
  if (code === 'AccessDeniedException') return ' (the role needs cloudtrail:StartQuery and cloudtrail:GetQueryResults on the event data store)';
  return '';
}

type Page = { QueryStatus?: string; QueryResultRows?: Record<string, string>[][]; NextToken?: string; ErrorMessage?: string };

/** Polls until FINISHED, then pages the rows (rows of [{column: value}] cells become records). */
async function pollAndPage(
  get: (token?: string) => Promise<Page>,
  poll: PollOptions,
  label: string,
  rb: ReportBuilder,
  cancel: () => Promise<unknown>,
): Promise<Array<Record<string, string>> | undefined> {
  const wait = poll.sleep ?? sleep;
  const clock = poll.now ?? Date.now;
  const deadline = clock() + (poll.timeoutMs ?? 600_000);
  let interval = poll.intervalMs ?? 1000;
  const rows: Array<Record<string, string>> = [];
  let token: string | undefined;
  for (;;) {
    let page: Page;
    try {
      page = await get(token);
    } catch (e) {
      rb.fail(`${label}: GetQueryResults failed: ${errorText(e)}`);
      return undefined;
    }
    const status = page.QueryStatus;
    if (status === 'QUEUED' || status === 'RUNNING') {
      if (token !== undefined) {
        rb.fail(`${label}: went back to ${status} while paging results`);
        return undefined;
      }
      if (clock() >= deadline) {
        await cancel().catch(() => undefined);
        rb.fail(`${label}: still ${status} after ${Math.round((poll.timeoutMs ?? 600_000) / 1000)} s; cancelled (narrow the window or raise the time-out)`);
        return undefined;
      }
      await wait(interval);
      interval = Math.min(poll.maxIntervalMs ?? 5000, interval * 2);
      continue;
    }
    if (status !== 'FINISHED') {
      rb.fail(`${label}: ${status ?? 'no status'}${page.ErrorMessage ? `: ${page.ErrorMessage}` : ''}`);
      return undefined;
    }
    for (const cells of page.QueryResultRows ?? []) {
      const row: Record<string, string> = {};
      for (const cell of cells) for (const [k, v] of Object.entries(cell)) row[k] = v;
      rows.push(row);
    }
    if (!page.NextToken) return rows;
    token = page.NextToken;
  }
}
