// Access Analyzer answers beside the local engine's: attach them to each subject, compare them,
// and turn AWS failures into findings so that the verdict takes the stricter of the two answers.
import type { CheckResult, Finding, Severity, SubjectAnalysis } from '../model.js';
import type { AccessAnalyzerCheck, AnalyzerOutcome, ValidateFindingType } from './types.js';

export const ANALYZER_RULE = {
  CheckNoNewAccess: 'access-analyzer/no-new-access',
  CheckAccessNotGranted: 'access-analyzer/access-not-granted',
  CheckNoPublicAccess: 'access-analyzer/public-access',
} as const;

/** The local rule that answers the same question. */
const LOCAL_RULE = { CheckNoNewAccess: 'new-access', CheckAccessNotGranted: 'access-not-granted', CheckNoPublicAccess: 'public-access' } as const;
const SEVERITY = { CheckNoNewAccess: 'high', CheckAccessNotGranted: 'high', CheckNoPublicAccess: 'critical' } as const satisfies Record<keyof typeof LOCAL_RULE, Severity>;
const WHAT = { CheckNoNewAccess: 'new access', CheckAccessNotGranted: 'forbidden access', CheckNoPublicAccess: 'public access' } as const;

export const VALIDATE_SEVERITY: Record<ValidateFindingType, Severity> = { ERROR: 'high', SECURITY_WARNING: 'high', WARNING: 'medium', SUGGESTION: 'low' };

/** A finding in `file` belongs to the document `docId` (`file` or `file#pointer`). */
function inDocument(docId: string, file: string | undefined): boolean {
  return file !== undefined && (docId === file || docId.startsWith(`${file}#`));
}

type CustomCheck = keyof typeof LOCAL_RULE;
const isCustom = (c: AccessAnalyzerCheck['check']): c is CustomCheck => c in LOCAL_RULE;

function compare(subject: string, c: AccessAnalyzerCheck, local: Finding[]): AccessAnalyzerCheck {
  if (!isCustom(c.check) || c.result === 'not-run') return c;
  const rule = LOCAL_RULE[c.check];
  const localResult = local.some((f) => f.ruleId === rule && f.subject === subject && inDocument(c.document, f.location?.file)) ? 'FAIL' : 'PASS';
  const disagreement = localResult !== c.result;
  return { ...c, local: localResult, ...(disagreement ? { disagreement } : {}) };
}

function customFindings(subject: string, c: AccessAnalyzerCheck): Finding[] {
  const check = c.check;
  if (!isCustom(check) || c.result !== 'FAIL') return [];
  const ruleId = ANALYZER_RULE[check];
  const note = c.disagreement ? ` The local engine found no ${WHAT[check]} here; the gate keeps the stricter answer (AWS).` : '';
  const reasons = c.reasons?.length ? c.reasons.slice(0, 20) : [{ description: c.message }];
  return reasons.map((r) => ({
    ruleId,
    severity: SEVERITY[check],
    subject,
    ...('location' in r && r.location ? { location: r.location } : {}),
    message: `Access Analyzer ${c.check} FAIL for ${c.document}: ${c.message}${r.description && r.description !== c.message ? ` ${r.description}` : ''}${note}`,
    evidence: { check: c.check, aws: c.result, local: c.local, disagreement: c.disagreement === true, ...('access' in r && r.access ? { access: r.access } : {}) },
    identity: `${ruleId}|${subject}|${c.document}|${'statementId' in r && r.statementId ? r.statementId : 'statementIndex' in r ? r.statementIndex : ''}`,
    origin: 'access-analyzer' as const,
  }));
}

function validateFindings(subject: string, c: AccessAnalyzerCheck): Finding[] {
  return (c.findings ?? []).map((f) => ({
    ruleId: `validate/${f.issueCode}`,
    severity: VALIDATE_SEVERITY[f.findingType] ?? 'medium',
    subject,
    ...(f.location ? { location: f.location } : {}),
    message: `Access Analyzer ValidatePolicy ${f.findingType} ${f.issueCode}: ${f.details}${f.learnMoreLink ? ` (${f.learnMoreLink})` : ''}`,
    evidence: { findingType: f.findingType, issueCode: f.issueCode, learnMoreLink: f.learnMoreLink },
    identity: `validate/${f.issueCode}|${subject}|${c.document}|${f.details}`,
    origin: 'access-analyzer' as const,
  }));
}

/**
 * Attach `accessAnalyzer` to each subject (with the local answer beside AWS's) and return the findings
 * and the check line to add before the verdict. `local` are the findings of the local engine so far.
 */
export function mergeAnalyzerResults(analyses: SubjectAnalysis[], local: Finding[], outcome: AnalyzerOutcome): { findings: Finding[]; checks: CheckResult[] } {
  const findings: Finding[] = [];
  let disagreements = 0;
  for (const a of analyses) {
    const answers = outcome.bySubject[a.subject.id];
    if (!answers?.length) continue;
    const compared = answers.map((c) => compare(a.subject.id, c, local));
    disagreements += compared.filter((c) => c.disagreement).length;
    a.accessAnalyzer = compared;
    for (const c of compared) findings.push(...(c.check === 'ValidatePolicy' ? validateFindings(a.subject.id, c) : customFindings(a.subject.id, c)));
  }
  for (const e of outcome.errors) {
    findings.push({
      ruleId: 'check-not-run',
      severity: 'high',
      message: `Access Analyzer could not answer: ${e.message}`,
      evidence: { kind: e.kind, ...(e.action ? { missingAction: e.action } : {}) },
      identity: `check-not-run|access-analyzer|${e.kind}|${e.action ?? ''}`,
      origin: 'access-analyzer',
    });
  }
  const detail = `${outcome.detail}${disagreements ? `; ${disagreements} disagreement(s) with the local engine, gated on the stricter answer` : ''}`;
  return { findings, checks: [{ id: 'access-analyzer', status: outcome.status, detail }] };
}
