// Whether one statement applies to one request: Action/NotAction, Resource/NotResource,
// Principal/NotPrincipal, then the conditions (AND across operators and keys).

import type { PolicyDocument, Statement } from '../../model.js';
import { evaluateCondition, type Tri } from './conditions.js';
import type { ConditionOutcome, RequestContext, StatementHit } from './evaluate.js';
import { actionMatchesLower, arnMatches } from './match.js';
import { matchNotPrincipal, matchPrincipal, type BoundaryState, type PrincipalVia } from './principal.js';
import { resolveVariables } from './variables.js';

/** A statement hit with how its principal matched (resource policies only). */
export interface EvaluatedHit extends StatementHit {
  via?: PrincipalVia;
  /** Why the principal part is unknown, or why a NotPrincipal applies although it names the caller. */
  principalReason?: string;
  /** The document's label, for reasons. */
  label: string;
}

/** What the evaluator needs about a request, computed once per request. */
export interface PreparedRequest {
  request: RequestContext;
  lowerAction: string;
  /** Whether the caller has a permissions boundary (a Deny with NotPrincipal always denies it); default false. */
  bounded?: BoundaryState;
}

function actionApplies(st: Statement, lowerAction: string): boolean {
  if (st.actions) return st.actions.some((a) => actionMatchesLower(a.value, lowerAction));
  if (st.notActions) return !st.notActions.some((a) => actionMatchesLower(a.value, lowerAction));
  return false;
}

/** Resource / NotResource. 'invalid' when a variable names a key the request lacks. */
function resourceApplies(st: Statement, req: RequestContext, variables: boolean): Tri | 'invalid' {
  const list = st.resources ?? st.notResources;
  if (!list) return 'match'; // resource policies may leave the resource implied
  const negated = !st.resources;
  let anyMatch = false;
  let anyUnknown = false;
  for (const r of list) {
    let pattern = r.value;
    if (variables) {
      const v = resolveVariables(pattern, req.context, true);
      if (v.kind === 'missing') return 'invalid';
      if (v.kind === 'unknown') {
        anyUnknown = true;
        continue;
      }
      pattern = v.value;
    }
    if (req.resource === undefined) {
      if (pattern === '*') anyMatch = true;
      else anyUnknown = true;
    } else if (arnMatches(pattern, req.resource)) anyMatch = true;
  }
  if (negated) return anyMatch ? 'no-match' : anyUnknown ? 'unknown' : 'match';
  return anyMatch ? 'match' : anyUnknown ? 'unknown' : 'no-match';
}

/**
 * The hit when the statement applies or may apply; undefined when it certainly does not.
 * `requirePrincipal`: in a resource policy a statement without Principal names nobody.
 */
export function evaluateStatement(
  doc: PolicyDocument,
  st: Statement,
  prepared: PreparedRequest,
  requirePrincipal: boolean,
): EvaluatedHit | undefined {
  const req = prepared.request;
  if (!actionApplies(st, prepared.lowerAction)) return undefined;
  // Variables are substituted only under Version 2012-10-17 (reference_policies_elements_version.md).
  const variables = doc.version === '2012-10-17';
  const resource = resourceApplies(st, req, variables);
  if (resource === 'no-match' || resource === 'invalid') return undefined;
  let certain = resource === 'match';

  let via: PrincipalVia | undefined;
  let principalReason: string | undefined;
  if (st.principal || st.notPrincipal) {
    const p = st.principal
      ? matchPrincipal(st.principal, req.principal)
      : matchNotPrincipal(st.notPrincipal!, req.principal, st.effect === 'Deny', prepared.bounded ?? false);
    if (p.result === 'no-match') return undefined;
    if (p.result === 'unknown') certain = false;
    via = p.via;
    principalReason = p.reason;
  } else if (requirePrincipal) return undefined;

  const conditions: ConditionOutcome[] = [];
  for (const clause of st.conditions) {
    const c = evaluateCondition(clause, req.context, variables);
    if (c.result === 'no-match') return undefined;
    if (c.result === 'unknown') certain = false;
    conditions.push({ operator: clause.operator, key: clause.key, result: c.result, reason: c.reason, loc: clause.loc });
  }
  return {
    documentId: doc.id,
    statementIndex: st.index,
    sid: st.sid,
    effect: st.effect,
    loc: st.loc,
    conditions,
    certain,
    via,
    ...(principalReason ? { principalReason } : {}),
    label: doc.label,
  };
}
