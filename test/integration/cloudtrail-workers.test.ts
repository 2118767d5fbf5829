// Real worker threads: ts-jest runs TypeScript, which a worker cannot load, so src/usage is compiled with tsc into
// a temporary folder and a child process reads the same logs with 2 workers and in-process; results must match.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ACCOUNTS, trailObject } from '../../bench/cloudtrail-gen.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'usage-workers-'));
  const root = process.cwd();
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), 'src/usage/read-local.ts', 'src/usage/worker-entry.ts', '--outDir', join(work, 'build'), '--rootDir', root,
        '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node'],
      { cwd: root, stdio: 'pipe' },
    );
  } catch {
    // tsc emits even when an unrelated file fails to type-check; the child below fails if it did not.
  }
  writeFileSync(join(work, 'build/package.json'), '{"type":"module"}');
  const logs = join(work, 'logs');
  mkdirSync(logs);
  for (let i = 0; i < 12; i++) {
    const o = trailObject(100 + i, ACCOUNTS[i % 3], 'us-east-1', Date.UTC(2024, 4, 1, i), 200);
    writeFileSync(join(logs, o.name), gzipSync(o.json));
  }
  // A second delivery of one object, and a damaged one.
  const again = trailObject(100, ACCOUNTS[0], 'us-east-1', Date.UTC(2024, 4, 1, 0), 200);
  writeFileSync(join(logs, `copy-${again.name}`), gzipSync(again.json));
  writeFileSync(join(logs, 'broken.json.gz'), gzipSync(again.json).subarray(0, 500));
  writeFileSync(
    join(work, 'release.mjs'),
    `import { LogReaderPool } from './build/src/usage/worker-pool.js';
const pool = new LogReaderPool({ workers: 1 });
const files = process.argv.slice(2);
const out = [];
const workers = pool.workers;
for (const file of files) {
  const { batch, release } = await pool.read({ name: file, file });
  const before = batch.sigs.buffer.byteLength;
  const sum = batch.sigs.reduce((a, b) => a + b, 0);
  release();
  out.push({ count: batch.count, before, after: batch.sigs.buffer.byteLength, sum });
}
await pool.close();
process.stdout.write(JSON.stringify({ workers, out }));`,
  );
  writeFileSync(
    join(work, 'child.mjs'),
    `import { readLocalLogs } from './build/src/usage/read-local.js';
const problems = [];
const scope = process.argv[4] ? JSON.parse(process.argv[4]) : undefined;
const pool = process.argv[5] ? { inflateFirst: process.argv[5] === 'main' } : undefined;
const s = await readLocalLogs([process.argv[2]], { workers: Number(process.argv[3]), contextKeys: ['aws:sourceip'], scope, pool, onProblem: (m) => problems.push(m) });
process.stdout.write(JSON.stringify({ s, problems }));`,
  );
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (workers: number, scope?: string[], inflate?: 'main' | 'worker') =>
  JSON.parse(execFileSync(process.execPath, [join(work, 'child.mjs'), join(work, 'logs'), String(workers), scope ? JSON.stringify(scope) : '', ...(inflate ? [inflate] : [])], { encoding: 'utf8' }));

test('2 worker threads and in-process reading give the same summary, whichever thread gunzips', () => {
  const inProcess = run(0);
  for (const inflate of ['main', 'worker'] as const) {
    const threaded = run(2, undefined, inflate);
    expect(threaded.s).toEqual(inProcess.s);
    expect(threaded.s.duplicateEvents).toBe(200);
    expect(threaded.s.sources[0]).toMatchObject({ status: 'partial', objects: 14 });
    expect(threaded.problems).toEqual([expect.stringMatching(/broken\.json\.gz: corrupt gzip/)]);
    expect(threaded.s.totalEvents + threaded.s.badRecords).toBe(12 * 200);
  }
}, 60_000);

test('the workers get the scope: they skip the same records as in-process reading', () => {
  const threaded = run(2, ['app-worker', 'raw-events']);
  const inProcess = run(0, ['app-worker', 'raw-events']);
  expect(threaded.s).toEqual(inProcess.s);
  expect(threaded.s.scope).toEqual(['app-worker', 'raw-events']);
  expect(threaded.s.sources[0].skipped).toBeGreaterThan(1000);
  const full = run(0);
  const about = (r: { principal: string; resource?: string }) => /:role\/app-worker$/.test(r.principal) || (r.resource ?? '').startsWith('arn:aws:s3:::raw-events');
  expect(threaded.s.records.filter(about)).toEqual(full.s.records.filter(about));
}, 60_000);

test('a counted batch\'s buffers go back to its worker (detached here) and later batches are still right', () => {
  const files = readdirSync(join(work, 'logs')).filter((f) => !f.startsWith('broken')).sort().slice(0, 6).map((f) => join(work, 'logs', f));
  const { workers, out } = JSON.parse(execFileSync(process.execPath, [join(work, 'release.mjs'), ...files], { encoding: 'utf8' }));
  expect(workers).toBe(1);
  expect(out).toHaveLength(6);
  for (const o of out) {
    expect(o.count).toBe(200);
    expect(o.before).toBeGreaterThanOrEqual(800);
    expect(o.after).toBe(0);
  }
  // The first object is delivered twice (copy-...): the same signatures in a recycled buffer sum the same.
  const again = JSON.parse(execFileSync(process.execPath, [join(work, 'release.mjs'), ...files, files[0]], { encoding: 'utf8' }));
  expect(again.out[6].sum).toBe(again.out[0].sum);
}, 60_000);

test('a writer of many distinct object keys: each worker keeps 1,000 per principal and action, the rest count for the bucket', () => {
  const dir = join(work, 'many-keys');
  mkdirSync(dir, { recursive: true });
  const perFile = 800;
  for (let f = 0; f < 4; f++) {
    const records = Array.from({ length: perFile }, (_, i) => {
      const n = f * perFile + i;
      return {
        eventVersion: '1.09',
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/etl/s', accountId: '111122223333', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/etl' } } },
        eventTime: new Date(Date.UTC(2024, 4, 1) + n * 1000).toISOString().replace('.000', ''),
        eventSource: 's3.amazonaws.com',
        eventName: 'PutObject',
        awsRegion: 'us-east-1',
        requestParameters: { bucketName: 'lake', key: `raw/part-${n}.parquet` },
        eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        recipientAccountId: '111122223333',
      };
    });
    writeFileSync(join(dir, `111122223333_CloudTrail_us-east-1_20240501T000${f}Z_k${f}.json.gz`), gzipSync(JSON.stringify({ Records: records })));
  }
  const read = (workers: number) => JSON.parse(execFileSync(process.execPath, [join(work, 'child.mjs'), dir, String(workers)], { encoding: 'utf8' })).s;
  for (const [workers, maxExact] of [[2, 2000], [0, 1000]]) {
    const s = read(workers);
    const exact = s.records.filter((r: { resource?: string }) => r.resource !== undefined);
    const onBucket = s.records.filter((r: { resource?: string }) => r.resource === undefined);
    expect(s.totalEvents).toBe(3200);
    expect(exact.length).toBeGreaterThanOrEqual(1000);
    expect(exact.length).toBeLessThanOrEqual(maxExact);
    expect(onBucket).toEqual([expect.objectContaining({ action: 's3:PutObject', bucket: 'arn:aws:s3:::lake', count: 3200 - exact.length })]);
    expect(s.sources[0].keysNotKept).toBe(3200 - exact.length);
    expect(s.sources[0].status).toBe('ran');
  }
}, 60_000);
