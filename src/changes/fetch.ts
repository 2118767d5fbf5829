import { UsageError } from './errors.js';
import { firstLine, runGit } from './git-exec.js';
import { isGitRef, mergeBaseOf, resolveCommit } from './git.js';

const FETCH_TIMEOUT_MS = 300_000;
const FIRST_DEEPEN = 16;
const DEFAULT_MAX_DEEPEN = 2048;

const SHA_WITH_STEPS = /^([0-9a-f]{40}|[0-9a-f]{64})((?:[~^]\d*)*)$/i;
const NAME_WITH_STEPS = /^(.+?)((?:[~^]\d*)+)$/;

function fixHint(what: string): string {
  return `${what} Set \`fetch-depth: 0\` in actions/checkout (with: fetch-depth: 0) so the base, head and merge-base commits are present.`;
}

/** How many first-parent steps `~2^` walks back (each ^ or ~ without a number is one). */
function stepsIn(suffix: string): number {
  let steps = 0;
  for (const m of suffix.matchAll(/([~^])(\d*)/g)) steps += m[2] === '' ? 1 : m[1] === '~' ? Number(m[2]) : 1;
  return steps;
}

async function fetchOrExplain(repoDir: string, args: string[], what: string): Promise<void> {
  const run = await runGit(repoDir, ['fetch', '--no-tags', '--quiet', ...args], { timeoutMs: FETCH_TIMEOUT_MS });
  if (run.code !== 0) throw new UsageError(fixHint(`${what} Fetching from origin failed: ${firstLine(run.stderr)}.`));
}

async function isShallow(repoDir: string): Promise<boolean> {
  const run = await runGit(repoDir, ['rev-parse', '--is-shallow-repository']);
  return run.stdout.toString('utf8').trim() === 'true';
}

/** Fetches what `ref` needs: a commit id (plus ancestors for `~n`), or a remote-tracking branch. */
async function fetchRef(repoDir: string, ref: string, role: string): Promise<void> {
  const missing = `The ${role} commit ${ref} is not in the clone at ${repoDir}.`;
  const remote = await runGit(repoDir, ['remote', 'get-url', 'origin']);
  if (remote.code !== 0) throw new UsageError(fixHint(`${missing} There is no remote 'origin' to fetch it from.`));
  const bySha = SHA_WITH_STEPS.exec(ref);
  const byName = bySha ? null : NAME_WITH_STEPS.exec(ref);
  const tracking = /^origin\/([\w./-]+)$/.exec(ref);
  if (bySha || byName) {
    const [, tip, suffix] = (bySha ?? byName)!;
    const steps = stepsIn(suffix);
    const tipSha = bySha ? tip.toLowerCase() : await resolveCommit(repoDir, tip, role);
    // A present tip only needs its shallow boundary moved back; an absent one is fetched deep enough.
    const depthArg = (await isGitRef(repoDir, tipSha)) ? `--deepen=${Math.max(steps, 1)}` : `--depth=${steps + 1}`;
    await fetchOrExplain(repoDir, [depthArg, 'origin', tipSha], missing);
  } else if (tracking) {
    await fetchOrExplain(repoDir, ['--depth=1', 'origin', `+refs/heads/${tracking[1]}:refs/remotes/origin/${tracking[1]}`], missing);
  } else {
    throw new UsageError(fixHint(`${missing} Only commit ids and origin/<branch> can be fetched on demand.`));
  }
  if (!(await isGitRef(repoDir, ref))) throw new UsageError(fixHint(`${missing} origin did not provide it.`));
}

/**
 * Makes sure base, head and their merge base are in the clone. actions/checkout fetches one
 * commit by default, so this fetches the missing ends and deepens (doubling, bounded by
 * `maxDeepen` commits) until `git merge-base` answers. Histories that share nothing in a complete
 * clone are left alone: the diff then compares base directly.
 */
export async function ensureCommits(repoDir: string, refs: { base: string; head: string }, opts: { maxDeepen?: number } = {}): Promise<void> {
  const maxDeepen = opts.maxDeepen ?? DEFAULT_MAX_DEEPEN;
  for (const [role, ref] of [['base', refs.base], ['head', refs.head]] as const) {
    if (!(await isGitRef(repoDir, ref))) await fetchRef(repoDir, ref, role);
  }
  const base = await resolveCommit(repoDir, refs.base, 'base');
  const head = await resolveCommit(repoDir, refs.head, 'head');
  if (await mergeBaseOf(repoDir, base, head)) return;
  let deepened = 0;
  let step = FIRST_DEEPEN;
  while (await isShallow(repoDir)) {
    if (deepened >= maxDeepen) {
      throw new UsageError(fixHint(`No merge base of ${refs.base} and ${refs.head} within ${deepened} commits fetched (maxDeepen).`));
    }
    const n = Math.min(step, maxDeepen - deepened);
    await fetchOrExplain(repoDir, [`--deepen=${n}`, 'origin', base, head], `Could not deepen history to find the merge base of ${refs.base} and ${refs.head}.`);
    deepened += n;
    step *= 2;
    if (await mergeBaseOf(repoDir, base, head)) return;
  }
}
