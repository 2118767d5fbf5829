// Line annotations for the most severe findings. GitHub shows at most 10 errors, 10 warnings and
// 10 notices per step (50 per job) and silently drops the rest, so we choose which ones it shows:
// failing rules first, then by severity; one error is kept for the failing verdict itself and
// room is left for the action's own warnings and notices.
import type { Report, RuleAction } from '../model.js';
import { compareLocations, repoRelativePath, severityRank, waiverOf } from '../report/format.js';
import { clip, plainText } from '../report/markdown.js';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface Annotation {
  level: AnnotationLevel;
  title: string;
  message: string;
  file?: string;
  startLine?: number;
  endLine?: number;
  startColumn?: number;
  endColumn?: number;
}

// The action itself may warn up to four times in one run (comment or SARIF upload refused, approval notes,
// fail-on-error off): warnings leave room for them.
export const ANNOTATION_BUDGET: Record<AnnotationLevel, number> = { error: 9, warning: 6, notice: 7 };
const MAX_MESSAGE = 1000;

/** The annotations to emit, in order, and how many findings were left without one. */
export function pickAnnotations(report: Report, budget: Record<AnnotationLevel, number> = ANNOTATION_BUDGET): { annotations: Annotation[]; omitted: number } {
  const actionOf = new Map<string, RuleAction>();
  for (const r of report.verdict.reasons) if (!actionOf.has(r.ruleId)) actionOf.set(r.ruleId, r.action);
  const candidates = report.findings
    .map((f) => ({ f, action: actionOf.get(f.ruleId) ?? 'off' }))
    .filter(({ f, action }) => action !== 'off' && !waiverOf(f))
    .sort((a, b) => (a.action === b.action ? 0 : a.action === 'fail' ? -1 : 1) || severityRank(a.f.severity) - severityRank(b.f.severity) || compareLocations(a.f.location, b.f.location));
  const left = { ...budget };
  const annotations: Annotation[] = [];
  let omitted = 0;
  for (const { f, action } of candidates) {
    const level: AnnotationLevel = action === 'fail' ? 'error' : 'warning';
    if (left[level] <= 0) {
      omitted++;
      continue;
    }
    left[level]--;
    const a: Annotation = { level, title: `iam-policy-gate: ${clip(plainText(f.ruleId), 80)} (${f.severity})`, message: clip(plainText(f.message), MAX_MESSAGE) };
    const file = f.location ? repoRelativePath(f.location.file) : null;
    if (f.location && file) {
      a.file = file;
      a.startLine = Math.max(1, f.location.line);
      a.endLine = Math.max(a.startLine, f.location.endLine ?? a.startLine);
      // GitHub takes columns only on single-line annotations.
      if (a.endLine === a.startLine && f.location.column > 0) {
        a.startColumn = f.location.column;
        if (f.location.endColumn && f.location.endColumn > f.location.column) a.endColumn = f.location.endColumn;
      }
    }
    annotations.push(a);
  }
  if (omitted > 0 && left.notice > 0) {
    annotations.push({ level: 'notice', title: 'iam-policy-gate: more findings', message: `${omitted} more finding(s) are not annotated (GitHub shows 10 per kind per step); the job summary and the SARIF have all of them.` });
  }
  return { annotations, omitted };
}
