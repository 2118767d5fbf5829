import type { Report } from '../../src/model.js';
import { renderReportJson } from '../../src/report/json.js';
import { basicReport, cleanReport, hostileReport, hugeReport } from '../../fixtures/report/reports.js';
import { errorsText, reportValidator } from '../../fixtures/report/validators.js';

const validate = reportValidator();

function expectValid(value: unknown): void {
  const ok = validate(value);
  expect(errorsText(validate.errors)).toBe('');
  expect(ok).toBe(true);
}

describe('renderReportJson', () => {
  test.each([
    ['basic', basicReport],
    ['clean', cleanReport],
    ['hostile', hostileReport()],
    ['huge', hugeReport(5, 50)],
  ])('the %s report round-trips and matches schemas/report.schema.json', (_name, report) => {
    const text = renderReportJson(report as Report);
    expect(text.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(text) as unknown;
    expectValid(parsed);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(report)));
  });

  test('top-level keys come in a fixed order, whatever the object had', () => {
    const reordered = Object.fromEntries(Object.entries(basicReport).reverse()) as unknown as Report;
    const keys = Object.keys(JSON.parse(renderReportJson(reordered)) as object);
    expect(keys).toEqual(['schemaVersion', 'tool', 'generatedAt', 'verdict', 'change', 'totals', 'subjects', 'findings', 'checks', 'usage']);
    expect(renderReportJson(reordered)).toBe(renderReportJson(basicReport));
  });

  test('evidence and category maps have sorted keys, so equal reports give equal bytes', () => {
    const a: Report = structuredClone(cleanReport);
    a.findings = [{ ruleId: 'r', severity: 'low', message: 'm', identity: 'i', evidence: { zeta: 1, alpha: { y: 2, b: 1 } } }];
    a.totals.risk.byCategoryAdded = { 'resource-exposure': 1, 'data-access': 2 };
    const text = renderReportJson(a);
    expect(text.indexOf('"alpha"')).toBeLessThan(text.indexOf('"zeta"'));
    expect(text.indexOf('"b"')).toBeLessThan(text.indexOf('"y"'));
    expect(text.indexOf('"data-access"')).toBeLessThan(text.indexOf('"resource-exposure"'));
  });

  test('never throws on values JSON cannot hold', () => {
    const evidence: Record<string, unknown> = { big: 10n, fn: () => 1, nan: Number.NaN, when: new Date('2026-01-02T00:00:00Z'), undef: undefined };
    evidence.self = evidence;
    const report: Report = { ...cleanReport, findings: [{ ruleId: 'r', severity: 'info', message: 'm', identity: 'i', evidence }] };
    const parsed = JSON.parse(renderReportJson(report)) as { findings: Array<{ evidence: Record<string, unknown> }> };
    expect(parsed.findings[0].evidence).toEqual({ big: '10', nan: null, self: '[circular]', when: '2026-01-02T00:00:00.000Z' });
  });

  test('drops unknown top-level keys', () => {
    const extra = { ...basicReport, secret: 'x' } as unknown as Report;
    expect(JSON.parse(renderReportJson(extra))).not.toHaveProperty('secret');
  });
});

describe('schemas/report.schema.json', () => {
  const valid = (): Record<string, unknown> => JSON.parse(renderReportJson(basicReport)) as Record<string, unknown>;

  test('forbids unknown top-level properties', () => {
    expect(validate({ ...valid(), extra: true })).toBe(false);
  });

  test.each([
    ['schemaVersion', (r: any) => void (r.schemaVersion = '2.0')],
    ['verdict status', (r: any) => void (r.verdict.status = 'maybe')],
    ['severity', (r: any) => void (r.findings[0].severity = 'urgent')],
    ['missing identity', (r: any) => void delete r.findings[0].identity],
    ['access level', (r: any) => void (r.subjects[0].delta.added[0].accessLevel = 'Admin')],
    ['risk category key', (r: any) => void (r.totals.risk.byCategoryAdded = { lolcat: 1 })],
    ['ratio above 1', (r: any) => void (r.totals.concreteness.head.ratio = 1.5)],
    ['negative count', (r: any) => void (r.totals.actions.added = -1)],
    ['line 0', (r: any) => void (r.findings[0].location.line = 0)],
    ['unknown subject field', (r: any) => void (r.subjects[0].extra = 1)],
    ['replay decision', (r: any) => void (r.subjects[0].replay.predicted[0].head = 'deny')],
    ['usage source kind', (r: any) => void (r.usage.sources[0].kind = 'ftp')],
    ['check status', (r: any) => void (r.checks[0].status = 'done')],
    ['generatedAt format', (r: any) => void (r.generatedAt = 'yesterday')],
  ])('rejects a bad %s', (_name, mutate) => {
    const report = valid();
    mutate(report);
    expect(validate(report)).toBe(false);
  });

  test('accepts a report without usage and with a null ratio', () => {
    const report = valid();
    delete report.usage;
    (report.totals as any).concreteness.base.ratio = null;
    expectValid(report);
  });
});
