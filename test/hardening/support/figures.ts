// The reliability figures (npm run robustness, npm run bench): inputs tried, crashes, hangs, silent
// passes, faults injected and survived. Known issues (bugs left to their owners) are counted apart.
import { runAwsFaults } from './aws-faults.js';
import { EXTRA_GITHUB_SCENARIOS, runGithubScenario, type GithubScenario } from './github-faults.js';
import { inputBytes, loadManifest } from './manifest.js';
import { judge } from './run-entry.js';
import { superviseCorpus } from './supervise.js';

export interface Figures {
  inputs: number;
  crashes: number;
  hangs: number;
  silentPasses: number;
  /** Inputs whose outcome is not the manifest's (a wrong exit code, a message that does not name the input). */
  unclear: number;
  faultsInjected: number;
  faultsSurvived: number;
  /** Failures of any kind that are known issues in the manifest or fault list. */
  known: number;
  wallMs: number;
  failures: string[];
}

export async function measure(opts: { github?: boolean; limitMs?: number; workers?: number; log?: (l: string) => void } = {}): Promise<Figures> {
  const started = Date.now();
  const limitMs = opts.limitMs ?? 10_000;
  const manifest = loadManifest();
  const local = manifest.filter((e) => e.run !== 'github-response');
  const f: Figures = { inputs: 0, crashes: 0, hangs: 0, silentPasses: 0, unclear: 0, faultsInjected: 0, faultsSurvived: 0, known: 0, wallMs: 0, failures: [] };
  const outcomes = await superviseCorpus(local.map((e) => e.id), { limitMs, workers: opts.workers ?? 2 });
  local.forEach((e, i) => {
    const j = judge(e, outcomes[i], limitMs);
    f.inputs++;
    if (e.run === 'aa-response') f.faultsInjected++;
    if (j.ok) {
      if (e.run === 'aa-response') f.faultsSurvived++;
      return;
    }
    if (e.knownIssue) f.known++;
    else {
      f.crashes += j.crash ? 1 : 0;
      f.hangs += j.hang ? 1 : 0;
      f.silentPasses += j.silentPass ? 1 : 0;
      f.unclear += !j.crash && !j.hang && !j.silentPass ? 1 : 0;
    }
    f.failures.push(`${e.id}${e.knownIssue ? ' (known issue)' : ''}: ${j.problems.join('; ')}`);
  });
  opts.log?.(`corpus: ${f.inputs} inputs in ${Date.now() - started} ms`);
  for (const r of await runAwsFaults()) {
    f.faultsInjected++;
    if (r.survived) f.faultsSurvived++;
    else {
      if (r.knownIssue) f.known++;
      f.failures.push(`${r.name}${r.knownIssue ? ' (known issue)' : ''}: ${r.detail}`);
    }
  }
  if (opts.github !== false) {
    const scenarios: GithubScenario[] = [
      ...manifest.filter((e) => e.run === 'github-response').map((e) => ({ id: e.id, note: e.note, reply: e.reply!, body: inputBytes(e) })),
      ...EXTRA_GITHUB_SCENARIOS,
    ];
    for (const s of scenarios) {
      const r = await runGithubScenario(s, 60_000);
      if (manifest.some((e) => e.id === s.id)) f.inputs++;
      f.faultsInjected++;
      if (r.survived) f.faultsSurvived++;
      else f.failures.push(`${s.id}: ${r.problems.join('; ')}`);
      if (r.problems.some((p) => p.startsWith('hang'))) f.hangs++;
      if (r.problems.some((p) => p.startsWith('crash'))) f.crashes++;
      if (r.problems.some((p) => p.startsWith('fail closed'))) f.silentPasses++;
    }
  }
  f.wallMs = Date.now() - started;
  return f;
}
