import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { tooLargeMessage } from './limits.js';

/** A tree entry seen with lstat: symlinks are recorded, never traversed. */
export interface TreeEntry {
  kind: 'file' | 'symlink' | 'other';
  abs: string;
  size: number;
}

export interface WalkResult {
  entries: Map<string, TreeEntry>;
  notes: string[];
  /**
   * Entries seen but not readable as tree entries (a name that is not valid UTF-8, deeper than
   * the depth limit, vanished or unstatable while listing), by path: each must become an error.
   */
  problems: Map<string, string>;
  /**
   * Folders whose listing is missing or incomplete (unreadable, or where the walk stopped at the
   * entry limit), by path ('' is the root): nothing under them may be taken as absent.
   */
  cut: Map<string, string>;
  /** Set when the walk stopped at the entry limit: any path may be missing from this side. */
  truncated?: string;
}

export const MAX_DEPTH = 64;
export const MAX_ENTRIES = 200_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const SLASH = Buffer.from('/');

function decodeName(name: Buffer): string | undefined {
  try {
    return utf8.decode(name);
  } catch {
    return undefined;
  }
}

export interface WalkOptions {
  maxDepth?: number;
  maxEntries?: number;
}

/**
 * Lists files under `root` (relative, forward-slash paths), skipping `.git`. Names are read as
 * bytes; nothing is dropped silently: a name that is not valid UTF-8, an entry deeper than the
 * depth limit, or one that cannot be stat'ed goes to `problems`; a folder that cannot be listed
 * (or where the entry limit stopped the walk) goes to `cut`.
 */
export async function walkTree(root: string, opts: WalkOptions = {}): Promise<WalkResult> {
  const maxDepth = opts.maxDepth ?? MAX_DEPTH;
  const maxEntries = opts.maxEntries ?? MAX_ENTRIES;
  const entries = new Map<string, TreeEntry>();
  const problems = new Map<string, string>();
  const cut = new Map<string, string>();
  const notes: string[] = [];
  let truncated: string | undefined;
  // `dir` is a byte path so names that are not valid UTF-8 can still be stat'ed and listed.
  // `bad` carries why everything below is an error (an undecodable or too-deep folder name).
  async function visit(dir: Buffer, rel: string, depth: number, bad: string | undefined): Promise<void> {
    let names: Buffer[];
    try {
      names = (await fsp.readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
    } catch (err) {
      const why = `folder could not be listed (${(err as NodeJS.ErrnoException).code ?? 'error'}); its files were not read`;
      cut.set(rel, why);
      notes.push(`${rel || '.'}: ${why}.`);
      return;
    }
    for (const raw of names) {
      if (truncated !== undefined) return;
      const decoded = decodeName(raw);
      if (decoded === '.git') continue;
      const name = decoded ?? raw.toString('utf8'); // lossy, only to name the problem
      const relPath = rel ? `${rel}/${name}` : name;
      if (entries.size + problems.size >= maxEntries) {
        truncated = `more than ${maxEntries} entries: the folder walk stopped at ${relPath}; it and every later path were not listed`;
        cut.set(rel, truncated);
        notes.push(`${root}: ${truncated}.`);
        return;
      }
      const abs = Buffer.concat([dir, SLASH, raw]);
      const why =
        bad ??
        (decoded === undefined ? 'file name is not valid UTF-8; not read' : undefined) ??
        (depth > maxDepth ? `deeper than ${maxDepth} folder levels; not read` : undefined);
      let st: Awaited<ReturnType<typeof fsp.lstat>>;
      try {
        st = await fsp.lstat(abs);
      } catch (err) {
        problems.set(relPath, `unreadable: ${(err as NodeJS.ErrnoException).code ?? 'error'} (vanished or unstatable while listing)`);
        continue;
      }
      if (st.isDirectory()) {
        await visit(abs, relPath, depth + 1, why);
        continue;
      }
      if (why) {
        problems.set(relPath, why);
        continue;
      }
      const absText = abs.toString('utf8');
      if (st.isFile()) entries.set(relPath, { kind: 'file', abs: absText, size: st.size });
      else if (st.isSymbolicLink()) entries.set(relPath, { kind: 'symlink', abs: absText, size: st.size });
      else entries.set(relPath, { kind: 'other', abs: absText, size: 0 });
    }
  }
  await visit(Buffer.from(root), '', 0, undefined);
  return { entries, notes, problems, cut, truncated };
}

/** Why `rel` may be missing from a walk that was cut short, or undefined when its absence is real. */
export function cutReason(tree: WalkResult, rel: string): string | undefined {
  if (tree.truncated !== undefined) return tree.truncated;
  if (tree.cut.has('')) return tree.cut.get('');
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
    const why = tree.cut.get(rel.slice(0, i));
    if (why !== undefined) return why;
  }
  return undefined;
}

/** One side of a file as read from disk. */
export interface SideRead {
  bytes?: Uint8Array;
  size: number;
  error?: string;
  /** Not a file we compare at all (special file, symlink to a directory). */
  skip?: string;
  /** Regular file (or in-root symlink target) path actually read. */
  real?: string;
}

// O_NOFOLLOW makes the open fail if the path was swapped for a symlink after lstat.
const NOFOLLOW = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Reads at most `limit + 1` bytes of a regular file, refusing anything that is not one. */
export async function readRegularFile(abs: string, limit: number): Promise<SideRead> {
  const handle = await fsp.open(abs, constants.O_RDONLY | NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { size: 0, skip: 'not a regular file' };
    if (st.size > limit) return { size: st.size, error: tooLargeMessage(st.size, limit) };
    const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > limit) return { size: filled, error: tooLargeMessage(filled, limit) }; // grew while reading
    return { size: filled, bytes: new Uint8Array(buf.subarray(0, filled)) };
  } finally {
    await handle.close();
  }
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Reads one side. Decision for symlinks: one whose target resolves (through every link) to a
 * regular file inside the same root is read as that file, since the bytes are workspace content
 * anyway; one resolving outside the root, dangling, or to a directory is never read.
 */
export async function readSide(realRoot: string, rel: string, entry: TreeEntry, limit: number): Promise<SideRead> {
  try {
    if (entry.kind === 'other') return { size: 0, skip: 'special file (fifo, socket or device)' };
    if (entry.kind === 'file') {
      if (entry.size > limit) return { size: entry.size, error: tooLargeMessage(entry.size, limit), real: entry.abs };
      return { ...(await readRegularFile(entry.abs, limit)), real: entry.abs };
    }
    const linkText = await fsp.readlink(entry.abs);
    let target: string;
    try {
      target = await fsp.realpath(entry.abs);
    } catch {
      return { size: 0, error: `symlink target missing: ${rel} -> ${linkText}` };
    }
    if (!inside(realRoot, target)) return { size: 0, error: `symlink points outside the root: ${rel} -> ${linkText}` };
    const st = await fsp.stat(target);
    if (!st.isFile()) return { size: 0, skip: `symlink to a directory or special file (${linkText}); not followed` };
    if (st.size > limit) return { size: st.size, error: tooLargeMessage(st.size, limit), real: target };
    return { ...(await readRegularFile(target, limit)), real: target };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { size: 0, error: `unreadable: ${code}` };
  }
}

/** Byte equality of two files too large to keep, streamed in chunks; false beyond `cap` bytes. */
export async function sameLargeFile(a: string, b: string, size: number, cap: number): Promise<boolean> {
  if (size > cap) return false;
  const [ha, hb] = await Promise.all([fsp.open(a, constants.O_RDONLY | NOFOLLOW), fsp.open(b, constants.O_RDONLY | NOFOLLOW)]);
  try {
    const chunk = 1 << 16;
    const ba = Buffer.alloc(chunk);
    const bb = Buffer.alloc(chunk);
    for (let pos = 0; pos < size; pos += chunk) {
      const [ra, rb] = await Promise.all([ha.read(ba, 0, chunk, pos), hb.read(bb, 0, chunk, pos)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) break;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
    return true;
  } finally {
    await Promise.all([ha.close(), hb.close()]);
  }
}
