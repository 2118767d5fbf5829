// The step's outputs: the verdict, counts per metric, and where the files are.
import type { Report } from '../model.js';

export interface PublishedExtras {
  commentId?: number;
  commentUrl?: string;
  sarifId?: string;
}

export function actionOutputs(report: Report, files: { diffMd?: string; sarif?: string; json?: string }, extras: PublishedExtras = {}): Record<string, string> {
  const t = report.totals;
  return {
    verdict: report.verdict.status,
    headline: report.verdict.headline,
    'policy-files': String(report.change.policyFiles),
    'actions-added': String(t.actions.added),
    'actions-removed': String(t.actions.removed),
    'new-access': String(t.newAccess),
    'high-risk-added': String(t.risk.added),
    'high-risk-removed': String(t.risk.removed),
    'predicted-access-denied': String(t.predictedDenied.calls),
    'fixed-access-denied': String(t.fixedDenied.denials),
    'concreteness-base': t.concreteness.base.ratio === null ? '' : t.concreteness.base.ratio.toFixed(4),
    'concreteness-head': t.concreteness.head.ratio === null ? '' : t.concreteness.head.ratio.toFixed(4),
    findings: String(report.findings.length),
    'approved-by': report.approval?.by ?? '',
    'diff-md': files.diffMd ?? '',
    sarif: files.sarif ?? '',
    'report-json': files.json ?? '',
    'comment-id': extras.commentId === undefined ? '' : String(extras.commentId),
    'comment-url': extras.commentUrl ?? '',
    'sarif-id': extras.sarifId ?? '',
  };
}
