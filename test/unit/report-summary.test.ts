import { renderConsoleSummary } from '../../src/report/summary.js';
import { basicReport, cleanReport, hostileReport } from '../../fixtures/report/reports.js';

describe('renderConsoleSummary', () => {
  test('gives the verdict, the metrics, the reasons and where the files are', () => {
    const text = renderConsoleSummary(basicReport, { diffMd: 'out/diff.md', sarif: 'out/gate.sarif', reportJson: 'out/report.json' });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('IAM policy gate FAILED: new access for 1 of 2 principals');
    expect(text).toContain('allowed actions 55 -> 62 (+4, -2); resource concreteness 82% -> 64%');
    expect(text).toContain('predicted AccessDenied: 1 action, 1,180 calls; fixed: 1 action, 17 denials');
    expect(text).toContain('  - high-risk-added (fail): ');
    expect(text).toContain('[iam/app-worker.json:14]');
    expect(text).toContain('findings: 4 (1 critical, 1 high, 1 medium, 1 info)');
    expect(text).toContain('checks skipped or not run: access-analyzer (skipped: no AWS credentials)');
    expect(lines.at(-1)).toBe('  wrote diff.md: out/diff.md, SARIF: out/gate.sarif, report: out/report.json');
    expect(lines.length).toBeLessThanOrEqual(15);
  });

  test('a clean pass is short and says the replay did not run', () => {
    const text = renderConsoleSummary(cleanReport);
    expect(text.split('\n')[0]).toBe('IAM policy gate PASSED: no new access');
    expect(text).toContain('AccessDenied replay: not run (no CloudTrail data)');
    expect(text).toContain('findings: 0\n');
  });

  test('input cannot send terminal control sequences or break lines', () => {
    const text = renderConsoleSummary(hostileReport());
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
    for (const line of text.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(700);
  });
});
