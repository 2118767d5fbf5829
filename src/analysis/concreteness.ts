import { ActionSet, actionById, allActionCount } from '../catalog/catalog.js';
import type { ConcretenessCounts } from '../model.js';
import { isBlanketDeny, type CompiledStatement } from './compile.js';

export type ResourceClass = 'concrete' | 'scoped' | 'wildcard';

const WILD = /[*?]/;

/**
 * Classes one resource pattern:
 * - concrete: no wildcard at all (`arn:aws:s3:::logs`);
 * - scoped: the wildcard comes only after a concrete resource name (`arn:aws:s3:::logs/*`, `...:table/orders/index/*`);
 * - wildcard: `*`, a wildcard in partition, service, region or account, or in the resource name itself
 *   (`...:table/*`, `...:role/app-*`), or a policy variable we cannot resolve in place of the name.
 */
export function classifyResource(pattern: string): ResourceClass {
  if (!WILD.test(pattern) && !pattern.includes('${')) return 'concrete';
  if (pattern === '*' || !pattern.startsWith('arn:')) return 'wildcard';
  const parts = pattern.split(':');
  if (parts.length < 6) return 'wildcard';
  const [, partition, service, region, account] = parts;
  if ([partition, service, region, account].some((p) => WILD.test(p))) return 'wildcard';
  const resource = parts.slice(5).join(':');
  const segments = resource.split(/[/:]/);
  // S3 resources start with the bucket name; elsewhere the first segment is usually a type ("table", "role").
  const nameIndex = service === 's3' || segments.length === 1 ? 0 : 1;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (WILD.test(seg) || seg.includes('${')) return i > nameIndex ? 'scoped' : 'wildcard';
  }
  return 'concrete';
}

let noResourceActions: ActionSet | undefined;

/** Catalogue actions that support no resource-level permission, computed once. */
function noResourceLevelSet(): ActionSet {
  if (!noResourceActions) {
    const indices: number[] = [];
    for (let i = 0; i < allActionCount(); i++) if (actionById(i).noResourceLevel) indices.push(i);
    noResourceActions = ActionSet.fromIndices(indices);
  }
  return noResourceActions;
}

/**
 * Counts every allowed (action, resource) pair by class. Actions that support no resource-level
 * permission are counted once each, apart, and left out of the ratio: `*` is the only thing they can name.
 * Works on bitsets: per resource pattern, the actions already counted for it.
 */
export function concreteness(stmts: CompiledStatement[]): ConcretenessCounts {
  const counts = { concrete: 0, scoped: 0, wildcard: 0, noResourceLevel: 0 };
  const denied = ActionSet.empty();
  for (const d of stmts) if (isBlanketDeny(d)) denied.addAll(d.actions);
  const noResource = noResourceLevelSet();
  const noResourceSeen = ActionSet.empty();
  const seen = new Map<string, ActionSet>();
  // Scratch sets reused for every statement: this loop runs for every statement of every file.
  const withResources = ActionSet.empty();
  const fresh = ActionSet.empty();
  const noResourceHere = ActionSet.empty();
  for (const s of stmts) {
    if (s.effect !== 'Allow') continue;
    withResources.assign(s.actions).removeAll(denied);
    noResourceSeen.addAll(noResourceHere.assign(withResources).retainAll(noResource));
    withResources.removeAll(noResource);
    if (withResources.isEmpty()) continue;
    const keys = s.notResource ? ['NotResource:' + s.resources.join(',')] : s.resources;
    for (const key of keys) {
      const before = seen.get(key);
      fresh.assign(withResources);
      if (before) fresh.removeAll(before);
      if (fresh.isEmpty()) continue;
      counts[s.notResource ? 'wildcard' : classifyResource(key)] += fresh.size();
      if (before) before.addAll(fresh);
      else seen.set(key, fresh.clone());
    }
  }
  counts.noResourceLevel = noResourceSeen.size();
  const denominator = counts.concrete + counts.scoped + counts.wildcard;
  return { ...counts, ratio: denominator ? (counts.concrete + counts.scoped) / denominator : null };
}
