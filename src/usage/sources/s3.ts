// CloudTrail from a trail bucket: AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<objects>.json.gz.
// Only the folders of the accounts, regions and days in the window are listed; objects whose delivery time
// (in their name) is outside it are not fetched. Objects are fetched with bounded concurrency and retries and
// handed to the worker pool; what is read is counted on this thread.
import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { UsageAggregator } from '../aggregator.js';
import { SourceTally } from '../tally.js';
import { errorText, forEachLimit, ReportBuilder, type SourceContext, type SourceRun } from './common.js';
import { isRetryable, withRetry, type RetryOptions } from './retry.js';
import { mayHoldWindow, periodPrefixes } from './window.js';

export interface S3SourceSpec {
  /** s3://bucket[/prefix]; the prefix may already go into AWSLogs/ (org, account, region). */
  uri: string;
  accounts?: string[];
  regions?: string[];
  /** o-xxxxxxxxxx: an organization trail's folder. */
  organization?: string;
}

export interface S3SourceOptions {
  client?: S3Client;
  /** Used when no client is given (region, endpoint, credentials ...). */
  clientConfig?: S3ClientConfig;
  /** Objects fetched at once (default 16). */
  concurrency?: number;
  /** Folders listed at once (default 8). */
  listConcurrency?: number;
  retry?: RetryOptions;
  /** Objects larger than this are not read (default 512 MB). */
  maxObjectBytes?: number;
  /** A request that has not finished after this long is abandoned and retried (default 120 s). */
  requestTimeoutMs?: number;
  now?: Date;
}

const ACCOUNT = /^\d{12}$/;
const ORG = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function parseS3Uri(uri: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m || !m[1]) return undefined;
  const prefix = m[2] && !m[2].endsWith('/') ? `${m[2]}/` : m[2];
  return { bucket: m[1], prefix };
}

/** Splits a prefix at AWSLogs/ into the part before and the layout levels it already names. */
export function layoutOf(prefix: string): { base: string; org?: string; account?: string; region?: string } {
  const at = prefix.indexOf('AWSLogs/');
  if (at < 0) return { base: prefix };
  const base = prefix.slice(0, at);
  const parts = prefix.slice(at + 'AWSLogs/'.length).split('/').filter(Boolean);
  const out: { base: string; org?: string; account?: string; region?: string } = { base };
  let i = 0;
  if (parts[i] && ORG.test(parts[i])) out.org = parts[i++];
  if (parts[i] && ACCOUNT.test(parts[i])) out.account = parts[i++];
  if (parts[i] === 'CloudTrail' && parts[i + 1]) out.region = parts[i + 1];
  return out;
}

export function defaultS3Client(config: S3ClientConfig = {}): S3Client {
  // One retry layer (ours, see retry.ts).
  return new S3Client({ region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1', maxAttempts: 1, ...config });
}

/** A message that names what failed and, for the usual causes, what to do. */
export function s3ErrorMessage(e: unknown, where: string, clientRegion?: string): string {
  const err = e as { name?: string; Code?: string; Region?: string; $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> } };
  const code = err?.Code ?? err?.name ?? '';
  const status = err?.$metadata?.httpStatusCode;
  const region = err?.$response?.headers?.['x-amz-bucket-region'] ?? err?.Region;
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || code === 'IllegalLocationConstraintException' || status === 301) {
    return `${where}: the bucket is in ${region ? `region ${region}` : 'another region'}${clientRegion ? `, not ${clientRegion}` : ''}; set AWS_REGION${region ? `=${region}` : ''} (or the source's region) and run again`;
  }
  if (code === 'NoSuchBucket') return `${where}: the bucket does not exist`;
  if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) {
    return `${where}: access denied (${errorText(e)}); the role needs s3:ListBucket on the bucket and s3:GetObject on its objects (and kms:Decrypt when the trail is KMS-encrypted)`;
  }
  if (code === 'NoSuchKey') return `${where}: the object is gone (deleted while reading?)`;
  return `${where}: ${errorText(e)}`;
}

class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export async function readS3Source(spec: S3SourceSpec, ctx: SourceContext, opts: S3SourceOptions = {}): Promise<SourceRun> {
  const rb = new ReportBuilder(spec.uri, 's3', ctx);
  rb.report.objects = 0;
  rb.report.bytes = 0;
  const tally = new SourceTally(ctx.ledger);
  const done = (): SourceRun => ({ report: rb.finish(), fold: () => tally.into(new UsageAggregator({ contextKeys: ctx.contextKeys })) });

  const parsed = parseS3Uri(spec.uri);
  if (!parsed) {
    rb.fail(`${spec.uri}: not an s3://bucket[/prefix] URI`);
    return done();
  }
  if (!ctx.since) {
    rb.fail(`${spec.uri}: a window start (--since) is needed to choose the days to list`);
    return done();
  }
  const { bucket, prefix } = parsed;
  const client = opts.client ?? defaultS3Client(opts.clientConfig);
  const clientRegion = typeof client.config.region === 'function' ? await client.config.region().catch(() => undefined) : undefined;
  const retry: RetryOptions = { ...opts.retry, onRetry: (n, e, ms) => ctx.log?.(`s3://${bucket}: retry ${n} in ${ms} ms after ${errorText(e)}`) };
  const now = opts.now ?? new Date();
  const layout = layoutOf(prefix);
  const logs = `${layout.base}AWSLogs/`;
  const where = (p: string) => `s3://${bucket}/${p}`;
  // A stalled connection must not hang the gate: abandon it (and retry).
  const timeout = () => AbortSignal.timeout(opts.requestTimeoutMs ?? 120_000);

  /** Every page of a listing (retried); `delimiter` gives the sub-folders instead of the keys. */
  async function* list(p: string, delimiter?: string) {
    let token: string | undefined;
    const tokens = new Set<string>();
    do {
      const page = await withRetry(
        () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p, Delimiter: delimiter, ContinuationToken: token }), { abortSignal: timeout() }),
        retry,
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      // A server that hands back a token it gave before would keep us listing forever.
      if (token !== undefined && tokens.has(token)) throw new Error(`listing ${where(p)} returned the same continuation token twice; stopped`);
      if (token !== undefined) tokens.add(token);
    } while (token);
  }
  async function folders(p: string): Promise<string[]> {
    const out: string[] = [];
    for await (const page of list(p, '/')) for (const c of page.CommonPrefixes ?? []) if (c.Prefix) out.push(c.Prefix.slice(p.length).replace(/\/$/, ''));
    return out;
  }

  // 1. Account folders: given by the prefix or the spec, else listed (under the organization folder, if any).
  let accountRoots: Array<{ account: string; root: string }>;
  try {
    accountRoots = await accountFolders();
  } catch (e) {
    rb.fail(s3ErrorMessage(e, where(logs), clientRegion));
    return done();
  }
  async function accountFolders(): Promise<Array<{ account: string; root: string }>> {
    const orgs = layout.org ? [layout.org] : spec.organization ? [spec.organization] : undefined;
    if (layout.account) return [{ account: layout.account, root: `${logs}${layout.org ? `${layout.org}/` : ''}${layout.account}/` }];
    const roots: Array<{ account: string; root: string }> = [];
    const top = orgs ? [] : await folders(logs);
    for (const name of top) if (ACCOUNT.test(name)) roots.push({ account: name, root: `${logs}${name}/` });
    for (const org of orgs ?? top.filter((n) => ORG.test(n))) {
      for (const name of await folders(`${logs}${org}/`)) if (ACCOUNT.test(name)) roots.push({ account: name, root: `${logs}${org}/${name}/` });
    }
    const wanted = spec.accounts?.length ? new Set(spec.accounts) : undefined;
    if (wanted) {
      for (const a of wanted) if (!roots.some((r) => r.account === a)) rb.problem(`${where(logs)}: no folder for account ${a}`);
      return roots.filter((r) => wanted.has(r.account));
    }
    return roots;
  }
  if (accountRoots.length === 0) {
    rb.fail(`${where(logs)}: no account folders (expected AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/)`);
    return done();
  }

  // 2. Region folders per account.
  const periods = periodPrefixes(ctx.since, ctx.until, now);
  const folderJobs: Array<{ account: string; region: string; prefix: string }> = [];
  await forEachLimit(accountRoots, opts.listConcurrency ?? 8, async ({ account, root }) => {
    let regions: string[];
    try {
      regions = layout.region ? [layout.region] : (await folders(`${root}CloudTrail/`)).filter((r) => REGION.test(r));
    } catch (e) {
      rb.problem(s3ErrorMessage(e, where(`${root}CloudTrail/`), clientRegion));
      return;
    }
    if (spec.regions?.length) regions = regions.filter((r) => spec.regions!.includes(r));
    rb.account(account);
    for (const region of regions) {
      rb.region(region);
      for (const period of periods) folderJobs.push({ account, region, prefix: `${root}CloudTrail/${region}/${period}` });
    }
  });
  for (const r of spec.regions ?? []) if (!folderJobs.some((j) => j.region === r)) rb.problem(`${where(logs)}: no ${r} folder under any account read`);

  // 3. List each day (or month) folder and read its objects; pages are read while the next are listed.
  const gets = new Semaphore(opts.concurrency ?? 16);
  const pool = ctx.pool();
  const maxBytes = opts.maxObjectBytes ?? 512 * 1024 * 1024;
  let listed = 0;
  // The semaphore covers the download and the hand-over to a worker: at most `concurrency` objects in memory.
  const readObject = (key: string) =>
    gets.run(async () => {
      const name = where(key);
      let data: Uint8Array;
      try {
        data = await withRetry(async () => {
          const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: timeout() });
          if (!r.Body) throw new Error('empty response body');
          return r.Body.transformToByteArray();
        }, retry);
      } catch (e) {
        rb.problem(s3ErrorMessage(e, name, clientRegion));
        return;
      }
      const { batch, registry, release } = await pool.read({ name, data, gz: /\.gz$/i.test(key) || (data[0] === 0x1f && data[1] === 0x8b) });
      tally.add(batch, registry);
      rb.batch(batch);
      release();
    });
  await forEachLimit(folderJobs, opts.listConcurrency ?? 8, async (job) => {
    try {
      for await (const page of list(job.prefix)) {
        const reads: Promise<void>[] = [];
        for (const o of page.Contents ?? []) {
          const key = o.Key;
          if (!key || key.endsWith('/')) continue;
          if (/CloudTrail-Digest/i.test(key)) {
            ctx.onNote?.(`${where(key)}: CloudTrail digest file (integrity hashes, no events), skipped`);
            continue;
          }
          if (!/\.json(\.gz)?$/i.test(key)) {
            ctx.onNote?.(`${where(key)}: not a CloudTrail log object (.json.gz), skipped`);
            continue;
          }
          if (!mayHoldWindow(key, ctx.since!, ctx.until)) continue;
          if ((o.Size ?? 0) > maxBytes) {
            rb.problem(`${where(key)}: ${o.Size} bytes, more than the ${maxBytes}-byte limit for one log object; not read`);
            continue;
          }
          listed++;
          reads.push(readObject(key));
        }
        await Promise.all(reads);
      }
    } catch (e) {
      rb.problem(s3ErrorMessage(e, where(job.prefix), clientRegion) + (isRetryable(e) ? ' (gave up after retries)' : ''));
    }
  });

  if (listed === 0 && !rb.incomplete) {
    rb.problem(
      `${where(logs)}: no log objects in the window ${ctx.since.toISOString().slice(0, 10)} to ${(ctx.until ?? now).toISOString().slice(0, 10)} ` +
        `(${accountRoots.length} account folder(s), ${new Set(folderJobs.map((j) => j.region)).size} region(s), ${periods.length} folder(s) each)`,
    );
  }
  return done();
}
