// Unchanged files that govern the same subjects as changed ones. A role's permissions are all its
// policies together: a statement added to one file may already be granted by another, untouched one.
import { promises as fsp } from 'node:fs';
import type { FileChange } from '../model.js';
import { walkTree, readSide } from './fs-read.js';
import { gitOk } from './git-exec.js';
import { readBlobs } from './git-objects.js';

export interface ContextRequest {
  /** Matches paths that belong to some subject mapping. */
  matches: (path: string) => boolean;
  /** Paths already in the change set. */
  changed: Set<string>;
  maxFileBytes: number;
  maxFiles: number;
}

/** Context files read, and a note when some were left out (limits.max-changed-files). */
export interface ContextFiles {
  files: FileChange[];
  note?: string;
}

function cutNote(left: number, max: number): string | undefined {
  if (left <= 0) return undefined;
  // Unchanged on both sides, so leaving them out hides no change; a grant only they hold may be reported as new.
  return `${left} unchanged file(s) of mapped subjects not read as context: over limits.max-changed-files (${max}); new access they already grant may be reported.`;
}

/** Directory mode: files of the head tree matching a subject mapping, unchanged on both sides. */
export async function contextFromDirectory(headDir: string, req: ContextRequest): Promise<ContextFiles> {
  const { entries } = await walkTree(headDir);
  const root = await fsp.realpath(headDir);
  const out: FileChange[] = [];
  let left = 0;
  for (const [rel, entry] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
    if (req.changed.has(rel) || !req.matches(rel)) continue;
    if (out.length >= req.maxFiles) {
      left++;
      continue;
    }
    const side = await readSide(root, rel, entry, req.maxFileBytes);
    if (side.bytes) out.push({ path: rel, status: 'unchanged', base: side.bytes, head: side.bytes });
  }
  return { files: out, note: cutNote(left, req.maxFiles) };
}

/** Git mode: blobs of the head commit matching a subject mapping (symlinks and submodules are not read). */
export async function contextFromGit(repoDir: string, headSha: string, req: ContextRequest): Promise<ContextFiles> {
  const listing = await gitOk(repoDir, ['ls-tree', '-r', '-z', '--full-tree', headSha]);
  const wanted: Array<{ path: string; oid: string }> = [];
  let left = 0;
  for (const entry of listing.toString('utf8').split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, oid] = entry.slice(0, tab).split(' ');
    const p = entry.slice(tab + 1);
    if (type !== 'blob' || mode === '120000' || req.changed.has(p) || !req.matches(p)) continue;
    if (wanted.length >= req.maxFiles) left++;
    else wanted.push({ path: p, oid });
  }
  const blobs = await readBlobs(repoDir, wanted.map((w) => w.oid), wanted.length * req.maxFileBytes);
  const out: FileChange[] = [];
  for (const w of wanted) {
    const bytes = blobs.get(w.oid);
    if (bytes && bytes.length <= req.maxFileBytes) out.push({ path: w.path, status: 'unchanged', base: bytes, head: bytes });
  }
  return { files: out, note: cutNote(left, req.maxFiles) };
}
