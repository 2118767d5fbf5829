import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MARKER, renderDiffMd, safeMarker } from '../../src/report/diff-md.js';
import { cellSeparators } from '../../src/report/markdown.js';
import type { Report } from '../../src/model.js';
import { basicReport, cleanReport, hostileReport, hugeReport } from '../../fixtures/report/reports.js';
import { repoRoot } from '../../fixtures/report/validators.js';

const LINK_BASE = 'https://github.com/acme/infra/blob/5d6e7f8/';

/** Every table: a header, a delimiter row, and rows with as many cell-splitting pipes as the header. */
function tableProblems(md: string): string[] {
  const problems: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('|') || (i > 0 && lines[i - 1].startsWith('|'))) continue;
    const width = cellSeparators(lines[i]);
    if (!/^\|( --- \|)+$/.test(lines[i + 1] ?? '')) problems.push(`line ${i + 2}: no delimiter row`);
    for (let j = i + 1; j < lines.length && lines[j].startsWith('|'); j++) {
      if (cellSeparators(lines[j]) !== width || !lines[j].endsWith(' |')) problems.push(`line ${j + 1}: ${cellSeparators(lines[j])} pipes, header has ${width}`);
    }
    if (i > 0 && lines[i - 1] !== '') problems.push(`line ${i + 1}: table not preceded by a blank line`);
  }
  return problems;
}

function count(md: string, needle: string): number {
  return md.split(needle).length - 1;
}

function expectWellFormed(md: string): void {
  expect(tableProblems(md)).toEqual([]);
  expect(count(md, '<details>')).toBe(count(md, '</details>'));
  expect(count(md, '<summary>')).toBe(count(md, '</summary>'));
}

describe('renderDiffMd: public access and waivers in the metrics', () => {
  test('new and existing public or cross-account grants get a row; waived new access is said', () => {
    const finding = (ruleId: string, waived = false) => ({ ruleId, severity: 'high' as const, message: ruleId, identity: ruleId + String(Math.random()), ...(waived ? { evidence: { waiver: { reason: 'ok' } } } : {}) });
    const withPublic: Report = { ...basicReport, findings: [...basicReport.findings, finding('public-access'), finding('public-access-existing'), finding('public-access-existing')] };
    expect(renderDiffMd(withPublic, {})).toContain('| public or cross-account grants | **1 new statement**, 2 statements already in base |');
    const onlyExisting: Report = { ...basicReport, findings: [...basicReport.findings, finding('public-access-existing')] };
    expect(renderDiffMd(onlyExisting, {})).toContain('| public or cross-account grants | 1 statement already in base |');
    const waived: Report = { ...basicReport, totals: { ...basicReport.totals, newAccess: 2 }, findings: [...basicReport.findings.filter((f) => f.ruleId !== 'new-access'), finding('new-access', true), finding('new-access')] };
    expect(renderDiffMd(waived, {})).toContain('| new access | **2 items** (1 waived) |');
    const allWaived: Report = { ...basicReport, totals: { ...basicReport.totals, newAccess: 1 }, findings: [...basicReport.findings.filter((f) => f.ruleId !== 'new-access'), finding('new-access', true)] };
    expect(renderDiffMd(allWaived, {})).toContain('| new access | 1 item (all waived) |');
  });
});

describe('renderDiffMd: the basic report', () => {
  const md = renderDiffMd(basicReport, { linkBase: LINK_BASE });
  const lines = md.split('\n');

  test('starts with the marker and the verdict', () => {
    expect(lines[0]).toBe(DEFAULT_MARKER);
    expect(lines[2]).toBe('### ❌ IAM policy gate failed: new access for 1 of 2 principals');
  });

  test('has the metrics in one table', () => {
    expect(md).toContain('| allowed actions | 55 → 62 (**+4**, −2) |');
    expect(md).toContain('| resource concreteness | 82% → 64% (**−18 pp**) |');
    expect(md).toContain('| predicted AccessDenied | **1 action, 1,180 calls in 90 days** |');
    expect(md).toContain('| fixed AccessDenied | 1 action, 17 denials |');
    expect(md).toContain('| high-risk grants | **+1** (1 privilege escalation), −2 (1 credentials exposure, 1 resource exposure) |');
  });

  test('categories that add up to more than the grants (an action in two) say so', () => {
    const overlap: Report = { ...basicReport, totals: { ...basicReport.totals, risk: { added: 1, removed: 2, byCategoryAdded: { 'privilege-escalation': 1, 'permissions-management': 1 }, byCategoryRemoved: { 'credentials-exposure': 1, 'resource-exposure': 1 } } } };
    expect(renderDiffMd(overlap, { linkBase: LINK_BASE })).toContain('| high-risk grants | **+1** (1 permissions management, 1 privilege escalation; a grant can be in more than one), −2 (1 credentials exposure, 1 resource exposure) |');
  });

  test('lists the reasons, failing rules first, with links', () => {
    const why = lines.slice(lines.indexOf('**Why**') + 1, lines.indexOf('**Why**') + 4);
    // New access first (the reading order of decide()), then the other failing rules.
    expect(why[0]).toMatch(/^- `new-access` \(fail\): /);
    expect(why[1]).toMatch(/^- `high-risk-added` \(fail\): /);
    expect(why[2]).toMatch(/^- `access-denied-predicted` \(warn\): .* — \[iam\/app-worker\.json:30\]\(https:\/\/github\.com\/acme\/infra\/blob\/5d6e7f8\/iam\/app-worker\.json#L30\)$/);
  });

  test('folds one block per subject with actions, concreteness, new access and AccessDenied', () => {
    expect(md).toContain(
      '<details><summary><code>arn:aws:iam::123456789012:role/app-worker</code>: +4 −2 actions, concreteness 81% → 62%, 2 new access items, 1 predicted AccessDenied</summary>',
    );
    expect(md).toContain('| `iam` | Write | `PassRole` |   |');
    expect(md).toContain('| `lambda` | Read | `GetFunction` (conditional) |   |');
    expect(md).toContain('| `s3` | Write |   | `DeleteObject`, `PutObject` |');
    expect(md).toContain('| base | 12 | 30 | 10 | 4 | 81% |');
    expect(md).toMatch(/\| \*\*new\*\* \| `iam:PassRole` \| `\*` \|   \| \[iam\/app-worker\.json:14\]\(.*#L14\) \| no base statement allows iam:PassRole \|/);
    expect(md).toContain('| **predicted** | `s3:PutObject` | `arn:aws:s3:::acme-reports/daily/2026-11-22.csv` | 1,180 | 2026-11-22 | allow | **deny** |');
    expect(md).toContain('| fixed | `dynamodb:Query` | `arn:aws:dynamodb:us-east-1:123456789012:table/orders` | 17 denied | 2026-11-20 | deny | allow |');
    expect(md).toContain('Undecided: 1 action (42 calls) could not be decided from the logs.');
    expect(md).toContain('- not checked: Access Analyzer: no AWS credentials');
  });

  test('has a high-risk reductions block with removed and narrowed grants', () => {
    expect(md).toContain('<details><summary>High-risk reductions (2)</summary>');
    expect(md).toContain('| narrowed | `iam:CreateAccessKey` | credentials exposure, privilege escalation | `*` → `arn:aws:iam::123456789012:user/ci` |');
    expect(md).toContain('| removed | `s3:PutBucketPolicy` | resource exposure | `arn:aws:s3:::acme-reports` |');
  });

  test('groups findings by rule, most severe first, and marks waivers', () => {
    const order = ['high-risk-added', 'new-access', 'access-denied-predicted', 'access-analyzer-unavailable'].map((r) => md.indexOf(`**Findings: \`${r}\`**`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual(order.slice().sort((a, b) => a - b));
    expect(md).toContain('(waived: Accepted until the OIDC role exists, expires 2027-01-31)');
  });

  test('ends with the checks line and the tool line', () => {
    expect(lines.at(-3)).toBe(
      'Checks: `policy-parse` ran · `local-no-new-access` ran · `access-analyzer` skipped (no AWS credentials) · `cloudtrail` ran · ' +
        'CloudTrail: 2 sources (1 partial or failed), 48,211 events, 2026-08-25 to 2026-11-23, 3 unmapped event names, **incomplete**',
    );
    expect(lines.at(-1)).toMatch(/^<sub>iam-policy-gate .* · IAM catalog .* \(17,890 actions\) · .*<\/sub>$/);
  });

  test('is well formed and within the budget', () => {
    expectWellFormed(md);
    expect(md.length).toBeLessThan(60_000);
    expect(md).not.toContain('[!NOTE]');
  });

  test('matches the reviewed golden file', () => {
    const golden = join(repoRoot, 'fixtures', 'report', 'basic.diff.md');
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, md);
    expect(md).toBe(readFileSync(golden, 'utf8'));
  });
});

describe('renderDiffMd: options and edge cases', () => {
  test('without a link base, locations are plain path:line', () => {
    const md = renderDiffMd(basicReport);
    expect(md).toContain('`iam/app-worker.json:14`');
    expect(md).not.toContain('](http');
  });

  test('a pass without usage or findings says what was not checked', () => {
    const md = renderDiffMd(cleanReport);
    expect(md.split('\n')[2]).toBe('### ✅ IAM policy gate passed: no new access');
    expect(md).toContain('| predicted AccessDenied | not checked (no CloudTrail data) |');
    expect(md).not.toContain('**Why**');
    expect(md).toContain('Checks: `cloudtrail` skipped (no sources configured)');
    expectWellFormed(md);
  });

  test('warn status heading', () => {
    const report: Report = { ...cleanReport, verdict: { status: 'warn', headline: 'predicted AccessDenied', reasons: [] } };
    expect(renderDiffMd(report)).toContain('### ⚠️ IAM policy gate passed with warnings: predicted AccessDenied');
  });

  test('the marker is always one well-formed HTML comment', () => {
    expect(safeMarker('<!-- iam-policy-gate: workflow=iam job=gate -->')).toBe('<!-- iam-policy-gate: workflow=iam job=gate -->');
    expect(safeMarker('x --> <img src=x onerror=alert(1)> <!--')).toBe('<!-- x – img src=x onerror=alert(1) – -->');
    expect(safeMarker('a\nb')).toBe('<!-- a b -->');
    expect(safeMarker('')).toBe('<!-- iam-policy-gate -->');
    expect(renderDiffMd(cleanReport, { marker: '<!-- m -->' }).split('\n')[0]).toBe('<!-- m -->');
  });

  test('output does not depend on the order of the input', () => {
    const shuffled: Report = structuredClone(basicReport);
    shuffled.subjects.reverse();
    shuffled.findings.reverse();
    shuffled.verdict.reasons.reverse();
    for (const s of shuffled.subjects) {
      s.delta.added.reverse();
      s.newAccess.reverse();
      s.risk.removed.reverse();
    }
    expect(renderDiffMd(shuffled, { linkBase: LINK_BASE })).toBe(renderDiffMd(basicReport, { linkBase: LINK_BASE }));
  });
});

describe('renderDiffMd: hostile input', () => {
  const md = renderDiffMd(hostileReport(), { linkBase: LINK_BASE });

  test('no HTML, link, image, mention or reference survives', () => {
    // Code spans show their content literally; everything else must be inert.
    const outsideCode = md.replace(/(`+)[\s\S]*?\1/g, '');
    expect(outsideCode).not.toMatch(/<(img|script)/i);
    expect(md).not.toMatch(/<\/details><details open>/);
    expect(md).not.toMatch(/<summary>fake/);
    expect(outsideCode).not.toMatch(/\]\(https?:\/\/evil/);
    expect(outsideCode).not.toMatch(/https?:\/\/evil/);
    expect(outsideCode).not.toMatch(/www\.evil/);
    expect(outsideCode).not.toMatch(/(^|[^\w])@(octocat|org)/);
    expect(outsideCode).not.toMatch(/#(123|7)\b/);
    expect(md).not.toMatch(/\u001b|\u0007|\u202E/);
    // Only our own HTML comment.
    expect(count(md, '<!--')).toBe(1);
  });

  test('every table keeps its shape and every block closes', () => {
    expectWellFormed(md);
  });

  test('only the marker line and our own markup start lines', () => {
    const lines = md.split('\n');
    expect(lines.filter((line) => /^#{1,6} /.test(line))).toEqual([lines[2]]);
    for (const line of lines) expect(line).not.toMatch(/^(- item|# heading|line two)/);
  });
});

describe('renderDiffMd: the size budget', () => {
  const huge = hugeReport();

  test.each([60_000, 20_000, 8_000, 3_000])('a huge report stays within %i characters and well formed', (maxChars) => {
    const md = renderDiffMd(huge, { maxChars, linkBase: LINK_BASE });
    expect(md.length).toBeLessThanOrEqual(maxChars);
    expectWellFormed(md);
    expect(md.split('\n')[0]).toBe(DEFAULT_MARKER);
    expect(md).toContain('### ❌ IAM policy gate failed');
    expect(md).toContain('[!NOTE]');
    expect(md).toContain('The full report is in report.json and in the job summary.');
    expect(md).toMatch(/\nChecks: /);
  });

  test('the default budget is 60,000 and blocks are shortened, not cut', () => {
    const md = renderDiffMd(huge);
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md.length).toBeGreaterThan(45_000);
    expect(md).toMatch(/\| … \d+ more rows \|/);
    expect(md).toMatch(/left out \d+ detail sections/);
    expect(md).toMatch(/shortened the lists in/);
    // The base/head concreteness pair is never split.
    expect(md).not.toMatch(/\| base \|[^\n]*\n\| … /);
  });

  test('thousands of actions in one subject: the block is shortened to fit', () => {
    const one = hugeReport(1, 5000);
    one.findings = [];
    const md = renderDiffMd(one);
    expect(md.length).toBeLessThanOrEqual(60_000);
    expectWellFormed(md);
    expect(md).toContain('<details><summary><code>arn:aws:iam::123456789012:role/role-0</code>');
    expect(md).toMatch(/… \+\d+ more/);
  });

  test('a budget too small for the header keeps whole lines from the top', () => {
    const md = renderDiffMd(huge, { maxChars: 400 });
    expect(md.length).toBeLessThanOrEqual(400);
    expect(md.split('\n')[0]).toBe(DEFAULT_MARKER);
  });

  test('many reasons are listed up to a limit', () => {
    const report: Report = structuredClone(basicReport);
    report.verdict.reasons = Array.from({ length: 100 }, (_, i) => ({ ruleId: `rule-${String(i).padStart(3, '0')}`, action: 'fail' as const, message: `reason ${i}`, count: 1 }));
    const md = renderDiffMd(report);
    expect(count(md, '\n- `rule-')).toBe(30);
    expect(md).toContain('- … 70 more reasons in the findings below and in report.json');
  });

  test('is fast enough for very large reports', () => {
    const big = hugeReport(300, 300);
    const start = Date.now();
    const md = renderDiffMd(big);
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(md.length).toBeLessThanOrEqual(60_000);
    expectWellFormed(md);
  });
});

describe('renderDiffMd: long action lists', () => {
  test('a cell lists the first actions of a service and counts the rest', () => {
    const report = structuredClone(basicReport);
    const actions = Array.from({ length: 100 }, (_, i) => `ec2:Action${String(i).padStart(3, '0')}`);
    report.subjects[0].delta.added = [{ actions, accessLevel: 'Write', resources: ['*'], conditional: false, locations: [] }];
    report.subjects[0].delta.addedCount = 100;
    const md = renderDiffMd(report);
    const row = md.split('\n').find((l) => l.startsWith('| `ec2` |'))!;
    expect(row).toContain('`Action039`');
    expect(row).not.toContain('`Action040`');
    expect(row).toContain('… 60 more');
  });
});
