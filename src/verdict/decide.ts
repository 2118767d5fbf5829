import type { Finding, RuleAction, Verdict, VerdictReason } from '../model.js';
import { ActionSet } from '../catalog/catalog.js';
import { riskActionSet } from '../catalog/risk.js';
import { resolveAction } from './rules.js';

const ORDER: Record<RuleAction, number> = { fail: 0, warn: 1, off: 2 };

/**
 * What a reviewer must read first: exposure to anyone and escalation paths (the worst new access there is), then new
 * access, then the other ways a grant can be dangerous, then the rest by id.
 */
const PRIORITY = [
  'public-access',
  'access-analyzer/public-access',
  'privilege-escalation-path',
  'new-access',
  'access-analyzer/no-new-access',
  'high-risk-added',
  'access-not-granted',
  'access-analyzer/access-not-granted',
  'check-not-run',
  'parse-error',
];
/** A rule's place in the reading order of the verdict's reasons. */
export const reasonRank = (ruleId: string): number => {
  const i = PRIORITY.indexOf(ruleId);
  return i < 0 ? PRIORITY.length : i;
};

/** Findings → pass, warn or fail, with one reason per rule that fired (its count and first occurrence). */
export function decide(findings: Finding[], rules: Record<string, RuleAction>, subjects: number): Verdict {
  const reasons = new Map<string, VerdictReason>();
  const shownFinding = new Map<string, Finding>();
  const subjectsByRule = new Map<string, Set<string>>();
  for (const f of findings) {
    // A finding covered by a waiver stays in the report but does not count.
    if (f.evidence?.waiver) continue;
    const action = resolveAction(f.ruleId, f.severity, rules);
    if (action === 'off') continue;
    if (f.subject) subjectsByRule.set(f.ruleId, (subjectsByRule.get(f.ruleId) ?? new Set()).add(f.subject));
    const existing = reasons.get(f.ruleId);
    if (!existing) reasons.set(f.ruleId, { ruleId: f.ruleId, action, message: f.message, location: f.location, count: 1 });
    else {
      existing.count++;
      // The example a reviewer reads is the worst occurrence, not the first: iam:* before ec2:Attach….
      if (worse(f, shownFinding.get(f.ruleId)!)) Object.assign(existing, { message: f.message, location: f.location });
    }
    if (!existing || worse(f, shownFinding.get(f.ruleId)!)) shownFinding.set(f.ruleId, f);
  }
  const list = [...reasons.values()].sort((a, b) => ORDER[a.action] - ORDER[b.action] || reasonRank(a.ruleId) - reasonRank(b.ruleId) || a.ruleId.localeCompare(b.ruleId));
  const fails = list.filter((r) => r.action === 'fail');
  const warns = list.filter((r) => r.action === 'warn');
  const status = fails.length ? 'fail' : warns.length ? 'warn' : 'pass';
  const top = fails.length ? fails : warns;
  const shown = top.slice(0, HEADLINE_RULES);
  const affected = new Set(shown.flatMap((r) => [...(subjectsByRule.get(r.ruleId) ?? [])])).size;
  return { status, headline: headline(status, top, affected, subjects), reasons: list };
}

const HEADLINE_RULES = 3;

/** Rule ids whose words do not read well on their own. */
const RULE_WORDS: Readonly<Record<string, string>> = {
  'iac-plan-missing': 'Terraform plan missing',
  'iac-not-analysed': 'template part not analysed',
  'iac-external-policy-added': 'managed policy of unknown content attached',
  'public-access-existing': 'existing public or cross-account access',
  'access-key-added': 'access key created',
};

/**
 * "public access, privilege escalation path and new access for 1 of 6 subjects (+2 more rules)": the rules that
 * decided, worst first, and how many subjects they concern.
 */
function headline(status: Verdict['status'], top: VerdictReason[], affected: number, subjects: number): string {
  if (status === 'pass') return subjects ? `no new access for ${subjects} ${subjects === 1 ? 'subject' : 'subjects'}` : 'no policy changes';
  const words = top.slice(0, HEADLINE_RULES).map((r) => RULE_WORDS[r.ruleId] ?? r.ruleId.replace(/[-/]/g, ' '));
  const what = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : words[0];
  // Settings outside policies (a public ACL) name resources that are not subjects: counted on their own.
  const scope = !affected ? '' : affected <= subjects ? ` for ${affected} of ${subjects} ${subjects === 1 ? 'subject' : 'subjects'}` : ` for ${affected} ${affected === 1 ? 'resource' : 'resources'}`;
  const rest = top.length - HEADLINE_RULES;
  const more = rest > 0 ? ` (+${rest} more ${rest === 1 ? 'rule' : 'rules'})` : '';
  return `${what}${scope}${more}`;
}

const SEVERITY_RANK: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** More severe, or as severe and granting more of the actions that manage permissions or escalate privilege. */
function worse(a: Finding, b: Finding): boolean {
  const s = (SEVERITY_RANK[a.severity] ?? 0) - (SEVERITY_RANK[b.severity] ?? 0);
  if (s !== 0) return s > 0;
  return riskWeight(a) > riskWeight(b);
}

let dangerous: ActionSet | undefined;
const weights = new WeakMap<Finding, number>();
const weightByActions = new Map<string, number>();
function riskWeight(f: Finding): number {
  let w = weights.get(f);
  if (w === undefined) {
    const actions = Array.isArray(f.evidence?.actions) ? (f.evidence.actions as unknown[]).filter((x): x is string => typeof x === 'string') : [];
    dangerous ??= riskActionSet('privilege-escalation').union(riskActionSet('permissions-management'));
    const key = actions.join(',');
    w = weightByActions.get(key);
    if (w === undefined) {
      w = actions.length ? ActionSet.fromPatterns(actions).set.intersect(dangerous).size() : 0;
      if (weightByActions.size > 10_000) weightByActions.clear();
      weightByActions.set(key, w);
    }
    weights.set(f, w);
  }
  return w;
}
