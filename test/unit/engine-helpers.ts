// Shared by the engine tests: documents from plain JSON through the real parser, and the
// definition of "a request lies inside a new-access item".
import { compileDocuments } from '../../src/analysis/compile.js';
import { actionMatches, arnMatches } from '../../src/analysis/evaluate/match.js';
import { matchPrincipal, type RequestPrincipal } from '../../src/analysis/evaluate/principal.js';
import { widenVariables } from '../../src/analysis/new-access-scope.js';
import type { NewAccessItem, PolicyDocument, PolicyKind, PrincipalType } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';

export function doc(json: unknown, kind: PolicyKind = 'identity', file = 'policy.json'): PolicyDocument {
  const r = extractPolicies(file, Buffer.from(JSON.stringify(json, null, 1)), { maxBytes: 1 << 22, forcePolicy: true, kindHint: kind });
  if (r.documents.length !== 1) throw new Error(`not one document: ${JSON.stringify(r.findings)}`);
  return r.documents[0];
}

export function policy(statements: unknown[], version = '2012-10-17'): unknown {
  return { Version: version, Statement: statements };
}

export const compiled = (docs: PolicyDocument[]) => compileDocuments(docs);

export interface ConcreteRequest {
  action: string;
  resource: string;
  principal?: RequestPrincipal;
  context: Record<string, string | string[]>;
}

/**
 * A request lies inside an item when one of the item's action patterns matches its action, the
 * item's resource pattern (policy variables widened to "*") matches its resource, and the item's
 * principal (when it names one) matches its caller. Conditions are ignored: an item is a superset.
 */
export function itemCovers(item: NewAccessItem, r: ConcreteRequest): boolean {
  if (!item.actions.some((p) => actionMatches(p, r.action))) return false;
  if (item.resource !== '*' && !arnMatches(widenVariables(item.resource), r.resource)) return false;
  const p = item.principal;
  if (!p || p === '*' || p.startsWith('everyone except')) return true;
  if (!r.principal) return false;
  const colon = p.indexOf(':');
  const entry = { type: p.slice(0, colon) as PrincipalType, value: p.slice(colon + 1), loc: { file: '', line: 1, column: 1 } };
  return matchPrincipal({ any: false, entries: [entry], loc: entry.loc }, r.principal).result === 'match';
}
