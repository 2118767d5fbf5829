import type { FileChange } from '../model.js';
import { UsageError } from './errors.js';
import path from 'node:path';
import { firstLine, gitOk, runGit } from './git-exec.js';
import {
  ABSENT_MODE, GITLINK_MODE, SYMLINK_MODE, blobSizes, parseRawDiff, readBlobs, type RawChange,
} from './git-objects.js';
import {
  BUDGET_EXHAUSTED, FOLDER_NOT_LISTED, ReadBudget, fileCount, isIncluded, tooLargeMessage,
  type ChangeSetWithStats, type ChangeStats, type ReadLimits,
} from './limits.js';

export { UsageError } from './errors.js';

export interface RefsOptions extends ReadLimits {
  /** Compare from merge-base(base, head) (what a PR shows, the default) or from base itself. */
  mergeBase?: boolean;
  /**
   * Similarity (1-100) at which git pairs a deleted and an added file as a rename; default 50,
   * git's own. Short policies share much boilerplate, so raise it to pair only near-copies.
   */
  renameThreshold?: number;
}

export const SYMLINK_NOT_FOLLOWED = 'symlink: not followed';

// Revisions come from event payloads and user input: refuse anything git could read as an option
// or that carries whitespace / control characters.
const REF_SYNTAX = /^[^\s\x00-\x1f\x7f-][^\s\x00-\x1f\x7f]{0,254}$/;

export function isValidRefSyntax(ref: string): boolean {
  return typeof ref === 'string' && REF_SYNTAX.test(ref);
}

/** True when `ref` names a commit that exists in the clone. */
export async function isGitRef(repoDir: string, ref: string): Promise<boolean> {
  if (!isValidRefSyntax(ref)) return false;
  const run = await runGit(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return run.code === 0;
}

/** The full commit id of `ref`, or a UsageError naming the ref (or the repository problem). */
export async function resolveCommit(repoDir: string, ref: string, role: string): Promise<string> {
  if (!isValidRefSyntax(ref)) {
    throw new UsageError(`The ${role} ref ${JSON.stringify(ref)} is not a valid git revision.`);
  }
  const run = await runGit(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (run.code === 0) return run.stdout.toString('utf8').trim();
  const repo = await runGit(repoDir, ['rev-parse', '--git-dir']);
  if (repo.code !== 0) {
    throw new UsageError(`${repoDir} is not a usable git repository: ${firstLine(repo.stderr)}`);
  }
  throw new UsageError(
    `The ${role} ref '${ref}' does not name a commit in ${repoDir}. ` +
      'Check the name; in a shallow clone the commit may be missing (set fetch-depth: 0 in actions/checkout).',
  );
}

/** merge-base(a, b), or undefined when the histories share no commit. */
export async function mergeBaseOf(repoDir: string, a: string, b: string): Promise<string | undefined> {
  const run = await runGit(repoDir, ['merge-base', a, b]);
  if (run.code === 0) return run.stdout.toString('utf8').trim();
  if (run.code === 1) return undefined;
  throw new Error(`git merge-base failed: ${firstLine(run.stderr)}`);
}

function label(ref: string, sha: string, what = ''): string {
  const short = sha.slice(0, 12);
  if (ref === sha) return what ? `${short} (${what})` : short;
  return what ? `${ref} (${what} ${short})` : `${ref} (${short})`;
}

/**
 * The changed files between two commits, both sides read from the object store (no checkout, no
 * working tree). Renames are detected by git (`-M`) and reported as one change.
 */
export async function changesBetweenRefs(
  repoDir: string,
  baseRef: string,
  headRef: string,
  opts: RefsOptions,
): Promise<ChangeSetWithStats> {
  const baseSha = await resolveCommit(repoDir, baseRef, 'base');
  const headSha = await resolveCommit(repoDir, headRef, 'head');
  const notes: string[] = [];
  let fromSha = baseSha;
  let usedMergeBase = false;
  if (opts.mergeBase !== false) {
    const mb = await mergeBaseOf(repoDir, baseSha, headSha);
    if (mb) {
      fromSha = mb;
      usedMergeBase = true;
    } else {
      notes.push(`${baseRef} and ${headRef} share no history (or the clone is too shallow): compared ${baseRef} directly.`);
    }
  }
  const threshold = Math.min(100, Math.max(1, Math.round(opts.renameThreshold ?? 50)));
  const diffArgs = ['diff-tree', '-r', '-z', `-M${threshold}%`, '--raw', '--no-commit-id', fromSha, headSha];
  const diff = await runGit(repoDir, diffArgs);
  if (diff.code !== 0) throw new Error(`git diff-tree failed: ${firstLine(diff.stderr)}`);
  if (/rename detection was skipped/i.test(diff.stderr)) {
    notes.push('git skipped rename detection (too many files): renames appear as a deletion and an addition.');
  }
  const result = await readChanges(repoDir, headSha, parseRawDiff(diff.stdout), opts, notes);
  return {
    baseLabel: label(baseRef, fromSha, usedMergeBase ? 'merge base' : ''),
    headLabel: label(headRef, headSha),
    ...result,
    notes,
    commits: { base: fromSha, head: headSha, mergeBase: usedMergeBase },
  };
}

interface Pending {
  change: FileChange;
  baseOid?: string;
  headOid?: string;
}

function statusOf(raw: RawChange, hasBase: boolean, hasHead: boolean): FileChange['status'] {
  if (!hasBase) return 'added';
  if (!hasHead) return 'deleted';
  return raw.status.startsWith('R') ? 'renamed' : 'modified';
}

async function readChanges(
  repoDir: string,
  headSha: string,
  raws: RawChange[],
  limits: ReadLimits,
  notes: string[],
): Promise<{ files: FileChange[]; stats: ChangeStats; terraformSources?: string[] }> {
  const stats: ChangeStats = { changed: 0, unchanged: 0, excluded: 0, skipped: 0 };
  const terraformSources: string[] = [];
  const pending: Pending[] = [];
  const submodules: string[] = [];
  const linksOutside: RawChange[] = [];
  // Head-side symlinks and submodules: where base had a folder, its files are not deleted but
  // hidden behind something the gate does not follow, whatever the link's own name.
  const headLinks = new Map<string, string>();
  for (const raw of raws) {
    if (raw.dstMode === SYMLINK_MODE) headLinks.set(raw.dstPath, 'a symlink');
    else if (raw.dstMode === GITLINK_MODE) headLinks.set(raw.dstPath, 'a submodule');
  }
  for (const raw of raws) {
    if (raw.srcMode === GITLINK_MODE || raw.dstMode === GITLINK_MODE) submodules.push(raw.dstPath);
    // A submodule side has no bytes in this repository: treat it as absent.
    const hasBase = raw.srcMode !== ABSENT_MODE && raw.srcMode !== GITLINK_MODE;
    const hasHead = raw.dstMode !== ABSENT_MODE && raw.dstMode !== GITLINK_MODE;
    if (!hasBase && !hasHead) {
      stats.skipped++;
      continue;
    }
    if (!isIncluded(limits, raw.srcPath, raw.dstPath)) {
      stats.excluded++;
      if (TERRAFORM_SOURCE.test(raw.dstPath) || TERRAFORM_SOURCE.test(raw.srcPath)) terraformSources.push(hasHead ? raw.dstPath : raw.srcPath);
      if (raw.dstMode === SYMLINK_MODE || raw.dstMode === GITLINK_MODE) linksOutside.push(raw);
      continue;
    }
    const status = statusOf(raw, hasBase, hasHead);
    const change: FileChange = { path: hasHead ? raw.dstPath : raw.srcPath, status };
    if (status === 'renamed') change.basePath = raw.srcPath;
    if (hasBase && raw.dstMode === GITLINK_MODE) {
      change.status = 'modified';
      change.error = 'replaced by a submodule in head; not followed';
      pending.push({ change });
      continue;
    }
    const replaced = hasBase ? replacedFolder(headLinks, raw.srcPath) : undefined;
    if (replaced) {
      if (change.status === 'deleted') change.status = 'modified'; // its folder is still there, as a link
      change.error = `folder ${replaced.path} replaced by ${replaced.what} in head; not followed`;
      pending.push({ change });
      continue;
    }
    if ((hasBase && raw.srcMode === SYMLINK_MODE) || (hasHead && raw.dstMode === SYMLINK_MODE)) {
      change.error = SYMLINK_NOT_FOLLOWED; // its content is a path; reading the target could leave the repo
      pending.push({ change });
      continue;
    }
    pending.push({ change, baseOid: hasBase ? raw.srcOid : undefined, headOid: hasHead ? raw.dstOid : undefined });
  }
  if (submodules.length > 0) notes.push(`Skipped ${fileCount(submodules.length)} that are submodules (not followed): ${submodules.join(', ')}`);
  if (stats.excluded > 0) notes.push(`${fileCount(stats.excluded)} changed without a policy file name (.json, .yaml, .yml, .template, or policy-files.include); not read.`);
  await fillContents(repoDir, pending, limits);
  const folders = await folderLinks(repoDir, headSha, linksOutside);
  stats.changed = pending.length + folders.length;
  return { files: [...pending.map((p) => p.change), ...folders], stats, ...(terraformSources.length ? { terraformSources } : {}) };
}

/** Terraform sources: what they grant is read from a plan (`--plan`), never from the HCL. */
const TERRAFORM_SOURCE = /\.(tf|tfvars|tofu)$/i;

/**
 * Changed symlinks and submodules whose own names the include filter rejects but that stand for
 * a folder in head (a submodule; a symlink to a tree of the head commit):
 * the files a deployment reads through them are never listed, so each is an error.
 */
const MAX_LINK_TEXT = 4096;

async function folderLinks(repoDir: string, headSha: string, raws: RawChange[]): Promise<FileChange[]> {
  const out: FileChange[] = [];
  // A link retargeted (it was a link in base too) hid nothing base showed: only new links to folders are errors.
  const symlinks = raws.filter((r) => r.dstMode === SYMLINK_MODE && r.srcMode !== SYMLINK_MODE);
  for (const r of raws) {
    if (r.dstMode === GITLINK_MODE) out.push({ path: r.dstPath, status: 'modified', error: `${FOLDER_NOT_LISTED}head: ${r.dstPath} is a submodule; not followed` });
  }
  if (symlinks.length === 0) return out;
  const oids = [...new Set(symlinks.map((r) => r.dstOid))];
  const sizes = await blobSizes(repoDir, oids);
  const small = oids.filter((o) => (sizes.get(o) ?? Infinity) <= MAX_LINK_TEXT);
  const texts = await readBlobs(repoDir, small, small.length * MAX_LINK_TEXT);
  const targets = symlinks.map((r) => {
    const text = Buffer.from(texts.get(r.dstOid) ?? new Uint8Array()).toString('utf8');
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(r.dstPath), text));
    const outside = text === '' || text.startsWith('/') || resolved === '..' || resolved.startsWith('../') || /[\n\0]/.test(resolved);
    return { r, text, resolved, outside };
  });
  const inside = targets.filter((t) => !t.outside);
  const types = new Map<string, string>();
  if (inside.length > 0) {
    const check = await gitOk(repoDir, ['cat-file', '--batch-check=%(objecttype)'], {
      input: inside.map((t) => `${headSha}:${t.resolved === '.' ? '' : t.resolved}`).join('\n') + '\n',
    });
    const lines = check.toString('utf8').split('\n');
    inside.forEach((t, i) => types.set(t.r.dstPath, (lines[i] ?? '').trim()));
  }
  for (const t of targets) {
    // Only a target that is a tree of the head commit is known to be a folder; one out of the
    // repository (or through another link) is left alone, as in directory mode for a file target.
    if (t.outside || types.get(t.r.dstPath) !== 'tree') continue;
    out.push({ path: t.r.dstPath, status: 'modified', error: `${FOLDER_NOT_LISTED}head: ${t.r.dstPath} is a symlink to a folder (-> ${t.text}); not followed` });
  }
  return out;
}

/** The nearest folder above `p` that head replaced by a symlink or submodule. */
function replacedFolder(links: Map<string, string>, p: string): { path: string; what: string } | undefined {
  if (links.size === 0) return undefined;
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
    const what = links.get(p.slice(0, i));
    if (what !== undefined) return { path: p.slice(0, i), what };
  }
  return undefined;
}

/** Checks sizes first, then reads every blob within the limits in one batch. */
async function fillContents(repoDir: string, pending: Pending[], limits: ReadLimits): Promise<void> {
  const wanted = pending.flatMap((p) => [p.baseOid, p.headOid]).filter((o): o is string => o !== undefined);
  const sizes = await blobSizes(repoDir, [...new Set(wanted)]);
  const budget = new ReadBudget(limits);
  const toRead = new Set<string>();
  let bytes = 0;
  for (const p of pending) {
    const oids = [p.baseOid, p.headOid].filter((o): o is string => o !== undefined);
    if (oids.length === 0) continue;
    const missing = oids.find((o) => !sizes.has(o));
    if (missing) {
      p.change.error = `unreadable: object ${missing} is not in the clone`;
      continue;
    }
    const largest = Math.max(...oids.map((o) => sizes.get(o)!));
    if (largest > limits.maxFileBytes) {
      p.change.error = tooLargeMessage(largest, limits.maxFileBytes);
      continue;
    }
    const fresh = oids.filter((o) => !toRead.has(o));
    const need = fresh.reduce((n, o) => n + sizes.get(o)!, 0);
    if (!budget.take(need)) {
      p.change.error = BUDGET_EXHAUSTED;
      continue;
    }
    for (const o of fresh) toRead.add(o);
    bytes += need;
  }
  const blobs = await readBlobs(repoDir, [...toRead], bytes);
  for (const p of pending) {
    if (p.change.error) continue;
    if (p.baseOid) p.change.base = blobs.get(p.baseOid);
    if (p.headOid) p.change.head = blobs.get(p.headOid);
  }
}
