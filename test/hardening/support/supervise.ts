// The hang detector: corpus inputs run in child processes (child.ts, through tsx); an input that
// gives no result within the limit is a hang, and one that kills the process is a crash. Either way
// the child is replaced and the remaining inputs go on.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Outcome } from './run-entry.js';

const CHILD = path.resolve(process.cwd(), 'test/hardening/support/child.ts');
const RESULT = '@@corpus-result ';
const START = '@@corpus-start ';

export interface SuperviseOptions {
  /** Time one input may take before it counts as a hang. */
  limitMs: number;
  /** Child processes at once. */
  workers?: number;
}

/** Environment without credentials or runner context: the corpus must not reach AWS or GitHub. */
function hermeticEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|GITHUB_|INPUT_|RUNNER_|ACTIONS_)/.test(k)) env[k] = v;
  return env;
}

/** Runs `ids` in one child at a time, restarting after a hang or a death, until every id has an outcome. */
async function runQueue(ids: string[], opts: SuperviseOptions, results: Map<string, Outcome>): Promise<void> {
  let queue = ids.slice();
  while (queue.length) {
    const batch = queue;
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...batch], { env: hermeticEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let buffer = '';
      let stderr = '';
      let current: string | undefined;
      let startedAt = 0;
      let timer: NodeJS.Timeout | undefined;
      let first = true;
      const arm = () => {
        clearTimeout(timer);
        // The first input also pays for the child's start (tsx, the catalogue).
        timer = setTimeout(() => {
          if (current) results.set(current, { id: current, status: 'hang', text: stderr.slice(-2000), checksNotRun: [], ms: Date.now() - startedAt });
          child.kill('SIGKILL');
        }, opts.limitMs + (first ? 20_000 : 2_000));
      };
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.startsWith(START)) {
            current = line.slice(START.length);
            startedAt = Date.now();
            arm();
          } else if (line.startsWith(RESULT)) {
            const outcome = JSON.parse(line.slice(RESULT.length)) as Outcome;
            results.set(outcome.id, outcome);
            current = undefined;
            first = false;
            clearTimeout(timer);
          }
        }
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
      arm();
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (current && !results.has(current)) {
          results.set(current, { id: current, status: 'crash', error: `the process ended (${signal ?? `exit ${code}`}): ${stderr.slice(-3000)}`, text: '', checksNotRun: [], ms: Date.now() - startedAt });
        }
        resolve();
      });
    });
    queue = batch.filter((id) => !results.has(id));
    if (queue.length === batch.length) {
      // The child died before its first input: report them all rather than loop.
      for (const id of queue) results.set(id, { id, status: 'crash', error: 'the corpus child could not start', text: '', checksNotRun: [], ms: 0 });
      queue = [];
    }
  }
}

export async function superviseCorpus(ids: string[], opts: SuperviseOptions): Promise<Outcome[]> {
  const results = new Map<string, Outcome>();
  const workers = Math.max(1, opts.workers ?? 1);
  const shares = Array.from({ length: workers }, (_, w) => ids.filter((_, i) => i % workers === w));
  await Promise.all(shares.filter((s) => s.length).map((share) => runQueue(share, opts, results)));
  return ids.map((id) => results.get(id)!);
}
