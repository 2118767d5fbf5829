import { ActionSet, actionById } from '../catalog/catalog.js';
import type { ActionDelta, ActionGrant, SourceLocation } from '../model.js';
import { allowedActions, type CompiledStatement } from './compile.js';

/** Allowed-action delta: wildcards and NotAction expanded, blanket Denies subtracted, grouped later by renderers. */
export function actionDelta(base: CompiledStatement[], head: CompiledStatement[]): ActionDelta {
  const baseSet = allowedActions(base);
  const headSet = allowedActions(head);
  return {
    baseCount: baseSet.size(),
    headCount: headSet.size(),
    added: grantsFor(headSet.minus(baseSet), head),
    removed: grantsFor(baseSet.minus(headSet), base),
  };
}

/** Describes each action of `set` by the Allow statements that grant it. */
export function grantsFor(set: ActionSet, stmts: CompiledStatement[]): ActionGrant[] {
  const allows = stmts.filter((s) => s.effect === 'Allow');
  const grants: ActionGrant[] = [];
  for (const index of set.indices()) {
    const action = actionById(index);
    const resources = new Set<string>();
    const locations: SourceLocation[] = [];
    let conditional = true;
    for (const s of allows) {
      if (!s.actions.has(index)) continue;
      for (const r of s.resources) resources.add(s.notResource ? `NotResource ${r}` : r);
      locations.push({ file: s.loc.file, line: s.loc.line, column: s.loc.column });
      if (!s.conditional) conditional = false;
    }
    grants.push({ action: action.id, accessLevel: action.accessLevel, resources: [...resources].sort(), conditional, locations });
  }
  return grants.sort((a, b) => a.action.localeCompare(b.action));
}
