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
}

const MAX_DEPTH = 64;
const MAX_ENTRIES = 200_000;

/** Lists files under `root` (relative, forward-slash paths), skipping `.git`. */
export async function walkTree(root: string): Promise<WalkResult> {
  const entries = new Map<string, TreeEntry>();
  const notes: string[] = [];
  let truncated = false;
  async function visit(dir: string, rel: string, depth: number): Promise<void> {
    if (depth > MAX_DEPTH) {
      notes.push(`${rel || '.'}: deeper than ${MAX_DEPTH} levels; not listed.`);
      return;
    }
    let names: string[];
    try {
      names = (await fsp.readdir(dir)).sort();
    } catch (err) {
      notes.push(`${rel || '.'}: directory unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'}); not listed.`);
      return;
    }
    for (const name of names) {
      if (name === '.git') continue;
      if (entries.size >= MAX_ENTRIES) {
        truncated = true;
        return;
      }
      const abs = path.join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      const st = await fsp.lstat(abs).catch(() => undefined);
      if (!st) continue; // vanished while listing
      if (st.isDirectory()) await visit(abs, relPath, depth + 1);
      else if (st.isFile()) entries.set(relPath, { kind: 'file', abs, size: st.size });
      else if (st.isSymbolicLink()) entries.set(relPath, { kind: 'symlink', abs, size: st.size });
      else entries.set(relPath, { kind: 'other', abs, size: 0 });
    }
  }
  await visit(root, '', 0);
  if (truncated) notes.push(`${root}: more than ${MAX_ENTRIES} entries; the rest were not listed.`);
  return { entries, notes };
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
