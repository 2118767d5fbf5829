import { ActionSet, actionById, allActionCount } from '../catalog/catalog.js';
import type { ConditionClause, NewAccessItem, PrincipalBlock, PrincipalEntry } from '../model.js';
import { arnContains, globContains } from './evaluate/match.js';
import { isBlanketDeny, principalIsAnyone, renderConditions, type CompiledStatement } from './compile.js';

/**
 * What head allows that base does not, computed symbolically per head Allow statement and resource:
 * the head statement's actions minus those a base Allow statement covers (its resource pattern
 * contains the head's, its principals contain the head's, and the head's conditions imply the base's)
 * minus those a head blanket Deny removes. Where containment cannot be decided (conditions that differ
 * in ways this engine does not compare, NotResource in base), the access is reported as possibly new,
 * never as covered. Removed or weakened base Deny statements are new access too.
 */
export function newAccess(base: CompiledStatement[], head: CompiledStatement[]): NewAccessItem[] {
  const items: NewAccessItem[] = [];
  const baseAllows = base.filter((s) => s.effect === 'Allow');
  const headBlanket = head.filter(isBlanketDeny);
  let headDenied = ActionSet.empty();
  for (const d of headBlanket) headDenied = headDenied.union(d.actions);

  for (const s of head) {
    if (s.effect !== 'Allow') continue;
    const principals = principalList(s.principal);
    const resources = s.notResource ? ['*'] : s.resources;
    for (const resource of resources) {
      for (const principal of principals) {
        let covered = ActionSet.empty();
        let maybe = ActionSet.empty();
        for (const b of baseAllows) {
          if (b.notResource || !b.resources.some((br) => resourceCovers(br, resource))) continue;
          if (!principalCovers(b, principal, s)) continue;
          const implied = conditionsImply(s.stmt.conditions, b.stmt.conditions);
          if (implied === true) covered = covered.union(b.actions);
          else if (implied === undefined) maybe = maybe.union(b.actions);
        }
        const uncovered = s.actions.minus(covered).minus(headDenied);
        if (uncovered.isEmpty()) continue;
        const possibly = uncovered.intersect(maybe);
        const definitely = uncovered.minus(maybe);
        const base = {
          resource,
          principal: principal?.label,
          condition: renderConditions(s.stmt),
          location: s.loc,
        };
        const note = s.notResource ? ' (NotResource: treated as every resource but the listed ones)' : '';
        if (!definitely.isEmpty())
          items.push({ ...base, actions: compressActions(definitely), certainty: 'new', reason: `no base statement grants this${note}` });
        if (!possibly.isEmpty())
          items.push({
            ...base,
            actions: compressActions(possibly),
            certainty: 'possibly-new',
            reason: `a base statement grants it under other conditions; containment of the conditions could not be decided${note}`,
          });
      }
    }
  }
  items.push(...removedDenies(base, head, headDenied));
  return items;
}

/** Base Deny statements that head no longer has: what they blocked and head allows is new access. */
function removedDenies(base: CompiledStatement[], head: CompiledStatement[], headDenied: ActionSet): NewAccessItem[] {
  const headDenyKeys = new Set(head.filter((s) => s.effect === 'Deny').map(statementKey));
  const headAllows = head.filter((s) => s.effect === 'Allow');
  let headAllowed = ActionSet.empty();
  for (const s of headAllows) headAllowed = headAllowed.union(s.actions);
  const items: NewAccessItem[] = [];
  for (const d of base) {
    if (d.effect !== 'Deny' || headDenyKeys.has(statementKey(d))) continue;
    const reopened = headAllowed.intersect(d.actions).minus(headDenied);
    if (reopened.isEmpty()) continue;
    const grantor = headAllows.find((s) => !s.actions.intersect(reopened).isEmpty())!;
    items.push({
      actions: compressActions(reopened),
      resource: d.notResource ? `NotResource ${d.resources.join(', ')}` : d.resources.join(', '),
      condition: renderConditions(d.stmt),
      location: grantor.loc,
      certainty: d.conditional ? 'possibly-new' : 'new',
      reason: `the base Deny statement${d.stmt.sid ? ` "${d.stmt.sid}"` : ''} (${d.doc.file}:${d.loc.line}) was removed or changed`,
    });
  }
  return items;
}

function statementKey(s: CompiledStatement): string {
  const st = s.stmt;
  return JSON.stringify([
    st.effect,
    (st.actions ?? []).map((a) => a.value.toLowerCase()).sort(),
    (st.notActions ?? []).map((a) => a.value.toLowerCase()).sort(),
    (st.resources ?? []).map((r) => r.value).sort(),
    (st.notResources ?? []).map((r) => r.value).sort(),
    principalKey(st.principal),
    principalKey(st.notPrincipal),
    s.conditionKeys,
  ]);
}

function principalKey(p?: PrincipalBlock): string {
  if (!p) return '';
  return p.any ? '*' : p.entries.map((e) => `${e.type}:${e.value}`).sort().join(',');
}

function resourceCovers(outer: string, inner: string): boolean {
  if (outer === '*') return true;
  return arnContains(outer, inner);
}

interface PrincipalItem {
  entry?: PrincipalEntry;
  any: boolean;
  label: string;
}

/** A head statement's principals one by one; identity statements have one implicit principal (the subject). */
function principalList(p?: PrincipalBlock): Array<PrincipalItem | undefined> {
  if (!p) return [undefined];
  if (p.any) return [{ any: true, label: '*' }];
  return p.entries.map((entry) => ({ entry, any: entry.type === 'AWS' && entry.value === '*', label: `${entry.type}:${entry.value}` }));
}

function principalCovers(b: CompiledStatement, item: PrincipalItem | undefined, head: CompiledStatement): boolean {
  if (!item) return !b.principal && !b.notPrincipal;
  if (head.notPrincipal || b.notPrincipal) return false; // NotPrincipal is compared conservatively: never covers
  if (!b.principal) return false;
  if (principalIsAnyone(b.principal)) return true;
  if (item.any || !item.entry) return false;
  const e = item.entry;
  return b.principal.entries.some((be) => be.type === e.type && principalValueCovers(be.value, e.value));
}

const ACCOUNT = /^\d{12}$/;
function accountOf(value: string): string | undefined {
  if (ACCOUNT.test(value)) return value;
  return value.split(':')[4];
}

function principalValueCovers(outer: string, inner: string): boolean {
  if (outer === inner || outer === '*') return true;
  const rootOuter = ACCOUNT.test(outer) || /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(outer);
  return rootOuter && accountOf(outer) === accountOf(inner);
}

/**
 * Does the head statement's condition block imply the base one's? true when every base clause is
 * implied by a head clause on the same key and operator; false when base has conditions and head has
 * none on that key (head is then strictly broader); undefined when they differ in ways not compared.
 */
export function conditionsImply(head: ConditionClause[], base: ConditionClause[]): boolean | undefined {
  if (base.length === 0) return true;
  let unknown = false;
  for (const bc of base) {
    const sameKey = head.filter((hc) => hc.key.toLowerCase() === bc.key.toLowerCase());
    if (sameKey.length === 0) return false;
    if (sameKey.some((hc) => clauseImplies(hc, bc))) continue;
    unknown = true;
  }
  return unknown ? undefined : true;
}

function clauseImplies(h: ConditionClause, b: ConditionClause): boolean {
  const op = h.operator.toLowerCase();
  if (op !== b.operator.toLowerCase()) return false;
  const ci = op.includes('ignorecase');
  const like = op.includes('like');
  if (op.includes('not')) {
    // Negated: the head must exclude at least what base excludes.
    return b.values.every((bv) => h.values.some((hv) => (like ? globContains(hv, bv, ci) : eq(hv, bv, ci))));
  }
  if (op.startsWith('forallvalues:') || op.startsWith('foranyvalue:') || /^(string|arn)/.test(op.replace(/^for(all|any)values?:/, ''))) {
    return h.values.every((hv) => b.values.some((bv) => (like ? globContains(bv, hv, ci) : eq(hv, bv, ci))));
  }
  // Bool, Null, numeric, date, IP, binary: implied when the values are the same.
  return h.values.length === b.values.length && h.values.every((v) => b.values.includes(v));
}

function eq(a: string, b: string, ci: boolean): boolean {
  return ci ? a.toLowerCase() === b.toLowerCase() : a === b;
}

let serviceCounts: Map<string, number> | undefined;

/** Actions as readable patterns: a whole service becomes "svc:*", everything becomes "*". */
export function compressActions(set: ActionSet): string[] {
  if (set.size() === allActionCount()) return ['*'];
  if (!serviceCounts) {
    serviceCounts = new Map();
    for (let i = 0; i < allActionCount(); i++) {
      const s = actionById(i).service;
      serviceCounts.set(s, (serviceCounts.get(s) ?? 0) + 1);
    }
  }
  const byService = new Map<string, string[]>();
  for (const i of set.indices()) {
    const a = actionById(i);
    const list = byService.get(a.service) ?? [];
    list.push(a.id);
    byService.set(a.service, list);
  }
  const out: string[] = [];
  for (const [service, ids] of [...byService].sort(([a], [b]) => a.localeCompare(b))) {
    if (ids.length === serviceCounts.get(service) && ids.length > 1) out.push(`${service}:*`);
    else out.push(...ids.sort());
  }
  return out;
}
