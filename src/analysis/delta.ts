import { ActionSet, actionById } from '../catalog/catalog.js';
import type { ActionDelta, ActionGrant, SourceLocation } from '../model.js';
import { allowedActions, type CompiledStatement } from './compile.js';

/** Allowed-action delta: wildcards and NotAction expanded, blanket Denies subtracted, grouped later by renderers. */
export function actionDelta(base: CompiledStatement[], head: CompiledStatement[]): ActionDelta {
  const baseSet = allowedActions(base);
  const headSet = allowedActions(head);
  const added = headSet.minus(baseSet);
  const removed = baseSet.minus(headSet);
  return {
    baseCount: baseSet.size(),
    headCount: headSet.size(),
    addedCount: added.size(),
    removedCount: removed.size(),
    added: grantsFor(added, head),
    removed: grantsFor(removed, base),
  };
}

/**
 * Describes the actions of `set` by the Allow statements that grant them, one group per access level
 * and set of granting statements.
 */
export function grantsFor(set: ActionSet, stmts: CompiledStatement[]): ActionGrant[] {
  const allows = stmts.filter((s) => s.effect === 'Allow');
  const groups = new Map<string, ActionGrant>();
  for (const index of set.indices()) {
    const action = actionById(index);
    const granting: number[] = [];
    for (let i = 0; i < allows.length; i++) if (allows[i].actions.has(index)) granting.push(i);
    const key = `${action.accessLevel}|${granting.join(',')}`;
    let group = groups.get(key);
    if (!group) {
      const resources = new Set<string>();
      const locations: SourceLocation[] = [];
      for (const i of granting) {
        const s = allows[i];
        for (const r of s.resources) resources.add(s.notResource ? `NotResource ${r}` : r);
        locations.push({ file: s.loc.file, line: s.loc.line, column: s.loc.column });
      }
      const conditional = granting.every((i) => allows[i].conditional);
      group = { actions: [], accessLevel: action.accessLevel, resources: [...resources].sort(), conditional, locations };
      groups.set(key, group);
    }
    group.actions.push(action.id);
  }
  const grants = [...groups.values()];
  for (const g of grants) g.actions.sort();
  return grants.sort((a, b) => a.actions[0].localeCompare(b.actions[0]));
}
