// npm run bench: every benchmark in one run; prints a table and writes bench/results.json.
// Suites register here; each returns measured figures and whether they reach the target.
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import type { BenchResult } from './types.js';
import { benchCore } from './core.js';

type Suite = { name: string; run: () => Promise<BenchResult[]> };

async function optional(name: string, load: () => Promise<Suite['run']>): Promise<Suite> {
  return { name, run: async () => (await load())() };
}

const suites: Suite[] = [
  { name: 'core', run: benchCore },
  await optional('engine', async () => (await import('./engine.js')).benchEngine),
  await optional('cloudtrail', async () => (await import('./cloudtrail.js')).benchCloudTrail),
  await optional('least-privilege', async () => (await import('./leastpriv.js')).benchLeastPrivilege),
  await optional('robustness', async () => (await import('./robustness.js')).benchRobustness),
];

const only = process.argv.slice(2);
const rows: Array<BenchResult & { suite: string }> = [];
for (const suite of suites) {
  if (only.length && !only.includes(suite.name)) continue;
  process.stderr.write(`running ${suite.name} ...\n`);
  try {
    for (const r of await suite.run()) rows.push({ suite: suite.name, ...r });
  } catch (e) {
    rows.push({ suite: suite.name, name: 'suite failed', value: NaN, unit: '', pass: false, note: e instanceof Error ? e.message : String(e) });
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)) : 'n/a');
const table = [['suite', 'benchmark', 'value', 'unit', 'target', 'ok'], ...rows.map((r) => [r.suite, r.name, fmt(r.value), r.unit, r.target === undefined ? '' : fmt(r.target), r.pass === undefined ? '' : r.pass ? 'yes' : 'NO'])];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
mkdirSync('bench', { recursive: true });
const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
writeFileSync('bench/results.json', JSON.stringify({ at: new Date().toISOString(), machine, results: rows }, null, 2) + '\n');
console.log('\nwritten: bench/results.json');
if (rows.some((r) => r.pass === false)) process.exitCode = 1;
