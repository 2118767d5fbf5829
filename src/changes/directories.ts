import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { FileChange } from '../model.js';
import { UsageError } from './errors.js';
import { readSide, sameLargeFile, walkTree, type SideRead, type TreeEntry } from './fs-read.js';
import {
  BUDGET_EXHAUSTED, ReadBudget, fileCount, isIncluded,
  type ChangeSetWithStats, type ChangeStats, type ReadLimits,
} from './limits.js';

/** Equal-size files over maxFileBytes are still compared (streamed, never kept) up to this size. */
const LARGE_COMPARE_CAP = 256 * 1024 * 1024;

async function realRoot(dir: string, role: string): Promise<string> {
  try {
    const real = await fsp.realpath(dir);
    if (!(await fsp.stat(real)).isDirectory()) throw new Error('not a directory');
    return real;
  } catch {
    throw new UsageError(`The ${role} directory ${dir} does not exist or is not a directory.`);
  }
}

/**
 * Compares two directory trees file by file. Files are seen with lstat; see `readSide` for the
 * symlink rule. A deleted and an added file with identical non-empty bytes become one rename.
 * Files present on both sides that are outside `include` are not read and so not compared.
 */
export async function changesBetweenDirectories(baseDir: string, headDir: string, opts: ReadLimits): Promise<ChangeSetWithStats> {
  const [baseRoot, headRoot] = [await realRoot(baseDir, 'base'), await realRoot(headDir, 'head')];
  const [baseTree, headTree] = [await walkTree(baseRoot), await walkTree(headRoot)];
  const notes = [...baseTree.notes, ...headTree.notes];
  const stats: ChangeStats = { changed: 0, unchanged: 0, excluded: 0, skipped: 0 };
  const skipped: string[] = [];
  const budget = new ReadBudget(opts);
  const paths = [...new Set([...baseTree.entries.keys(), ...headTree.entries.keys()])].sort();
  const changes: FileChange[] = [];

  const read = async (root: string, rel: string, entry: TreeEntry | undefined): Promise<SideRead | undefined> =>
    entry ? readSide(root, rel, entry, opts.maxFileBytes) : undefined;

  for (const rel of paths) {
    if (!isIncluded(opts, rel)) {
      stats.excluded++;
      continue;
    }
    const base = await read(baseRoot, rel, baseTree.entries.get(rel));
    const head = await read(headRoot, rel, headTree.entries.get(rel));
    const skip = base?.skip ?? head?.skip;
    if (skip) {
      stats.skipped++;
      skipped.push(`${rel} (${skip})`);
      continue;
    }
    if (base && head && (await unchanged(base, head))) {
      stats.unchanged++;
      continue;
    }
    const change: FileChange = { path: rel, status: !base ? 'added' : !head ? 'deleted' : 'modified' };
    const error = base?.error ?? head?.error;
    if (error) change.error = error;
    else if (!budget.take((base?.size ?? 0) + (head?.size ?? 0))) change.error = BUDGET_EXHAUSTED;
    else {
      if (base) change.base = base.bytes;
      if (head) change.head = head.bytes;
    }
    changes.push(change);
  }

  const changed = pairRenames(changes);
  stats.changed = changed.length;
  if (stats.unchanged > 0) notes.push(`${fileCount(stats.unchanged)} unchanged.`);
  if (stats.excluded > 0) notes.push(`${fileCount(stats.excluded)} outside the include filter; not read or compared.`);
  if (skipped.length > 0) notes.push(`Skipped ${fileCount(skipped.length)}: ${skipped.join(', ')}`);
  return { baseLabel: baseDir, headLabel: headDir, files: changed, notes, stats };
}

async function unchanged(base: SideRead, head: SideRead): Promise<boolean> {
  if (base.bytes && head.bytes) return Buffer.from(base.bytes).equals(Buffer.from(head.bytes));
  // Both too large: compare without keeping, so an untouched big file does not show as changed.
  if (base.error?.startsWith('too large') && head.error?.startsWith('too large') && base.size === head.size && base.real && head.real) {
    return sameLargeFile(base.real, head.real, base.size, LARGE_COMPARE_CAP);
  }
  return false;
}

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Turns a deleted + an added file with the same bytes into one 'renamed' change. Among several
 * candidates the one with the same file name wins, then the first in path order. Empty files are
 * never paired (any two would match).
 */
export function pairRenames(changes: FileChange[]): FileChange[] {
  const addedByDigest = new Map<string, FileChange[]>();
  for (const c of changes) {
    if (c.status === 'added' && !c.error && c.head && c.head.length > 0) {
      const key = digest(c.head);
      addedByDigest.set(key, [...(addedByDigest.get(key) ?? []), c]);
    }
  }
  const consumed = new Set<FileChange>();
  const renamed = new Map<FileChange, FileChange>(); // deleted -> rename entry
  for (const c of changes) {
    if (c.status !== 'deleted' || c.error || !c.base || c.base.length === 0) continue;
    const candidates = (addedByDigest.get(digest(c.base)) ?? []).filter((a) => !consumed.has(a));
    if (candidates.length === 0) continue;
    const name = path.posix.basename(c.path);
    const match = candidates.find((a) => path.posix.basename(a.path) === name) ?? candidates[0];
    consumed.add(match);
    renamed.set(c, { path: match.path, basePath: c.path, status: 'renamed', base: c.base, head: match.head });
  }
  const out: FileChange[] = [];
  for (const c of changes) {
    if (consumed.has(c)) continue;
    out.push(renamed.get(c) ?? c);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
