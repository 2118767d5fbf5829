// A least-privilege identity policy from usage: every call the current policy allows (or may allow)
// is kept, on the resource the event named (generalised only as generalise.ts documents), under the
// conditions of the statement that granted it. Calls the current policy, an SCP or a boundary denies
// are never suggested; config `exclude` patterns are dropped and `allow` patterns kept as granted now.
// A call CloudTrail shows succeeded was not denied by the identity policy in force then: when the current
// policy as evaluated denies it, either the change narrows it or the model misreads the call (its resource or
// context), so the current statements that may grant it are kept as written rather than the call dropped.
import { ActionSet, lookupAction } from '../catalog/catalog.js';
import { compileDocuments, conditionText } from '../analysis/compile.js';
import { evaluate, type EvaluationInput, type StatementHit } from '../analysis/evaluate/evaluate.js';
import { actionMatches } from '../analysis/evaluate/match.js';
import { conditionKeysOf, requestFor } from '../analysis/replay.js';
import type { ConditionClause, PolicyDocument, Statement, UsageRecord } from '../model.js';
import { policyDiff } from './diff.js';
import { coveredBy, generaliseResources } from './generalise.js';
import { conditionJson, MANAGED_PER_PRINCIPAL, packDocuments, policySizeOf, SIZE_LIMITS, statementJson } from './policy-json.js';
import type { SuggestedPolicy, SuggestedPolicyType, SuggestedStatement } from './types.js';

export interface SuggestInput {
  /** The identity policies in force (head side). */
  current: PolicyDocument[];
  /** Guards that can only narrow: permission boundary and SCPs. */
  boundary?: PolicyDocument[];
  scps?: PolicyDocument[];
  /** The subject's usage records. */
  records: UsageRecord[];
  allow?: string[];
  exclude?: string[];
  policyType?: SuggestedPolicyType;
}

/** Statements of one condition set and one resource form. */
interface Group {
  conditions: ConditionClause[];
  /** 'any': actions without resource-level permissions (Resource "*"); 'not': a NotResource kept as written. */
  form: 'resources' | 'any' | 'not';
  notResources?: string[];
  /** action → event resources to generalise, patterns kept as written, and the patterns that granted them. */
  actions: Map<string, { events: Set<string>; kept: Set<string>; granting: Set<string> }>;
}


const statementAt = (doc: PolicyDocument | undefined, index: number): Statement | undefined =>
  doc ? (doc.statements[index]?.index === index ? doc.statements[index] : doc.statements.find((s) => s.index === index)) : undefined;

const isDenied = (d: string) => d === 'explicit-deny' || d === 'implicit-deny';

export function suggestPolicy(input: SuggestInput): SuggestedPolicy {
  const policyType = input.policyType ?? 'managed';
  const sizeLimit = SIZE_LIMITS[policyType];
  const current = input.current;
  const guarded = (input.boundary?.length ?? 0) + (input.scps?.length ?? 0) > 0;
  const guardInput = (): EvaluationInput => ({ identity: current, boundary: input.boundary, scps: input.scps?.length ? [input.scps] : undefined });
  const keys = conditionKeysOf([...current, ...(input.boundary ?? []), ...(input.scps ?? [])]);
  const statementOf = new Map<string, PolicyDocument>(current.map((d) => [d.id, d]));
  const excluded = (action: string) => (input.exclude ?? []).some((p) => actionMatches(p, action));
  const groups = new Map<string, Group>();
  const groupFor = (conditions: ConditionClause[], form: Group['form'], notResources?: string[]): Group => {
    const key = `${conditions.map(conditionText).sort().join('&')}|${form}|${(notResources ?? []).join(',')}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { conditions, form, notResources, actions: new Map() }));
    return g;
  };
  const entryOf = (g: Group, action: string) => {
    let e = g.actions.get(action);
    if (!e) g.actions.set(action, (e = { events: new Set(), kept: new Set(), granting: new Set() }));
    return e;
  };

  const tally = {
    denied: new Map<string, number>(),
    guardDenied: new Map<string, number>(),
    excluded: new Map<string, number>(),
    noResource: new Set<string>(),
    keptAsWritten: new Map<string, number>(),
    grantedElsewhere: new Map<string, number>(),
  };
  const bump = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  const compiled = compileDocuments(current);
  /** A successful call the model denies: keep every Allow statement naming its action, as written. */
  const keepGranting = (action: string, count: number) => {
    const index = lookupAction(action)?.index;
    const granting = index === undefined ? [] : compiled.filter((s) => s.effect === 'Allow' && s.actions.has(index));
    if (!granting.length) {
      // No identity statement names it: a resource policy naming the principal granted it, or the policy in force is not this one.
      bump(tally.grantedElsewhere, action, count);
      return;
    }
    bump(tally.keptAsWritten, action, count);
    for (const s of granting) {
      if (s.notResource) entryOf(groupFor(s.stmt.conditions, 'not', s.resources), action);
      else for (const r of s.resources) entryOf(groupFor(s.stmt.conditions, 'resources'), action).kept.add(r);
    }
  };
  const pairs = new Set<string>();

  for (const record of input.records) {
    const known = lookupAction(record.action);
    const action = known?.id ?? record.action;
    pairs.add(`${action}|${record.resource ?? ''}`);
    if (excluded(action)) {
      bump(tally.excluded, action, record.count);
      continue;
    }
    const request = requestFor(record, keys);
    const result = evaluate(request, { identity: current });
    const succeeded = record.outcome === 'allowed';
    if (isDenied(result.decision)) {
      if (succeeded) keepGranting(action, record.count);
      else bump(tally.denied, action, record.count);
      continue;
    }
    if (guarded && isDenied(evaluate(request, guardInput()).decision)) {
      bump(tally.guardDenied, action, record.count);
      continue;
    }
    const layer = result.layers.identity;
    const toStatements = (hits: StatementHit[]) => hits.map((h) => statementAt(statementOf.get(h.documentId), h.statementIndex)).filter((s): s is Statement => !!s);
    // A statement that certainly applies wins over one that may; an unconditional one over a conditional one.
    const certain = toStatements(layer?.allows ?? []);
    const maybe = toStatements((layer?.undecided ?? []).filter((h) => h.effect === 'Allow'));
    const chosen = certain.find((s) => !s.conditions.length) ?? certain[0] ?? maybe.find((s) => !s.conditions.length) ?? maybe[0];
    if (!chosen) continue; // allowed with no identity statement: cannot happen with identity-only input
    // Without resource-level permissions the request names "*": only a statement on "*" grants it there.
    if (known?.noResourceLevel && !chosen.notResources && (chosen.resources?.some((r) => r.value === '*') ?? true)) {
      entryOf(groupFor(chosen.conditions, 'any'), action);
      continue;
    }
    if (!record.resource) {
      tally.noResource.add(action);
      if (chosen.notResources) entryOf(groupFor(chosen.conditions, 'not', chosen.notResources.map((r) => r.value)), action);
      else for (const r of chosen.resources?.map((x) => x.value) ?? ['*']) entryOf(groupFor(chosen.conditions, 'resources'), action).kept.add(r);
      continue;
    }
    const e = entryOf(groupFor(chosen.conditions, 'resources'), action);
    e.events.add(record.resource);
    if (!chosen.notResources) for (const r of chosen.resources?.map((x) => x.value) ?? ['*']) e.granting.add(r);
  }

  const allowedByConfig = keepAllowListed(input, groupFor, entryOf, excluded);
  const statements = buildStatements(groups);
  statements.push(...keptDenies(current, statements));
  const documents = statements.some((s) => s.Effect === 'Allow') ? packDocuments(statements, sizeLimit) : [];
  const notes = notesFor(tally, allowedByConfig, documents.length, policyType, input.records.length);
  for (const d of documents) if (policySizeOf(d) > sizeLimit) notes.push(`a document is still over ${sizeLimit} characters: one statement cannot be split further`);
  return {
    policyType,
    sizeLimit,
    documents,
    sizes: documents.map(policySizeOf),
    usedPairs: pairs.size,
    diff: policyDiff(current, documents),
    notes,
  };
}

/** Config `allow` patterns: actions kept as the current policy grants them, used or not. */
function keepAllowListed(
  input: SuggestInput,
  groupFor: (c: ConditionClause[], f: Group['form'], n?: string[]) => Group,
  entryOf: (g: Group, a: string) => { kept: Set<string> },
  excluded: (a: string) => boolean,
): string[] {
  if (!input.allow?.length) return [];
  const wanted = ActionSet.fromPatterns(input.allow).set;
  const kept = new Set<string>();
  for (const s of compileDocuments(input.current)) {
    if (s.effect !== 'Allow') continue;
    for (const id of s.actions.intersect(wanted).ids()) {
      if (excluded(id)) continue;
      kept.add(id);
      if (s.notResource) entryOf(groupFor(s.stmt.conditions, 'not', s.resources), id);
      else for (const r of s.resources) entryOf(groupFor(s.stmt.conditions, 'resources'), id).kept.add(r);
    }
  }
  return [...kept].sort();
}

const serviceWord = (action: string) => {
  const s = action.split(':')[0].replace(/[^A-Za-z0-9]/g, '');
  return s.charAt(0).toUpperCase() + s.slice(1);
};

/** One statement per (condition set, resource set): actions sharing the same resources are merged. */
function buildStatements(groups: Map<string, Group>): SuggestedStatement[] {
  const out: SuggestedStatement[] = [];
  const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, g] of ordered) {
    const condition = conditionJson(g.conditions);
    const withCondition = (st: SuggestedStatement): SuggestedStatement => (condition ? { ...st, Condition: condition } : st);
    if (g.form === 'any' || g.form === 'not') {
      const actions = [...g.actions.keys()].sort();
      const target = g.form === 'any' ? { Resource: ['*'] } : { NotResource: g.notResources ?? [] };
      out.push(withCondition({ Sid: g.form === 'any' ? 'NoResourceLevel' : 'KeptNotResource', Effect: 'Allow', Action: actions, ...target }));
      continue;
    }
    const byResources = new Map<string, { resources: string[]; actions: string[] }>();
    for (const [action, e] of g.actions) {
      const resources = [...new Set([...generaliseResources(e.events, coveredBy(e.granting)), ...e.kept])].sort();
      const key = resources.join('\u0000');
      const entry = byResources.get(key) ?? { resources, actions: [] };
      entry.actions.push(action);
      byResources.set(key, entry);
    }
    const statements = [...byResources.values()]
      .map((x) => ({ actions: x.actions.sort(), resources: x.resources }))
      .sort((a, b) => (a.actions[0] < b.actions[0] ? -1 : a.actions[0] > b.actions[0] ? 1 : a.resources[0] < b.resources[0] ? -1 : 1));
    for (const st of statements) out.push(withCondition({ Sid: `Used${serviceWord(st.actions[0])}`, Effect: 'Allow', Action: st.actions, Resource: st.resources }));
  }
  return out;
}

/** Deny statements of the current policy that touch a suggested action stay: they still apply. */
function keptDenies(current: PolicyDocument[], allows: SuggestedStatement[]): SuggestedStatement[] {
  const suggested = ActionSet.fromPatterns(allows.flatMap((s) => s.Action ?? [])).set;
  const out: SuggestedStatement[] = [];
  for (const s of compileDocuments(current)) {
    if (s.effect === 'Deny' && s.actions.intersects(suggested)) out.push(statementJson(s.stmt, `KeptDeny${out.length + 1}`));
  }
  return out;
}

function notesFor(
  t: {
    denied: Map<string, number>;
    guardDenied: Map<string, number>;
    excluded: Map<string, number>;
    noResource: Set<string>;
    keptAsWritten: Map<string, number>;
    grantedElsewhere: Map<string, number>;
  },
  allowListed: string[],
  documents: number,
  policyType: SuggestedPolicyType,
  records: number,
): string[] {
  const list = (m: Map<string, number> | Set<string> | string[]) => {
    const keys = [...(m instanceof Map ? m.keys() : m)].sort();
    return keys.slice(0, 10).join(', ') + (keys.length > 10 ? ` and ${keys.length - 10} more` : '');
  };
  const calls = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const notes: string[] = [];
  if (!records) notes.push('no usage for this subject in the window: nothing to suggest');
  else if (!documents) notes.push('no call in the window is allowed by the current policy: nothing to suggest');
  if (t.denied.size) notes.push(`${calls(t.denied)} call(s) the current policy denies are not suggested: ${list(t.denied)}`);
  if (t.guardDenied.size) notes.push(`${calls(t.guardDenied)} call(s) an SCP or the permissions boundary denies are not suggested: ${list(t.guardDenied)}`);
  if (t.keptAsWritten.size) {
    notes.push(
      `${calls(t.keptAsWritten)} call(s) CloudTrail shows succeeded are denied by the current policy as evaluated here (the change narrows that access, ` +
        `or the call's resource or context is misread): the statements that may grant them are kept as written: ${list(t.keptAsWritten)}`,
    );
  }
  if (t.grantedElsewhere.size) {
    notes.push(
      `${calls(t.grantedElsewhere)} call(s) CloudTrail shows succeeded are named by no Allow statement of the current policy ` +
        `(a resource policy naming the principal granted them, another policy did, or the change removes them): not suggested: ${list(t.grantedElsewhere)}`,
    );
  }
  if (t.excluded.size) notes.push(`${calls(t.excluded)} call(s) left out by least-privilege.exclude: ${list(t.excluded)}`);
  if (t.noResource.size) notes.push(`the events do not name a resource for ${list(t.noResource)}: the current statement's resources are kept`);
  if (allowListed.length) notes.push(`kept by least-privilege.allow as currently granted: ${list(allowListed)}`);
  if (policyType === 'managed' && documents > MANAGED_PER_PRINCIPAL) {
    notes.push(`${documents} managed policies: more than the ${MANAGED_PER_PRINCIPAL} a role or user may have attached by default`);
  }
  return notes;
}
