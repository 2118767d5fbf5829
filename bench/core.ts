// Core benchmarks: the demo as a process, --version, and a synthetic 1,000-file change.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchResult } from './types.js';

const CLI = path.resolve('dist/cli.js');

/** Median wall time of `runs` runs of a command, in ms. */
function timeProcess(args: string[], runs: number, okCodes = [0, 1]): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (!okCodes.includes(r.status ?? -1)) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// A deterministic pseudo-random source, so every run benchmarks the same change.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const SERVICES = ['s3', 'dynamodb', 'sqs', 'sns', 'lambda', 'kms', 'secretsmanager', 'ssm', 'ec2', 'logs', 'cloudwatch', 'iam', 'sts'];
const VERBS = ['Get*', 'List*', 'Describe*', 'Put*', '*', 'Create*', 'Delete*'];

function statement(r: () => number, i: number): object {
  const svc = SERVICES[Math.floor(r() * SERVICES.length)];
  const actions = Array.from({ length: 1 + Math.floor(r() * 4) }, () => `${svc}:${VERBS[Math.floor(r() * VERBS.length)]}`);
  const resource = r() < 0.2 ? '*' : `arn:aws:${svc}:us-east-1:123456789012:thing-${Math.floor(r() * 50)}/${r() < 0.5 ? '*' : 'x'}`;
  const s: Record<string, unknown> = { Sid: `S${i}`, Effect: r() < 0.9 ? 'Allow' : 'Deny', Action: actions, Resource: resource };
  if (r() < 0.3) s.Condition = { StringEquals: { 'aws:RequestedRegion': r() < 0.5 ? 'us-east-1' : ['us-east-1', 'eu-west-1'] } };
  return s;
}

/** Writes `files` policy files of `statements` statements into base and head; head changes ~30% of statements. */
export function writeSyntheticChange(root: string, files: number, statements: number): { base: string; head: string } {
  const base = path.join(root, 'base');
  const head = path.join(root, 'head');
  const r = rng(7);
  for (let f = 0; f < files; f++) {
    const stmts = Array.from({ length: statements }, (_, i) => statement(r, i));
    const changed = stmts.map((s, i) => (r() < 0.3 ? statement(r, i) : s));
    for (const [dir, list] of [[base, stmts], [head, changed]] as const) {
      const file = path.join(dir, `team-${f % 20}`, `policy-${f}.json`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify({ Version: '2012-10-17', Statement: list }, null, 2));
    }
  }
  return { base, head };
}

export async function benchCore(): Promise<BenchResult[]> {
  execFileSync(process.execPath, [CLI, '--version']); // warm the file cache
  const results: BenchResult[] = [];
  const version = timeProcess([CLI, '--version'], 7, [0]);
  results.push({ name: 'cli --version (process)', value: version, unit: 'ms', target: 400, pass: version < 400 });

  const out = mkdtempSync(path.join(tmpdir(), 'bench-demo-'));
  const demo = timeProcess([CLI, 'check', '--base', 'fixtures/demo/base', '--head', 'fixtures/demo/head', '--cloudtrail', 'fixtures/demo/cloudtrail', '--out', out], 5);
  results.push({ name: 'demo end to end (process)', value: demo, unit: 'ms', target: 1000, pass: demo < 1000 });

  const root = mkdtempSync(path.join(tmpdir(), 'bench-1000-'));
  const { base, head } = writeSyntheticChange(root, 1000, 20);
  const big = timeProcess([CLI, 'check', '--base', base, '--head', head, '--out', path.join(root, 'out')], 3);
  // The 5 s target is for the analysis (bench/engine.ts measures it in process); this row adds process start,
  // reading 2,000 files and writing diff.md, SARIF and report.json for the whole change.
  results.push({ name: '1,000 files x 20 statements, end to end as a process (incl. writing outputs)', value: big, unit: 'ms' });
  rmSync(root, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  return results;
}
