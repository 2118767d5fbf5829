// CloudTrail event history (LookupEvents): management events of the last 90 days, 50 a page, at most 2 requests
// per second per account and region (so at most ~100 events/s). Each page's events go through the same
// processor as log objects (in-process: the API is the bottleneck, not parsing).
import { CloudTrailClient, LookupEventsCommand, type LookupAttribute } from '@aws-sdk/client-cloudtrail';
import { UsageAggregator } from '../aggregator.js';
import { BatchBuilder, EventProcessor, mayName } from '../event-batch.js';
import { SourceTally, SigRegistry } from '../tally.js';
import { errorText, ReportBuilder, type SourceContext, type SourceRun } from './common.js';
import { isThrottling, sleep, withRetry, type RetryOptions } from './retry.js';

export interface LookupEventsSpec {
  regions?: string[];
  /** One query per attribute (LookupEvents takes one at a time), e.g. Username of the IAM users under review. */
  attributes?: LookupAttribute[];
}

export interface LookupEventsOptions {
  clientFor?: (region: string) => CloudTrailClient;
  /** Requests per second per region (default 2, the API's limit). */
  rate?: number;
  /** Stop after this many events (default 100,000: ~17 minutes at the API's pace); the source is then partial. */
  maxEvents?: number;
  retry?: RetryOptions;
  sleep?: (ms: number) => Promise<void>;
  now?: Date;
}

const HISTORY_DAYS = 90;

export const LOOKUP_EVENTS_BLIND_SPOTS = [
  'data events: S3 object-level calls (GetObject, PutObject ...), Lambda Invoke, DynamoDB item calls and other data-plane APIs are never in event history',
  'denied data-plane calls (they are data events too), and denials that CloudTrail does not record at all (e.g. requests refused before authentication)',
  'network activity events (VPC endpoint events)',
  'events older than 90 days',
  'regions not queried (event history is per region; global services such as IAM and STS log in us-east-1)',
];

/** Spaces requests so no region sees more than `rate` per second. */
class Pacer {
  private next = 0;
  constructor(
    private readonly gapMs: number,
    private readonly wait: (ms: number) => Promise<void>,
  ) {}
  async turn(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.gapMs;
    if (at > now) await this.wait(at - now);
  }
}

export async function readLookupEventsSource(spec: LookupEventsSpec, ctx: SourceContext, opts: LookupEventsOptions = {}): Promise<SourceRun> {
  const regions = spec.regions?.length ? spec.regions : [process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'];
  const rb = new ReportBuilder(`lookup-events:${regions.join(',')}`, 'lookup-events', ctx);
  const blind = [...LOOKUP_EVENTS_BLIND_SPOTS];
  const tally = new SourceTally(ctx.ledger);
  const now = opts.now ?? new Date();
  const done = (): SourceRun => ({ report: rb.finish(), fold: () => tally.into(new UsageAggregator({ contextKeys: ctx.contextKeys })) });

  const oldest = new Date(now.getTime() - HISTORY_DAYS * 86_400_000);
  const since = ctx.since && ctx.since > oldest ? ctx.since : oldest;
  if (ctx.since && ctx.since < oldest) {
    rb.problem(`lookup-events: the window starts ${ctx.since.toISOString().slice(0, 10)} but event history keeps only 90 days (from ${oldest.toISOString().slice(0, 10)}); older events are not seen`);
  }
  const until = ctx.until && ctx.until < now ? ctx.until : now;
  if (spec.attributes?.length) blind.push(`events not matching the lookup attributes (${spec.attributes.map((a) => `${a.AttributeKey}=${a.AttributeValue}`).join(', ')})`);
  rb.blindSpots(blind);

  // One processor and registry for the whole source: pages are processed here, in order.
  const proc = new EventProcessor({ contextKeys: ctx.contextKeys, since: since.toISOString(), until: until.toISOString(), scope: ctx.scope });
  const registry = new SigRegistry();
  const maxEvents = opts.maxEvents ?? 100_000;
  const wait = opts.sleep ?? sleep;
  let seen = 0;
  let cut = false;

  await Promise.all(
    regions.map(async (region) => {
      const client = opts.clientFor?.(region) ?? new CloudTrailClient({ region, maxAttempts: 1 });
      const pacer = new Pacer(1000 / (opts.rate ?? 2), wait);
      // Throttling backs off harder than other errors: the limit is per account and region, shared with others.
      const retry: RetryOptions = {
        attempts: 6,
        baseDelayMs: 1000,
        sleep: wait,
        ...opts.retry,
        onRetry: (n, e, ms) => ctx.log?.(`lookup-events ${region}: retry ${n} in ${ms} ms after ${errorText(e)}${isThrottling(e) ? ' (throttled)' : ''}`),
      };
      rb.region(region);
      for (const attribute of spec.attributes?.length ? spec.attributes : [undefined]) {
        let token: string | undefined;
        const tokens = new Set<string>();
        let page = 0;
        do {
          if (seen >= maxEvents) {
            cut = true;
            return;
          }
          let out;
          try {
            out = await withRetry(async () => {
              await pacer.turn();
              return client.send(
                new LookupEventsCommand({ StartTime: since, EndTime: until, MaxResults: 50, NextToken: token, LookupAttributes: attribute ? [attribute] : undefined }),
              );
            }, retry);
          } catch (e) {
            rb.problem(`lookup-events ${region}${attribute ? ` ${attribute.AttributeKey}=${attribute.AttributeValue}` : ''}: page ${page + 1} failed: ${errorText(e)}${isThrottling(e) ? ' (throttled; gave up after retries)' : ''}; the rest of this region was not read`);
            return;
          }
          page++;
          const b = new BatchBuilder(`lookup-events ${region} page ${page}`);
          for (const e of out.Events ?? []) {
            seen++;
            let record: unknown;
            try {
              record = JSON.parse(e.CloudTrailEvent ?? '');
            } catch {
              b.problem(`event ${e.EventId ?? '?'}: CloudTrailEvent is not JSON`);
              continue;
            }
            if (record && typeof record === 'object' && !Array.isArray(record)) {
              // Each event is its own string: the scope's text test applies to exactly one record.
              if (proc.scope && !mayName(e.CloudTrailEvent!, proc.scope)) proc.skip(record as Record<string, unknown>, b);
              else proc.record(record as Record<string, unknown>, b);
            }
            else b.problem(`event ${e.EventId ?? '?'}: CloudTrailEvent is not an object`);
          }
          const { newSigs, firstSig } = proc.takeNewSigs();
          const batch = b.finish(newSigs, firstSig);
          registry.register(batch);
          tally.add(batch, registry);
          rb.batch(batch, false);
          token = out.NextToken;
          // A NextToken seen before means the pages go round in a circle: stop, and say the region is incomplete.
          if (token !== undefined && tokens.has(token)) {
            rb.problem(`lookup-events ${region}: page ${page} returned a NextToken already seen; stopped, the rest of this region was not read`);
            return;
          }
          if (token !== undefined) tokens.add(token);
        } while (token);
      }
    }),
  );
  if (cut) rb.problem(`lookup-events: stopped after ${seen} events (max-events ${maxEvents}); the rest of the window was not read. Use a trail bucket, Lake or Athena for accounts this busy.`);
  return done();
}
