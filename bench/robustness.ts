// [hardening] Reliability figures for npm run bench: the bad-input corpus and every fault injection
// (AWS through aws-sdk-client-mock and the Access Analyzer fake; GitHub through the fake and a proxy,
// running the bundled action). Crashes, hangs and silent passes must be 0.
import { disposeBundle, prepareBundle } from '../test/support/github-fake/harness.js';
import { measure } from '../test/hardening/support/figures.js';
import type { BenchResult } from './types.js';

export async function benchRobustness(): Promise<BenchResult[]> {
  prepareBundle();
  try {
    const f = await measure({ github: true });
    const zero = (name: string, value: number, note?: string): BenchResult => ({ name, value, unit: 'count', target: 0, pass: value === 0, ...(note ? { note } : {}) });
    return [
      { name: 'bad inputs tried', value: f.inputs, unit: 'inputs', target: 200, pass: f.inputs >= 200 },
      zero('crashes', f.crashes),
      zero('hangs', f.hangs),
      zero('silent passes', f.silentPasses),
      zero('unclear outcomes', f.unclear),
      { name: 'faults injected', value: f.faultsInjected, unit: 'faults' },
      { name: 'faults survived', value: f.faultsSurvived, unit: 'faults', target: f.faultsInjected - f.known, pass: f.faultsSurvived >= f.faultsInjected - f.known },
      { name: 'known issues left to owners', value: f.known, unit: 'count', note: f.failures.filter((x) => x.includes('known issue')).map((x) => x.split(':')[0]).join(', ') },
      { name: 'robustness wall time', value: f.wallMs / 1000, unit: 's' },
    ];
  } finally {
    disposeBundle();
  }
}
