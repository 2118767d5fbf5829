import { ActionSet, actionById, allActionCount, lookupAction } from '../catalog/catalog.js';
import { escalationCombos, riskCategories } from '../catalog/risk.js';
import type { RiskCategory, RiskChange, SourceLocation } from '../model.js';
import { allowedActions, isBlanketDeny, type CompiledStatement } from './compile.js';
import { classifyResource } from './concreteness.js';
import { arnContains, arnMatches } from './evaluate/match.js';
import { globMatch } from './evaluate/glob.js';
import { inertActions } from './applicable.js';

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
  /** Resources granted only by statements with conditions (a condition dropped in head widens the grant). */
  conditionalOnly: Set<string>;
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
    // Per resource, the actions it cannot name (s3:GetObject on a bucket ARN grants nothing: applicable.ts).
    const inert = s.notResource ? [] : s.resources.map((r) => inertActions(risky, r));
    for (const i of risky.indices()) {
      const id = actionById(i).id;
      let grant = out.get(id);
      if (!grant) out.set(id, (grant = { action: id, categories: index.get(i)!, resources: new Map(), conditionalOnly: new Set() }));
      for (const [ri, r] of s.resources.entries()) {
        if (inert[ri]?.has(i)) continue;
        const key = s.notResource ? '*' : r;
        if (!grant.resources.has(key)) {
          grant.resources.set(key, s.loc);
          if (s.conditional) grant.conditionalOnly.add(key);
        } else if (!s.conditional && grant.conditionalOnly.delete(key)) grant.resources.set(key, s.loc); // the grant without conditions is the one to show
      }
    }
  }
  return out;
}

/**
 * High-risk grants added and removed. A high-risk action kept but moved from a wildcard resource to
 * narrower ones inside it is a reduction ("narrowed"); a resource outside base's, or one base granted only under
 * conditions and head without, is an addition.
 */
export function riskChanges(base: CompiledStatement[], head: CompiledStatement[]): { added: RiskChange[]; removed: RiskChange[] } {
  const b = riskGrants(base);
  const h = riskGrants(head);
  // The same resource pairs come back for every high-risk action a statement grants (`*` holds ~600): decide each
  // pair once. A concrete inner resource needs a match, not the (costlier) containment of two patterns.
  const memo = new Map<string, boolean>();
  const contains = (outer: string, inner: string): boolean => {
    if (outer === inner || outer === '*') return true;
    const k = `${outer}\u0000${inner}`;
    let v = memo.get(k);
    if (v === undefined) memo.set(k, (v = /[*?]/.test(inner) ? arnContains(outer, inner) : arnMatches(outer, inner)));
    return v;
  };
  const added: RiskChange[] = [];
  const removed: RiskChange[] = [];
  for (const [id, g] of h) {
    const old = b.get(id);
    if (!old) {
      for (const [r, loc] of g.resources) added.push({ action: id, categories: g.categories, resource: r, direction: 'added', location: loc });
      continue;
    }
    // Granted where it was not: a resource outside all of base's (`*` -> `...:stack/app-*` narrows, `role/app` ->
    // `role/admin` adds), or granted without conditions where base granted it only with some.
    const oldResources = [...old.resources.keys()];
    const newResources = [...g.resources.keys()];
    const inBase = (r: string) => oldResources.some((o) => contains(o, r));
    const coveredByBase = (r: string) => oldResources.some((o) => contains(o, r) && (!old.conditionalOnly.has(o) || g.conditionalOnly.has(r)));
    const wider = [...g.resources.entries()].filter(([r]) => !coveredByBase(r));
    for (const [r, loc] of wider) added.push({ action: id, categories: g.categories, resource: r, direction: 'added', location: loc });
    // Narrowed: head's resources all inside base's, and some wildcard of base's no longer inside head's.
    const lostWild = oldResources.filter((o) => classifyResource(o) === 'wildcard' && !newResources.some((r) => contains(r, o)));
    if (lostWild.length && newResources.every(inBase)) {
      const [r, loc] = [...g.resources.entries()][0];
      removed.push({ action: id, categories: g.categories, resource: r, direction: 'narrowed', from: lostWild.join(', '), location: loc });
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

/**
 * The service principals each service's escalation path passes a role to (iam:PassedToService values), by the
 * action prefix of the combo's other actions. Written here: the escalation data (pathfinding.cloud, Rhino) names
 * actions, not the services that assume the passed role, and prefixes do not map one to one onto principals
 * (ecs -> ecs-tasks, datapipeline also hands an instance role to EC2). A prefix missing here keeps the combo whole.
 */
const PASSED_TO: Readonly<Record<string, readonly string[]>> = {
  apprunner: ['build.apprunner.amazonaws.com', 'tasks.apprunner.amazonaws.com'],
  'bedrock-agentcore': ['bedrock-agentcore.amazonaws.com'],
  cloudformation: ['cloudformation.amazonaws.com'],
  codebuild: ['codebuild.amazonaws.com'],
  codestar: ['codestar.amazonaws.com'],
  datapipeline: ['datapipeline.amazonaws.com', 'elasticmapreduce.amazonaws.com', 'ec2.amazonaws.com'],
  ec2: ['ec2.amazonaws.com'],
  ecs: ['ecs-tasks.amazonaws.com', 'ecs.amazonaws.com'],
  glue: ['glue.amazonaws.com'],
  lambda: ['lambda.amazonaws.com'],
  sagemaker: ['sagemaker.amazonaws.com'],
};

const PASS_ROLE = 'iam:passrole';

/** The services a combo's iam:PassRole must reach, or undefined when the combo has no PassRole or they are not known. */
function passedToServices(actions: string[]): string[] | undefined {
  if (!actions.some((a) => a.toLowerCase() === PASS_ROLE)) return undefined;
  const prefixes = new Set(actions.filter((a) => a.toLowerCase() !== PASS_ROLE && !a.toLowerCase().startsWith('iam:')).map((a) => a.slice(0, a.indexOf(':')).toLowerCase()));
  const services: string[] = [];
  for (const p of prefixes) {
    const known = PASSED_TO[p];
    if (!known) return undefined;
    services.push(...known);
  }
  return services;
}

/**
 * Whether some Allow statement granting iam:PassRole lets it reach one of `services`: a statement reaches a service
 * unless every iam:PassedToService clause it has, each plain StringEquals or StringLike with literal values, leaves
 * that service out (clauses are ANDed). Any other operator or a policy variable counts as reaching (not read here).
 */
function passRoleReaches(stmts: CompiledStatement[], services: string[]): boolean {
  const passRole = lookupAction('iam:PassRole');
  if (!passRole) return true;
  for (const s of stmts) {
    if (s.effect !== 'Allow' || !s.actions.has(passRole.index)) continue;
    const clauses = s.stmt.conditions.filter((c) => c.key.toLowerCase() === 'iam:passedtoservice');
    const allows = (svc: string) =>
      clauses.every((c) => {
        const op = c.operator.toLowerCase();
        if ((op !== 'stringequals' && op !== 'stringlike') || c.values.some((v) => v.includes('${'))) return true;
        return c.values.some((v) => (op === 'stringequals' ? v === svc : globMatch(v, svc)));
      });
    if (services.some(allows)) return true;
  }
  return false;
}

/**
 * Privilege-escalation combinations that head completes and base did not (on any resource). A combo needing
 * iam:PassRole is complete only where a PassRole grant may pass the role to the combo's service (see PASSED_TO).
 */
export function newEscalationCombos(base: CompiledStatement[], head: CompiledStatement[]): ComboHit[] {
  const baseAllowed = allowedActions(base);
  const headAllowed = allowedActions(head);
  const complete = (allowed: ActionSet, stmts: CompiledStatement[], actions: string[]) => {
    const all = actions.every((id) => {
      const a = lookupAction(id);
      return !!a && allowed.has(a.index);
    });
    if (!all) return false;
    const services = passedToServices(actions);
    return !services || passRoleReaches(stmts, services);
  };
  const hits: ComboHit[] = [];
  for (const combo of escalationCombos()) {
    if (complete(headAllowed, head, combo.actions) && !complete(baseAllowed, base, combo.actions))
      hits.push({ id: combo.id, description: combo.description, actions: combo.actions, source: combo.source });
  }
  return hits;
}
