import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../src/model.js';
import { FINGERPRINT_KEY, MAX_RESULTS, fingerprint, renderSarif, type RuleInfo } from '../../src/report/sarif.js';
import { basicReport, cleanReport, finding, hostileReport, loc } from '../../fixtures/report/reports.js';
import { errorsText, hasShared, repoRoot, sarifValidator, sharedSarifSchema } from '../../fixtures/report/validators.js';

const RULES: RuleInfo[] = [
  {
    id: 'new-access',
    name: 'NewAccess',
    shortDescription: 'A policy change grants access the base branch did not.',
    help: 'The head policy allows an action on a resource that no base statement allows. Narrow the statement or justify the access.',
    severity: 'high',
    securitySeverity: 8.8,
    defaultAction: 'fail',
  },
  {
    id: 'high-risk-added',
    name: 'HighRiskAdded',
    shortDescription: 'A privilege-escalation or exposure action is newly granted.',
    help: 'The change adds a high-risk permission such as iam:PassRole on "*".',
    severity: 'critical',
    securitySeverity: 9.5,
    defaultAction: 'fail',
  },
  {
    id: 'access-denied-predicted',
    name: 'AccessDeniedPredicted',
    shortDescription: 'A permission in use is removed.',
    help: 'CloudTrail shows calls that the head policy would deny.',
    severity: 'medium',
    securitySeverity: 4.0,
    defaultAction: 'warn',
  },
];
const OPTS = { automationId: 'iam-policy-gate/', toolVersion: '0.1.0', informationUri: 'https://github.com/acme/iam-policy-gate' };

const validate = sarifValidator();

function expectValid(log: unknown): void {
  const ok = validate(log);
  expect(errorsText(validate.errors)).toBe('');
  expect(ok).toBe(true);
}

describe('renderSarif: shape', () => {
  const log = renderSarif(basicReport, RULES, OPTS);
  const run = log.runs[0];

  test('is valid against the official SARIF 2.1.0 schema (copy in schemas/)', () => {
    expectValid(log);
    expectValid(renderSarif(cleanReport, RULES, OPTS));
    expectValid(renderSarif(hostileReport(), RULES, OPTS));
    expectValid(renderSarif(basicReport, [], { automationId: 'x', toolVersion: 'dev build' }));
  });

  (hasShared ? test : test.skip)('the copy in schemas/ is the shared reference schema, unchanged', () => {
    expect(readFileSync(join(repoRoot, 'schemas', 'sarif-schema-2.1.0.json'), 'utf8')).toBe(readFileSync(sharedSarifSchema, 'utf8'));
    const fromShared = sarifValidator(sharedSarifSchema);
    expect(fromShared(log)).toBe(true);
  });

  test('has one run, the tool, schema and category', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0\.json$/);
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver.name).toBe('iam-policy-gate');
    expect(run.tool.driver.version).toBe('0.1.0');
    expect(run.tool.driver.semanticVersion).toBe('0.1.0');
    expect(run.tool.driver.informationUri).toBe('https://github.com/acme/iam-policy-gate');
    expect(run.automationDetails?.id).toBe('iam-policy-gate/');
    expect(renderSarif(basicReport, RULES, { ...OPTS, automationId: 'gate' }).runs[0].automationDetails?.id).toBe('gate/');
  });

  test('describes every rule the way GitHub reads it', () => {
    const rule = run.tool.driver.rules!.find((r) => r.id === 'new-access')!;
    expect(rule.name).toBe('NewAccess');
    expect(rule.shortDescription?.text).toBe(RULES[0].shortDescription);
    expect(rule.fullDescription?.text).toBe(RULES[0].help);
    expect(rule.help?.text).toBe(RULES[0].help);
    expect(rule.help?.markdown).toContain(RULES[0].help);
    expect(rule.defaultConfiguration?.level).toBe('error');
    expect(rule.properties?.['security-severity']).toBe('8.8');
    expect(rule.properties?.tags).toContain('security');
    for (const r of run.tool.driver.rules!) {
      expect(Number.isFinite(Number(r.properties?.['security-severity']))).toBe(true);
      expect((r.properties?.tags as string[]).length).toBeLessThanOrEqual(20);
      expect(r.name!.length).toBeLessThanOrEqual(255);
      expect(r.name).not.toBe(r.id);
      expect(r.shortDescription!.text.length).toBeLessThanOrEqual(1024);
      expect(r.fullDescription!.text.length).toBeLessThanOrEqual(1024);
    }
  });

  test('adds an ad-hoc rule for unknown rule ids, so ruleIndex always resolves', () => {
    const rules = run.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(['new-access', 'high-risk-added', 'access-denied-predicted', 'access-analyzer-unavailable']);
    const adHoc = rules[3];
    expect(adHoc.name).toBe('AccessAnalyzerUnavailable');
    expect(adHoc.properties?.['security-severity']).toBe('0.5');
    for (const result of run.results!) expect(rules[result.ruleIndex!].id).toBe(result.ruleId);
  });

  test('results: level, message, one repo-relative location, fingerprints', () => {
    const byRule = new Map(run.results!.map((r) => [r.ruleId, r]));
    const newAccess = byRule.get('new-access')!;
    expect(newAccess.level).toBe('error');
    expect(byRule.get('access-denied-predicted')!.level).toBe('warning');
    expect(newAccess.message.text).toBe("role/app-worker gains 'iam:PassRole' on '*'.");
    expect(newAccess.locations).toHaveLength(1);
    expect(newAccess.locations![0].physicalLocation).toEqual({
      artifactLocation: { uri: 'iam/app-worker.json', uriBaseId: '%SRCROOT%' },
      region: { startLine: 14, startColumn: 7, endLine: 14, endColumn: 27 },
    });
    expect(newAccess.partialFingerprints![FINGERPRINT_KEY]).toBe(fingerprint(basicReport.findings[0]));
    expect(newAccess.partialFingerprints!.primaryLocationLineHash).toBe(`${fingerprint(basicReport.findings[0]).slice(0, 16)}:1`);
    expect(run.originalUriBaseIds?.['%SRCROOT%']).toBeDefined();
    // Most severe first.
    expect(run.results!.map((r) => r.ruleId)).toEqual(['high-risk-added', 'new-access', 'access-denied-predicted', 'access-analyzer-unavailable']);
  });

  test('a finding without a location goes to its subject policy file, else the config file, line 1', () => {
    const result = run.results!.find((r) => r.ruleId === 'access-analyzer-unavailable')!;
    expect(result.locations![0].physicalLocation?.artifactLocation?.uri).toBe('buckets/acme-logs.bucket-policy.json');
    expect(result.locations![0].physicalLocation?.region?.startLine).toBe(1);
    expect(result.properties?.locationInferred).toBe(true);
    const orphan: Report = { ...cleanReport, findings: [finding('catalog-stale', 'low', 'catalog is old', 'catalog-stale')] };
    const loose = renderSarif(orphan, RULES, OPTS).runs[0].results![0];
    expect(loose.locations![0].physicalLocation?.artifactLocation?.uri).toBe('.iam-policy-gate.yml');
    const custom = renderSarif(orphan, RULES, { ...OPTS, configPath: 'ci/gate.yml' }).runs[0].results![0];
    expect(custom.locations![0].physicalLocation?.artifactLocation?.uri).toBe('ci/gate.yml');
  });

  test('absolute, climbing and backslash paths never reach the log', () => {
    const report: Report = {
      ...cleanReport,
      findings: [
        finding('new-access', 'high', 'a', 'a', loc('/etc/passwd', 3)),
        finding('new-access', 'high', 'b', 'b', loc('../outside.json', 3)),
        finding('new-access', 'high', 'c', 'c', loc('.\\iam\\x.json', 3)),
      ],
    };
    const uris = renderSarif(report, RULES, OPTS).runs[0].results!.map((r) => r.locations![0].physicalLocation!.artifactLocation!.uri);
    expect(uris.sort()).toEqual(['.iam-policy-gate.yml', '.iam-policy-gate.yml', 'iam/x.json']);
  });

  test('a waiver becomes an external, accepted suppression', () => {
    const result = run.results!.find((r) => r.ruleId === 'access-analyzer-unavailable')!;
    expect(result.suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'Accepted until the OIDC role exists (expires 2027-01-31)', properties: { expires: '2027-01-31' } },
    ]);
    expect(run.results!.find((r) => r.ruleId === 'new-access')!.suppressions).toBeUndefined();
  });

  test('the configured rule action from the verdict overrides the catalogue default', () => {
    const report: Report = structuredClone(basicReport);
    report.verdict.reasons = [{ ruleId: 'new-access', action: 'warn', message: 'x', count: 1 }];
    expect(renderSarif(report, RULES, OPTS).runs[0].results!.find((r) => r.ruleId === 'new-access')!.level).toBe('warning');
  });

  test('hostile text is plain in the message, with SARIF link brackets escaped', () => {
    const hostile = renderSarif(hostileReport(), RULES, OPTS).runs[0].results![0];
    expect(hostile.message.text).not.toMatch(/\u001b|\n/);
    expect(hostile.message.text).not.toMatch(/(^|[^\\])\[/);
    expect(hostile.message.text!.length).toBeLessThanOrEqual(2001);
  });

  test('matches the reviewed golden file', () => {
    const golden = join(repoRoot, 'fixtures', 'report', 'basic.sarif.json');
    const text = `${JSON.stringify(log, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});

describe('fingerprint', () => {
  test('is the sha256 of the identity', () => {
    const f = basicReport.findings[0];
    expect(fingerprint(f)).toBe(createHash('sha256').update(f.identity).digest('hex'));
    expect(fingerprint(f)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('survives the finding moving to another line or its message changing', () => {
    const before = finding('new-access', 'high', "gains 'iam:PassRole'", 'new-access|iam/a.json|role/a|iam:PassRole|*', loc('iam/a.json', 14));
    const after = { ...before, message: "now gains 'iam:PassRole' on '*'", location: loc('iam/a.json', 31, 3) };
    const fpBefore = renderSarif({ ...cleanReport, findings: [before] }, RULES, OPTS).runs[0].results![0].partialFingerprints;
    const fpAfter = renderSarif({ ...cleanReport, findings: [after] }, RULES, OPTS).runs[0].results![0].partialFingerprints;
    expect(fpAfter).toEqual(fpBefore);
    const other = renderSarif({ ...cleanReport, findings: [{ ...before, identity: 'new-access|iam/a.json|role/a|iam:PassRole|arn:x' }] }, RULES, OPTS);
    expect(other.runs[0].results![0].partialFingerprints).not.toEqual(fpBefore);
  });

  test('identical identities get distinct line hashes', () => {
    const twice = [finding('new-access', 'high', 'a', 'same', loc('a.json', 1)), finding('new-access', 'high', 'a', 'same', loc('a.json', 9))];
    const hashes = renderSarif({ ...cleanReport, findings: twice }, RULES, OPTS).runs[0].results!.map((r) => r.partialFingerprints!.primaryLocationLineHash);
    expect(new Set(hashes).size).toBe(2);
  });
});

describe("GitHub's ingestion limits", () => {
  test('results are capped at 25,000 per run, most severe kept, with a notification', () => {
    const findings = Array.from({ length: MAX_RESULTS + 50 }, (_, i) =>
      finding('new-access', i < 50 ? 'critical' : 'low', `finding ${i}`, `id-${i}`, loc(`iam/p${i % 10}.json`, 1 + (i % 500))),
    );
    const log = renderSarif({ ...cleanReport, findings }, RULES, OPTS);
    const run = log.runs[0];
    expect(run.results).toHaveLength(MAX_RESULTS);
    expect(run.results!.filter((r) => r.properties?.severity === 'critical')).toHaveLength(50);
    expect(run.invocations![0].toolExecutionNotifications![0].message.text).toContain('50 lower-priority results were left out');
    expect(run.properties?.omittedResults).toBe(50);
    expectValid(log);
    expect(Buffer.byteLength(JSON.stringify(log))).toBeLessThan(100 * 1024 * 1024);
  });

  test('every result has exactly one location and a bounded message; rule texts are clipped', () => {
    const long = 'x'.repeat(5000);
    const rules: RuleInfo[] = [{ ...RULES[0], name: long, shortDescription: long, help: long, securitySeverity: 42 }];
    const log = renderSarif({ ...cleanReport, findings: [finding('new-access', 'high', long, 'l', loc('a.json', 1))] }, rules, OPTS);
    const run = log.runs[0];
    const rule = run.tool.driver.rules![0];
    expect(rule.name!.length).toBeLessThanOrEqual(255);
    expect(rule.shortDescription!.text.length).toBeLessThanOrEqual(1024);
    expect(rule.fullDescription!.text.length).toBeLessThanOrEqual(1024);
    expect(rule.properties?.['security-severity']).toBe('10.0');
    expect(run.results![0].locations!.length).toBeLessThanOrEqual(10);
    expect(run.results![0].message.text!.length).toBeLessThanOrEqual(2001);
    expectValid(log);
  });

  test('required strings are never empty', () => {
    const rules: RuleInfo[] = [{ ...RULES[0], name: '', shortDescription: '', help: '' }];
    const log = renderSarif({ ...cleanReport, findings: [finding('new-access', 'high', '', 'e', loc('a.json', 1))] }, rules, OPTS);
    const run = log.runs[0];
    const rule = run.tool.driver.rules![0];
    for (const text of [rule.name, rule.shortDescription?.text, rule.fullDescription?.text, rule.help?.text, run.results![0].message.text]) {
      expect((text ?? '').trim().length).toBeGreaterThan(0);
    }
    expectValid(log);
  });
});

test('artifact URIs are percent-encoded per segment', () => {
  const report: Report = { ...cleanReport, findings: [finding('new-access', 'high', 'a', 'a', loc('iam/my policy|#1.json', 3))] };
  const log = renderSarif(report, RULES, OPTS);
  expect(log.runs[0].results![0].locations![0].physicalLocation!.artifactLocation!.uri).toBe('iam/my%20policy%7C%231.json');
  expectValid(log);
});
