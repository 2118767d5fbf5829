import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureCommits, refsFromEvent, UsageError } from '../../src/changes/event.js';
import { changesBetweenRefs, isGitRef } from '../../src/changes/git.js';

const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    env: gitEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString('utf8').trim();
}
function commitFile(repo: string, rel: string, content: string): string {
  mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
  writeFileSync(path.join(repo, rel), content);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', `edit ${rel}`);
  return git(repo, 'rev-parse', 'HEAD');
}

let tmp: string;
let origin: string;
let mainTip: string;
let featureTip: string;
let clones = 0;
function shallowClone(branch: string): string {
  const dir = path.join(tmp, `clone-${++clones}`);
  git(tmp, 'clone', '-q', '--depth', '1', '--branch', branch, `file://${origin}`, dir);
  return dir;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'changes-fetch-'));
  origin = path.join(tmp, 'origin');
  mkdirSync(origin);
  git(origin, 'init', '-q', '-b', 'main');
  commitFile(origin, 'iam/shared.json', '{"v": 0}');
  commitFile(origin, 'iam/pr.json', '{"v": 0}');
  git(origin, 'checkout', '-q', '-b', 'feature');
  // Twenty commits on the PR side: the merge base lies deeper than the first deepening step.
  for (let i = 1; i <= 20; i++) featureTip = commitFile(origin, 'iam/pr.json', `{"v": ${i}}`);
  git(origin, 'checkout', '-q', 'main');
  for (let i = 1; i <= 3; i++) mainTip = commitFile(origin, 'iam/shared.json', `{"v": ${i}}`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const limits = { maxFileBytes: 10_000 };

describe('ensureCommits on a depth-1 clone', () => {
  test('fetches the missing base and deepens until the merge base exists', async () => {
    const clone = shallowClone('feature');
    expect(await isGitRef(clone, mainTip)).toBe(false);
    await expect(changesBetweenRefs(clone, mainTip, featureTip, limits)).rejects.toThrow(/fetch-depth: 0/);
    await ensureCommits(clone, { base: mainTip, head: featureTip });
    const set = await changesBetweenRefs(clone, mainTip, featureTip, limits);
    expect(set.files.map((f) => f.path)).toEqual(['iam/pr.json']);
    expect(Buffer.from(set.files[0].base!).toString()).toBe('{"v": 0}');
    expect(Buffer.from(set.files[0].head!).toString()).toBe('{"v": 20}');
    expect(set.commits?.mergeBase).toBe(true);
  });

  test('fetches a missing head from a pull_request payload', async () => {
    const clone = shallowClone('main');
    const payload = {
      number: 3,
      pull_request: {
        number: 3,
        base: { sha: mainTip, repo: { full_name: 'acme/infra' } },
        head: { sha: featureTip, repo: { full_name: 'acme/infra' } },
      },
    };
    const refs = refsFromEvent('pull_request', payload);
    await ensureCommits(clone, refs);
    const set = await changesBetweenRefs(clone, refs.base, refs.head, limits);
    expect(set.files.map((f) => [f.path, f.status])).toEqual([['iam/pr.json', 'modified']]);
  });

  test('HEAD~1 (workflow_dispatch default) and <sha>~1 (new-branch push) are fetched', async () => {
    const clone = shallowClone('feature');
    const dispatch = refsFromEvent('workflow_dispatch', {});
    expect(await isGitRef(clone, 'HEAD~1')).toBe(false);
    await ensureCommits(clone, dispatch);
    const set = await changesBetweenRefs(clone, dispatch.base, dispatch.head, limits);
    expect(set.files.map((f) => f.path)).toEqual(['iam/pr.json']);

    const other = shallowClone('main');
    const push = refsFromEvent('push', { before: '0'.repeat(40), after: mainTip, created: true });
    await ensureCommits(other, push);
    const pushed = await changesBetweenRefs(other, push.base, push.head, limits);
    expect(pushed.files.map((f) => [f.path, Buffer.from(f.head!).toString()])).toEqual([['iam/shared.json', '{"v": 3}']]);
  });

  test('origin/<branch> is fetched into its remote-tracking ref', async () => {
    const clone = shallowClone('feature');
    await ensureCommits(clone, { base: 'origin/main', head: 'HEAD' });
    const set = await changesBetweenRefs(clone, 'origin/main', 'HEAD', limits);
    expect(set.files.map((f) => f.path)).toEqual(['iam/pr.json']);
  });

  test('a bounded deepen that cannot reach the merge base says what to set', async () => {
    const clone = shallowClone('feature');
    await expect(ensureCommits(clone, { base: mainTip, head: featureTip }, { maxDeepen: 4 })).rejects.toThrow(
      /No merge base .* within 4 commits.*fetch-depth: 0/,
    );
  });

  test('no remote, or an unreachable one, is a UsageError naming fetch-depth: 0', async () => {
    const clone = shallowClone('feature');
    git(clone, 'remote', 'remove', 'origin');
    const err = await ensureCommits(clone, { base: mainTip, head: featureTip }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/base commit [0-9a-f]{40} is not in the clone.*no remote 'origin'.*`fetch-depth: 0`/);

    git(clone, 'remote', 'add', 'origin', `file://${path.join(tmp, 'does-not-exist')}`);
    await expect(ensureCommits(clone, { base: mainTip, head: featureTip })).rejects.toThrow(/Fetching from origin failed: .*fetch-depth: 0/);
  });

  test('refs that cannot be fetched by name are refused clearly', async () => {
    const clone = shallowClone('feature');
    await expect(ensureCommits(clone, { base: 'main', head: 'HEAD' })).rejects.toThrow(/Only commit ids and origin\/<branch>/);
  });

  test('a complete clone needs no fetch', async () => {
    const full = path.join(tmp, 'full');
    git(tmp, 'clone', '-q', `file://${origin}`, full);
    git(full, 'remote', 'remove', 'origin'); // proves nothing is fetched
    await expect(ensureCommits(full, { base: mainTip, head: featureTip })).resolves.toBeUndefined();
  });
});
