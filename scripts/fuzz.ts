// npm run fuzz: the hardening properties (test/hardening/support/properties.ts) with many more runs
// and a fresh seed (printed, so a failure can be replayed: npm run fuzz -- --seed N --runs M).
import fc from 'fast-check';
import { PROPERTIES } from '../test/hardening/support/properties.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const seed = arg('seed') ?? Date.now() % 2_147_483_647;
/** Multiplies each property's jest run count. */
const factor = arg('runs') ?? 50;

async function main(): Promise<number> {
  let failed = 0;
  for (const [i, p] of PROPERTIES.entries()) {
    const started = Date.now();
    const result = await fc.check(p.property(), { seed: seed + i, numRuns: p.runs * factor });
    const ms = Date.now() - started;
    if (result.failed) {
      failed++;
      process.stdout.write(`FAIL ${p.name} (seed ${seed + i}, ${ms} ms)\n  counterexample: ${fc.stringify(result.counterexample)}\n  ${String(result.errorInstance ?? '').split('\n')[0]}\n`);
    } else process.stdout.write(`ok   ${p.name}: ${result.numRuns} runs, ${ms} ms\n`);
  }
  process.stdout.write(`\nseed ${seed}: ${PROPERTIES.length - failed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code));
