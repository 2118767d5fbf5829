// LookupEvents, CloudTrail Lake and Athena through the real SDK clients against a local HTTP fake that speaks their
// wire protocol (awsJson1_1): real serialisation, pagination tokens, epoch timestamps, modelled errors (throttling),
// query states QUEUED/RUNNING/FINISHED/FAILED/TIMED_OUT. Athena also against moto (always SUCCEEDED, seeded rows),
// and the Lake results-bucket check against moto's S3.
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNTS, prng, trailEvent } from '../../bench/cloudtrail-gen.js';
import { readAthenaSource } from '../../src/usage/sources/athena.js';
import { makeContext } from '../../src/usage/sources/common.js';
import { runUsageSources } from '../../src/usage/sources/index.js';
import { readLakeSource } from '../../src/usage/sources/lake.js';
import { readLookupEventsSource } from '../../src/usage/sources/lookup-events.js';
import { checkResultsBucket } from '../../src/usage/sources/results-bucket.js';
import { startMoto, type Moto } from '../support/moto.js';

type Reply = { status?: number; body: unknown };
type Handler = (op: string, input: Record<string, unknown>) => Reply;

interface Fake {
  endpoint: string;
  calls: Array<{ op: string; input: Record<string, unknown> }>;
  handle: Handler;
  close(): Promise<void>;
}

/** awsJson1_1: POST / with X-Amz-Target "<Service>.<Operation>", JSON in and out; errors as {"__type": ...}. */
async function startFake(): Promise<Fake> {
  const fake = { calls: [] as Fake['calls'], handle: (() => ({ status: 500, body: { __type: 'InternalFailure' } })) as Handler } as Fake;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const input = body ? JSON.parse(body) : {};
      fake.calls.push({ op, input });
      const reply = fake.handle(op, input);
      const status = reply.status ?? 200;
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
      const type = (reply.body as { __type?: string }).__type;
      if (status >= 400 && type) headers['x-amzn-errortype'] = type;
      res.writeHead(status, headers);
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  fake.endpoint = `http://127.0.0.1:${port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const noWait = async () => {};
let fake: Fake;
let moto: Moto;
let s3: S3Client;
beforeAll(async () => {
  fake = await startFake();
  moto = await startMoto();
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1', credentials, maxAttempts: 1 });
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await fake?.close();
  await moto?.stop();
});
beforeEach(() => (fake.calls = []));

const cloudtrail = () => new CloudTrailClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const NOW = new Date('2024-05-10T00:00:00Z');

function events(n: number, seed = 1): Array<Record<string, unknown>> {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, i) => trailEvent(rand, ACCOUNTS[0], 'us-east-1', new Date(Date.UTC(2024, 4, 5) + i * 60_000).toISOString().replace('.000', '')));
}
const asLookup = (e: Record<string, unknown>) => ({
  EventId: e.eventID,
  EventName: e.eventName,
  ReadOnly: String(e.readOnly),
  EventTime: Date.parse(e.eventTime as string) / 1000,
  EventSource: e.eventSource,
  CloudTrailEvent: JSON.stringify(e),
});

describe('LookupEvents', () => {
  const pages = (all: Array<Record<string, unknown>>): Handler => (op, input) => {
    if (op !== 'LookupEvents') return { status: 400, body: { __type: 'UnsupportedOperationException', Message: op } };
    const start = input.NextToken ? Number(String(input.NextToken).slice(1)) : 0;
    const size = Number(input.MaxResults);
    const next = start + size < all.length ? `p${start + size}` : undefined;
    return { body: { Events: all.slice(start, start + size).map(asLookup), ...(next ? { NextToken: next } : {}) } };
  };

  test('pages of 50 through NextToken, the window and the 2 requests/s pace; blind spots in the report', async () => {
    const all = events(120);
    fake.handle = pages(all);
    const waits: number[] = [];
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-09T00:00:00Z') });
    const run = await readLookupEventsSource({ regions: ['us-east-1'] }, ctx, { clientFor: cloudtrail, sleep: async (ms) => void waits.push(ms), now: NOW });
    expect(fake.calls.map((c) => [c.input.MaxResults, c.input.NextToken ?? null])).toEqual([
      [50, null],
      [50, 'p50'],
      [50, 'p100'],
    ]);
    expect(fake.calls[0].input.StartTime).toBe(Date.parse('2024-05-01T00:00:00Z') / 1000);
    expect(fake.calls[0].input.EndTime).toBe(Date.parse('2024-05-09T00:00:00Z') / 1000);
    // The pacer spaced the 2nd and 3rd request at least 500 ms after the one before.
    expect(waits.filter((w) => w > 0).length).toBeGreaterThanOrEqual(2);
    expect(waits.every((w) => w <= 1000)).toBe(true);
    expect(run.report).toMatchObject({ kind: 'lookup-events', status: 'ran', events: 120, regions: ['us-east-1'], accounts: [ACCOUNTS[0]] });
    expect(run.report.blindSpots?.join('\n')).toMatch(/data events: S3 object-level calls/);
    expect(run.report.blindSpots?.join('\n')).toMatch(/denied data-plane calls/);
    const s = run.fold().summary([run.report]);
    expect(s.totalEvents + s.badRecords).toBe(120);
    await ctx.close();
  });

  test('with a scope, events whose CloudTrailEvent names nothing in it are read, not mapped; the same usage for the scope', async () => {
    const all = events(120, 7);
    fake.handle = pages(all);
    const window = { since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-09T00:00:00Z') };
    const full = makeContext(window);
    const runFull = await readLookupEventsSource({ regions: ['us-east-1'] }, full, { clientFor: cloudtrail, sleep: noWait, now: NOW });
    await full.close();
    const scoped = makeContext({ ...window, scope: ['app-worker'] });
    const runScoped = await readLookupEventsSource({ regions: ['us-east-1'] }, scoped, { clientFor: cloudtrail, sleep: noWait, now: NOW });
    await scoped.close();
    const mine = all.filter((e) => JSON.stringify(e).includes('app-worker')).length;
    expect(mine).toBeGreaterThan(5);
    expect(runScoped.report).toMatchObject({ events: 120, skipped: 120 - mine });
    const about = (r: { principal: string }) => r.principal.endsWith(':role/app-worker');
    const a = runFull.fold().summary([runFull.report]);
    const b = runScoped.fold().summary([runScoped.report]);
    expect(b.records.filter(about)).toEqual(a.records.filter(about));
    expect(b.records.filter(about).length).toBeGreaterThan(0);
    expect(b.totalEvents).toBeLessThan(a.totalEvents);
  });

  test('throttling is retried with backoff; persistent throttling ends the region with a clear, partial report', async () => {
    const all = events(60);
    let throttled = 0;
    const ok = pages(all);
    fake.handle = (op, input) => (throttled++ < 2 ? { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } } : ok(op, input));
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z') });
    const logs: string[] = [];
    const run = await readLookupEventsSource({ regions: ['us-east-1'] }, { ...ctx, log: (m) => logs.push(m) }, { clientFor: cloudtrail, sleep: noWait, now: NOW });
    expect(run.report.status).toBe('ran');
    expect(run.report.events).toBe(60);
    expect(logs.filter((l) => /retry \d+ in \d+ ms after ThrottlingException.*\(throttled\)/.test(l))).toHaveLength(2);

    fake.handle = () => ({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } });
    const stuck = await readLookupEventsSource({ regions: ['eu-west-1'] }, ctx, { clientFor: cloudtrail, sleep: noWait, now: NOW });
    expect(stuck.report.status).toBe('partial');
    expect(stuck.report.errors).toEqual([
      'lookup-events eu-west-1: page 1 failed: ThrottlingException: Rate exceeded (HTTP 400) (throttled; gave up after retries); the rest of this region was not read',
    ]);
    await ctx.close();
  });

  test('a busy account is cut short at max-events, and a window beyond 90 days is said', async () => {
    fake.handle = pages(events(200));
    const ctx = makeContext({ since: new Date('2024-01-01T00:00:00Z') });
    const run = await readLookupEventsSource({ regions: ['us-east-1'] }, ctx, { clientFor: cloudtrail, sleep: noWait, now: NOW, maxEvents: 100 });
    expect(run.report.status).toBe('partial');
    expect(run.report.errors).toEqual([
      'lookup-events: the window starts 2024-01-01 but event history keeps only 90 days (from 2024-02-10); older events are not seen',
      'lookup-events: stopped after 100 events (max-events 100); the rest of the window was not read. Use a trail bucket, Lake or Athena for accounts this busy.',
    ]);
    await ctx.close();
  });

  test('lookup attributes narrow each query; an event also in a log file counts once', async () => {
    const all = events(10);
    fake.handle = pages(all);
    const dir = mkdtempSync(join(tmpdir(), 'usage-api-'));
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ Records: all.slice(0, 4) }));
    const s = await runUsageSources(
      [
        { kind: 'file', path: dir },
        { kind: 'lookup-events', regions: ['us-east-1'], attributes: [{ AttributeKey: 'Username', AttributeValue: 'alice' }] },
      ],
      { since: new Date('2024-05-01T00:00:00Z'), lookupEvents: { clientFor: cloudtrail, sleep: noWait, now: NOW } },
    );
    rmSync(dir, { recursive: true, force: true });
    expect(fake.calls[0].input.LookupAttributes).toEqual([{ AttributeKey: 'Username', AttributeValue: 'alice' }]);
    expect(s.duplicateEvents).toBe(4);
    expect(s.totalEvents + s.badRecords).toBe(10);
    expect(s.sources.map((x) => [x.kind, x.status])).toEqual([
      ['file', 'ran'],
      ['lookup-events', 'ran'],
    ]);
    expect(s.complete).toBe(true);
  });
});

const EDS = 'arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-eds-0001';
const lakeRow = (principal: string, name: string, count: number) => [
  { ui_type: 'AssumedRole' },
  { ui_issuer: principal },
  { ui_account: '111122223333' },
  { event_source: 's3.amazonaws.com' },
  { event_name: name },
  { rp_bucketname: 'app-data' },
  { region: 'us-east-1' },
  { recipient_account: '111122223333' },
  { event_count: String(count) },
  { first_seen: '2024-05-02 10:00:00.000' },
  { last_seen: '2024-05-03 11:00:00.000' },
];

describe('CloudTrail Lake', () => {
  const poll = { sleep: noWait, intervalMs: 1 };

  test('with aws:SourceIp tested, the query bounds the addresses per group and the folded events are reported', async () => {
    const row = (ip: string | undefined, count: number, notKept: number) => [
      ...lakeRow('arn:aws:iam::111122223333:role/app', 'GetObject', count),
      ...(ip ? [{ ctx_sourceip: ip }] : []),
      { values_not_kept: String(notKept) },
    ];
    fake.handle = (op) => {
      if (op === 'StartQuery') return { body: { QueryId: 'q-9' } };
      return { body: { QueryStatus: 'FINISHED', QueryResultRows: [row('198.51.100.7', 30, 0), row(undefined, 12, 9)] } };
    };
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z'), contextKeys: ['aws:SourceIp'] });
    const run = await readLakeSource({ eventDataStore: EDS }, ctx, { client: cloudtrail(), poll });
    const sql = String(fake.calls[0].input.QueryStatement);
    expect(sql).toContain('dense_rank() OVER (PARTITION BY');
    expect(sql).toContain('CASE WHEN r_ctx_sourceip <= 1000 THEN ctx_sourceip END AS ctx_sourceip');
    expect(run.report).toMatchObject({ status: 'ran', events: 42, contextValuesNotKept: 9 });
    const s = run.fold().summary([run.report]);
    expect(s.records.map((r) => [r.count, r.context])).toEqual([
      [12, {}],
      [30, { 'aws:sourceip': '198.51.100.7' }],
    ]);
    await ctx.close();
  });

  test('QUEUED -> RUNNING -> FINISHED, two pages of aggregate rows', async () => {
    const states = ['QUEUED', 'RUNNING'];
    fake.handle = (op, input) => {
      if (op === 'StartQuery') return { body: { QueryId: 'q-1' } };
      if (op === 'GetQueryResults') {
        const s = states.shift();
        if (s) return { body: { QueryStatus: s } };
        if (!input.NextToken) return { body: { QueryStatus: 'FINISHED', QueryResultRows: [lakeRow('arn:aws:iam::111122223333:role/app', 'GetObject', 40)], NextToken: 't2' } };
        return { body: { QueryStatus: 'FINISHED', QueryResultRows: [lakeRow('arn:aws:iam::111122223333:role/app', 'ListObjects', 2)] } };
      }
      return { status: 400, body: { __type: 'UnsupportedOperationException' } };
    };
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-09T00:00:00Z') });
    const run = await readLakeSource({ eventDataStore: EDS }, ctx, { client: cloudtrail(), poll });
    const sql = String(fake.calls[0].input.QueryStatement);
    expect(sql).toContain('FROM EXAMPLE-eds-0001');
    expect(sql).toMatch(/GROUP BY/);
    expect(fake.calls.map((c) => c.op)).toEqual(['StartQuery', 'GetQueryResults', 'GetQueryResults', 'GetQueryResults', 'GetQueryResults']);
    expect(run.report).toMatchObject({ id: `lake:${EDS}`, kind: 'lake', status: 'ran', events: 42, accounts: ['111122223333'], regions: ['us-east-1'] });
    const s = run.fold().summary([run.report]);
    expect(s.records.map((r) => [r.action, r.resource, r.count, r.firstSeen, r.lastSeen])).toEqual([
      ['s3:GetObject', undefined, 40, '2024-05-02T10:00:00.000Z', '2024-05-03T11:00:00.000Z'],
      ['s3:ListBucket', 'arn:aws:s3:::app-data', 2, '2024-05-02T10:00:00.000Z', '2024-05-03T11:00:00.000Z'],
    ]);
    await ctx.close();
  });

  test.each([
    ['FAILED', 'Query failed: line 3: column foo cannot be resolved', `lake:EXAMPLE-eds-0001 query q-2: FAILED: Query failed: line 3: column foo cannot be resolved`],
    ['TIMED_OUT', undefined, 'lake:EXAMPLE-eds-0001 query q-2: TIMED_OUT'],
  ])('a query that ends %s fails the source with the query id and reason', async (state, message, expected) => {
    fake.handle = (op) => (op === 'StartQuery' ? { body: { QueryId: 'q-2' } } : { body: { QueryStatus: state, ...(message ? { ErrorMessage: message } : {}) } });
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z') });
    const run = await readLakeSource({ eventDataStore: EDS }, ctx, { client: cloudtrail(), poll });
    expect(run.report.status).toBe('failed');
    expect(run.report.errors).toEqual([expected]);
    await ctx.close();
  });

  test('a query still running at the time-out is cancelled and reported', async () => {
    fake.handle = (op) => (op === 'StartQuery' ? { body: { QueryId: 'q-3' } } : op === 'CancelQuery' ? { body: { QueryId: 'q-3', QueryStatus: 'CANCELLED' } } : { body: { QueryStatus: 'RUNNING' } });
    let clock = 0;
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z') });
    const run = await readLakeSource({ eventDataStore: EDS }, ctx, {
      client: cloudtrail(),
      poll: { timeoutMs: 60_000, intervalMs: 1000, sleep: async (ms) => void (clock += ms), now: () => clock },
    });
    expect(fake.calls.at(-1)?.op).toBe('CancelQuery');
    expect(run.report.errors).toEqual(['lake:EXAMPLE-eds-0001 query q-3: still RUNNING after 60 s; cancelled (narrow the window or raise the time-out)']);
    await ctx.close();
  });

  test('StartQuery refused (no such data store) names the call and what to check', async () => {
    fake.handle = () => ({ status: 400, body: { __type: 'EventDataStoreNotFoundException', Message: 'The specified event data store was not found.' } });
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z') });
    const run = await readLakeSource({ eventDataStore: EDS }, ctx, { client: cloudtrail(), poll });
    expect(run.report.errors[0]).toMatch(/^lake:EXAMPLE-eds-0001: StartQuery failed: EventDataStoreNotFoundException.*check the ARN and that its region is the data store's/);
    await ctx.close();
  });

  test('results bucket (moto S3): a policy for another data store is said exactly; the query runs without delivery', async () => {
    await moto.reset();
    await s3.send(new CreateBucketCommand({ Bucket: 'lake-results' }));
    const other = EDS.replace('0001', '9999');
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'lake-results',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Sid: 'Lake', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: ['s3:PutObject', 's3:GetBucketAcl'], Resource: ['arn:aws:s3:::lake-results', 'arn:aws:s3:::lake-results/*'], Condition: { StringEquals: { 'aws:SourceArn': other } } },
          ],
        }),
      }),
    );
    const check = await checkResultsBucket(s3, 's3://lake-results/gate', EDS);
    expect(check.problems).toEqual([
      `s3://lake-results: the statements that allow cloudtrail.amazonaws.com s3:PutObject on arn:aws:s3:::lake-results/gate/* require aws:SourceArn ${other}, not this event data store (${EDS})`,
      `s3://lake-results: the statements that allow cloudtrail.amazonaws.com s3:GetBucketAcl on arn:aws:s3:::lake-results require aws:SourceArn ${other}, not this event data store (${EDS})`,
    ]);

    fake.handle = (op) => (op === 'StartQuery' ? { body: { QueryId: 'q-4' } } : { body: { QueryStatus: 'FINISHED', QueryResultRows: [] } });
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z') });
    const run = await readLakeSource({ eventDataStore: EDS, resultsBucket: 's3://lake-results/gate' }, ctx, { client: cloudtrail(), s3Client: s3, poll });
    expect(fake.calls[0].input.DeliveryS3Uri).toBeUndefined();
    expect(run.report.status).toBe('partial');
    expect(run.report.errors).toHaveLength(2);
    await ctx.close();

    // Fixed: the right data store -> delivered there. (moto ignores Requester Pays: see the unit test.)
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'lake-results',
        Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: ['s3:PutObject', 's3:GetBucketAcl'], Resource: ['arn:aws:s3:::lake-results', 'arn:aws:s3:::lake-results/*'], Condition: { StringEquals: { 'aws:SourceArn': EDS } } }] }),
      }),
    );
    fake.calls = [];
    const ctx2 = makeContext({ since: new Date('2024-05-01T00:00:00Z') });
    const ok = await readLakeSource({ eventDataStore: EDS, resultsBucket: 's3://lake-results/gate' }, ctx2, { client: cloudtrail(), s3Client: s3, poll });
    expect(fake.calls[0].input.DeliveryS3Uri).toBe('s3://lake-results/gate/');
    expect(ok.report.status).toBe('ran');
    await ctx2.close();
  });
});

describe('Athena', () => {
  const poll = { sleep: noWait, intervalMs: 1 };
  const athena = () => new AthenaClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const header = ['ui_type', 'ui_issuer', 'ui_account', 'event_source', 'event_name', 'rp_bucketname', 'region', 'recipient_account', 'event_count', 'first_seen', 'last_seen'];
  const values = ['AssumedRole', 'arn:aws:iam::111122223333:role/etl', '111122223333', 's3.amazonaws.com', 'ListObjects', 'raw', 'eu-west-1', '111122223333', '7', '2024-05-02T10:00:00Z', '2024-05-04T10:00:00Z'];

  test('pruned by partition projection, QUEUED -> RUNNING -> SUCCEEDED, rows read from the output location CSV (moto S3)', async () => {
    await moto.reset();
    await s3.send(new CreateBucketCommand({ Bucket: 'athena-out' }));
    const csv = [header, values].map((r) => r.map((v) => `"${v}"`).join(',')).join('\n') + '\n';
    await s3.send(new PutObjectCommand({ Bucket: 'athena-out', Key: 'gate/qe-1.csv', Body: csv }));
    const states = ['QUEUED', 'RUNNING', 'SUCCEEDED'];
    fake.handle = (op) => {
      if (op === 'GetTableMetadata')
        return {
          body: { TableMetadata: { Name: 'cloudtrail_logs', PartitionKeys: [{ Name: 'timestamp', Type: 'string' }], Parameters: { 'projection.enabled': 'true', 'projection.timestamp.type': 'date', 'projection.timestamp.format': 'yyyy/MM/dd' } } },
        };
      if (op === 'StartQueryExecution') return { body: { QueryExecutionId: 'qe-1' } };
      if (op === 'GetQueryExecution') return { body: { QueryExecution: { QueryExecutionId: 'qe-1', Status: { State: states.shift() }, ResultConfiguration: { OutputLocation: 's3://athena-out/gate/qe-1.csv' } } } };
      return { status: 400, body: { __type: 'InvalidRequestException', Message: `unexpected ${op}` } };
    };
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-09T00:00:00Z') });
    const run = await readAthenaSource({ table: 'cloudtrail_logs', database: 'security', workgroup: 'gate' }, ctx, { client: athena(), s3Client: s3, poll });
    const start = fake.calls.find((c) => c.op === 'StartQueryExecution')!.input;
    expect(start.WorkGroup).toBe('gate');
    expect(start.QueryExecutionContext).toEqual({ Database: 'security', Catalog: 'AwsDataCatalog' });
    expect(String(start.QueryString)).toContain(`FROM "AwsDataCatalog"."security"."cloudtrail_logs"`);
    expect(String(start.QueryString)).toContain(`"timestamp" BETWEEN '2024/05/01' AND '2024/05/09'`);
    expect(run.report).toMatchObject({ kind: 'athena', status: 'ran', events: 7, regions: ['eu-west-1'] });
    const s = run.fold().summary();
    expect(s.records.map((r) => [r.principal, r.action, r.resource, r.count])).toEqual([['arn:aws:iam::111122223333:role/etl', 's3:ListBucket', 'arn:aws:s3:::raw', 7]]);
    await ctx.close();
  });

  test('FAILED with its reason; a query still running at the time-out is stopped', async () => {
    fake.handle = (op) =>
      op === 'StartQueryExecution'
        ? { body: { QueryExecutionId: 'qe-2' } }
        : op === 'GetQueryExecution'
          ? { body: { QueryExecution: { Status: { State: 'FAILED', StateChangeReason: "TABLE_NOT_FOUND: Table 'security.nope' does not exist" } } } }
          : { status: 400, body: { __type: 'InvalidRequestException', Message: 'no metadata' } };
    const notes: string[] = [];
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z'), onNote: (m) => notes.push(m) });
    const failed = await readAthenaSource({ table: 'nope', database: 'security' }, ctx, { client: athena(), poll });
    expect(failed.report.status).toBe('failed');
    expect(failed.report.errors).toEqual([`athena:security.nope query qe-2: FAILED: TABLE_NOT_FOUND: Table 'security.nope' does not exist`]);
    expect(notes[0]).toMatch(/could not read the table's partitions .*the query is not pruned/);

    fake.handle = (op) => (op === 'StartQueryExecution' ? { body: { QueryExecutionId: 'qe-3' } } : op === 'GetQueryExecution' ? { body: { QueryExecution: { Status: { State: 'RUNNING' } } } } : { body: {} });
    let clock = 0;
    const slow = await readAthenaSource({ table: 't', database: 'security' }, ctx, { client: athena(), poll: { timeoutMs: 30_000, sleep: async (ms) => void (clock += ms), now: () => clock } });
    expect(fake.calls.at(-1)?.op).toBe('StopQueryExecution');
    expect(slow.report.errors).toEqual(['athena:security.t query qe-3: still RUNNING after 30 s; stopped (narrow the window or raise the time-out)']);
    await ctx.close();
  });

  test('moto Athena: SUCCEEDED at once, no CSV written: the seeded rows are paged with GetQueryResults', async () => {
    await moto.reset();
    const seeded = {
      account_id: '123456789012',
      region: 'us-east-1',
      results: [
        {
          rows: [{ Data: header.map((h) => ({ VarCharValue: h })) }, { Data: values.map((v) => ({ VarCharValue: v })) }],
          column_info: header.map((h) => ({ Name: h, Type: 'varchar', CatalogName: 'hive', SchemaName: '', TableName: '', Label: h, Precision: 0, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: true })),
        },
      ],
    };
    const r = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, { method: 'POST', body: JSON.stringify(seeded), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(201);
    const notes: string[] = [];
    const ctx = makeContext({ since: new Date('2024-05-01T00:00:00Z'), onNote: (m) => notes.push(m) });
    const client = new AthenaClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const run = await readAthenaSource({ table: 'cloudtrail_logs', outputLocation: 's3://athena-out/moto/' }, ctx, { client, s3Client: s3, poll });
    expect(run.report.status).toBe('ran');
    expect(run.report.events).toBe(7);
    expect(notes.some((n) => /reading the rows with GetQueryResults instead/.test(n))).toBe(true);
    await ctx.close();
  });
});
