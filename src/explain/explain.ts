// The pure core of `explain`: one case against both sides, with the gate's own evaluator.
import { evaluate, type EvaluationInput, type RequestContext } from '../analysis/evaluate/evaluate.js';
import { evaluateCondition } from '../analysis/evaluate/conditions.js';
import { evaluateStatement, type EvaluatedHit } from '../analysis/evaluate/statement.js';
import type { RequestPrincipal } from '../analysis/evaluate/principal.js';
import { rcpAppliesTo } from '../analysis/evaluate/rcp-services.js';
import type { Decision, PolicyDocument, SubjectPolicies } from '../model.js';
import { fullAccessDocument } from '../analysis/replay.js';
import { subjectGlob } from '../review/match.js';
import type { ExplainCase, ExplainCondition, ExplainOptions, ExplainOutcome, ExplainSide, ExplainStatement, ExplainWorld, ExpectedDecision } from './types.js';

type Side = 'base' | 'head';

/** Documents that grant (identity, bucket, resource); trust policies say who may assume a role, not what it may do. */
const grants = (docs: PolicyDocument[]) => docs.filter((d) => d.kind === 'identity' || d.kind === 'bucket' || d.kind === 'resource');

export function findSubject(world: ExplainWorld, id: string | undefined): SubjectPolicies | undefined {
  if (!id) return undefined;
  return world.subjects.find((s) => s.subject.id === id || s.subject.arn === id);
}

const SESSION = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;
const ROLE = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

/**
 * The ARNs a caller goes by in the repository: itself and, for a role session, its role (the session ARN drops
 * the role's path: a role subject of the same account and name, else the path-less role ARN).
 */
function callerNames(world: ExplainWorld, arn: string): string[] {
  const m = SESSION.exec(arn);
  if (!m) return [arn];
  const sameRole = (x: string | undefined) => {
    const r = x ? ROLE.exec(x) : null;
    return !!r && r[1] === m[1] && r[2] === m[2] && r[3] === m[3];
  };
  const role = world.subjects.find((s) => s.subject.type !== 'bucket' && sameRole(s.subject.arn));
  return [arn, role?.subject.arn ?? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}`];
}

/** The caller's own subject (its identity policies), through its role for a session. */
function callerSubject(world: ExplainWorld, arn: string | undefined): SubjectPolicies | undefined {
  if (!arn) return undefined;
  for (const n of callerNames(world, arn)) {
    const s = findSubject(world, n);
    if (s) return s;
  }
  return undefined;
}

function isBucketArn(arn: string | undefined): boolean {
  return !!arn && /^arn:aws[a-z-]*:s3:::[^/]+$/.test(arn);
}

function principalOf(arn: string): RequestPrincipal {
  return /\.amazonaws\.com(\.cn)?$/.test(arn) ? { arn, type: 'Service' } : { arn, type: 'AWS' };
}

/** Bucket subjects of the repository whose bucket holds the resource. */
export function bucketsHolding(world: ExplainWorld, resource: string | undefined): SubjectPolicies[] {
  if (!resource) return [];
  return world.subjects.filter((s) => s.subject.type === 'bucket' && s.subject.arn && (resource === s.subject.arn || resource.startsWith(`${s.subject.arn}/`)));
}

/** The policy layers that govern the case on one side. */
export function layersFor(c: ExplainCase, world: ExplainWorld, side: Side, opts: ExplainOptions = {}): EvaluationInput {
  const subjectId = c.subject ?? c.principal;
  const subject = findSubject(world, subjectId);
  const input: EvaluationInput = { identity: [] };
  const bucketSubject = subject?.subject.type === 'bucket' || isBucketArn(subjectId);
  if (bucketSubject) {
    input.resource = grants(subject?.[side] ?? []);
    const caller = callerSubject(world, c.principal);
    if (caller && caller.subject.type !== 'bucket') input.identity = grants(caller[side]);
  } else {
    input.identity = grants(subject?.[side] ?? []);
    if (opts.repoResourcePolicies !== false) {
      const resource = bucketsHolding(world, c.resource).flatMap((b) => grants(b[side]));
      if (resource.length) input.resource = resource;
    }
  }
  const docs = world.documents[side];
  // The caller's permissions boundary: the subject's, or for a bucket the caller's (through its role for a session).
  const names = bucketSubject ? (c.principal ? callerNames(world, c.principal) : []) : subjectId ? [subjectId] : [];
  const boundary = world.context.boundaries.filter((b) => names.some((n) => subjectGlob(b.subject).test(n))).flatMap((b) => docs.get(b.file) ?? []);
  if (boundary.length) input.boundary = boundary;
  // Each SCP or RCP file is one level of the organization: every level must allow. An RCP level always holds
  // RCPFullAWSAccess (AWS attaches it, it cannot be detached); an SCP file with no Allow is read as sitting beside
  // FullAWSAccess, as the gate reads it (else a Deny-only file would deny everything).
  const level = (kind: 'scp' | 'rcp', f: string) => {
    const l = docs.get(f) ?? [];
    const implicit = kind === 'rcp' || !l.some((d) => d.statements.some((st) => st.effect === 'Allow'));
    return implicit ? [...l, fullAccessDocument(kind)] : l;
  };
  if (world.context.scps.length) input.scps = world.context.scps.map((f) => level('scp', f));
  if (world.context.rcps.length) input.rcps = world.context.rcps.map((f) => level('rcp', f));
  return input;
}

/** The layers of the input; with `action`, RCP levels only when its service is one RCPs govern. */
function layerDocs(input: EvaluationInput, action?: string): Array<[string, PolicyDocument[], boolean]> {
  const out: Array<[string, PolicyDocument[], boolean]> = [['identity', input.identity, false]];
  if (input.resource) out.push(['resource', input.resource, true]);
  if (input.boundary) out.push(['boundary', input.boundary, false]);
  (input.scps ?? []).forEach((l, i) => out.push([`scp:${i}`, l, false]));
  if (action === undefined || rcpAppliesTo(action)) (input.rcps ?? []).forEach((l, i) => out.push([`rcp:${i}`, l, false]));
  return out;
}

/** The request as the evaluator sees it: keys the policies test and the case leaves out are unknown. */
export function requestFor(c: ExplainCase, layers: EvaluationInput[]): RequestContext {
  const context: RequestContext['context'] = {};
  const absent = new Set((c.absent ?? []).map((k) => k.toLowerCase()));
  for (const input of layers)
    for (const [, docs] of layerDocs(input, c.action))
      for (const d of docs) for (const s of d.statements) for (const cl of s.conditions) if (!absent.has(cl.key.toLowerCase())) context[cl.key.toLowerCase()] = undefined;
  for (const [k, v] of Object.entries(c.context)) {
    if (!absent.has(k.toLowerCase())) context[k.toLowerCase()] = v === null ? undefined : v;
  }
  const principal = c.principal ?? (c.subject && !isBucketArn(c.subject) ? c.subject : undefined);
  return { action: c.action, resource: c.resource, principal: principal ? principalOf(principal) : undefined, context };
}

function statementOf(layer: string, h: EvaluatedHit | { documentId: string; sid?: string; effect: 'Allow' | 'Deny'; loc: ExplainStatement['loc'] }): ExplainStatement {
  return { layer, document: h.documentId, ...(h.sid ? { sid: h.sid } : {}), effect: h.effect, loc: h.loc };
}

/** Conditions of the statements that apply to the request apart from their conditions: matched, failed or unknown. */
function conditionsOf(request: RequestContext, input: EvaluationInput): ExplainCondition[] {
  const out: ExplainCondition[] = [];
  // As the evaluator prepares it: a caller with a boundary is one every Deny with NotPrincipal applies to.
  const prepared = { request, lowerAction: request.action.toLowerCase(), bounded: !!input.boundary?.length };
  for (const [layer, docs, needsPrincipal] of layerDocs(input, request.action)) {
    for (const doc of docs) {
      for (const st of doc.statements) {
        if (st.conditions.length === 0) continue;
        if (!evaluateStatement(doc, { ...st, conditions: [] }, prepared, needsPrincipal)) continue;
        for (const clause of st.conditions) {
          const r = evaluateCondition(clause, request.context, doc.version === '2012-10-17');
          out.push({
            ...statementOf(layer, { documentId: doc.id, sid: st.sid, effect: st.effect, loc: st.loc }),
            operator: clause.operator,
            key: clause.key,
            values: clause.values,
            result: r.result,
            ...(r.reason ? { reason: r.reason } : {}),
            conditionLoc: clause.loc,
          });
        }
      }
    }
  }
  return out;
}

function layerOfHit(input: EvaluationInput, h: EvaluatedHit): string {
  for (const [layer, docs] of layerDocs(input)) if (docs.some((d) => d.id === h.documentId)) return layer;
  return 'identity';
}

function explainSide(request: RequestContext, input: EvaluationInput): ExplainSide {
  const result = evaluate(request, input);
  const rcpsApply = rcpAppliesTo(request.action);
  const layers = layerDocs(input)
    .filter(([name, docs]) => name === 'identity' || docs.length > 0 || name.startsWith('scp') || name.startsWith('rcp'))
    .map(([name, docs]) => `${name} (${docs.length}${name.startsWith('rcp') && !rcpsApply ? ', not applied' : ''})`);
  return {
    decision: result.decision,
    reason: result.reason,
    deciding: (result.deciding as EvaluatedHit[]).map((h) => statementOf(layerOfHit(input, h), h)),
    conditions: conditionsOf(request, input),
    layers,
    ...(result.notes?.length ? { notes: result.notes } : {}),
  };
}

export function changeLine(base: ExplainSide, head: ExplainSide): string {
  if (base.decision === head.decision) return `unchanged: ${base.decision} on both sides`;
  const what =
    head.decision === 'allow' ? 'newly allowed' : base.decision === 'allow' && head.decision.endsWith('deny') ? 'no longer allowed' : head.decision === 'undecided' ? 'no longer decidable' : 'changed';
  return `${base.decision} → ${head.decision}: ${what} (${head.reason})`;
}

function meets(actual: Decision, expected: ExpectedDecision): boolean {
  return expected === 'deny' ? actual === 'explicit-deny' || actual === 'implicit-deny' : actual === expected;
}

export function explainCase(c: ExplainCase, world: ExplainWorld, opts: ExplainOptions = {}): ExplainOutcome {
  const inputs = { base: layersFor(c, world, 'base', opts), head: layersFor(c, world, 'head', opts) };
  // One request for both sides: a key tested on either side is unknown on both, so the sides compare like for like.
  const request = requestFor(c, [inputs.base, inputs.head]);
  const base = explainSide(request, inputs.base);
  const head = explainSide(request, inputs.head);
  const mismatches: string[] = [];
  for (const side of ['base', 'head'] as const) {
    const expected = c.expect?.[side];
    const actual = side === 'base' ? base.decision : head.decision;
    if (expected && !meets(actual, expected)) mismatches.push(`${side}: expected ${expected}, got ${actual}`);
  }
  return { case: c, subject: c.subject ?? c.principal ?? '', base, head, change: changeLine(base, head), mismatches };
}
