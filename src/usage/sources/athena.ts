// Athena over a CloudTrail table: the same aggregate query as the Lake, pruned to the window by the table's
// partitions (partition projection or registered partitions, read from GetTableMetadata), results read from the
// query's output location (the CSV Athena wrote), or paged with GetQueryResults when that object cannot be read.
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetTableMetadataCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type TableMetadata,
} from '@aws-sdk/client-athena';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UsageAggregator } from '../aggregator.js';
import { addRows, aggregateQuery } from './aggregate-sql.js';
import { errorText, ReportBuilder, type SourceContext, type SourceRun } from './common.js';
import type { PollOptions } from './lake.js';
import { sleep, withRetry, type RetryOptions } from './retry.js';
import { defaultS3Client, parseS3Uri, s3ErrorMessage } from './s3.js';

export interface AthenaSourceSpec {
  table: string;
  database?: string;
  workgroup?: string;
  outputLocation?: string;
  catalog?: string;
}

export interface AthenaSourceOptions {
  client?: AthenaClient;
  s3Client?: S3Client;
  retry?: RetryOptions;
  poll?: PollOptions;
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

const ATHENA_BLIND_SPOTS = [
  'only what the trail behind the table delivers (management and/or data events by its selectors; its accounts and regions)',
  'S3 object keys are not grouped (that would be one row per object): object-level calls carry no resource',
  'an event present both here and in another source counts once per source (aggregates carry no event IDs)',
];

/** Java date pattern (as in projection.<key>.format) -> the date in that form. */
function formatDate(pattern: string, d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return pattern
    .replace(/yyyy/g, String(d.getUTCFullYear()))
    .replace(/MM/g, pad(d.getUTCMonth() + 1))
    .replace(/dd/g, pad(d.getUTCDate()))
    .replace(/HH/g, pad(d.getUTCHours()));
}

/**
 * WHERE conditions that prune partitions to the window, from the table's partition keys and projection settings.
 * Returns the conditions and a note when nothing could be pruned.
 */
export function partitionFilter(meta: Pick<TableMetadata, 'PartitionKeys' | 'Parameters'> | undefined, since: Date, until: Date): { where: string[]; note?: string } {
  const keys = (meta?.PartitionKeys ?? []).map((k) => ({ name: (k.Name ?? '').toLowerCase(), type: (k.Type ?? '').toLowerCase() }));
  const params = meta?.Parameters ?? {};
  const quoted = (k: string) => `"${k.replace(/"/g, '')}"`;
  // A date-typed projected key ("timestamp" in AWS's CloudTrail example) or one with a date format.
  for (const k of keys) {
    const format = params[`projection.${k.name}.format`];
    const projected = params[`projection.${k.name}.type`] === 'date';
    if (format && (projected || /yyyy/.test(format))) {
      return { where: [`${quoted(k.name)} BETWEEN '${formatDate(format, since)}' AND '${formatDate(format, until)}'`] };
    }
    if (k.type === 'date') return { where: [`${quoted(k.name)} BETWEEN DATE '${formatDate('yyyy-MM-dd', since)}' AND DATE '${formatDate('yyyy-MM-dd', until)}'`] };
  }
  const names = new Set(keys.map((k) => k.name));
  if (names.has('year') && names.has('month')) {
    const part = (k: string, w: number) => `lpad(CAST(${quoted(k)} AS varchar), ${w}, '0')`;
    const expr = names.has('day') ? `concat(${part('year', 4)}, '/', ${part('month', 2)}, '/', ${part('day', 2)})` : `concat(${part('year', 4)}, '/', ${part('month', 2)})`;
    const f = names.has('day') ? 'yyyy/MM/dd' : 'yyyy/MM';
    return { where: [`${expr} BETWEEN '${formatDate(f, since)}' AND '${formatDate(f, until)}'`] };
  }
  for (const k of keys) {
    if (['dt', 'date', 'day'].includes(k.name) && k.type.startsWith('string')) {
      return { where: [`${quoted(k.name)} BETWEEN '${formatDate('yyyy-MM-dd', since)}' AND '${formatDate('yyyy-MM-dd', until)}'`] };
    }
  }
  return {
    where: [],
    note: keys.length
      ? `partition keys ${keys.map((k) => k.name).join(', ')} are not a recognised date layout: the query filters on eventtime only and scans every partition`
      : 'the table has no partitions: the query filters on eventtime only and scans the whole table (partition projection on the date keeps the cost to the window)',
  };
}

/** RFC 4180 CSV (Athena's output): quoted fields, doubled quotes, newlines inside quotes. First line is the header. */
export function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...body] = rows;
  if (!header) return [];
  return body.filter((r) => r.length > 1 || r[0] !== '').map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

export async function readAthenaSource(spec: AthenaSourceSpec, ctx: SourceContext, opts: AthenaSourceOptions = {}): Promise<SourceRun> {
  const database = spec.database ?? 'default';
  const catalog = spec.catalog ?? 'AwsDataCatalog';
  const rb = new ReportBuilder(`athena:${database}.${spec.table}`, 'athena', ctx);
  rb.blindSpots(ATHENA_BLIND_SPOTS);
  const agg = new UsageAggregator({ contextKeys: ctx.contextKeys });
  const done = (): SourceRun => ({ report: rb.finish(), fold: () => agg });
  for (const [what, v] of [['table', spec.table], ['database', database], ['catalog', catalog], ['workgroup', spec.workgroup]] as const) {
    if (v !== undefined && !NAME.test(v)) {
      rb.fail(`athena: ${what} ${JSON.stringify(v)} is not a plain name (letters, digits, _ and -)`);
      return done();
    }
  }
  if (!ctx.since) {
    rb.fail(`athena:${database}.${spec.table}: a window start (--since) is needed`);
    return done();
  }
  const client = opts.client ?? new AthenaClient({ region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1', maxAttempts: 1 });
  const retry: RetryOptions = { ...opts.retry, onRetry: (n, e, ms) => ctx.log?.(`athena: retry ${n} in ${ms} ms after ${errorText(e)}`) };
  const label = `athena:${database}.${spec.table}`;

  // Partitions prune the window; without table metadata the query still runs, unpruned.
  let meta: TableMetadata | undefined;
  try {
    meta = (await withRetry(() => client.send(new GetTableMetadataCommand({ CatalogName: catalog, DatabaseName: database, TableName: spec.table })), retry)).TableMetadata;
  } catch (e) {
    ctx.onNote?.(`${label}: could not read the table's partitions (${errorText(e)}; athena:GetTableMetadata and glue:GetTable): the query is not pruned`);
  }
  const until = ctx.until ?? new Date();
  const pruning = partitionFilter(meta, ctx.since, until);
  if (pruning.note) ctx.onNote?.(`${label}: ${pruning.note}`);
  const { sql, uncarried } = aggregateQuery({
    dialect: 'athena',
    from: `"${catalog}"."${database}"."${spec.table}"`,
    since: ctx.since,
    until: ctx.until,
    contextKeys: ctx.contextKeys,
    where: pruning.where,
  });
  if (uncarried.length) rb.blindSpots([...ATHENA_BLIND_SPOTS, `condition keys not carried by the aggregate: ${uncarried.join(', ')}`]);

  let id: string;
  try {
    const started = await withRetry(
      () =>
        client.send(
          new StartQueryExecutionCommand({
            QueryString: sql,
            QueryExecutionContext: { Database: database, Catalog: catalog },
            WorkGroup: spec.workgroup,
            ResultConfiguration: spec.outputLocation ? { OutputLocation: spec.outputLocation } : undefined,
          }),
        ),
      retry,
    );
    if (!started.QueryExecutionId) throw new Error('StartQueryExecution returned no QueryExecutionId');
    id = started.QueryExecutionId;
  } catch (e) {
    rb.fail(`${label}: StartQueryExecution failed: ${errorText(e)}`);
    return done();
  }
  const qlabel = `${label} query ${id}`;

  // Poll until the query ends.
  const poll = opts.poll ?? {};
  const wait = poll.sleep ?? sleep;
  const clock = poll.now ?? Date.now;
  const deadline = clock() + (poll.timeoutMs ?? 600_000);
  let interval = poll.intervalMs ?? 1000;
  let output: string | undefined;
  for (;;) {
    let state: string | undefined;
    let reason: string | undefined;
    try {
      const q = (await withRetry(() => client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })), retry)).QueryExecution;
      state = q?.Status?.State;
      reason = q?.Status?.StateChangeReason ?? q?.Status?.AthenaError?.ErrorMessage;
      output = q?.ResultConfiguration?.OutputLocation;
    } catch (e) {
      rb.fail(`${qlabel}: GetQueryExecution failed: ${errorText(e)}`);
      return done();
    }
    if (state === 'SUCCEEDED') break;
    if (state === 'QUEUED' || state === 'RUNNING') {
      if (clock() >= deadline) {
        await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        rb.fail(`${qlabel}: still ${state} after ${Math.round((poll.timeoutMs ?? 600_000) / 1000)} s; stopped (narrow the window or raise the time-out)`);
        return done();
      }
      await wait(interval);
      interval = Math.min(poll.maxIntervalMs ?? 5000, interval * 2);
      continue;
    }
    rb.fail(`${qlabel}: ${state ?? 'no state'}${reason ? `: ${reason}` : ''}`);
    return done();
  }

  const rows = (await readOutput(output, opts.s3Client, qlabel, (m) => ctx.onNote?.(m))) ?? (await pageResults(client, id, retry, qlabel, rb));
  if (rows) {
    const out = addRows(agg, rows, ctx.contextKeys, qlabel);
    rb.report.events = out.events;
    if (out.valuesNotKept > 0) rb.report.contextValuesNotKept = (rb.report.contextValuesNotKept ?? 0) + out.valuesNotKept;
    for (const a of out.accounts) rb.account(a);
    for (const r of out.regions) rb.region(r);
    for (const b of out.bad) rb.problem(b);
  }
  return done();
}

/** The CSV Athena wrote at the output location; undefined (with a note) when it cannot be read. */
async function readOutput(location: string | undefined, s3: S3Client | undefined, label: string, note: (m: string) => void) {
  const target = location ? parseS3Uri(location) : undefined;
  if (!target) return undefined;
  const key = target.prefix.replace(/\/$/, '');
  try {
    const r = await (s3 ?? defaultS3Client()).send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
    const text = await r.Body?.transformToString('utf8');
    if (text === undefined) throw new Error('empty body');
    return parseCsv(text);
  } catch (e) {
    note(`${label}: ${s3ErrorMessage(e, location!)}; reading the rows with GetQueryResults instead`);
    return undefined;
  }
}

async function pageResults(client: AthenaClient, id: string, retry: RetryOptions, label: string, rb: ReportBuilder) {
  const rows: Array<Record<string, string>> = [];
  let header: string[] | undefined;
  let token: string | undefined;
  try {
    do {
      const page = await withRetry(() => client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 })), retry);
      for (const r of page.ResultSet?.Rows ?? []) {
        const cells = (r.Data ?? []).map((d) => d.VarCharValue ?? '');
        if (!header) header = cells;
        else rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
      }
      token = page.NextToken;
    } while (token);
  } catch (e) {
    rb.fail(`${label}: GetQueryResults failed: ${errorText(e)}`);
    return undefined;
  }
  return rows;
}
