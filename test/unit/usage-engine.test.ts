// The bulk-reading engine: the fast signature path agrees with mapEvent + UsageAggregator, batches dedupe across
// producers, objects are read whole or streamed with the same result, and the pool falls back to in-process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import { ACCOUNTS, prng, trailEvent, trailObject } from '../../bench/cloudtrail-gen.js';
import { UsageAggregator } from '../../src/usage/aggregator.js';
import { BatchBuffers, BatchBuilder, EventProcessor, MAX_OBJECT_KEYS, MAX_CONTEXT_VALUES, type SigDef } from '../../src/usage/event-batch.js';
import { IdTable, uuidWords } from '../../src/usage/event-id-set.js';
import { EventLedger } from '../../src/usage/event-ledger.js';
import { inflateInput, ReadBuffers, readLogFile, readLogObject, sizeClass } from '../../src/usage/log-object.js';
import { isoTime, isoToMs, mapEvent, timeMs } from '../../src/usage/map-event.js';
import { SigInterner, SigRegistry, SourceTally } from '../../src/usage/tally.js';
import { closeBatch } from '../../src/usage/worker-entry.js';
import { defaultWorkerScript, LogReaderPool } from '../../src/usage/worker-pool.js';

const GOOD = join(process.cwd(), 'fixtures/cloudtrail/good/111122223333_CloudTrail_us-east-1_20240501T1005Z_Abc123Def456Ghij.json.gz');

/** The reference: every record through mapEvent and UsageAggregator.add, deduped on (sharedEventID ?? eventID). */
function reference(records: Record<string, unknown>[], contextKeys: string[]) {
  const agg = new UsageAggregator({ contextKeys });
  const seen = new Set<string>();
  for (const r of records) {
    const m = mapEvent(r);
    if ('bad' in m) {
      agg.addBad();
      continue;
    }
    const id = (r.sharedEventID as string) || (r.eventID as string);
    if (id && seen.has(id)) {
      agg.addDuplicate();
      continue;
    }
    if (id) seen.add(id);
    if ('unmapped' in m) agg.addUnmapped(m.unmapped.eventSource, m.unmapped.eventName);
    else if ('permissionless' in m) agg.addPermissionless();
    else agg.add(m);
  }
  return agg.summary();
}

/** Records through one EventProcessor in batches of `per`, counted by a SourceTally; the summary and the batches' sums. */
function readInBatches(records: Record<string, unknown>[], contextKeys: string[], per: number) {
  const proc = new EventProcessor({ contextKeys });
  const registry = new SigRegistry();
  const tally = new SourceTally(new EventLedger());
  let folded = 0;
  let contextNotKept = 0;
  for (let i = 0; i < records.length; i += per) {
    const b = new BatchBuilder(`batch ${i}`);
    for (const r of records.slice(i, i + per)) proc.record(r, b);
    const batch = closeBatch(proc, b);
    folded += batch.folded;
    contextNotKept += batch.contextNotKept;
    registry.register(batch);
    tally.add(batch, registry);
  }
  return { summary: tally.into(new UsageAggregator({ contextKeys })).summary(), folded, contextNotKept };
}

function viaProcessor(records: Record<string, unknown>[], contextKeys: string[], batches = 3) {
  return readInBatches(records, contextKeys, Math.ceil(records.length / batches)).summary;
}

function generated(n: number, seed = 7): Record<string, unknown>[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, i) =>
    trailEvent(rand, ACCOUNTS[i % 3], i % 4 === 0 ? 'eu-west-1' : 'us-east-1', new Date(Date.UTC(2024, 4, 1) + i * 7_000).toISOString().replace('.000', '')),
  );
}

describe('EventProcessor + SourceTally agree with mapEvent + UsageAggregator', () => {
  const fixture = JSON.parse(gunzipSync(readFileSync(GOOD)).toString('utf8')).Records as Record<string, unknown>[];
  for (const keys of [[], ['aws:sourceip', 'aws:securetransport', 'aws:sourcevpce', 's3:prefix', 'aws:multifactorauthpresent']]) {
    test(`fixture events, context keys [${keys.join(', ')}]`, () => {
      expect(viaProcessor(fixture, keys)).toEqual(reference(fixture, keys));
    });
    test(`3,000 generated events (roles with/without issuer, users, services, cross-account, denials), keys [${keys.length}]`, () => {
      const events = generated(3000);
      // Some duplicates, as an org trail and an account trail deliver.
      const withDupes = [...events, ...events.slice(0, 100)];
      const got = viaProcessor(withDupes, keys, 7);
      expect(got).toEqual(reference(withDupes, keys));
      expect(got.duplicateEvents).toBe(100);
      expect(got.records.some((r) => r.outcome === 'denied')).toBe(true);
    });
  }

  test('object keys beyond MAX_OBJECT_KEYS per principal and action count for their bucket, with nothing lost', () => {
    const role = 'arn:aws:iam::111122223333:role/etl';
    const s3Call = (i: number, eventName: string, key: string, denied = false): Record<string, unknown> => ({
      eventVersion: '1.09',
      eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
      eventSource: 's3.amazonaws.com',
      eventName,
      awsRegion: 'us-east-1',
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/etl/s', accountId: '111122223333', sessionContext: { sessionIssuer: { arn: role } } },
      requestParameters: { bucketName: 'lake', key },
      ...(denied ? { errorCode: 'AccessDenied', errorMessage: 'Access Denied' } : {}),
    });
    const events: Record<string, unknown>[] = [];
    // Allowed calls (the fast path): 1,500 distinct keys, then the first 10 again.
    for (let i = 0; i < MAX_OBJECT_KEYS + 500; i++) events.push(s3Call(i, 'PutObject', `raw/part-${i}.parquet`));
    for (let i = 0; i < 10; i++) events.push(s3Call(10_000 + i, 'PutObject', `raw/part-${i}.parquet`));
    // Denials (the general path): 1,200 distinct keys.
    for (let i = 0; i < MAX_OBJECT_KEYS + 200; i++) events.push(s3Call(20_000 + i, 'GetObject', `in/${i}.csv`, true));
    const { summary: got, folded } = readInBatches(events, [], 400);
    const put = got.records.filter((r) => r.action === 's3:PutObject');
    const exact = put.filter((r) => r.resource !== undefined);
    // The first 1,000 keys stay exact (the repeats of 10 of them add to theirs); the other 500 count for the bucket.
    expect(exact).toHaveLength(MAX_OBJECT_KEYS);
    expect(exact.every((r) => /^arn:aws:s3:::lake\/raw\/part-(\d+)\.parquet$/.test(r.resource!) && Number(/(\d+)\.parquet/.exec(r.resource!)![1]) < MAX_OBJECT_KEYS)).toBe(true);
    expect(exact.filter((r) => r.count === 2)).toHaveLength(10);
    expect(put.filter((r) => r.resource === undefined)).toEqual([expect.objectContaining({ bucket: 'arn:aws:s3:::lake', count: 500, principal: role, outcome: 'allowed' })]);
    const get = got.records.filter((r) => r.action === 's3:GetObject');
    expect(get.filter((r) => r.resource !== undefined)).toHaveLength(MAX_OBJECT_KEYS);
    expect(get.filter((r) => r.resource === undefined)).toEqual([expect.objectContaining({ bucket: 'arn:aws:s3:::lake', count: 200, outcome: 'denied' })]);
    expect(folded).toBe(700);
    // Nothing lost: every event is counted, per action as without the limit.
    const ref = reference(events, []);
    expect(got.totalEvents).toBe(ref.totalEvents);
    const sum = (s: typeof got, action: string) => s.records.filter((r) => r.action === action).reduce((n, r) => n + r.count, 0);
    for (const action of ['s3:PutObject', 's3:GetObject']) expect(sum(got, action)).toBe(sum(ref, action));
    expect(ref.records).toHaveLength(MAX_OBJECT_KEYS + 500 + MAX_OBJECT_KEYS + 200);
  });

  test('object keys are limited on every S3 path: another partition, and copies (two objects per call)', () => {
    const call = (i: number, eventName: string, partition: string, region: string, rp: Record<string, unknown>): Record<string, unknown> => ({
      eventVersion: '1.09',
      eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
      eventSource: 's3.amazonaws.com',
      eventName,
      awsRegion: region,
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userIdentity: { type: 'AssumedRole', arn: `arn:${partition}:sts::111122223333:assumed-role/etl/s`, accountId: '111122223333', sessionContext: { sessionIssuer: { arn: `arn:${partition}:iam::111122223333:role/etl` } } },
      requestParameters: rp,
    });
    const events: Record<string, unknown>[] = [];
    for (let i = 0; i < MAX_OBJECT_KEYS + 50; i++) events.push(call(i, 'PutObject', 'aws-cn', 'cn-north-1', { bucketName: 'lake', key: `k/${i}` }));
    for (let i = 0; i < MAX_OBJECT_KEYS + 70; i++) events.push(call(5000 + i, 'CopyObject', 'aws', 'us-east-1', { bucketName: 'dst', key: `out/${i}`, 'x-amz-copy-source': `src/in/${i}` }));
    const { summary: got, folded } = readInBatches(events, [], 300);
    const onBucket = got.records.filter((r) => r.resource === undefined).map((r) => [r.action, r.bucket, r.count]);
    expect(onBucket.sort()).toEqual([
      ['s3:GetObject', 'arn:aws:s3:::src', 70],
      ['s3:PutObject', 'arn:aws-cn:s3:::lake', 50],
      ['s3:PutObject', 'arn:aws:s3:::dst', 70],
    ]);
    expect(folded).toBe(120);
    const ref = reference(events, []);
    expect(got.totalEvents).toBe(ref.totalEvents);
    const sum = (s: typeof got) => s.records.reduce((n, r) => n + r.count, 0);
    expect(sum(got)).toBe(sum(ref));
  });

  test('condition-key values beyond MAX_CONTEXT_VALUES per key, principal and action are left unknown, nothing lost', () => {
    const role = 'arn:aws:iam::111122223333:role/fn';
    const call = (i: number, eventSource: string, eventName: string, ip: string, denied = false): Record<string, unknown> => ({
      eventVersion: '1.09',
      eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
      eventSource,
      eventName,
      awsRegion: 'us-east-1',
      sourceIPAddress: ip,
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/fn/s', accountId: '111122223333', sessionContext: { sessionIssuer: { arn: role } } },
      requestParameters: { tableName: 'orders' },
      tlsDetails: { tlsVersion: 'TLSv1.3' },
      ...(denied
        ? { errorCode: 'AccessDenied', errorMessage: `User: arn:aws:sts::111122223333:assumed-role/fn/s is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k because no identity-based policy allows the kms:Decrypt action` }
        : {}),
    });
    const ip = (n: number) => `3.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    const events: Record<string, unknown>[] = [];
    for (let i = 0; i < MAX_CONTEXT_VALUES + 300; i++) events.push(call(i, 'dynamodb.amazonaws.com', 'GetItem', ip(i)));
    for (let i = 0; i < 5; i++) events.push(call(5000 + i, 'dynamodb.amazonaws.com', 'GetItem', ip(i))); // known addresses again
    for (let i = 0; i < MAX_CONTEXT_VALUES + 100; i++) events.push(call(10_000 + i, 'kms.amazonaws.com', 'Decrypt', ip(i), true));
    const keys = ['aws:sourceip', 'aws:securetransport'];
    const { summary: got, contextNotKept: notKept } = readInBatches(events, keys, 500);
    const get = got.records.filter((r) => r.action === 'dynamodb:GetItem');
    expect(get.filter((r) => r.context['aws:sourceip'] !== undefined)).toHaveLength(MAX_CONTEXT_VALUES);
    // Only the key past its limit is left unknown; the others keep their values.
    expect(get.filter((r) => r.context['aws:sourceip'] === undefined)).toEqual([
      expect.objectContaining({ count: 300, resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders', context: { 'aws:securetransport': 'true' } }),
    ]);
    const decrypt = got.records.filter((r) => r.action === 'kms:Decrypt');
    expect(decrypt.filter((r) => r.context['aws:sourceip'] === undefined)).toEqual([expect.objectContaining({ count: 100, outcome: 'denied' })]);
    expect(notKept).toBe(400);
    const ref = reference(events, keys);
    expect(got.totalEvents).toBe(ref.totalEvents);
    const sum = (s: typeof got, action: string) => s.records.filter((r) => r.action === action).reduce((n, r) => n + r.count, 0);
    for (const action of ['dynamodb:GetItem', 'kms:Decrypt']) expect(sum(got, action)).toBe(sum(ref, action));
  });

  test('batches from two producers dedupe against each other (one shared id set)', () => {
    const events = generated(200);
    const tally = new SourceTally(new EventLedger());
    for (const half of [events.slice(0, 150), events.slice(50)]) {
      const proc = new EventProcessor();
      const registry = new SigRegistry();
      const b = new BatchBuilder('x');
      for (const r of half) proc.record(r, b);
      const batch = closeBatch(proc, b);
      registry.register(batch);
      tally.add(batch, registry);
    }
    const s = tally.into(new UsageAggregator()).summary();
    expect(s.duplicateEvents).toBe(100);
    expect(s.totalEvents + s.badRecords).toBe(200);
  });

  test('two producers of one pool share interned signatures: one definition each, counts added up', () => {
    const events = generated(300);
    const interner = new SigInterner();
    const tally = new SourceTally(new EventLedger());
    const registries = [new SigRegistry(interner), new SigRegistry(interner)];
    let defined = 0;
    [events.slice(0, 150), events.slice(150)].forEach((part, i) => {
      const proc = new EventProcessor();
      const b = new BatchBuilder('x');
      for (const r of part) proc.record(r, b);
      const batch = closeBatch(proc, b);
      defined += batch.newSigs.length;
      registries[i].register(batch);
      tally.add(batch, registries[i]);
    });
    // The halves share callers and actions, so some definitions are the same string and kept once.
    expect(interner.size).toBeLessThan(defined);
    expect(interner.size).toBe(new Set([...Array(interner.size).keys()].map((k) => JSON.stringify(interner.def(k)))).size);
    expect(tally.into(new UsageAggregator()).summary()).toEqual(reference(events, []));
  });

  // Signatures are planned (their records keyed) when interned, for the pool's condition keys; a fold for other keys
  // plans them again for those, and any interleaving of intern and fold gives the reference.
  test('planned signatures: the interner\'s condition keys or another aggregator\'s, the same records as the reference', () => {
    const events = generated(400, 11);
    const produced = (keys: string[]) => {
      const proc = new EventProcessor({ contextKeys: keys });
      const b = new BatchBuilder('x');
      for (const r of events) proc.record(r, b);
      return closeBatch(proc, b);
    };
    const producerKeys = ['aws:SourceIp', 'aws:SecureTransport', 'aws:RequestedRegion'];
    const batch = produced(producerKeys);
    for (const [internerKeys, aggKeys] of [
      [producerKeys, producerKeys],
      [['aws:securetransport', 'aws:sourceip', 'aws:requestedregion'], ['AWS:SOURCEIP', 'aws:requestedregion', 'aws:securetransport', 'aws:sourceip']],
      [[], ['aws:sourceip']],
      [producerKeys, []],
      [['aws:sourceip'], ['aws:securetransport']],
    ]) {
      const interner = new SigInterner(internerKeys);
      const registry = new SigRegistry(interner);
      const tally = new SourceTally(new EventLedger());
      registry.register(batch);
      tally.add(batch, registry);
      expect({ internerKeys, aggKeys, summary: tally.into(new UsageAggregator({ contextKeys: aggKeys })).summary() }).toEqual({
        internerKeys,
        aggKeys,
        summary: reference(events, aggKeys.filter((k) => producerKeys.some((p) => p.toLowerCase() === k.toLowerCase()))),
      });
    }
  });

  test('IdTable agrees with a Set<string>: UUIDs as words, the all-zero UUID, ids differing in one word, reuse', () => {
    const rand = prng(11);
    const hex = (n: number) => Array.from({ length: n }, () => ((rand() * 16) | 0).toString(16)).join('');
    const ids: string[] = ['00000000-0000-0000-0000-000000000000', 'ABCDEF01-2345-4678-9abc-def012345678'];
    for (let i = 0; i < 20_000; i++) ids.push(`${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`);
    // Ids that differ in one word only (synthetic logs) must not collide either.
    for (let i = 0; i < 2_000; i++) ids.push(`00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
    const table = new IdTable();
    const w = new Uint32Array(4);
    for (let round = 0; round < 2; round++) {
      // Each round starts empty, the second one in the memory of the first.
      table.reset(ids.length * 2 + 1);
      const ref = new Set<string>();
      const disagreements: string[] = [];
      for (const id of [...ids, ...ids.slice(0, 500)]) {
        expect(uuidWords(id, w)).toBe(true);
        if (table.add(w[0], w[1], w[2], w[3]) !== !ref.has(id.toLowerCase())) disagreements.push(`${round}:${id}`);
        ref.add(id.toLowerCase());
      }
      expect(disagreements).toEqual([]);
      uuidWords('abcdef01-2345-4678-9ABC-DEF012345678', w);
      expect(table.add(w[0], w[1], w[2], w[3])).toBe(false); // case does not make a new UUID
    }
    expect(table.bytes).toBeLessThanOrEqual(16 * 4 * (ids.length * 2 + 1));
    expect(uuidWords('not-a-uuid', w)).toBe(false);
    expect(uuidWords('abcdef01-2345-4678-9abc-def01234567g', w)).toBe(false);
  });

  test('the window filters by event time before anything is counted', () => {
    const events = generated(100); // 7 s apart from 2024-05-01T00:00:00Z
    const proc = new EventProcessor({ since: '2024-05-01T00:01:00.000Z', until: '2024-05-01T00:02:00.000Z' });
    const b = new BatchBuilder('x');
    for (const r of events) proc.record(r, b);
    expect(b.records).toBe(100);
    expect(b.count).toBe(9); // 63 s .. 119 s
  });
});

describe('times', () => {
  test('timeMs and isoToMs agree with Date.parse on canonical and re-exported forms', () => {
    for (const t of ['2024-05-01T10:00:00Z', '2024-02-29T23:59:59Z', '2024-05-01 10:00:00.123', '2024-05-01T10:00:00.5+02:00']) {
      expect(timeMs(t)).toBe(Date.parse(isoTime(t)!));
      expect(isoToMs(isoTime(t)!)).toBe(Date.parse(isoTime(t)!));
    }
    expect(timeMs('2024-13-01T10:00:00Z')).toBeNaN();
    expect(timeMs(42)).toBeNaN();
  });
});

describe('gunzip output sizes', () => {
  test('sizeClass: at least 64 KB, else the next quarter of the power of two, never below the request', () => {
    expect(sizeClass(0)).toBe(65536);
    expect(sizeClass(65536)).toBe(65536);
    expect(sizeClass(65537)).toBe(65536 + 16384);
    expect(sizeClass(1_300_000)).toBe(1.25 * 2 ** 20);
    expect(sizeClass(1_400_000)).toBe(1.5 * 2 ** 20);
    expect(sizeClass(2 ** 20)).toBe(2 ** 20);
    const rand = prng(5);
    const classes = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = 65536 + Math.floor(rand() * 4 * 2 ** 20);
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c).toBeLessThanOrEqual(n * 1.25);
      classes.add(c);
    }
    // Few sizes (four per doubling: 64 KB to 4 MB is six doublings), so malloc reuses freed buffers as they are.
    expect(classes.size).toBeLessThanOrEqual(4 * 6 + 1);
  });

  test('ReadBuffers: a buffer given back is taken again for the same size class; the pool is bounded', () => {
    const pool = new ReadBuffers(3 * 1024 * 1024);
    const a = pool.take(200_000);
    expect(a.length).toBe(200_000);
    expect(a.buffer.byteLength).toBe(sizeClass(200_000));
    pool.give(a);
    expect(pool.kept).toBe(a.buffer.byteLength);
    const b = pool.take(210_000); // same class: the same memory
    expect(sizeClass(210_000)).toBe(sizeClass(200_000));
    expect(b.buffer === a.buffer).toBe(true);
    expect(b.length).toBe(210_000);
    expect(pool.kept).toBe(0);
    const c = pool.take(500_000); // another class: fresh memory
    expect(c.buffer === a.buffer).toBe(false);
    pool.give(b);
    pool.give(c);
    const big = pool.take(2_500_000);
    pool.give(big); // over the limit: dropped, not kept
    expect(pool.kept).toBe(b.buffer.byteLength + c.buffer.byteLength);
  });

  test('inflateInput (fewer workers than cores): a local gzip inflated whole; a damaged one handed on as its own copy of the bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inflate-'));
    try {
      const o = trailObject(12, ACCOUNTS[2], 'us-east-1', Date.UTC(2024, 4, 1), 120);
      const good = join(dir, 'a.json.gz');
      writeFileSync(good, gzipSync(o.json));
      const gz = gzipSync(o.json);
      const damaged = join(dir, 'b.json.gz');
      writeFileSync(damaged, gz.subarray(0, gz.length - 40));
      for (let round = 0; round < 3; round++) {
        const ready = await inflateInput({ name: 'a', file: good });
        if (!('data' in ready)) throw new Error('not inflated');
        expect(ready.gz).toBe(false);
        expect(ready.compressedBytes).toBe(gz.length);
        expect(Buffer.from(ready.data).equals(Buffer.from(o.json))).toBe(true);
        const bad = await inflateInput({ name: 'b', file: damaged });
        if (!('data' in bad)) throw new Error('not read');
        expect(bad.gz).toBe(true);
        expect(Buffer.from(bad.data).equals(gz.subarray(0, gz.length - 40))).toBe(true);
        expect(bad.data.byteOffset === 0 && bad.data.byteLength === bad.data.buffer.byteLength).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('inflateInput: an inflated object is whole and byte-identical in its size-classed buffer', async () => {
    const o = trailObject(9, ACCOUNTS[1], 'us-east-1', Date.UTC(2024, 4, 1), 300);
    const gz = gzipSync(o.json);
    const ready = await inflateInput({ name: 'x.json.gz', data: gz, gz: true });
    if (!('data' in ready)) throw new Error('not inflated');
    expect(ready.gz).toBe(false);
    expect(Buffer.from(ready.data).equals(Buffer.from(o.json))).toBe(true);
    expect(ready.data.buffer.byteLength).toBe(sizeClass(Buffer.byteLength(o.json) + 1024));
  });

  // A worker reads and gunzips on its own thread (here = true), the main thread on the libuv pool: both must give
  // the same batch, and a file's pooled buffer, reused for the next file, must never change what was read.
  test('local files: read and gunzipped on this thread or on the pool, the same batches; a damaged one keeps its head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inflate-'));
    try {
      const objects = [12, 13, 14].map((seed) => trailObject(seed, ACCOUNTS[2], 'us-east-1', Date.UTC(2024, 4, 1), 120));
      const files = objects.map((o, i) => {
        const f = join(dir, `${i}.json.gz`);
        writeFileSync(f, gzipSync(o.json));
        return f;
      });
      const gz = gzipSync(objects[0].json);
      const damaged = join(dir, 'bad.json.gz');
      writeFileSync(damaged, gz.subarray(0, gz.length - 40));
      const plain = join(dir, 'plain.json');
      writeFileSync(plain, objects[1].json);
      const readFile = async (file: string, here: boolean) => {
        const proc = new EventProcessor();
        const b = new BatchBuilder(file);
        await readLogFile(proc, b, file, undefined, here);
        return { b, batch: closeBatch(proc, b) };
      };
      const summary = ({ b, batch }: Awaited<ReturnType<typeof readFile>>) => ({ bytes: b.bytes, records: b.records, sigs: [...batch.sigs], times: [...batch.times], defs: batch.newSigs, problems: batch.problems });
      const expected = await Promise.all(files.map(async (f) => summary(await readFile(f, false))));
      expect(expected.map((e) => e.records)).toEqual([120, 120, 120]);
      expect(expected[0].bytes).toBe(gz.length); // the object's size as stored
      for (let round = 0; round < 3; round++) {
        for (const here of [true, false]) {
          for (let i = 0; i < files.length; i++) expect(summary(await readFile(files[i], here))).toEqual(expected[i]);
          const bad = await readFile(damaged, here);
          expect(bad.b.records).toBeGreaterThan(0);
          expect(bad.b.records).toBeLessThan(120);
          expect(bad.batch.problems).toEqual([expect.stringMatching(/corrupt gzip .*records before the damage were kept/)]);
          expect(summary(await readFile(plain, here)).sigs).toEqual(expected[1].sigs);
        }
      }
      const missing = await readFile(join(dir, 'gone.json.gz'), true);
      expect(missing.batch.problems).toEqual([expect.stringMatching(/gone\.json\.gz: cannot read \(ENOENT/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('objects in memory: gunzipped on this thread or on the pool, the same batch; the bytes are left as they were', async () => {
    const o = trailObject(9, ACCOUNTS[1], 'us-east-1', Date.UTC(2024, 4, 1), 300);
    const gz = gzipSync(o.json);
    const copy = Buffer.from(gz);
    const batches = [];
    for (const here of [true, false]) {
      const proc = new EventProcessor();
      const b = new BatchBuilder('x.json.gz');
      await readLogObject(proc, b, gz, true, undefined, here);
      expect(b.bytes).toBe(gz.length);
      batches.push(closeBatch(proc, b));
    }
    expect(batches[0].count).toBe(300);
    expect([...batches[0].sigs]).toEqual([...batches[1].sigs]);
    expect([...batches[0].times]).toEqual([...batches[1].times]);
    expect(batches[0].newSigs).toEqual(batches[1].newSigs);
    expect(gz.equals(copy)).toBe(true);
  });
});

describe('readLogObject', () => {
  const o = trailObject(3, ACCOUNTS[0], 'us-east-1', Date.UTC(2024, 4, 1), 50);
  const read = async (data: Uint8Array, gz: boolean, maxWhole?: number) => {
    const proc = new EventProcessor();
    const b = new BatchBuilder('obj');
    await readLogObject(proc, b, data, gz, maxWhole);
    return { b, batch: closeBatch(proc, b) };
  };

  test('whole-object and streamed reading give the same batch', async () => {
    const whole = await read(gzipSync(o.json), true);
    const streamed = await read(gzipSync(o.json), true, 1024); // over the limit: streamed record by record
    expect(whole.batch.count).toBe(50);
    expect(streamed.batch.count).toBe(50);
    expect([...streamed.batch.sigs]).toEqual([...whole.batch.sigs]);
    expect([...streamed.batch.times]).toEqual([...whole.batch.times]);
    expect(whole.batch.problems).toEqual([]);
  });

  test('non-ASCII content is decoded as UTF-8', async () => {
    const text = o.json.replace('"data/', '"données/');
    const { batch } = await read(Buffer.from(text, 'utf8'), false);
    const def = batch.newSigs.map((d) => JSON.parse(d) as SigDef).find((d) => d.kind === 'mapped' && d.event.targets.some((t) => t.resources.some((r) => r.includes('données/'))));
    expect(def).toBeDefined();
  });

  test('a truncated gzip keeps the records before the damage and says so', async () => {
    const gz = gzipSync(o.json);
    const { batch } = await read(gz.subarray(0, Math.floor(gz.length / 2)), true);
    expect(batch.count).toBeGreaterThan(0);
    expect(batch.count).toBeLessThan(50);
    expect(batch.incomplete).toBe(true);
    expect(batch.problems).toEqual([expect.stringMatching(/^obj: corrupt gzip .*records before the damage were kept/)]);
  });

  test('JSON lines and a top-level array go through the splitter', async () => {
    const records = JSON.parse(o.json).Records as unknown[];
    const lines = await read(Buffer.from(records.map((r) => JSON.stringify(r)).join('\n')), false);
    const array = await read(Buffer.from(JSON.stringify(records)), false);
    expect(lines.batch.count).toBe(50);
    expect(array.batch.count).toBe(50);
  });

  // ~400 KB: a dozen 32 KB chunks.
  const big = trailObject(4, ACCOUNTS[1], 'eu-west-1', Date.UTC(2024, 4, 1), 300);

  test('chunked reading (CloudTrail layout) equals the whole-document parse and leaves the bytes as they were', async () => {
    const pretty = JSON.stringify(JSON.parse(big.json), null, 1); // whitespace: not the layout, parsed whole
    expect(pretty.includes('},{"eventVersion":')).toBe(false);
    const bytes = Buffer.from(big.json);
    const compact = await read(bytes, false);
    expect(bytes.toString()).toBe(big.json); // the brackets written over the commas were put back
    const whole = await read(Buffer.from(pretty), false);
    expect(compact.batch.count).toBe(300);
    expect(compact.b.records).toBe(300);
    expect([...compact.batch.sigs]).toEqual([...whole.batch.sigs]);
    expect([...compact.batch.times]).toEqual([...whole.batch.times]);
    expect([...compact.batch.ids]).toEqual([...whole.batch.ids]);
    expect(compact.batch.newSigs).toEqual(whole.batch.newSigs);
  });

  test('a separator nested inside a record rolls back every chunk read and the whole document decides', async () => {
    const records = JSON.parse(big.json).Records as Record<string, unknown>[];
    // An array of objects starting with eventVersion inside a late record: a cut there lands mid-record and both
    // chunks fail, after ten good ones. Placed in every record from 250 on, some cut is sure to land inside one.
    for (let i = 250; i < 300; i++) records[i].additionalEventData = { nested: [{ eventVersion: '1' }, { eventVersion: '2' }] };
    const text = JSON.stringify({ Records: records });
    expect(text.includes('},{"eventVersion":"2"')).toBe(true);
    const bytes = Buffer.from(text);
    // What reached the processor: records scanned from chunks (then rolled back), and all 300 parsed again by the
    // whole-document parse (besides those a scanned record hands to record()).
    const parsed = jest.spyOn(EventProcessor.prototype, 'record');
    const scanned = jest.spyOn(EventProcessor.prototype, 'recordText');
    const { b, batch } = await read(bytes, false);
    const scannedCalls = scanned.mock.calls.length;
    const parsedCalls = parsed.mock.calls.length;
    parsed.mockRestore();
    scanned.mockRestore();
    expect(scannedCalls).toBeGreaterThan(0);
    expect(parsedCalls).toBeGreaterThanOrEqual(300);
    expect(bytes.toString()).toBe(text);
    expect(batch.count).toBe(300);
    expect(b.records).toBe(300); // rolled back, not counted twice
    expect(batch.problems).toEqual([]);
    expect(batch.incomplete).toBe(false);
  });

  test('bad records met on the chunked path are reported once, and a broken record falls back', async () => {
    const records = JSON.parse(o.json).Records as Record<string, unknown>[];
    delete records[5].eventSource;
    const one = await read(Buffer.from(JSON.stringify({ Records: records })), false);
    expect(one.batch.badRecords).toBe(1);
    expect(one.batch.problems).toHaveLength(1);
    // A trailing non-object after the records: the split path refuses it and the whole parse names it.
    const text = JSON.stringify({ Records: records }).replace(/\]\}$/, ',7]}');
    const two = await read(Buffer.from(text), false);
    expect(two.batch.count).toBe(49);
    expect(two.batch.badRecords).toBe(1);
    expect(two.batch.problems).toEqual([expect.stringContaining('eventSource'), 'obj: record 50: not a JSON object']);
    // Whitespace that JSON does not allow around the head is not taken by the split path either.
    const nbsp = Buffer.concat([Buffer.from([0xa0]), Buffer.from(o.json)]);
    const three = await read(nbsp, false);
    expect(three.batch.count).toBe(0);
  });

  test('records that are not objects are named by index', async () => {
    const { batch } = await read(Buffer.from(JSON.stringify({ Records: [1, { eventSource: 'x' }] })), false);
    expect(batch.problems).toEqual(['obj: record 0: not a JSON object', 'obj: record has no eventSource/eventName (not a CloudTrail event)']);
    expect(batch.badRecords).toBe(1);
  });
});

describe('batch buffers given back by the main thread', () => {
  test('a batch is copied into pooled power-of-two buffers; buffers given back are reused, at most 16 per size', () => {
    const proc = new EventProcessor();
    const spare = new BatchBuffers();
    const b = new BatchBuilder('x');
    for (let i = 0; i < 3; i++) b.push(i + 1, 1000 + i, `00000000-0000-4000-8000-00000000000${i}`);
    b.push(9, 2000, undefined);
    const batch = closeBatch(proc, b, spare);
    expect([...batch.sigs]).toEqual([1, 2, 3, 9]);
    expect([...batch.times]).toEqual([1000, 1001, 1002, 2000]);
    expect(batch.ids.length).toBe(16);
    expect(batch.sigs.buffer.byteLength).toBe(1024);
    expect(batch.ids.buffer.byteLength).toBe(1024);
    // Given back (as the worker receives them), the next batch takes the same buffers instead of new ones.
    const back = [batch.sigs.buffer, batch.times.buffer, batch.idKinds.buffer, batch.ids.buffer] as ArrayBuffer[];
    spare.give(back);
    const b2 = new BatchBuilder('y');
    b2.push(5, 1, undefined);
    const again = closeBatch(proc, b2, spare);
    expect(back).toContain(again.sigs.buffer);
    expect(back).toContain(again.ids.buffer);
    expect([...again.sigs]).toEqual([5]);
    // Sizes grow by powers of two; odd sizes (not ours) are left to the GC; at most 16 kept per size.
    expect(spare.take(5000).byteLength).toBe(8192);
    spare.give([new ArrayBuffer(3000)]);
    expect(spare.take(3000).byteLength).toBe(4096);
    const many = Array.from({ length: 20 }, () => new ArrayBuffer(2048));
    spare.give(many);
    const taken = new Set(Array.from({ length: 20 }, () => spare.take(2048)));
    expect(many.filter((m) => taken.has(m))).toHaveLength(16);
  });
});

describe('LogReaderPool', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'usage-pool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('from TypeScript source there is no worker script: it reads in-process with the same results', async () => {
    expect(defaultWorkerScript()).toBeUndefined();
    const files = [0, 1, 2].map((i) => {
      const o = trailObject(10 + i, ACCOUNTS[i], 'us-east-1', Date.UTC(2024, 4, 1, i), 30);
      const f = join(dir, o.name);
      writeFileSync(f, gzipSync(o.json));
      return f;
    });
    const pool = new LogReaderPool({ workers: 2 });
    expect(pool.workers).toBe(0);
    const tally = new SourceTally();
    for (const r of await Promise.all(files.map((file) => pool.read({ name: file, file })))) tally.add(r.batch, r.registry);
    await pool.close();
    expect(tally.into(new UsageAggregator()).summary().totalEvents).toBeGreaterThan(80);
  });
});
