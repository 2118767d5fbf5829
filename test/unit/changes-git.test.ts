import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { changesBetweenRefs, isGitRef, UsageError, SYMLINK_NOT_FOLLOWED } from '../../src/changes/git.js';
import { parseRawDiff } from '../../src/changes/git-objects.js';

const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    env: gitEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString('utf8').trim();
}
function write(root: string, rel: string, content: string | Buffer): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), content);
}
function commit(root: string, message: string): string {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '--allow-empty', '-m', message);
  return git(root, 'rev-parse', 'HEAD');
}
const text = (b?: Uint8Array) => (b ? Buffer.from(b).toString('utf8') : undefined);
const limits = { maxFileBytes: 10_000 };

let root: string;
let repo: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'changes-git-'));
  repo = path.join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('changesBetweenRefs on a temp repository', () => {
  let base: string;
  let head: string;
  const policy = (n: number) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: `s3:Get${n}`, Resource: '*' }] }, null, 2);

  beforeAll(() => {
    write(repo, 'keep.json', policy(1));
    write(repo, 'modify.json', policy(2));
    write(repo, 'delete.json', '{"deleted": true, "padding": "' + 'd'.repeat(200) + '"}');
    write(repo, 'old/name.json', policy(4) + '\n'.repeat(3));
    write(repo, 'readme.md', 'hello');
    write(repo, 'big.json', 'x'.repeat(20_000));
    base = commit(repo, 'base');
    write(repo, 'modify.json', policy(22));
    unlinkSync(path.join(repo, 'delete.json'));
    rmSync(path.join(repo, 'old'), { recursive: true });
    write(repo, 'new/name.json', policy(4) + '\n'.repeat(3));
    write(repo, 'added.json', policy(5));
    write(repo, 'dir with space/pölicy ✓.json', policy(6));
    write(repo, 'line\nbreak.json', policy(7));
    write(repo, 'readme.md', 'changed');
    write(repo, 'big.json', 'y'.repeat(20_000));
    symlinkSync('/etc/passwd', path.join(repo, 'link.json'));
    head = commit(repo, 'head');
  });

  test('reports added, deleted, modified and renamed files with both sides', async () => {
    const set = await changesBetweenRefs(repo, base, head, limits);
    const byPath = new Map(set.files.map((f) => [f.path, f]));
    expect(byPath.get('modify.json')).toMatchObject({ status: 'modified' });
    expect(text(byPath.get('modify.json')!.base)).toContain('s3:Get2');
    expect(text(byPath.get('modify.json')!.head)).toContain('s3:Get22');
    expect(byPath.get('delete.json')).toMatchObject({ status: 'deleted' });
    expect(text(byPath.get('delete.json')!.base)).toContain('"deleted": true');
    expect(byPath.get('delete.json')!.head).toBeUndefined();
    expect(byPath.get('added.json')!.status).toBe('added');
    expect(byPath.get('added.json')!.base).toBeUndefined();
    const renamed = byPath.get('new/name.json')!;
    expect(renamed).toMatchObject({ status: 'renamed', basePath: 'old/name.json' });
    expect(text(renamed.base)).toBe(text(renamed.head));
    expect(byPath.has('old/name.json')).toBe(false);
    expect(byPath.has('keep.json')).toBe(false);
    expect(set.commits).toEqual({ base, head, mergeBase: true });
    expect(set.stats.changed).toBe(set.files.length);
  });

  test('paths with spaces, unicode and newlines come through verbatim and are read', async () => {
    const set = await changesBetweenRefs(repo, base, head, limits);
    const odd = set.files.find((f) => f.path === 'dir with space/pölicy ✓.json');
    expect(text(odd?.head)).toContain('s3:Get6');
    const nl = set.files.find((f) => f.path === 'line\nbreak.json');
    expect(text(nl?.head)).toContain('s3:Get7');
  });

  test('a symlink is an error FileChange and its target is never read', async () => {
    const set = await changesBetweenRefs(repo, base, head, limits);
    const link = set.files.find((f) => f.path === 'link.json')!;
    expect(link.error).toBe(SYMLINK_NOT_FOLLOWED);
    expect(link.head).toBeUndefined();
  });

  test('a file over maxFileBytes is an error FileChange, not read', async () => {
    const set = await changesBetweenRefs(repo, base, head, limits);
    const big = set.files.find((f) => f.path === 'big.json')!;
    expect(big.status).toBe('modified');
    expect(big.error).toBe('too large: 20000 bytes > limit 10000 bytes');
    expect(big.base).toBeUndefined();
    expect(big.head).toBeUndefined();
  });

  test('include filter: other files are counted in notes, not read', async () => {
    const set = await changesBetweenRefs(repo, base, head, { ...limits, include: (p) => p.endsWith('.json') });
    expect(set.files.some((f) => f.path === 'readme.md')).toBe(false);
    expect(set.stats.excluded).toBe(1);
    expect(set.notes.join('\n')).toContain('1 file changed without a policy file name (.json, .yaml, .yml, .template, or policy-files.include); not read.');
    expect(set.terraformSources).toBeUndefined();
    const all = await changesBetweenRefs(repo, base, head, limits);
    expect(text(all.files.find((f) => f.path === 'readme.md')?.head)).toBe('changed');
  });

  test('renameThreshold: similar policies pair at 50% but not at 95%', async () => {
    const r = path.join(root, 'similar');
    mkdirSync(r);
    git(r, 'init', '-q', '-b', 'main');
    write(r, 'a.json', policy(3));
    const from = commit(r, 'a');
    rmSync(path.join(r, 'a.json'));
    write(r, 'b.json', policy(5));
    const to = commit(r, 'b');
    const loose = await changesBetweenRefs(r, from, to, limits);
    expect(loose.files.map((f) => [f.path, f.status, f.basePath])).toEqual([['b.json', 'renamed', 'a.json']]);
    const strict = await changesBetweenRefs(r, from, to, { ...limits, renameThreshold: 95 });
    expect(strict.files.map((f) => [f.path, f.status])).toEqual([['a.json', 'deleted'], ['b.json', 'added']]);
  });

  test('a rename counts as included when either name matches', async () => {
    const set = await changesBetweenRefs(repo, base, head, { ...limits, include: (p) => p.startsWith('old/') });
    expect(set.files.map((f) => f.path)).toEqual(['new/name.json']);
  });

  test('the total read budget turns later files into errors', async () => {
    const set = await changesBetweenRefs(repo, base, head, { ...limits, maxTotalBytes: 150 });
    expect(set.files.some((f) => f.error?.includes('total read limit'))).toBe(true);
  });

  test('a bad ref is a UsageError naming the ref', async () => {
    await expect(changesBetweenRefs(repo, 'no-such-branch', head, limits)).rejects.toThrow(UsageError);
    await expect(changesBetweenRefs(repo, base, 'no-such-branch', limits)).rejects.toThrow(/head ref 'no-such-branch'/);
    await expect(changesBetweenRefs(repo, '--output=/tmp/x', head, limits)).rejects.toThrow(/not a valid git revision/);
    await expect(changesBetweenRefs(path.join(root, 'nowhere'), base, head, limits)).rejects.toThrow(/does not exist/);
  });

  test('a directory that is not a repository is a UsageError', async () => {
    const plain = mkdtempSync(path.join(tmpdir(), 'changes-plain-'));
    try {
      await expect(changesBetweenRefs(plain, 'HEAD~1', 'HEAD', limits)).rejects.toThrow(/not a usable git repository/);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  test('isGitRef', async () => {
    expect(await isGitRef(repo, head)).toBe(true);
    expect(await isGitRef(repo, 'main')).toBe(true);
    expect(await isGitRef(repo, 'HEAD~1')).toBe(true);
    expect(await isGitRef(repo, 'HEAD~5')).toBe(false);
    expect(await isGitRef(repo, 'nope')).toBe(false);
    expect(await isGitRef(repo, '-h')).toBe(false);
    expect(await isGitRef(repo, `${head}:keep.json`)).toBe(false); // a blob, not a commit
  });
});

describe('merge-base semantics', () => {
  let mb: string;
  beforeAll(() => {
    mb = path.join(root, 'mb');
    mkdirSync(mb);
    git(mb, 'init', '-q', '-b', 'main');
    write(mb, 'shared.json', '{"v":1}');
    write(mb, 'pr.json', '{"v":1}');
    commit(mb, 'fork point');
    git(mb, 'checkout', '-q', '-b', 'feature');
    write(mb, 'pr.json', '{"v":2}');
    commit(mb, 'pr change');
    git(mb, 'checkout', '-q', 'main');
    write(mb, 'shared.json', '{"v":9}');
    write(mb, 'main-only.json', '{}');
    commit(mb, 'base moved on');
  });

  test('only the PR side changes are reported by default', async () => {
    const set = await changesBetweenRefs(mb, 'main', 'feature', limits);
    expect(set.files.map((f) => f.path)).toEqual(['pr.json']);
    expect(set.baseLabel).toMatch(/^main \(merge base [0-9a-f]{12}\)$/);
    expect(set.headLabel).toMatch(/^feature \([0-9a-f]{12}\)$/);
  });

  test('mergeBase: false compares with the base tip (two-dot)', async () => {
    const set = await changesBetweenRefs(mb, 'main', 'feature', { ...limits, mergeBase: false });
    expect(set.files.map((f) => [f.path, f.status])).toEqual([
      ['main-only.json', 'deleted'],
      ['pr.json', 'modified'],
      ['shared.json', 'modified'],
    ]);
    expect(set.commits?.mergeBase).toBe(false);
  });

  test('unrelated histories fall back to comparing base directly, with a note', async () => {
    git(mb, 'checkout', '-q', '--orphan', 'island');
    git(mb, 'rm', '-rq', '--cached', '.');
    rmSync(path.join(mb, 'shared.json'));
    rmSync(path.join(mb, 'main-only.json'));
    rmSync(path.join(mb, 'pr.json'));
    write(mb, 'island.json', '{"island": "' + 'i'.repeat(100) + '"}');
    commit(mb, 'orphan');
    const set = await changesBetweenRefs(mb, 'main', 'island', limits);
    expect(set.notes.join('\n')).toMatch(/share no history/);
    expect(set.files.find((f) => f.path === 'island.json')?.status).toBe('added');
  });
});

describe('submodules', () => {
  test('a gitlink is skipped with a note', async () => {
    const sm = path.join(root, 'sm');
    mkdirSync(sm);
    git(sm, 'init', '-q', '-b', 'main');
    write(sm, 'a.json', '{}');
    const first = commit(sm, 'one');
    git(sm, 'update-index', '--add', '--cacheinfo', `160000,${first},vendor/sub`);
    git(sm, 'commit', '-q', '-m', 'add gitlink');
    const set = await changesBetweenRefs(sm, first, 'HEAD', limits);
    expect(set.files).toEqual([]);
    expect(set.stats.skipped).toBe(1);
    expect(set.notes.join('\n')).toContain('submodules (not followed): vendor/sub');
  });
});

describe('parseRawDiff', () => {
  test('parses modes, ids, statuses and rename paths', () => {
    const z = '\0';
    const oid = (c: string) => c.repeat(40);
    const raw = Buffer.from(
      `:100644 100644 ${oid('a')} ${oid('b')} M${z}a b.json${z}` +
        `:100644 100644 ${oid('c')} ${oid('c')} R100${z}old.json${z}new.json${z}` +
        `:000000 120000 ${oid('0')} ${oid('d')} A${z}link${z}`,
    );
    expect(parseRawDiff(raw)).toEqual([
      { srcMode: '100644', dstMode: '100644', srcOid: oid('a'), dstOid: oid('b'), status: 'M', srcPath: 'a b.json', dstPath: 'a b.json' },
      { srcMode: '100644', dstMode: '100644', srcOid: oid('c'), dstOid: oid('c'), status: 'R100', srcPath: 'old.json', dstPath: 'new.json' },
      { srcMode: '000000', dstMode: '120000', srcOid: oid('0'), dstOid: oid('d'), status: 'A', srcPath: 'link', dstPath: 'link' },
    ]);
  });
});

// Containers check out the workspace as another uid; git then refuses the repo ("dubious
// ownership") unless safe.directory allows it. Only root can build that situation here.
const canChown = typeof process.getuid === 'function' && process.getuid() === 0;
if (canChown) {
  describe('safe.directory', () => {
    test('a repository owned by another user is still readable', async () => {
      const foreign = path.join(root, 'foreign');
      mkdirSync(foreign);
      git(foreign, 'init', '-q', '-b', 'main');
      write(foreign, 'a.json', '{"a":1}');
      const first = commit(foreign, 'one');
      write(foreign, 'a.json', '{"a":2}');
      const second = commit(foreign, 'two');
      execFileSync('chown', ['-R', '12345:12345', foreign]);
      expect(() => git(foreign, 'rev-parse', 'HEAD')).toThrow(); // plain git refuses it
      const set = await changesBetweenRefs(foreign, first, second, limits);
      expect(set.files.map((f) => [f.path, text(f.head)])).toEqual([['a.json', '{"a":2}']]);
    });
  });
}
