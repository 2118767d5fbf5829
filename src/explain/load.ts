// The edge of `explain`: reads both sides with the gate's own adapters (loadConfig, the changes
// stage, extractChanges, groupBySubject) and returns the ExplainWorld the pure core needs.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { changesBetweenDirectories } from '../changes/directories.js';
import type { GateConfig } from '../config/types.js';
import type { ChangeSet, FileChange, PolicyDocument } from '../model.js';
import { extractChanges, groupBySubject } from '../pipeline.js';
import { CANDIDATE, isDirectory, loadChanges, loadConfig, type CheckOptions } from '../run.js';
import type { ExplainWorld } from './types.js';


/**
 * Every policy file of both directories, not only the changed ones: a request may be decided by a
 * policy the change does not touch. Each side is read as "everything added to an empty tree".
 */
async function wholeTrees(base: string, head: string, config: GateConfig): Promise<ChangeSet> {
  const limits = { maxFileBytes: config.limits.maxFileBytes, include: (p: string) => CANDIDATE.test(p) || config.policyFiles.include.length > 0 };
  const empty = await fsp.mkdtemp(path.join(os.tmpdir(), 'iam-policy-gate-explain-'));
  try {
    const [b, h] = [await changesBetweenDirectories(empty, base, limits), await changesBetweenDirectories(empty, head, limits)];
    const files = new Map<string, FileChange>();
    for (const f of b.files) files.set(f.path, { path: f.path, status: 'deleted', base: f.head, ...(f.error ? { error: f.error } : {}) });
    for (const f of h.files) {
      const prior = files.get(f.path);
      const same = prior?.base && f.head && Buffer.from(prior.base).equals(Buffer.from(f.head));
      files.set(f.path, {
        path: f.path,
        status: prior ? (same ? 'unchanged' : 'modified') : 'added',
        ...(prior?.base ? { base: prior.base } : {}),
        head: f.head,
        ...(f.error ?? prior?.error ? { error: f.error ?? prior?.error } : {}),
      });
    }
    return { baseLabel: base, headLabel: head, files: [...files.values()], notes: [...b.notes, ...h.notes] };
  } finally {
    await fsp.rm(empty, { recursive: true, force: true });
  }
}

export interface LoadedWorld {
  world: ExplainWorld;
  config: GateConfig;
  notes: string[];
}

/** Builds the world from extracted files of a change set (pure). */
export function worldFrom(changes: ChangeSet, config: GateConfig): ExplainWorld {
  const { policyFiles } = extractChanges(changes, config);
  const documents = { base: new Map<string, PolicyDocument[]>(), head: new Map<string, PolicyDocument[]>() };
  for (const f of policyFiles) {
    if (f.base?.documents.length) documents.base.set(f.basePath ?? f.path, f.base.documents);
    if (f.head?.documents.length) documents.head.set(f.path, f.head.documents);
  }
  return { subjects: groupBySubject(policyFiles, config), documents, context: config.context };
}

export async function loadWorld(opts: Pick<CheckOptions, 'base' | 'head' | 'repo' | 'config'>): Promise<LoadedWorld> {
  const checkOpts: CheckOptions = { ...opts, cloudtrail: [], outDir: '.', formats: [] };
  const config = await loadConfig(checkOpts);
  const notes: string[] = [];
  let changes: ChangeSet;
  if ((await isDirectory(opts.base)) && (await isDirectory(opts.head))) changes = await wholeTrees(opts.base, opts.head, config);
  else {
    changes = await loadChanges(checkOpts, config);
    notes.push('git refs: only the policy files the change touches are read, as in the gate; unchanged policies are not part of the answer.');
  }
  return { world: worldFrom(changes, config), config, notes };
}
