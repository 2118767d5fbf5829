// Engine benchmarks ([engine] issue): the exact new-access comparison of a 50/50 statement pair
// with wildcards and conditions (target < 50 ms), and a 1,000-file change through the whole
// pipeline with exact comparison on (target < 5 s). In-process and deterministic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileDocuments } from '../src/analysis/compile.js';
import { compareAccess } from '../src/analysis/new-access.js';
import { changesBetweenDirectories } from '../src/changes/directories.js';
import { defaultConfig } from '../src/config/types.js';
import type { PolicyDocument } from '../src/model.js';
import { runGate } from '../src/pipeline.js';
import { extractPolicies } from '../src/policies/extract.js';
import { writeSyntheticChange } from './core.js';
import type { BenchResult } from './types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const ACTIONS = ['s3:Get*', 's3:Put*', 's3:*Object', 's3:List*', 'dynamodb:Query', 'dynamodb:*Item', 'sqs:*', 'kms:Decrypt', 'kms:*', 'logs:Create*', 'ec2:Describe*', 'iam:Get*'];
const CONDITIONS = [
  { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } },
  { StringLike: { 's3:prefix': ['home/${aws:username}/*'] } },
  { Bool: { 'aws:SecureTransport': 'true' } },
  { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
  { StringEqualsIfExists: { 'aws:PrincipalTag/team': 'data' } },
  { NumericLessThan: { 's3:max-keys': '100' } },
];

function statement(r: () => number, i: number): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const s: Record<string, unknown> = {
    Sid: `S${i}`,
    Effect: r() < 0.85 ? 'Allow' : 'Deny',
    Action: Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(ACTIONS)),
    Resource: Array.from({ length: 1 + Math.floor(r() * 2) }, () =>
      r() < 0.15 ? '*' : `arn:aws:s3:::bucket-${Math.floor(r() * 10)}/${pick(['*', 'data/*', 'data/?/x*', 'home/${aws:username}/*', 'logs/2024-*'])}`,
    ),
  };
  if (r() < 0.5) s.Condition = pick(CONDITIONS);
  return s;
}

function doc(statements: unknown[], file: string): PolicyDocument {
  const bytes = Buffer.from(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
  return extractPolicies(file, bytes, { maxBytes: 1 << 22, forcePolicy: true }).documents[0];
}

/** Base of 50 statements; head changes a third of them and widens a few (more actions, fewer conditions). */
export function pairOf50(seed = 11): { base: PolicyDocument; head: PolicyDocument } {
  const r = rng(seed);
  const base = Array.from({ length: 50 }, (_, i) => statement(r, i));
  const head = base.map((s, i) => {
    const x = r();
    if (x < 0.2) return statement(r, i);
    if (x < 0.3) return { ...s, Condition: undefined };
    if (x < 0.35) return { ...s, Action: [...(s.Action as string[]), 's3:*'] };
    return s;
  });
  return { base: doc(base, 'base.json'), head: doc(head, 'head.json') };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchEngine(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  // 1. One pair, compiled once (as the pipeline does), compared repeatedly.
  const { base, head } = pairOf50();
  const b = compileDocuments([base]);
  const h = compileDocuments([head]);
  let items = 0;
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = process.hrtime.bigint();
    items = compareAccess(b, h).items.length;
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const pair = median(times);
  results.push({ name: 'new access, 50 vs 50 statements (median)', value: pair, unit: 'ms', target: 50, pass: pair < 50, note: `${items} item(s)` });

  // 2. The same including parsing and compiling both sides.
  const t0 = process.hrtime.bigint();
  const fresh = pairOf50(12);
  compareAccess(compileDocuments([fresh.base]), compileDocuments([fresh.head]));
  const cold = Number(process.hrtime.bigint() - t0) / 1e6;
  results.push({ name: 'new access, 50 vs 50, parse + compile + compare', value: cold, unit: 'ms', target: 50, pass: cold < 50 });

  // 3. The 1,000-file change of [core] through the pure pipeline, exact comparison on.
  const root = mkdtempSync(path.join(tmpdir(), 'bench-engine-'));
  try {
    const dirs = writeSyntheticChange(root, 1000, 20);
    const config = defaultConfig();
    const t1 = process.hrtime.bigint();
    const changes = await changesBetweenDirectories(dirs.base, dirs.head, { maxFileBytes: config.limits.maxFileBytes, include: () => true });
    const report = runGate({ changes, config, toolVersion: 'bench', now: new Date(0) });
    const big = Number(process.hrtime.bigint() - t1) / 1e6;
    results.push({
      name: '1,000 files x 20 statements, in process (exact new access)',
      value: big,
      unit: 'ms',
      target: 5000,
      pass: big < 5000,
      note: `${report.subjects.length} subjects, ${report.totals.newAccess} new-access items`,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}
