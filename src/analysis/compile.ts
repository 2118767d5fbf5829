import { ActionSet } from '../catalog/catalog.js';
import type { ConditionClause, PolicyDocument, PrincipalBlock, SourceLocation, Statement } from '../model.js';

/** A statement with its action set expanded once, so that every metric reuses the expansion. */
export interface CompiledStatement {
  doc: PolicyDocument;
  stmt: Statement;
  effect: 'Allow' | 'Deny';
  actions: ActionSet;
  /** Patterns that matched nothing in the catalogue (typos, retired actions). */
  unknownActions: string[];
  /** Resource patterns; with `notResource` these are the NotResource patterns (the grant is "everything but"). */
  resources: string[];
  notResource: boolean;
  conditional: boolean;
  /** Canonical text of the conditions, for implication by inclusion. */
  conditionKeys: string[];
  principal?: PrincipalBlock;
  notPrincipal?: PrincipalBlock;
  loc: SourceLocation;
}

const cache = new WeakMap<Statement, CompiledStatement>();

export function compileStatement(doc: PolicyDocument, stmt: Statement): CompiledStatement {
  const hit = cache.get(stmt);
  if (hit) return hit;
  let actions: ActionSet;
  let unknownActions: string[] = [];
  if (stmt.notActions) {
    const r = ActionSet.fromPatterns(stmt.notActions.map((a) => a.value));
    actions = ActionSet.complementOf(r.set);
    unknownActions = r.unknown;
  } else {
    const r = ActionSet.fromPatterns((stmt.actions ?? []).map((a) => a.value));
    actions = r.set;
    unknownActions = r.unknown;
  }
  const notResource = !!stmt.notResources;
  // Trust and other resource policies may omit Resource: the policy's own resource is implied.
  const resources = notResource ? stmt.notResources!.map((r) => r.value) : stmt.resources ? stmt.resources.map((r) => r.value) : ['*'];
  const compiled: CompiledStatement = {
    doc,
    stmt,
    effect: stmt.effect,
    actions,
    unknownActions,
    resources,
    notResource,
    conditional: stmt.conditions.length > 0,
    conditionKeys: stmt.conditions.map(conditionText).sort(),
    principal: stmt.principal,
    notPrincipal: stmt.notPrincipal,
    loc: stmt.loc,
  };
  cache.set(stmt, compiled);
  return compiled;
}

export function compileDocuments(docs: PolicyDocument[]): CompiledStatement[] {
  const out: CompiledStatement[] = [];
  for (const doc of docs) for (const stmt of doc.statements) out.push(compileStatement(doc, stmt));
  return out;
}

export function conditionText(c: ConditionClause): string {
  return `${c.operator.toLowerCase()}|${c.key.toLowerCase()}|${[...c.values].sort().join(',')}`;
}

export function renderConditions(stmt: Statement): string | undefined {
  if (!stmt.conditions.length) return undefined;
  return stmt.conditions.map((c) => `${c.operator} ${c.key} ${c.values.length === 1 ? c.values[0] : `[${c.values.join(', ')}]`}`).join(' AND ');
}

/** An unconditional Deny covering every resource removes its actions from the allowed set outright. */
export function isBlanketDeny(s: CompiledStatement): boolean {
  return s.effect === 'Deny' && !s.conditional && !s.notResource && s.resources.includes('*') && !s.notPrincipal && (!s.principal || principalIsAnyone(s.principal));
}

export function principalIsAnyone(p: PrincipalBlock): boolean {
  return p.any || p.entries.some((e) => e.type === 'AWS' && e.value === '*');
}

/** Allowed actions of one side: union of Allow statements minus blanket Denies. */
export function allowedActions(stmts: CompiledStatement[]): ActionSet {
  const allowed = ActionSet.empty();
  for (const s of stmts) if (s.effect === 'Allow') allowed.addAll(s.actions);
  for (const s of stmts) if (isBlanketDeny(s)) allowed.removeAll(s.actions);
  return allowed;
}
