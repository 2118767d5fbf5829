import type { Finding, RuleAction, Verdict, VerdictReason } from '../model.js';
import { resolveAction } from './rules.js';

const ORDER: Record<RuleAction, number> = { fail: 0, warn: 1, off: 2 };

/** Findings → pass, warn or fail, with one reason per rule that fired (its count and first occurrence). */
export function decide(findings: Finding[], rules: Record<string, RuleAction>, subjects: number): Verdict {
  const reasons = new Map<string, VerdictReason>();
  const failingSubjects = new Set<string>();
  for (const f of findings) {
    // A finding covered by a waiver stays in the report but does not count.
    if (f.evidence?.waiver) continue;
    const action = resolveAction(f.ruleId, f.severity, rules);
    if (action === 'off') continue;
    if (action === 'fail' && f.subject) failingSubjects.add(f.subject);
    const existing = reasons.get(f.ruleId);
    if (existing) existing.count++;
    else reasons.set(f.ruleId, { ruleId: f.ruleId, action, message: f.message, location: f.location, count: 1 });
  }
  const list = [...reasons.values()].sort((a, b) => ORDER[a.action] - ORDER[b.action] || a.ruleId.localeCompare(b.ruleId));
  const fails = list.filter((r) => r.action === 'fail');
  const warns = list.filter((r) => r.action === 'warn');
  const status = fails.length ? 'fail' : warns.length ? 'warn' : 'pass';
  return { status, headline: headline(status, fails.length ? fails : warns, failingSubjects.size, subjects), reasons: list };
}

function headline(status: Verdict['status'], top: VerdictReason[], failing: number, subjects: number): string {
  if (status === 'pass') return subjects ? `no new access for ${subjects} ${subjects === 1 ? 'subject' : 'subjects'}` : 'no policy changes';
  const first = top[0];
  const what = first.ruleId.replace(/-/g, ' ');
  const scope = status === 'fail' && failing ? ` for ${failing} of ${subjects} ${subjects === 1 ? 'subject' : 'subjects'}` : '';
  const more = top.length > 1 ? ` (+${top.length - 1} more ${top.length === 2 ? 'rule' : 'rules'})` : '';
  return `${what}${scope}${more}`;
}
