// A few plain lines for the terminal. Input text is stripped of control and ANSI sequences so a
// hostile policy or log cannot drive the user's terminal.
import type { Report } from '../model.js';
import { sortedReasons } from './diff-md-sections.js';
import { compareText, severityRank } from './format.js';
import { clip, formatCount, percent, plainText, plural } from './markdown.js';
import { runnerSafe } from '../util/runner-safe.js';

export interface OutputFiles {
  diffMd?: string;
  sarif?: string;
  reportJson?: string;
}

const STATUS_WORD = { pass: 'PASSED', warn: 'PASSED WITH WARNINGS', fail: 'FAILED' } as const;

function text(value: unknown, max = 200): string {
  return runnerSafe(clip(plainText(value), max));
}

export function renderConsoleSummary(report: Report, files: OutputFiles = {}): string {
  const t = report.totals;
  const lines = [`IAM policy gate ${STATUS_WORD[report.verdict.status] ?? 'FAILED'}: ${text(report.verdict.headline)}`];
  const ratio = `${percent(t.concreteness.base.ratio)} -> ${percent(t.concreteness.head.ratio)}`;
  lines.push(
    `  allowed actions ${formatCount(t.actions.base)} -> ${formatCount(t.actions.head)} (+${formatCount(t.actions.added)}, -${formatCount(t.actions.removed)}); resource concreteness ${ratio}`,
  );
  lines.push(
    `  high-risk grants +${formatCount(t.risk.added)}, -${formatCount(t.risk.removed)}; new access ${plural(t.newAccess, 'item')}`,
  );
  lines.push(
    report.usage
      ? `  predicted AccessDenied: ${plural(t.predictedDenied.actions, 'action')}, ${plural(t.predictedDenied.calls, 'call')}; fixed: ${plural(t.fixedDenied.actions, 'action')}, ${plural(t.fixedDenied.denials, 'denial')}`
      : '  AccessDenied replay: not run (no CloudTrail data)',
  );
  const reasons = sortedReasons(report.verdict.reasons);
  for (const r of reasons.slice(0, 5)) {
    lines.push(`  - ${text(r.ruleId, 60)} (${r.action}): ${text(r.message)}${r.location ? ` [${text(r.location.file, 120)}:${r.location.line}]` : ''}`);
  }
  if (reasons.length > 5) lines.push(`  - ... ${reasons.length - 5} more reasons`);
  const bySeverity = new Map<string, number>();
  for (const f of report.findings) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
  const severities = [...bySeverity.entries()]
    .sort(([a], [b]) => severityRank(a) - severityRank(b) || compareText(a, b))
    .map(([s, n]) => `${formatCount(n)} ${text(s, 20)}`);
  lines.push(`  findings: ${formatCount(report.findings.length)}${severities.length ? ` (${severities.join(', ')})` : ''}`);
  const notRun = report.checks.filter((c) => c.status !== 'ran');
  if (notRun.length) lines.push(`  checks skipped or not run: ${notRun.map((c) => `${text(c.id, 60)} (${c.status}: ${text(c.detail, 100)})`).join('; ')}`);
  const written = [
    files.diffMd && `diff.md: ${files.diffMd}`,
    files.sarif && `SARIF: ${files.sarif}`,
    files.reportJson && `report: ${files.reportJson}`,
  ].filter(Boolean);
  if (written.length) lines.push(`  wrote ${written.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
