// The bundled CLI's CloudTrail workers: dist/usage-worker.js (scripts/finish-dist.mjs) answers a log object on its
// own, and the CLI reading through two of them reports what it reports reading on its main thread alone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventBatch } from '../../src/usage/event-batch.js';
import { USAGE_WORKER_FLAG } from '../../src/usage/worker-entry.js';

const ROOT = path.resolve('.');
const WORKER = path.join(ROOT, 'dist/usage-worker.js');
const DEMO = path.join(ROOT, 'fixtures/demo');
const LOG = path.join(DEMO, 'cloudtrail/123456789012_CloudTrail_us-east-1_20261122T1800Z_demo.json.gz');

test('dist/usage-worker.js answers a log object the way the pool asks', async () => {
  expect(existsSync(WORKER)).toBe(true);
  const worker = new Worker(WORKER, { workerData: { [USAGE_WORKER_FLAG]: true, options: { contextKeys: ['aws:sourceip'] } }, stdout: true, stderr: true });
  try {
    const answer = await new Promise<{ id: number; batch: EventBatch }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage({ id: 7, name: 'demo', file: LOG });
    });
    expect(answer.id).toBe(7);
    expect(answer.batch.problems).toEqual([]);
    expect(answer.batch.count).toBeGreaterThan(10);
    expect(answer.batch.newSigs.length).toBeGreaterThan(0);
    expect(JSON.parse(answer.batch.newSigs[0]).kind).toMatch(/^(mapped|unmapped|permissionless)$/);
  } finally {
    await worker.terminate();
  }
});

test('the bundled CLI reads the same usage through two workers as on its main thread', () => {
  const usage = (workers: string) => {
    const out = mkdtempSync(path.join(tmpdir(), 'gate-workers-'));
    const args = ['dist/cli.js', 'check', '--base', `${DEMO}/base`, '--head', `${DEMO}/head`, '--cloudtrail', `${DEMO}/cloudtrail`, '--workers', workers, '--out', out, '--format', 'json', '--now', '2026-11-24T00:00:00Z', '--offline'];
    try {
      execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'pipe' });
    } catch (e) {
      if ((e as { status?: number }).status !== 1) throw e; // 1: the demo's verdict is fail
    }
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { usage?: { records: unknown[]; totalEvents: number } };
    return report.usage;
  };
  const viaWorkers = usage('2');
  expect(viaWorkers?.totalEvents).toBeGreaterThan(10);
  expect(viaWorkers?.records).toEqual(usage('0')?.records);
});
