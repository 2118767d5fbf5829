import type { Finding, RuleAction, Verdict, VerdictReason } from '../model.js';
import { resolveAction } from './rules.js';

const ORDER: Record<RuleAction, number> = { fail: 0, warn: 1, off: 2 };

/** What a reviewer must read first: new access, then the ways it can be dangerous, then the rest by id. */
const PRIORITY = [
  'new-access',
  'access-analyzer/no-new-access',
  'privilege-escalation-path',
  'public-access',
  'access-analyzer/public-access',
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
  const subjectsByRule = new Map<string, Set<string>>();
  for (const f of findings) {
    // A finding covered by a waiver stays in the report but does not count.
    if (f.evidence?.waiver) continue;
    const action = resolveAction(f.ruleId, f.severity, rules);
    if (action === 'off') continue;
    if (f.subject) subjectsByRule.set(f.ruleId, (subjectsByRule.get(f.ruleId) ?? new Set()).add(f.subject));
    const existing = reasons.get(f.ruleId);
    if (existing) existing.count++;
    else reasons.set(f.ruleId, { ruleId: f.ruleId, action, message: f.message, location: f.location, count: 1 });
  }
  const list = [...reasons.values()].sort((a, b) => ORDER[a.action] - ORDER[b.action] || reasonRank(a.ruleId) - reasonRank(b.ruleId) || a.ruleId.localeCompare(b.ruleId));
  const fails = list.filter((r) => r.action === 'fail');
  const warns = list.filter((r) => r.action === 'warn');
  const status = fails.length ? 'fail' : warns.length ? 'warn' : 'pass';
  const top = fails.length ? fails : warns;
  const affected = top.length ? (subjectsByRule.get(top[0].ruleId)?.size ?? 0) : 0;
  return { status, headline: headline(status, top, affected, subjects), reasons: list };
}

/** "new access for 2 of 6 subjects (+3 more rules)": the first rule, how many subjects it concerns, what else fired. */
function headline(status: Verdict['status'], top: VerdictReason[], affected: number, subjects: number): string {
  if (status === 'pass') return subjects ? `no new access for ${subjects} ${subjects === 1 ? 'subject' : 'subjects'}` : 'no policy changes';
  const first = top[0];
  const what = first.ruleId.replace(/[-/]/g, ' ');
  const scope = affected ? ` for ${affected} of ${subjects} ${subjects === 1 ? 'subject' : 'subjects'}` : '';
  const more = top.length > 1 ? ` (+${top.length - 1} more ${top.length === 2 ? 'rule' : 'rules'})` : '';
  return `${what}${scope}${more}`;
}
