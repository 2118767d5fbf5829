import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { FileChange } from '../model.js';
import { UsageError } from './errors.js';
import {
  cutReason, readSide, sameLargeFile, walkTree, type SideRead, type TreeEntry, type WalkOptions, type WalkResult,
} from './fs-read.js';
import {
  BUDGET_EXHAUSTED, FOLDER_NOT_LISTED, ReadBudget, fileCount, isIncluded,
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

export { FOLDER_NOT_LISTED } from './limits.js';

/** Options for tests: smaller walk limits. */
export interface DirectoryOptions extends ReadLimits {
  walk?: WalkOptions;
}

/** The nearest folder above `rel` that `tree` holds as a symlink or special file, if any. */
function replacedAncestor(tree: WalkResult, rel: string): { path: string; entry: TreeEntry } | undefined {
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
    const entry = tree.entries.get(rel.slice(0, i));
    if (entry && entry.kind !== 'file') return { path: rel.slice(0, i), entry };
  }
  return undefined;
}

async function linkText(entry: TreeEntry): Promise<string | undefined> {
  if (entry.kind !== 'symlink') return undefined;
  return fsp.readlink(entry.abs).catch(() => undefined);
}

async function replacedMessage(side: 'base' | 'head', at: { path: string; entry: TreeEntry }): Promise<string> {
  if (at.entry.kind === 'symlink') {
    const target = await linkText(at.entry);
    return `folder ${at.path} replaced by a symlink${target !== undefined ? ` (-> ${target})` : ''} in ${side}; not followed`;
  }
  return `folder ${at.path} replaced by a special file (fifo, socket or device) in ${side}; not read`;
}

/**
 * The link text when head has a symlink to a folder that base did not have (or that pointed
 * elsewhere): whatever reads the folder's files would read the target, which is never walked.
 */
async function newFolderLink(baseEntry: TreeEntry | undefined, headEntry: TreeEntry | undefined): Promise<string | undefined> {
  if (headEntry?.kind !== 'symlink') return undefined;
  // A link retargeted (a link in base too) hid nothing base showed: only a new link to a folder is an error.
  if (baseEntry?.kind === 'symlink') return undefined;
  const [baseLink, headLink] = [baseEntry && (await linkText(baseEntry)), await linkText(headEntry)];
  if (headLink === undefined || baseLink === headLink) return undefined;
  const st = await fsp.stat(headEntry.abs).catch(() => undefined);
  return st?.isDirectory() ? headLink : undefined;
}

/**
 * Compares two directory trees file by file. Files are seen with lstat; see `readSide` for the
 * symlink rule. A deleted and an added file with identical non-empty bytes become one rename.
 * Files present on both sides that are outside `include` are not read and so not compared.
 *
 * Fails closed: a path the include filter accepts that cannot be read on a side where it exists
 * (special file, symlink to a folder, a name that is not valid UTF-8, too deep), or that may
 * exist but was not listed (its folder unreadable, replaced by a symlink, or the walk stopped at
 * the entry limit), is an error FileChange, never a deletion, an addition or a note.
 */
export async function changesBetweenDirectories(baseDir: string, headDir: string, opts: DirectoryOptions): Promise<ChangeSetWithStats> {
  const [baseRoot, headRoot] = [await realRoot(baseDir, 'base'), await realRoot(headDir, 'head')];
  const [baseTree, headTree] = [await walkTree(baseRoot, opts.walk), await walkTree(headRoot, opts.walk)];
  const notes = [...baseTree.notes, ...headTree.notes];
  const stats: ChangeStats = { changed: 0, unchanged: 0, excluded: 0, skipped: 0 };
  const skipped: string[] = [];
  const budget = new ReadBudget(opts);
  const paths = [
    ...new Set([...baseTree.entries.keys(), ...baseTree.problems.keys(), ...headTree.entries.keys(), ...headTree.problems.keys()]),
  ].sort();
  const changes: FileChange[] = [];

  const read = async (root: string, rel: string, entry: TreeEntry | undefined): Promise<SideRead | undefined> =>
    entry ? readSide(root, rel, entry, opts.maxFileBytes) : undefined;

  // Why a side that does not list `rel` may still hold it: the walk was cut short, or (head only)
  // a folder on its path is now a link. A head folder that replaced a base link is simply read.
  const gap = async (side: 'base' | 'head', tree: WalkResult, rel: string): Promise<string | undefined> => {
    const cut = cutReason(tree, rel);
    if (cut !== undefined) return `${side}: ${cut}`;
    const at = side === 'head' ? replacedAncestor(tree, rel) : undefined;
    return at ? replacedMessage(side, at) : undefined;
  };

  for (const rel of paths) {
    if (!isIncluded(opts, rel)) {
      stats.excluded++;
      const linked = await newFolderLink(baseTree.entries.get(rel), headTree.entries.get(rel));
      if (linked) changes.push({ path: rel, status: 'modified', error: `${FOLDER_NOT_LISTED}head: ${rel} is a symlink to a folder (-> ${linked}); not followed` });
      continue;
    }
    const [baseEntry, headEntry] = [baseTree.entries.get(rel), headTree.entries.get(rel)];
    const [baseProblem, headProblem] = [baseTree.problems.get(rel), headTree.problems.get(rel)];
    const [inBase, inHead] = [baseEntry !== undefined || baseProblem !== undefined, headEntry !== undefined || headProblem !== undefined];
    const baseGap = inBase ? undefined : await gap('base', baseTree, rel);
    const headGap = inHead ? undefined : await gap('head', headTree, rel);
    const listingError =
      (baseProblem !== undefined ? `base: ${baseProblem}` : undefined) ??
      (headProblem !== undefined ? `head: ${headProblem}` : undefined) ??
      baseGap ??
      headGap;
    if (listingError !== undefined) {
      // A side that was not listed is unknown, not absent: never report it as added or deleted.
      const status: FileChange['status'] = !inBase && !baseGap ? 'added' : !inHead && !headGap ? 'deleted' : 'modified';
      changes.push({ path: rel, status, error: listingError });
      continue;
    }
    const base = await read(baseRoot, rel, baseEntry);
    const head = await read(headRoot, rel, headEntry);
    const skip = base?.skip ?? head?.skip;
    if (skip) {
      // The same link to a folder on both sides is unchanged; anything else named like a policy
      // that cannot be read as a file must fail the check.
      const [baseLink, headLink] = [baseEntry && (await linkText(baseEntry)), headEntry && (await linkText(headEntry))];
      if (base?.skip && head?.skip && baseLink !== undefined && baseLink === headLink) {
        stats.skipped++;
        skipped.push(`${rel} (${skip})`);
        continue;
      }
      const side = base?.skip ? 'base' : 'head';
      changes.push({ path: rel, status: !base ? 'added' : !head ? 'deleted' : 'modified', error: `${side}: ${skip}` });
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

  // Folders that could not be listed may hold policies nobody saw: report each one.
  for (const [side, tree] of [['base', baseTree], ['head', headTree]] as const) {
    for (const [folder, why] of tree.cut) {
      changes.push({ path: folder || '.', status: 'modified', error: `${FOLDER_NOT_LISTED}${side}: ${why}` });
    }
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
