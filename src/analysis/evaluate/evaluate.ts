// The request evaluator: AWS policy evaluation logic (reference_policies_evaluation-logic.md,
// reference_policies_evaluation-logic-cross-account.md) over located policy documents, with a
// fourth outcome, 'undecided', when the request lacks what a deciding statement needs.

import type { Decision, Effect, PolicyDocument, SourceLocation } from '../../model.js';
import { principalAccount, type BoundaryState, type PrincipalVia, type RequestPrincipal } from './principal.js';
import { rcpAppliesTo, rcpNotAppliedReason } from './rcp-services.js';
import { evaluateStatement, type EvaluatedHit, type PreparedRequest } from './statement.js';
import { splitArn } from './match.js';

export interface RequestContext {
  action: string;
  /** undefined = unknown resource. */
  resource?: string;
  principal?: RequestPrincipal;
  /**
   * Condition keys, lower-cased. A key absent from the record is *missing* (the request did not
   * carry it); a key present with value undefined is *unknown* (the event did not record it).
   */
  context: Record<string, string | string[] | undefined>;
}

export interface ConditionOutcome {
  operator: string;
  key: string;
  result: 'match' | 'no-match' | 'unknown';
  reason?: string;
  loc: SourceLocation;
}

export interface StatementHit {
  documentId: string;
  statementIndex: number;
  sid?: string;
  effect: Effect;
  loc: SourceLocation;
  conditions: ConditionOutcome[];
  certain: boolean;
}

/** One policy set. `allows`/`denies` hold statements that certainly apply; `undecided` the ones that may. */
export interface PolicyEvaluation {
  decision: Decision;
  allows: StatementHit[];
  denies: StatementHit[];
  undecided: StatementHit[];
}

export interface EvaluationInput {
  identity: PolicyDocument[];
  /** Resource policies on the target; undefined or empty = the resource has none. */
  resource?: PolicyDocument[];
  /** Permissions boundary; undefined or empty = none set. */
  boundary?: PolicyDocument[];
  /** One array per level (root, OU..., account); each level must allow. An empty level allows nothing. */
  scps?: PolicyDocument[][];
  /** Applied only to actions of the services RCPs govern (rcp-services.ts). */
  rcps?: PolicyDocument[][];
  principalAccount?: string;
  resourceAccount?: string;
  /**
   * Whether the caller has a permissions boundary, for NotPrincipal (a Deny with NotPrincipal always denies a
   * caller with one). Default: true when `boundary` is given, else false. 'unknown' when the caller's is not known.
   */
  callerBoundary?: BoundaryState;
}

export interface EvaluationResult {
  decision: Decision;
  reason: string;
  deciding: StatementHit[];
  layers: Record<string, PolicyEvaluation>;
  /** What was left out and why (e.g. RCPs for a service they do not govern). */
  notes?: string[];
}

// ---------- one layer ----------

interface LayerResult extends PolicyEvaluation {
  allows: EvaluatedHit[];
  denies: EvaluatedHit[];
  undecided: EvaluatedHit[];
}

function prepare(request: RequestContext): PreparedRequest {
  return { request, lowerAction: request.action.toLowerCase() };
}

function evaluateLayer(prepared: PreparedRequest, docs: PolicyDocument[], requirePrincipal: boolean): LayerResult {
  const allows: EvaluatedHit[] = [];
  const denies: EvaluatedHit[] = [];
  const undecided: EvaluatedHit[] = [];
  for (const doc of docs) {
    for (const st of doc.statements) {
      const hit = evaluateStatement(doc, st, prepared, requirePrincipal);
      if (!hit) continue;
      if (!hit.certain) undecided.push(hit);
      else if (hit.effect === 'Deny') denies.push(hit);
      else allows.push(hit);
    }
  }
  return { decision: layerDecision(allows, denies, undecided), allows, denies, undecided };
}

function layerDecision(allows: EvaluatedHit[], denies: EvaluatedHit[], undecided: EvaluatedHit[]): Decision {
  if (denies.length) return 'explicit-deny';
  const maybeAllow = undecided.some((h) => h.effect === 'Allow');
  // With nothing that may allow, an unknown Deny cannot change the outcome.
  if (!allows.length && !maybeAllow) return 'implicit-deny';
  if (undecided.some((h) => h.effect === 'Deny')) return 'undecided';
  return allows.length ? 'allow' : 'undecided';
}

const RESOURCE_KINDS = new Set(['bucket', 'resource', 'trust']);

/** A single layer: explicit deny wins, then allow, else implicit deny; undecided where a needed condition is unknown. */
export function evaluatePolicies(request: RequestContext, docs: PolicyDocument[]): PolicyEvaluation {
  const needsPrincipal = docs.length > 0 && docs.every((d) => RESOURCE_KINDS.has(d.kind));
  return evaluateLayer(prepare(request), docs, needsPrincipal);
}

// ---------- three-valued logic ----------

type Tri3 = 'yes' | 'no' | 'maybe';

function and(...xs: Tri3[]): Tri3 {
  if (xs.includes('no')) return 'no';
  return xs.includes('maybe') ? 'maybe' : 'yes';
}
function or(...xs: Tri3[]): Tri3 {
  if (xs.includes('yes')) return 'yes';
  return xs.includes('maybe') ? 'maybe' : 'no';
}

/** Whether some Allow in the layer (optionally only those passing `keep`) applies. */
function allowed(layer: LayerResult, keep: (h: EvaluatedHit) => boolean = () => true): Tri3 {
  if (layer.allows.some(keep)) return 'yes';
  return layer.undecided.some((h) => h.effect === 'Allow' && keep(h)) ? 'maybe' : 'no';
}

// ---------- combining ----------

interface Component {
  name: string;
  value: Tri3;
  /** Why it is 'no', for the reason text. */
  denial: string;
  hits: EvaluatedHit[];
}

function hitName(h: EvaluatedHit): string {
  return `${h.label} statement ${h.sid ? `"${h.sid}"` : `#${h.statementIndex}`}`;
}

function accountOfResource(resource: string | undefined): string | undefined {
  const parts = resource ? splitArn(resource) : undefined;
  return parts && /^\d{12}$/.test(parts[4]) ? parts[4] : undefined;
}

/**
 * Grants in a same-account resource policy that stand on their own, past an implicit deny in the
 * permissions boundary: those naming the user or the role session itself. Naming the role ARN is
 * limited by the boundary; naming the account only delegates to identity policies
 * (reference_policies_evaluation-logic.md, "Evaluating identity-based policies with resource-based policies";
 * access_policies_boundaries.md, "Resource-based policies").
 */
function standsAlone(via: PrincipalVia | undefined, p: RequestPrincipal | undefined): boolean {
  if (via === 'direct' || via === 'service' || via === 'federated' || via === 'canonical') return true;
  return (via === 'wildcard' || via === 'not-principal') && !!p && /^arn:[a-z-]+:iam::\d{12}:user\//.test(p.arn);
}

/** Evaluate one request against every policy layer that governs it. */
export function evaluate(request: RequestContext, input: EvaluationInput): EvaluationResult {
  const hasBoundaryDocs = !!input.boundary && input.boundary.length > 0;
  const prepared: PreparedRequest = { ...prepare(request), bounded: input.callerBoundary ?? hasBoundaryDocs };
  const layers: Record<string, LayerResult> = {};
  const isService = request.principal?.type === 'Service';
  // RCPs govern only the resources of the services that support them (rcp-services.ts).
  const rcpsApply = rcpAppliesTo(request.action);
  const notes = !isService && !rcpsApply && (input.rcps ?? []).length ? [rcpNotAppliedReason(request.action)] : undefined;

  // SCPs, RCPs and boundaries do not govern AWS service principals; identity policies cannot exist for them.
  const identity = (layers.identity = evaluateLayer(prepared, isService ? [] : input.identity, false));
  const hasResource = !!input.resource && input.resource.length > 0;
  const resource = hasResource ? (layers.resource = evaluateLayer(prepared, input.resource!, true)) : undefined;
  const hasBoundary = !isService && hasBoundaryDocs;
  const boundary = hasBoundary ? (layers.boundary = evaluateLayer(prepared, input.boundary!, false)) : undefined;
  const scps = isService ? [] : (input.scps ?? []).map((lvl, i) => (layers[`scp:${i}`] = evaluateLayer(prepared, lvl, false)));
  const rcps = isService || !rcpsApply ? [] : (input.rcps ?? []).map((lvl, i) => (layers[`rcp:${i}`] = evaluateLayer(prepared, lvl, false)));

  // 1. An explicit deny in any policy wins (reference_policies_evaluation-logic.md#policy-eval-denyallow).
  const all = Object.values(layers);
  const certainDenies = all.flatMap((l) => l.denies);
  if (certainDenies.length) {
    const why = certainDenies[0].principalReason;
    return done('explicit-deny', `explicitly denied by ${hitName(certainDenies[0])}${why ? ` (${why})` : ''}`, certainDenies, layers, notes);
  }
  const maybeDenies = all.flatMap((l) => l.undecided.filter((h) => h.effect === 'Deny'));

  // 2. What must allow.
  const components: Component[] = [];
  scps.forEach((l, i) => components.push({ name: `scp:${i}`, value: allowed(l), denial: `no SCP at level ${i} allows it`, hits: l.allows }));
  rcps.forEach((l, i) => components.push({ name: `rcp:${i}`, value: allowed(l), denial: `no RCP at level ${i} allows it`, hits: l.allows }));

  const pAcct = input.principalAccount ?? (request.principal ? principalAccount(request.principal) : undefined);
  const rAcct = input.resourceAccount ?? accountOfResource(request.resource);
  const crossAccount = hasResource && pAcct !== undefined && rAcct !== undefined && pAcct !== rAcct;
  const idAllowed = allowed(identity);
  const bAllowed = boundary ? allowed(boundary) : 'yes';
  const resAllowed = resource ? allowed(resource) : 'no';

  let grant: Tri3;
  let grantDenial: string;
  let grantHits: EvaluatedHit[];
  if (isService) {
    grant = resAllowed;
    grantDenial = 'no resource policy allows the service principal';
    grantHits = resource?.allows ?? [];
  } else if (crossAccount) {
    // Cross-account: the identity side and the resource policy must both allow
    // (reference_policies_evaluation-logic-cross-account.md).
    grant = and(idAllowed, bAllowed, resAllowed);
    grantDenial =
      idAllowed === 'no'
        ? 'cross-account: no identity policy allows it'
        : bAllowed === 'no'
          ? 'the permissions boundary does not allow it'
          : 'cross-account: the resource policy does not allow it';
    grantHits = [...identity.allows, ...(resource?.allows ?? [])];
  } else {
    // Same account: an allow in the identity policies or the resource policy suffices
    // (reference_policies_evaluation-logic.md#policy-eval-basics).
    const resByPrincipal = resource ? allowed(resource, (h) => h.via !== 'account') : 'no';
    const resAlone = resource ? allowed(resource, (h) => standsAlone(h.via, request.principal)) : 'no';
    grant = or(and(or(idAllowed, resByPrincipal), bAllowed), resAlone);
    grantDenial =
      idAllowed === 'no' && resByPrincipal === 'no'
        ? hasResource
          ? 'neither an identity policy nor the resource policy allows it'
          : 'no identity policy allows it'
        : 'the permissions boundary does not allow it';
    grantHits = [...identity.allows, ...(resource?.allows.filter((h) => h.via !== 'account') ?? [])];
  }
  components.push({ name: 'grant', value: grant, denial: grantDenial, hits: grantHits });

  const verdict = and(...components.map((c) => c.value));
  if (verdict === 'no') {
    const why = components.find((c) => c.value === 'no')!;
    return done('implicit-deny', `implicitly denied: ${why.denial}`, [], layers, notes);
  }
  if (maybeDenies.length) {
    return done('undecided', `undecided: ${hitName(maybeDenies[0])} may deny (${unknownWhy(maybeDenies[0])})`, maybeDenies, layers, notes);
  }
  if (verdict === 'maybe') {
    const maybeAllows = all.flatMap((l) => l.undecided.filter((h) => h.effect === 'Allow'));
    const first = maybeAllows[0];
    return done('undecided', first ? `undecided: ${hitName(first)} may allow (${unknownWhy(first)})` : 'undecided', maybeAllows, layers, notes);
  }
  const deciding = components.flatMap((c) => c.hits);
  return done('allow', deciding.length ? `allowed by ${hitName(deciding[0])}` : 'allowed', deciding, layers, notes);
}

function unknownWhy(h: EvaluatedHit): string {
  const c = h.conditions.find((x) => x.result === 'unknown');
  if (c) return c.reason ?? `${c.operator} ${c.key} cannot be evaluated`;
  if (h.principalReason) return h.principalReason;
  return 'the request does not say enough about the resource or principal';
}

function done(decision: Decision, reason: string, deciding: EvaluatedHit[], layers: Record<string, LayerResult>, notes?: string[]): EvaluationResult {
  // Hits keep their extra fields (label, via): structurally StatementHits, and no copying in the replay's hot path.
  return notes ? { decision, reason, deciding, layers, notes } : { decision, reason, deciding, layers };
}
