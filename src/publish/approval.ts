// An approval label: when a person with write access (not the PR's author) puts the configured
// label on the pull request, failing new-access reasons become warnings. Finding the labeler
// needs no extra permission: a `labeled` event names its sender, otherwise the issue's event
// list (pull-requests: read) does; the permission check needs only metadata access.
import type { Report, RuleAction, Verdict, VerdictReason } from '../model.js';
import { messageOf, type GitHubApi } from './github-api.js';

export interface Approval {
  label: string;
  by: string;
  at?: string;
}

/** Rules whose failures an approval turns into warnings. */
export const APPROVABLE_RULES: ReadonlySet<string> = new Set(['new-access']);
const WRITE_ROLES = new Set(['admin', 'maintain', 'write']);
const ORDER: Record<RuleAction, number> = { fail: 0, warn: 1, off: 2 };

/**
 * The report as the approval leaves it: approvable failing reasons become warnings, the status and
 * headline follow, and `approval` records who approved. Unchanged when there is nothing to approve.
 */
export function applyApproval(report: Report, approval: Approval | undefined): Report {
  if (!approval) return report;
  const approvable = (r: VerdictReason) => r.action === 'fail' && APPROVABLE_RULES.has(r.ruleId);
  if (!report.verdict.reasons.some(approvable)) return report;
  const reasons = report.verdict.reasons
    .map((r) => (approvable(r) ? { ...r, action: 'warn' as const, message: `approved with label '${approval.label}' by ${approval.by}: ${r.message}` } : r))
    .sort((a, b) => ORDER[a.action] - ORDER[b.action] || a.ruleId.localeCompare(b.ruleId));
  const fails = reasons.filter((r) => r.action === 'fail');
  const warns = reasons.filter((r) => r.action === 'warn');
  const status: Verdict['status'] = fails.length ? 'fail' : warns.length ? 'warn' : 'pass';
  let headline: string;
  if (status === 'fail') {
    const failingRules = new Set(fails.map((r) => r.ruleId));
    const subjects = new Set(report.findings.filter((f) => failingRules.has(f.ruleId) && f.subject).map((f) => f.subject));
    const total = report.subjects.length;
    const scope = subjects.size ? ` for ${subjects.size} of ${total} ${total === 1 ? 'subject' : 'subjects'}` : '';
    const more = fails.length > 1 ? ` (+${fails.length - 1} more ${fails.length === 2 ? 'rule' : 'rules'})` : '';
    headline = `${fails[0].ruleId.replace(/-/g, ' ')}${scope}${more}`;
  } else {
    headline = `new access approved by ${approval.by} (label ${approval.label})`;
  }
  return { ...report, verdict: { status, headline, reasons }, approval: { ...approval } };
}

export interface ApprovalContext {
  label: string;
  prNumber: number;
  prAuthor?: string;
  /** Label names on the pull request as the event payload has them. */
  labels: string[];
  /** For a `labeled` event: the label just added and who added it. */
  labeledNow?: { label: string; by: string };
}

export interface ApprovalResult {
  approval?: Approval;
  /** Why the label did not count, for a notice; absent when it counted or was not set. */
  note?: string;
}

const sameLabel = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** Who put the label on, and whether they may approve. Never throws: a failed call is a note. */
export async function findApproval(api: GitHubApi, ctx: ApprovalContext): Promise<ApprovalResult> {
  if (!ctx.labels.some((l) => sameLabel(l, ctx.label))) return {};
  // Without the author, "someone else" cannot be told: no approval (an odd payload must not skip the check).
  if (!ctx.prAuthor) return { note: `label '${ctx.label}' is set but the pull request's author is not known; approval not applied.` };
  let by: string | undefined;
  let at: string | undefined;
  try {
    // The timeline decides, also on a labeled event: a re-run of an old run carries its old payload, and a label
    // removed since then withdraws the approval.
    const last = (await api.listLabelEvents(ctx.prNumber)).filter((e) => (e.event === 'labeled' || e.event === 'unlabeled') && sameLabel(e.label, ctx.label)).at(-1);
    if (last?.event === 'unlabeled') return { note: `label '${ctx.label}' was removed by ${last.actor}; approval withdrawn.` };
    if (ctx.labeledNow && sameLabel(ctx.labeledNow.label, ctx.label)) by = ctx.labeledNow.by;
    else {
      by = last?.actor;
      at = last?.at || undefined;
    }
    if (!by) return { note: `label '${ctx.label}' is set but the pull request's events do not say who set it; approval not applied.` };
    // An app's bot account (github-actions[bot] and every other GitHub App) has whatever access its installation
    // or token grants: a workflow the pull request itself adds could label it. Approval is a person's.
    if (/\[bot\]$/i.test(by)) return { note: `label '${ctx.label}' was set by ${by}, an app's bot account; approval needs a person with write access.` };
    if (ctx.prAuthor && by.toLowerCase() === ctx.prAuthor.toLowerCase()) {
      return { note: `label '${ctx.label}' was set by the pull request's author; approval needs someone else with write access.` };
    }
    const { permission, role } = await api.permissionOf(by);
    if (!WRITE_ROLES.has(role) && !WRITE_ROLES.has(permission)) {
      return { note: `label '${ctx.label}' was set by ${by}, who has ${role || permission || 'no'} access; approval needs write access.` };
    }
    return { approval: { label: ctx.label, by, ...(at ? { at } : {}) } };
  } catch (error) {
    return { note: `could not check who set label '${ctx.label}' (${messageOf(error)}); approval not applied.` };
  }
}

/**
 * In the merge queue: the pull request the queue's branch names (`gh-readonly-queue/<base>/pr-<N>-<sha>`), whose
 * changes alone the group's base and head hold. It is read as an issue for its author and current labels, then
 * decided exactly as on the pull request (the label's last event, who put it on, their permission).
 */
export async function findQueuedApproval(api: GitHubApi, label: string, prNumber: number): Promise<ApprovalResult> {
  let pr: { author?: string; labels: string[] } | undefined;
  try {
    pr = await api.pullAsIssue(prNumber);
  } catch (e) {
    return { note: `could not read pull request #${prNumber} for its label '${label}' (${messageOf(e)}); approval not applied.` };
  }
  if (!pr) return { note: `the merge queue names pull request #${prNumber}, which GitHub does not know as a pull request; approval not applied.` };
  return findApproval(api, { label, prNumber, prAuthor: pr.author, labels: pr.labels });
}
