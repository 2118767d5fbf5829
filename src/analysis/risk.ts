import { ActionSet, actionById, allActionCount, lookupAction } from '../catalog/catalog.js';
import { escalationCombos, riskCategories } from '../catalog/risk.js';
import type { RiskCategory, RiskChange, SourceLocation } from '../model.js';
import { allowedActions, isBlanketDeny, type CompiledStatement } from './compile.js';
import { classifyResource } from './concreteness.js';

let riskIndex: Map<number, RiskCategory[]> | undefined;
let riskSet: ActionSet | undefined;

/** High-risk actions by catalogue index, computed once. */
function highRisk(): { index: Map<number, RiskCategory[]>; set: ActionSet } {
  if (!riskIndex || !riskSet) {
    riskIndex = new Map();
    riskSet = ActionSet.empty();
    for (let i = 0; i < allActionCount(); i++) {
      const categories = riskCategories(actionById(i).id);
      if (categories.length) {
        riskIndex.set(i, categories);
        riskSet.add(i);
      }
    }
  }
  return { index: riskIndex, set: riskSet };
}

interface RiskGrant {
  action: string;
  categories: RiskCategory[];
  resources: Map<string, SourceLocation>;
}

/** The high-risk actions one side allows, with the resources they are allowed on. */
export function riskGrants(stmts: CompiledStatement[]): Map<string, RiskGrant> {
  const { index, set } = highRisk();
  const denied = ActionSet.empty();
  for (const d of stmts) if (isBlanketDeny(d)) denied.addAll(d.actions);
  const out = new Map<string, RiskGrant>();
  const risky = ActionSet.empty();
  for (const s of stmts) {
    if (s.effect !== 'Allow') continue;
    risky.assign(s.actions).retainAll(set).removeAll(denied);
    if (risky.isEmpty()) continue;
    for (const i of risky.indices()) {
      const id = actionById(i).id;
      let grant = out.get(id);
      if (!grant) out.set(id, (grant = { action: id, categories: index.get(i)!, resources: new Map() }));
      for (const r of s.resources) {
        const key = s.notResource ? '*' : r;
        if (!grant.resources.has(key)) grant.resources.set(key, s.loc);
      }
    }
  }
  return out;
}

/**
 * High-risk grants added and removed. A high-risk action kept but moved from a wildcard resource to
 * concrete or scoped ones only is a reduction ("narrowed"); the reverse is an addition.
 */
export function riskChanges(base: CompiledStatement[], head: CompiledStatement[]): { added: RiskChange[]; removed: RiskChange[] } {
  const b = riskGrants(base);
  const h = riskGrants(head);
  const added: RiskChange[] = [];
  const removed: RiskChange[] = [];
  for (const [id, g] of h) {
    const old = b.get(id);
    if (!old) {
      for (const [r, loc] of g.resources) added.push({ action: id, categories: g.categories, resource: r, direction: 'added', location: loc });
      continue;
    }
    const oldWild = [...old.resources.keys()].filter((r) => classifyResource(r) === 'wildcard');
    const newWild = [...g.resources.entries()].filter(([r]) => classifyResource(r) === 'wildcard' && !old.resources.has(r));
    for (const [r, loc] of newWild) added.push({ action: id, categories: g.categories, resource: r, direction: 'added', location: loc });
    const headWild = [...g.resources.keys()].some((r) => classifyResource(r) === 'wildcard');
    if (oldWild.length && !headWild) {
      const [r, loc] = [...g.resources.entries()][0];
      removed.push({ action: id, categories: g.categories, resource: r, direction: 'narrowed', from: oldWild.join(', '), location: loc });
    }
  }
  for (const [id, g] of b) {
    if (h.has(id)) continue;
    for (const [r, loc] of g.resources) removed.push({ action: id, categories: g.categories, resource: r, direction: 'removed', location: loc });
  }
  const order = (x: RiskChange, y: RiskChange) => x.action.localeCompare(y.action) || x.resource.localeCompare(y.resource);
  return { added: added.sort(order), removed: removed.sort(order) };
}

export interface ComboHit {
  id: string;
  description: string;
  actions: string[];
  source: string;
}

/** Privilege-escalation combinations that head completes and base did not (on any resource). */
export function newEscalationCombos(base: CompiledStatement[], head: CompiledStatement[]): ComboHit[] {
  const baseAllowed = allowedActions(base);
  const headAllowed = allowedActions(head);
  const complete = (allowed: ActionSet, actions: string[]) =>
    actions.every((id) => {
      const a = lookupAction(id);
      return !!a && allowed.has(a.index);
    });
  const hits: ComboHit[] = [];
  for (const combo of escalationCombos()) {
    if (complete(headAllowed, combo.actions) && !complete(baseAllowed, combo.actions))
      hits.push({ id: combo.id, description: combo.description, actions: combo.actions, source: combo.source });
  }
  return hits;
}
