// npm run robustness: the bad-input corpus, the AWS and GitHub fault injections, and the figures the
// README quotes. Exits non-zero when anything crashed, hung or passed silently (known issues aside).
import { disposeBundle, prepareBundle } from '../test/support/github-fake/harness.js';
import { measure } from '../test/hardening/support/figures.js';

async function main(): Promise<number> {
  const github = !process.argv.includes('--no-github');
  if (github) prepareBundle();
  try {
    const f = await measure({ github, log: (l) => process.stderr.write(`${l}\n`) });
    const rows: Array<[string, number | string]> = [
      ['inputs tried', f.inputs],
      ['crashes', f.crashes],
      ['hangs', f.hangs],
      ['silent passes', f.silentPasses],
      ['unclear outcomes', f.unclear],
      ['faults injected', f.faultsInjected],
      ['faults survived', f.faultsSurvived],
      ['known issues (left to their owners)', f.known],
      ['wall time', `${(f.wallMs / 1000).toFixed(1)} s`],
    ];
    for (const [name, value] of rows) process.stdout.write(`${name.padEnd(38)} ${value}\n`);
    if (f.failures.length) process.stdout.write(`\n${f.failures.map((x) => `- ${x}`).join('\n')}\n`);
    return f.crashes + f.hangs + f.silentPasses + f.unclear > 0 ? 1 : 0;
  } finally {
    if (github) disposeBundle();
  }
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`robustness: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(2);
});
