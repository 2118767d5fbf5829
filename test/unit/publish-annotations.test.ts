import { basicReport, finding, loc } from '../../fixtures/report/reports.js';
import type { Report } from '../../src/model.js';
import { ANNOTATION_BUDGET, pickAnnotations } from '../../src/publish/annotations.js';

function manyFindings(fails: number, warns: number): Report {
  const r: Report = structuredClone(basicReport);
  r.verdict.reasons = [
    { ruleId: 'new-access', action: 'fail', message: 'm', count: fails },
    { ruleId: 'access-denied-predicted', action: 'warn', message: 'm', count: warns },
  ];
  r.findings = [
    ...Array.from({ length: fails }, (_, i) => finding('new-access', i % 2 ? 'medium' : 'high', `new ${i}`, `n${i}`, loc(`iam/f${i % 3}.json`, i + 1))),
    ...Array.from({ length: warns }, (_, i) => finding('access-denied-predicted', 'critical', `denied ${i}`, `d${i}`, loc('iam/w.json', i + 1))),
    finding('off-rule', 'critical', 'not in the verdict', 'o'),
  ];
  return r;
}

describe('pickAnnotations', () => {
  test('failing rules become errors, warning rules warnings; off rules and waived findings none', () => {
    const { annotations, omitted } = pickAnnotations(basicReport);
    expect(omitted).toBe(0);
    expect(annotations.map((a) => [a.level, a.title])).toEqual([
      ['error', 'iam-policy-gate: high-risk-added (critical)'],
      ['error', 'iam-policy-gate: new-access (high)'],
      ['warning', 'iam-policy-gate: access-denied-predicted (medium)'],
    ]);
    expect(annotations[1]).toMatchObject({ file: 'iam/app-worker.json', startLine: 14, endLine: 14, startColumn: 7, endColumn: 27 });
  });

  test('within GitHub\'s per-step limits, most severe first, with one notice for the rest', () => {
    const { annotations, omitted } = pickAnnotations(manyFindings(30, 20));
    const count = (level: string) => annotations.filter((a) => a.level === level).length;
    expect(count('error')).toBe(ANNOTATION_BUDGET.error);
    expect(count('warning')).toBe(ANNOTATION_BUDGET.warning);
    expect(count('notice')).toBe(1);
    expect(ANNOTATION_BUDGET.error).toBeLessThan(10);
    expect(omitted).toBe(30 + 20 - ANNOTATION_BUDGET.error - ANNOTATION_BUDGET.warning);
    expect(annotations.filter((a) => a.level === 'error').every((a) => a.title.endsWith('(high)'))).toBe(true);
    expect(annotations.at(-1)!.message).toMatch(new RegExp(`^${omitted} more finding`));
  });

  test('columns only on one-line ranges; paths that climb out are dropped, messages are plain', () => {
    const r: Report = structuredClone(basicReport);
    r.findings = [
      finding('new-access', 'high', 'two\nlines \u001b[31m', 'a', { file: 'iam/a.json', line: 3, column: 2, endLine: 9, endColumn: 4 }),
      finding('new-access', 'high', 'outside', 'b', { file: '../etc/passwd', line: 1, column: 1 }),
    ];
    const list = pickAnnotations(r).annotations;
    const a = list.find((x) => x.message.startsWith('two'))!;
    const b = list.find((x) => x.message === 'outside')!;
    expect(a).toMatchObject({ file: 'iam/a.json', startLine: 3, endLine: 9, message: 'two lines ' });
    expect(a.startColumn).toBeUndefined();
    expect(b.file).toBeUndefined();
  });
});
