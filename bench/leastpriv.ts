// Least-privilege benchmarks: suggesting a policy for a principal with 1,000 distinct used
// (action, resource) pairs (target: under 1 s), and unused access for the same principal.
import { leastPrivilege } from '../src/leastpriv/index.js';
import { suggestPolicy } from '../src/leastpriv/suggest.js';
import { largeUsage, roleSubject, usageOf } from '../fixtures/leastpriv/build.js';
import type { BenchResult } from './types.js';

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeIt(fn: () => void, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

export async function benchLeastPrivilege(): Promise<BenchResult[]> {
  const { current, records } = largeUsage(1000);
  let documents = 0;
  // The first run includes the catalogue decode; the figure is the median of warm runs.
  suggestPolicy({ current, records });
  const suggestMs = timeIt(() => {
    documents = suggestPolicy({ current, records }).documents.length;
  }, 5);
  const usage = usageOf(records);
  const subject = roleSubject(current);
  const allMs = timeIt(() => leastPrivilege(subject, usage), 5);
  return [
    { name: 'suggest policy, 1,000 used (action, resource) pairs', value: suggestMs, unit: 'ms', target: 1000, pass: suggestMs < 1000, note: `${documents} document(s)` },
    { name: 'unused access + suggestion, same principal', value: allMs, unit: 'ms', target: 1000, pass: allMs < 1000 },
  ];
}
