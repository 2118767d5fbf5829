// Raw call outcomes → one answer per question, located in the files, grouped by subject.
import type { UsageSummary } from '../model.js';
import type { AnalyzerRun } from './client.js';
import { locateStatement, locateWire, type WireLocation } from './locate.js';
import type { AccessAnalyzerCheck, AnalyzerError, AnalyzerOutcome, AnalyzerPlan, AnalyzerReason, PlannedQuestion, ValidateFinding, ValidateFindingType } from './types.js';

type Wire = Record<string, unknown>;

function reasonsOf(q: PlannedQuestion, response: Wire): AnalyzerReason[] {
  const list = Array.isArray(response.reasons) ? (response.reasons as Wire[]) : [];
  return list.slice(0, 50).map((r) => {
    const statementIndex = typeof r.statementIndex === 'number' ? r.statementIndex : undefined;
    const out: AnalyzerReason = { description: String(r.description ?? ''), location: locateStatement(q.document, statementIndex, q.verbatim) };
    if (statementIndex !== undefined) out.statementIndex = statementIndex;
    if (typeof r.statementId === 'string') out.statementId = r.statementId;
    if (Array.isArray(r.accessInput)) out.access = (r.accessInput as Wire[]).map((a) => ({ ...(Array.isArray(a.actions) ? { actions: a.actions.map(String) } : {}), ...(Array.isArray(a.resources) ? { resources: a.resources.map(String) } : {}) }));
    return out;
  });
}

function validateFindings(q: PlannedQuestion, response: Wire): ValidateFinding[] {
  return (response.findings as Wire[]).slice(0, 200).map((f) => {
    const locations = Array.isArray(f.locations) ? (f.locations as WireLocation[]) : [];
    return {
      findingType: f.findingType as ValidateFindingType,
      issueCode: String(f.issueCode),
      details: String(f.findingDetails ?? ''),
      ...(typeof f.learnMoreLink === 'string' ? { learnMoreLink: f.learnMoreLink } : {}),
      location: locateWire(q.document, locations[0], q.verbatim),
    };
  });
}

function answer(q: PlannedQuestion, run: AnalyzerRun, errors: Map<string, AnalyzerError>): AccessAnalyzerCheck {
  const base = { check: q.check, document: q.document.id, calls: q.calls.length } as const;
  const outcomes = q.calls.map((k) => run.outcomes.get(k) ?? { ok: false as const, error: { kind: 'other' as const, message: `${q.check} was not made` } });
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) {
    errors.set(`${failed.error.kind}|${failed.error.action ?? ''}`, failed.error);
    return { ...base, result: 'not-run', message: failed.error.message };
  }
  const responses = outcomes.map((o) => (o.ok ? o.response : {}));
  if (q.check === 'ValidatePolicy') {
    const findings = responses.flatMap((r) => validateFindings(q, r));
    const blocking = findings.some((f) => f.findingType === 'ERROR' || f.findingType === 'SECURITY_WARNING');
    const counts = new Map<string, number>();
    for (const f of findings) counts.set(f.findingType, (counts.get(f.findingType) ?? 0) + 1);
    const message = findings.length ? `${findings.length} finding(s): ${[...counts].map(([t, n]) => `${n} ${t}`).join(', ')}` : 'no findings';
    return { ...base, result: blocking ? 'FAIL' : 'PASS', message, findings };
  }
  // Batched CheckAccessNotGranted: FAIL when any batch fails; the reasons of all batches together.
  const fail = responses.find((r) => r.result === 'FAIL');
  const chosen = fail ?? responses[0];
  const reasons = responses.filter((r) => r.result === 'FAIL').flatMap((r) => reasonsOf(q, r));
  const message = String(chosen.message ?? (fail ? 'FAIL' : 'PASS'));
  // A FAIL without reasons still needs a place in the file: the document itself.
  if (fail && reasons.length === 0) reasons.push({ description: message, location: locateStatement(q.document, undefined, q.verbatim) });
  return { ...base, result: fail ? 'FAIL' : 'PASS', message, ...(reasons.length ? { reasons } : {}) };
}

function serviceOf(action: string): string {
  return action.slice(0, Math.max(0, action.indexOf(':'))).toLowerCase();
}

/** Attach what the gate's CloudTrail data shows for the same principal (and service) to each unused-access finding. */
function withCloudTrail(arn: string, run: AnalyzerRun, usage?: UsageSummary): AccessAnalyzerCheck['unused'] {
  const lookup = run.unused.get(arn);
  const records = usage?.records.filter((r) => r.principal === arn) ?? [];
  return (lookup?.details ?? []).map((d) => {
    if (!usage) return d;
    const relevant = d.kind === 'UnusedPermission' ? records.filter((r) => serviceOf(r.action) === (d.service ?? '').toLowerCase()) : records;
    const calls = relevant.reduce((n, r) => n + r.count, 0);
    const lastSeen = relevant.map((r) => r.lastSeen).sort().at(-1);
    return { ...d, cloudTrail: { calls, ...(lastSeen ? { lastSeen } : {}) } };
  });
}

export function collectAnswers(plan: AnalyzerPlan, run: AnalyzerRun, usage?: UsageSummary): AnalyzerOutcome {
  const bySubject: Record<string, AccessAnalyzerCheck[]> = {};
  const errors = new Map<string, AnalyzerError>();
  const add = (subject: string, c: AccessAnalyzerCheck) => (bySubject[subject] ??= []).push(c);
  for (const q of plan.questions) add(q.subject, answer(q, run, errors));

  for (const s of plan.unusedAccess?.subjects ?? []) {
    const lookup = run.unused.get(s.arn!);
    const base = { check: 'UnusedAccess' as const, document: s.id };
    if (!lookup || !lookup.ok) {
      const error = lookup?.error ?? { kind: 'other' as const, message: 'the unused-access lookup was not made' };
      errors.set(`${error.kind}|${error.action ?? ''}`, error);
      add(s.id, { ...base, result: 'not-run', message: error.message });
      continue;
    }
    const unused = withCloudTrail(s.arn!, run, usage) ?? [];
    const services = unused.filter((d) => d.kind === 'UnusedPermission').length;
    const role = unused.some((d) => d.kind === 'UnusedIAMRole');
    const message = unused.length === 0 ? 'no active unused-access findings' : [role ? 'the principal is unused' : '', services ? `${services} service(s) with unused permissions` : ''].filter(Boolean).join('; ') || `${unused.length} unused-access finding(s)`;
    add(s.id, { ...base, result: unused.length ? 'FAIL' : 'PASS', message, unused });
  }

  const keys = plan.questions.reduce((n, q) => n + q.calls.length, 0);
  const list = [...errors.values()];
  const answered = Object.values(bySubject).flat();
  const fails = answered.filter((c) => c.result === 'FAIL').length;
  const notRun = answered.filter((c) => c.result === 'not-run').length;
  const detail = `${run.callsMade} call(s) for ${answered.length} question(s)${keys > plan.calls.size ? `, ${keys - plan.calls.size} answered by an identical call` : ''}; ${fails} FAIL${notRun ? `; ${notRun} not answered: ${list.map((e) => e.message).join('; ')}` : ''}`;
  return { status: notRun ? 'not-run' : 'ran', detail: detail.slice(0, 600), bySubject, errors: list, callsMade: run.callsMade, deduplicated: keys - plan.calls.size };
}
