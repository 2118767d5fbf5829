// Fail-closed rules of the changes stage found in review: a path the gate cannot read is an error
// FileChange, never a silent drop, a note, or a deletion.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { changesBetweenDirectories, FOLDER_NOT_LISTED } from '../../src/changes/directories.js';
import { walkTree } from '../../src/changes/fs-read.js';
import { changesBetweenRefs } from '../../src/changes/git.js';
import type { FileChange } from '../../src/model.js';

function write(root: string, rel: string | Buffer, content: string): void {
  if (typeof rel === 'string') {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
    return;
  }
  // A byte path (a name that is not valid UTF-8): create its folders byte for byte too.
  const abs = Buffer.concat([Buffer.from(root + '/'), rel]);
  mkdirSync(abs.subarray(0, abs.lastIndexOf(0x2f)), { recursive: true });
  writeFileSync(abs, content);
}
const policy = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
// What run.ts passes: only names that may hold a policy are read.
const limits = { maxFileBytes: 10_000, include: (p: string) => /\.(json|ya?ml|template)$/i.test(p) };
const byPath = (files: FileChange[]) => new Map(files.map((f) => [f.path, f]));

let tmp: string;
let n = 0;
/** A fresh base/head pair whose base already holds two roles. */
function pair(): { base: string; head: string; root: string } {
  const root = path.join(tmp, `case-${++n}`);
  const [base, head] = [path.join(root, 'base'), path.join(root, 'head')];
  for (const side of [base, head]) {
    write(side, 'iam/roles/app/policy.json', policy('s3:GetObject'));
    write(side, 'iam/roles/admin/policy.json', policy('*'));
  }
  return { base, head, root };
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'changes-review-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('directory mode: a folder replaced by a symlink', () => {
  test.each([
    ['another role in the workspace', 'admin'],
    ['a folder outside the workspace', 'OUTSIDE'],
  ])('to %s: its files are errors, not deletions', async (_what, target) => {
    const { base, head, root } = pair();
    write(root, 'outside/policy.json', policy('*'));
    rmSync(path.join(head, 'iam/roles/app'), { recursive: true });
    symlinkSync(target === 'OUTSIDE' ? path.join(root, 'outside') : target, path.join(head, 'iam/roles/app'));
    const set = await changesBetweenDirectories(base, head, limits);
    const f = byPath(set.files).get('iam/roles/app/policy.json');
    expect(f).toMatchObject({ status: 'modified' });
    expect(f?.error).toMatch(/^folder iam\/roles\/app replaced by a symlink \(-> .*\) in head; not followed$/);
    expect(f?.base).toBeUndefined();
    expect(set.files.every((x) => x.status !== 'deleted')).toBe(true);
  });

  test('a special file in place of the folder is an error too', async () => {
    const { base, head } = pair();
    rmSync(path.join(head, 'iam/roles/app'), { recursive: true });
    try {
      execFileSync('mkfifo', [path.join(head, 'iam/roles/app')]);
    } catch {
      return; // no mkfifo here
    }
    const set = await changesBetweenDirectories(base, head, limits);
    expect(byPath(set.files).get('iam/roles/app/policy.json')?.error).toMatch(/replaced by a special file/);
  });

  test('a new symlink to a folder, whatever its name, is a folder error', async () => {
    const { base, head } = pair();
    symlinkSync('admin', path.join(head, 'iam/roles/new'));
    symlinkSync('admin/policy.json', path.join(head, 'iam/roles/file-link'));
    const set = await changesBetweenDirectories(base, head, limits);
    expect(set.files).toEqual([
      { path: 'iam/roles/new', status: 'modified', error: `${FOLDER_NOT_LISTED}head: iam/roles/new is a symlink to a folder (-> admin); not followed` },
    ]);
  });

  test('a real folder in place of a base symlink is read as added files', async () => {
    const { base, head } = pair();
    symlinkSync('admin', path.join(base, 'iam/roles/ops'));
    write(head, 'iam/roles/ops/policy.json', policy('ec2:*'));
    const set = await changesBetweenDirectories(base, head, limits);
    expect(set.files.map((f) => [f.path, f.status, f.error])).toEqual([['iam/roles/ops/policy.json', 'added', undefined]]);
  });

  test('the same symlinked folder on both sides changes nothing', async () => {
    const { base, head } = pair();
    for (const side of [base, head]) symlinkSync('admin', path.join(side, 'iam/roles/alias'));
    const set = await changesBetweenDirectories(base, head, limits);
    expect(set.files).toEqual([]);
  });
});

describe('directory mode: a policy path that is not a file', () => {
  test('a symlink to a folder (in the workspace) is an error, not a note', async () => {
    const { base, head } = pair();
    mkdirSync(path.join(head, 'd'));
    rmSync(path.join(head, 'iam/roles/app/policy.json'));
    symlinkSync('../../../d', path.join(head, 'iam/roles/app/policy.json'));
    const set = await changesBetweenDirectories(base, head, limits);
    const f = byPath(set.files).get('iam/roles/app/policy.json');
    expect(f).toMatchObject({ status: 'modified' });
    expect(f?.error).toMatch(/^head: symlink to a directory or special file \(\.\.\/\.\.\/\.\.\/d\); not followed$/);
  });

  test('a fifo is an error on either side', async () => {
    const { base, head } = pair();
    rmSync(path.join(head, 'iam/roles/app/policy.json'));
    try {
      execFileSync('mkfifo', [path.join(head, 'iam/roles/app/policy.json')]);
      execFileSync('mkfifo', [path.join(base, 'iam/roles/admin/pipe.yaml')]);
    } catch {
      return;
    }
    const files = byPath((await changesBetweenDirectories(base, head, limits)).files);
    expect(files.get('iam/roles/app/policy.json')?.error).toBe('head: special file (fifo, socket or device)');
    expect(files.get('iam/roles/admin/pipe.yaml')).toMatchObject({ status: 'deleted', error: 'base: special file (fifo, socket or device)' });
  });

  test('the same symlink to a folder on both sides stays a note', async () => {
    const { base, head } = pair();
    for (const side of [base, head]) symlinkSync('admin', path.join(side, 'iam/roles/same.json'));
    const set = await changesBetweenDirectories(base, head, limits);
    expect(set.files).toEqual([]);
    expect(set.stats.skipped).toBe(1);
  });
});

describe('directory mode: what the folder walk cannot list is reported', () => {
  test('a policy deeper than 64 folder levels is an error', async () => {
    const { base, head } = pair();
    const deep = Array.from({ length: 65 }, () => 'd').join('/');
    write(head, `${deep}/admin.json`, policy('*'));
    write(head, `${Array.from({ length: 64 }, () => 'd').join('/')}/ok.json`, policy('*')); // at the limit: read
    const files = byPath((await changesBetweenDirectories(base, head, limits)).files);
    expect(files.get(`${deep}/admin.json`)).toMatchObject({ status: 'added', error: 'head: deeper than 64 folder levels; not read' });
    expect(files.get(`${Array.from({ length: 64 }, () => 'd').join('/')}/ok.json`)?.head).toBeDefined();
  });

  test('a file name that is not valid UTF-8 is an error', async () => {
    const { base, head } = pair();
    if (process.platform !== 'linux') return; // other file systems refuse or normalise such names
    write(head, Buffer.from([0xff, 0x2e, 0x6a, 0x73, 0x6f, 0x6e]), policy('*')); // "\xff.json"
    write(head, Buffer.from([0x62, 0x61, 0x64, 0xfe, 0x2f, 0x70, 0x2e, 0x6a, 0x73, 0x6f, 0x6e]), policy('*')); // "bad\xfe/p.json"

    const set = await changesBetweenDirectories(base, head, limits);
    const errors = set.files.filter((f) => f.error === 'head: file name is not valid UTF-8; not read');
    expect(errors.map((f) => [f.path, f.status])).toEqual([
      ['bad\ufffd/p.json', 'added'],
      ['\ufffd.json', 'added'],
    ]);
  });

  test('a walk stopped at the entry limit never makes a file look deleted', async () => {
    const { base, head } = pair();
    for (let i = 0; i < 10; i++) write(head, `aaa/filler-${i}.txt`, 'x');
    const set = await changesBetweenDirectories(base, head, { ...limits, walk: { maxEntries: 8 } });
    const files = byPath(set.files);
    for (const p of ['iam/roles/app/policy.json', 'iam/roles/admin/policy.json']) {
      expect(files.get(p)).toMatchObject({ status: 'modified' });
      expect(files.get(p)?.error).toMatch(/^head: more than 8 entries: the folder walk stopped at /);
    }
    expect(set.files.some((f) => f.status === 'deleted')).toBe(false);
    expect(set.files.some((f) => f.error?.startsWith(`${FOLDER_NOT_LISTED}head: more than 8 entries`))).toBe(true);
  });

  test('an unreadable folder is reported and its base files are not deleted', async () => {
    if (process.platform === 'win32') return;
    const { base, head } = pair();
    const locked = path.join(head, 'iam/roles/app');
    chmodSync(locked, 0o000);
    try {
      const tree = await walkTree(head);
      if (!tree.cut.has('iam/roles/app')) return; // running as root: the folder is readable anyway
      const set = await changesBetweenDirectories(base, head, limits);
      const files = byPath(set.files);
      expect(files.get('iam/roles/app/policy.json')?.error).toMatch(/^head: folder could not be listed \(EACCES\)/);
      expect(files.get('iam/roles/app')?.error).toMatch(new RegExp(`^${FOLDER_NOT_LISTED}head: folder could not be listed`));
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  test('walkTree keeps problems and cut folders apart from entries', async () => {
    const { head } = pair();
    write(head, 'a/b/c/deep.json', '{}');
    write(head, 'a/b/ok.json', '{}');
    const tree = await walkTree(head, { maxDepth: 2 });
    expect(tree.entries.has('a/b/c/deep.json')).toBe(false);
    expect(tree.problems.get('a/b/c/deep.json')).toBe('deeper than 2 folder levels; not read');
    expect(tree.problems.get('iam/roles/app/policy.json')).toBe('deeper than 2 folder levels; not read');
    expect(tree.entries.has('a/b/ok.json')).toBe(true);
    expect(tree.cut.size).toBe(0);
  });
});

describe('git mode: a folder replaced by a symlink or a submodule', () => {
  const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      env: gitEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString('utf8').trim();
  const commit = (repo: string, msg: string) => {
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', msg);
    return git(repo, 'rev-parse', 'HEAD');
  };
  function repoWithRoles(): { repo: string; base: string } {
    const repo = path.join(tmp, `repo-${++n}`);
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    write(repo, 'iam/roles/app/policy.json', policy('s3:GetObject'));
    write(repo, 'iam/roles/admin/policy.json', policy('*'));
    return { repo, base: commit(repo, 'base') };
  }

  test('a symlink (mode 120000) where base had a folder: its files are errors, not deletions', async () => {
    const { repo, base } = repoWithRoles();
    git(repo, 'rm', '-rq', 'iam/roles/app');
    symlinkSync('admin', path.join(repo, 'iam/roles/app'));
    const head = commit(repo, 'swap');
    const set = await changesBetweenRefs(repo, base, head, limits);
    expect(set.files).toEqual([
      { path: 'iam/roles/app/policy.json', status: 'modified', error: 'folder iam/roles/app replaced by a symlink in head; not followed' },
      { path: 'iam/roles/app', status: 'modified', error: `${FOLDER_NOT_LISTED}head: iam/roles/app is a symlink to a folder (-> admin); not followed` },
    ]);
  });

  test('a new symlink to a folder of the repository is a folder error; one to a file is not', async () => {
    const { repo, base } = repoWithRoles();
    symlinkSync('admin', path.join(repo, 'iam/roles/new'));
    symlinkSync('..', path.join(repo, 'iam/roles/admin/up'));
    symlinkSync('admin/policy.json', path.join(repo, 'iam/roles/file-link'));
    const head = commit(repo, 'links');
    const set = await changesBetweenRefs(repo, base, head, limits);
    expect(set.files.map((f) => [f.path, f.error])).toEqual([
      ['iam/roles/admin/up', `${FOLDER_NOT_LISTED}head: iam/roles/admin/up is a symlink to a folder (-> ..); not followed`],
      ['iam/roles/new', `${FOLDER_NOT_LISTED}head: iam/roles/new is a symlink to a folder (-> admin); not followed`],
    ]);
  });

  test('a policy file replaced by a submodule is an error, not a deletion', async () => {
    const { repo, base } = repoWithRoles();
    git(repo, 'rm', '-q', 'iam/roles/app/policy.json');
    git(repo, 'update-index', '--add', '--cacheinfo', `160000,${base},iam/roles/app/policy.json`);
    git(repo, 'commit', '-q', '-m', 'submodule');
    const set = await changesBetweenRefs(repo, base, 'HEAD', limits);
    expect(set.files).toEqual([
      { path: 'iam/roles/app/policy.json', status: 'modified', error: 'replaced by a submodule in head; not followed' },
    ]);
  });

  test('a submodule where base had a folder: its files are errors', async () => {
    const { repo, base } = repoWithRoles();
    git(repo, 'rm', '-rq', 'iam/roles/app');
    git(repo, 'update-index', '--add', '--cacheinfo', `160000,${base},iam/roles/app`);
    git(repo, 'commit', '-q', '-m', 'submodule');
    const set = await changesBetweenRefs(repo, base, 'HEAD', limits);
    expect(set.files).toEqual([
      { path: 'iam/roles/app/policy.json', status: 'modified', error: 'folder iam/roles/app replaced by a submodule in head; not followed' },
    ]);
  });
});

test('a link retargeted (a link in base too) is no error: it hid nothing base showed (docs/latest -> v2 -> v3)', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'chg-retarget-'));
  try {
    for (const [side, target] of [['base', 'v2'], ['head', 'v3']] as const) {
      for (const v of ['v2', 'v3']) {
        mkdirSync(path.join(root, side, 'docs', v), { recursive: true });
        writeFileSync(path.join(root, side, 'docs', v, 'index.md'), '# docs\n');
      }
      symlinkSync(target, path.join(root, side, 'docs', 'latest'));
    }
    const changes = await changesBetweenDirectories(path.join(root, 'base'), path.join(root, 'head'), { maxFileBytes: 1 << 20, include: (p) => /\.(json|ya?ml)$/.test(p) });
    expect(changes.files.filter((f) => f.error)).toEqual([]);
    // A new link to a folder still is one.
    symlinkSync('v2', path.join(root, 'head', 'docs', 'fresh'));
    const fresh = await changesBetweenDirectories(path.join(root, 'base'), path.join(root, 'head'), { maxFileBytes: 1 << 20, include: (p) => /\.(json|ya?ml)$/.test(p) });
    expect(fresh.files.filter((f) => f.error).map((f) => f.path)).toEqual(['docs/fresh']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
