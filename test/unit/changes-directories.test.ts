import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { changesBetweenDirectories, pairRenames } from '../../src/changes/directories.js';
import { UsageError } from '../../src/changes/errors.js';

function write(root: string, rel: string, content: string | Buffer): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), content);
}
const text = (b?: Uint8Array) => (b ? Buffer.from(b).toString('utf8') : undefined);
const bytes = (s: string) => new Uint8Array(Buffer.from(s));

let tmp: string;
let base: string;
let head: string;
let outside: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'changes-dirs-'));
  base = path.join(tmp, 'base');
  head = path.join(tmp, 'head');
  outside = path.join(tmp, 'secret.json');
  writeFileSync(outside, '{"secret": true}');
  for (const side of [base, head]) {
    write(side, 'same.json', '{"same": 1}');
    write(side, '.git/config', side === base ? 'a' : 'b'); // never listed
  }
  write(base, 'iam/changed.json', '{"v": 1}');
  write(head, 'iam/changed.json', '{"v": 2}');
  write(base, 'gone.json', '{"gone": true}');
  write(head, 'fresh.yaml', 'fresh: true');
  write(base, 'old/moved.json', '{"moved": "content"}');
  write(head, 'new/moved.json', '{"moved": "content"}');
  write(base, 'notes.txt', 'a');
  write(head, 'notes.txt', 'b');
  write(head, 'ü dir/spaced name ✓.json', '{"unicode": true}');
  write(base, 'big.json', 'a'.repeat(500));
  write(head, 'big.json', 'b'.repeat(500));
  write(base, 'big-same.json', 'c'.repeat(500));
  write(head, 'big-same.json', 'c'.repeat(500));
  symlinkSync(outside, path.join(head, 'escape.json'));
  symlinkSync('../secret.json', path.join(head, 'relative-escape.json'));
  symlinkSync('iam/changed.json', path.join(head, 'alias.json'));
  symlinkSync('missing.json', path.join(head, 'dangling.json'));
  symlinkSync('iam', path.join(head, 'dir-link.json'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const limits = { maxFileBytes: 100 };

describe('changesBetweenDirectories', () => {
  test('statuses, contents and rename pairing', async () => {
    const set = await changesBetweenDirectories(base, head, limits);
    const byPath = new Map(set.files.map((f) => [f.path, f]));
    expect(byPath.has('same.json')).toBe(false);
    expect(byPath.get('iam/changed.json')).toMatchObject({ status: 'modified' });
    expect(text(byPath.get('iam/changed.json')!.base)).toBe('{"v": 1}');
    expect(text(byPath.get('iam/changed.json')!.head)).toBe('{"v": 2}');
    expect(byPath.get('gone.json')).toMatchObject({ status: 'deleted' });
    expect(byPath.get('gone.json')!.head).toBeUndefined();
    expect(byPath.get('fresh.yaml')).toMatchObject({ status: 'added' });
    expect(byPath.get('new/moved.json')).toMatchObject({ status: 'renamed', basePath: 'old/moved.json' });
    expect(byPath.has('old/moved.json')).toBe(false);
    expect(text(byPath.get('ü dir/spaced name ✓.json')!.head)).toBe('{"unicode": true}');
    expect([...byPath.keys()].some((p) => p.startsWith('.git'))).toBe(false);
    expect(set.stats.unchanged).toBe(2); // same.json, big-same.json
    expect(set.notes).toContain('2 files unchanged.');
    expect(set.baseLabel).toBe(base);
  });

  test('symlinks: outside the root is an error naming the path, inside is read, others are not followed', async () => {
    const set = await changesBetweenDirectories(base, head, limits);
    const byPath = new Map(set.files.map((f) => [f.path, f]));
    expect(byPath.get('escape.json')!.error).toBe(`symlink points outside the root: escape.json -> ${outside}`);
    expect(byPath.get('escape.json')!.head).toBeUndefined();
    expect(byPath.get('relative-escape.json')!.error).toMatch(/^symlink points outside the root: relative-escape.json -> /);
    expect(text(byPath.get('alias.json')!.head)).toBe('{"v": 2}');
    expect(byPath.get('dangling.json')!.error).toBe('symlink target missing: dangling.json -> missing.json');
    expect(byPath.get('dir-link.json')).toMatchObject({ status: 'added', error: 'head: symlink to a directory or special file (iam); not followed' });
    expect(JSON.stringify(set.files.map((f) => text(f.head)))).not.toContain('secret');
  });

  test('files over maxFileBytes are errors unless byte-identical', async () => {
    const set = await changesBetweenDirectories(base, head, limits);
    const big = set.files.find((f) => f.path === 'big.json')!;
    expect(big).toMatchObject({ status: 'modified', error: 'too large: 500 bytes > limit 100 bytes' });
    expect(big.base).toBeUndefined();
    expect(set.files.some((f) => f.path === 'big-same.json')).toBe(false);
  });

  test('include filter: others are counted, not read', async () => {
    const set = await changesBetweenDirectories(base, head, { ...limits, include: (p) => /\.(json|ya?ml)$/.test(p) });
    expect(set.files.some((f) => f.path === 'notes.txt')).toBe(false);
    expect(set.stats.excluded).toBe(1);
    expect(set.notes).toContain('1 file outside the include filter; not read or compared.');
    const all = await changesBetweenDirectories(base, head, limits);
    expect(all.files.find((f) => f.path === 'notes.txt')?.status).toBe('modified');
  });

  test('special files are error FileChanges, not notes', async () => {
    const fifoRoot = path.join(tmp, 'fifo');
    mkdirSync(fifoRoot);
    try {
      execFileSync('mkfifo', [path.join(fifoRoot, 'pipe.json')]);
    } catch {
      return; // no mkfifo on this platform
    }
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    const set = await changesBetweenDirectories(empty, fifoRoot, limits);
    expect(set.files).toEqual([{ path: 'pipe.json', status: 'added', error: 'head: special file (fifo, socket or device)' }]);
    expect(set.stats.skipped).toBe(0);
  });

  test('a missing directory is a UsageError', async () => {
    await expect(changesBetweenDirectories(path.join(tmp, 'nope'), head, limits)).rejects.toThrow(UsageError);
    await expect(changesBetweenDirectories(base, outside, limits)).rejects.toThrow(/head directory .* not a directory/);
  });
});

describe('pairRenames', () => {
  test('prefers the same file name, never pairs empty files, keeps path order', () => {
    const out = pairRenames([
      { path: 'a/x.json', status: 'deleted', base: bytes('same') },
      { path: 'b/other.json', status: 'added', head: bytes('same') },
      { path: 'c/x.json', status: 'added', head: bytes('same') },
      { path: 'd/empty.json', status: 'deleted', base: bytes('') },
      { path: 'e/empty.json', status: 'added', head: bytes('') },
    ]);
    expect(out.map((f) => [f.path, f.status, f.basePath])).toEqual([
      ['b/other.json', 'added', undefined],
      ['c/x.json', 'renamed', 'a/x.json'],
      ['d/empty.json', 'deleted', undefined],
      ['e/empty.json', 'added', undefined],
    ]);
  });
});
