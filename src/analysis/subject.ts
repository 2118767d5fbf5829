import type { GateConfig } from '../config/types.js';
import type { Finding, NewAccessItem, PolicyDocument, RiskCategory, SubjectAnalysis, SubjectPolicies, UsageSummary } from '../model.js';
import { allowedActions, compileDocuments, type CompiledStatement } from './compile.js';
import { ActionSet, lookupAction } from '../catalog/catalog.js';
import { riskActionSet } from '../catalog/risk.js';
import { classifyResource, concreteness } from './concreteness.js';
import { actionDelta } from './delta.js';
import { accessNotGranted, publicAccess } from './local-checks.js';
import { compareAccess, compileGuards } from './new-access.js';
import { recordsFor, replay } from './replay.js';
import { leastPrivilege } from '../leastpriv/index.js';
import { newEscalationCombos, riskChanges } from './risk.js';

/** Documents that grant the subject's permissions (or, for a bucket, permissions on it); trust policies are who may assume it. */
const grants = (docs: PolicyDocument[]) => docs.filter((d) => d.kind === 'identity' || d.kind === 'bucket' || d.kind === 'resource');
const guards = (docs: PolicyDocument[]) => docs.filter((d) => d.kind === 'scp' || d.kind === 'rcp' || d.kind === 'boundary');

export function analyseSubject(s: SubjectPolicies, config: GateConfig, usage?: UsageSummary): { analysis: SubjectAnalysis; findings: Finding[] } {
  const id = s.subject.id;
  const baseGrants = compileDocuments(grants(s.base));
  const headGrants = compileDocuments(grants(s.head));
  const baseAll = compileDocuments(s.base.filter((d) => !guards([d]).length));
  const headAll = compileDocuments(s.head.filter((d) => !guards([d]).length));
  const limits: string[] = [];
  for (const file of s.unreadableHead ?? []) limits.push(`${file}: the head version could not be read; compared as its base version (what head grants is unknown until it parses)`);
  if (s.subject.type === 'unbound') limits.push('no subject: CloudTrail replay and per-principal aggregation need a principal or bucket (map the file in the config)');

  const delta = actionDelta(baseGrants, headGrants);
  const risk = riskChanges(baseGrants, headGrants);
  // Guards (SCPs, RCPs, boundaries from the config context or mapped files) only narrow. After merge
  // head's version applies, and a change must not hide its new access behind a guard it adds or
  // widens: an action is left out only when base's and head's versions both deny it.
  const guardDocs = { base: [...(s.guards?.base ?? []), ...guards(s.base)], head: [...(s.guards?.head ?? []), ...guards(s.head)] };
  const sameGuards = JSON.stringify(guardDocs.base.map((d) => d.statements)) === JSON.stringify(guardDocs.head.map((d) => d.statements));
  if (!sameGuards) limits.push('the SCP/RCP/permissions-boundary context differs between base and head: only what both versions deny is left out of new access, and what base\'s denied and head\'s does not is new access');
  // Head's version also when it has none: a guard the change removes lets through what it denied.
  const compared = compareAccess(baseAll, headAll, {
    subject: s.subject,
    guards: guardDocs.base.length > 0 ? compileGuards(guardDocs.base) : undefined,
    headGuards: !sameGuards ? compileGuards(guardDocs.head) : undefined,
  });
  const items = compared.items;
  limits.push(...compared.notes);
  let replaySummary;
  if (usage && s.subject.type === 'group') {
    // A group never calls: its members do, and CloudTrail does not say which groups a user is in.
    limits.push("CloudTrail replay not run: a group's calls are made by its members, whom the logs do not tie to the group (removing access members use is not predicted)");
  } else if (usage) {
    if (s.subject.arn) replaySummary = replay(s.subject, grants(s.base), grants(s.head), recordsFor(s.subject, usage.records), guardDocs);
  }
  // Unused access and a suggested policy ([least-privilege]): only where usage exists for a known subject.
  const leastPriv = usage && s.subject.arn ? leastPrivilege(s, usage, config.leastPrivilege) : {};

  const findings: Finding[] = [];
  for (const item of items) findings.push(newAccessFinding(id, item));
  // One finding per granting statement and resource, naming its high-risk actions (not one per action).
  const riskGroups = new Map<string, typeof risk.added>();
  for (const r of risk.added) {
    // Reading data from one named table or bucket is the job of most roles: worth a look, not a block.
    const scopedData = r.categories.every((c) => c === 'data-access') && classifyResource(r.resource) !== 'wildcard';
    const key = `${scopedData}|${r.location?.file}:${r.location?.line}|${r.resource}`;
    riskGroups.set(key, [...(riskGroups.get(key) ?? []), r]);
  }
  for (const [key, group] of riskGroups) {
    const scopedData = key.startsWith('true|');
    const ruleId = scopedData ? 'data-access-added' : 'high-risk-added';
    const categories = [...new Set(group.flatMap((r) => r.categories))].sort();
    const actions = group.map((r) => r.action);
    const shown = actions.slice(0, 6).join(', ') + (actions.length > 6 ? ` and ${actions.length - 6} more` : '');
    findings.push({
      ruleId,
      severity: scopedData ? 'low' : 'high',
      subject: id,
      location: group[0].location,
      message: `${id} gains high-risk ${shown} (${categories.join(', ')}) on ${group[0].resource}`,
      evidence: { actions, categories, resource: group[0].resource },
      identity: `${ruleId}|${id}|${actions.join(',')}|${group[0].resource}`,
      origin: 'local',
    });
  }
  for (const combo of newEscalationCombos(baseGrants, headGrants)) {
    const loc = completingStatement(combo.actions, baseGrants, headGrants)?.loc ?? headGrants.find((st) => st.effect === 'Allow')?.loc;
    findings.push({
      ruleId: 'privilege-escalation-path',
      severity: 'critical',
      subject: id,
      location: loc,
      message: `${id} now holds ${combo.actions.join(' + ')}: ${combo.description}`,
      evidence: { combo: combo.id, actions: combo.actions, source: combo.source },
      identity: `privilege-escalation-path|${id}|${combo.id}`,
      origin: 'local',
    });
  }
  if (config.neverGrant.length) findings.push(...accessNotGranted(s.subject, headGrants, config.neverGrant));
  findings.push(...publicAccess(s.subject, headAll, config.trustedAccounts, baseAll));
  for (const p of replaySummary?.predicted ?? []) {
    findings.push({
      ruleId: 'access-denied-predicted',
      severity: 'medium',
      subject: id,
      location: p.location ?? headGrants[0]?.loc ?? { file: s.files[0], line: 1, column: 1 },
      message: `${p.action}${p.resource ? ` on ${p.resource}` : ''} is no longer allowed for ${p.principal} but was called ${p.count} time(s), last on ${p.lastSeen.slice(0, 10)}${p.note ? ` (${p.note})` : ''}`,
      evidence: { action: p.action, resource: p.resource, calls: p.count, lastSeen: p.lastSeen, base: p.base, head: p.head },
      identity: `access-denied-predicted|${id}|${p.principal}|${p.action}|${p.resource ?? ''}`,
      origin: 'cloudtrail',
    });
  }
  const undecided = replaySummary?.undecided ?? [];
  if (undecided.length) {
    findings.push({
      ruleId: 'replay-undecided',
      severity: 'low',
      subject: id,
      location: { file: s.files[0], line: 1, column: 1 },
      message: `${undecided.reduce((n, u) => n + u.count, 0)} call(s) to ${new Set(undecided.map((u) => u.action)).size} action(s) by ${id} could not be decided against head: ${undecided[0].note ?? 'a condition the log does not carry'}`,
      evidence: { items: undecided.length },
      identity: `replay-undecided|${id}`,
      origin: 'cloudtrail',
    });
  }

  return {
    analysis: {
      subject: s.subject,
      files: [...s.files].sort(),
      delta,
      concreteness: { base: concreteness(baseGrants), head: concreteness(headGrants) },
      risk,
      newAccess: items,
      ...(replaySummary ? { replay: replaySummary } : {}),
      ...(leastPriv.unused ? { unused: leastPriv.unused } : {}),
      ...(leastPriv.suggestion ? { suggestion: leastPriv.suggestion } : {}),
      limits,
    },
    findings,
  };
}

/** Risk categories that make an action worth naming first in a message, worst first. */
const NAMED_FIRST: RiskCategory[] = ['privilege-escalation', 'permissions-management', 'credentials-exposure', 'resource-exposure'];
let rankSets: ActionSet[] | undefined;
const scores = new Map<string, { r: number; n: number; size: number }>();

/**
 * A few actions in words: all when there are at most four, else their number and the three most dangerous
 * (escalation and permissions management before the rest), so the resource after them stays in view.
 */
function actionsText(actions: string[]): string {
  if (actions.length <= 4) return actions.join(', ');
  rankSets ??= NAMED_FIRST.map((c) => riskActionSet(c));
  const score = (a: string) => {
    let known = scores.get(a);
    if (!known) {
      const set = ActionSet.fromPatterns([a]).set;
      const i = rankSets!.findIndex((r) => r.intersects(set));
      // The worst category first; within it, the entry holding most of its actions (iam:* before apprunner:*).
      known = i < 0 ? { r: NAMED_FIRST.length, n: 0, size: set.size() } : { r: i, n: set.intersect(rankSets![i]).size(), size: set.size() };
      if (scores.size > 10_000) scores.clear();
      scores.set(a, known);
    }
    return known;
  };
  const named = actions
    .map((a) => ({ a, ...score(a) }))
    .sort((x, y) => x.r - y.r || y.n - x.n)
    .slice(0, 3)
    .map((x) => x.a);
  // Entries are compressed and disjoint (an action or a service's wildcard), so their sizes add up.
  const total = actions.reduce((n, a) => n + score(a).size, 0);
  return `${total} actions (${named.join(', ')}, …)`;
}

function newAccessFinding(subject: string, item: NewAccessItem): Finding {
  const shown = actionsText(item.actions);
  return {
    ruleId: 'new-access',
    severity: item.certainty === 'new' ? 'high' : 'medium',
    subject,
    location: item.location,
    // A resource policy gives access to someone: say who, first (the resource does not gain anything).
    message: item.principal
      ? `${who(item.principal)} ${item.certainty === 'new' ? 'can now call' : 'may now be able to call'} ${shown} on ${item.resource} (${subject})${item.condition ? ` when ${item.condition}` : ''}: ${item.reason}`
      : `${subject} ${item.certainty === 'new' ? 'gains' : 'may gain'} ${shown} on ${item.resource}${item.condition ? ` when ${item.condition}` : ''}: ${item.reason}`,
    evidence: { actions: item.actions, resource: item.resource, principal: item.principal, condition: item.condition, certainty: item.certainty },
    // The conditions are part of what is granted: a waiver by fingerprint must not follow a grant whose conditions change.
    identity: `new-access|${subject}|${item.location.file}|${item.actions.join(',')}|${item.resource}|${item.principal ?? ''}|${item.certainty}${item.condition ? `|${item.condition}` : ''}`,
    origin: 'local',
  };
}

/** A principal label of a resource-policy grant (`AWS:arn:aws:iam::1…:root`, `*`) in words. */
function who(label: string): string {
  if (label === '*' || label === 'AWS:*') return 'anyone';
  const account = /^AWS:(?:arn:[^:]+:iam::(\d{12}):root|(\d{12}))$/.exec(label);
  if (account) return `account ${account[1] ?? account[2]}`;
  if (label.startsWith('AWS:')) return label.slice(4);
  if (label.startsWith('Service:')) return `the service ${label.slice(8)}`;
  if (label.startsWith('Federated:')) return `identities of ${label.slice(10)}`;
  return label;
}

/**
 * Where an escalation path was completed: the head Allow granting a combo action base did not grant (else, e.g. a
 * PassRole condition dropped, one granting iam:PassRole), so the finding sits on the line the change added.
 */
function completingStatement(actions: string[], base: CompiledStatement[], head: CompiledStatement[]): CompiledStatement | undefined {
  const ids = actions.map((a) => lookupAction(a)).filter((a): a is NonNullable<typeof a> => !!a);
  const baseAllowed = allowedActions(base);
  const added = ids.filter((a) => !baseAllowed.has(a.index));
  const wanted = added.length ? added : ids.filter((a) => a.id === 'iam:PassRole');
  return head.find((st) => st.effect === 'Allow' && wanted.some((a) => st.actions.has(a.index)));
}
