import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import type { Waiver } from '../../src/config/types.js';
import type { ChangeSet, Finding } from '../../src/model.js';
import { runGate } from '../../src/pipeline.js';
import { renderDiffMd } from '../../src/report/diff-md.js';
import { fingerprint, renderSarif, withoutSuppressed } from '../../src/report/sarif.js';
import { rulesTable } from '../../src/review/rules-view.js';
import { applyWaivers, daysLeft } from '../../src/review/waivers.js';
import { widening } from '../../src/review/widening.js';
import { runCheck } from '../../src/run.js';
import { decide } from '../../src/verdict/decide.js';
import { RULES, resolveAction } from '../../src/verdict/rules.js';
import { errorsText, reportValidator, repoRoot, sarifValidator } from '../../fixtures/report/validators.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const ROLE = 'arn:aws:iam::123456789012:role/app';
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders';

function newAccess(actions: string[], resource = TABLE): Finding {
  return {
    ruleId: 'new-access',
    severity: 'high',
    subject: ROLE,
    location: { file: 'iam/roles/app/policy.json', line: 9, column: 5 },
    message: `${ROLE} gains ${actions.join(', ')} on ${resource}`,
    evidence: { actions, resource, certainty: 'new' },
    identity: `new-access|${ROLE}|${actions.join(',')}|${resource}`,
    origin: 'local',
  };
}

const waiver = (over: Partial<Waiver> = {}): Waiver => ({
  rule: 'new-access',
  subject: ROLE,
  actions: ['dynamodb:Query'],
  resources: [TABLE],
  reason: 'Order lookups need Query (OPS-142).',
  expires: '2027-02-28',
  line: 12,
  ...over,
});

const apply = (findings: Finding[], waivers: Waiver[], extra: Partial<Parameters<typeof applyWaivers>[0]> = {}) =>
  applyWaivers({ findings, waivers, configFile: '.iam-policy-gate.yml', scope: { files: ['iam/roles/app/policy.json'], subjects: [ROLE] }, now: NOW, warnDays: 7, ...extra });

describe('waivers: narrow by construction', () => {
  test('a waiver covers exactly its actions and resources; the finding stays, marked, and no longer counts', () => {
    const r = apply([newAccess(['dynamodb:Query'])], [waiver()]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0].evidence?.waiver).toEqual({ reason: 'Order lookups need Query (OPS-142).', expires: '2027-02-28', file: '.iam-policy-gate.yml', line: 12 });
    expect(r.waivers[0]).toMatchObject({ status: 'applied', covered: [fingerprint(newAccess(['dynamodb:Query']))], expandedActions: ['dynamodb:Query'], expandedCount: 1, wildcard: false });
    expect(decide(r.findings, {}, 1).status).toBe('pass');
  });

  test('a waived action plus a new one still fails, and says what the waiver does not cover', () => {
    const r = apply([newAccess(['dynamodb:Query', 'dynamodb:Scan'])], [waiver()]);
    expect(r.findings[0].evidence?.waiver).toBeUndefined();
    expect(r.findings[0].message).toMatch(/the waiver at \.iam-policy-gate\.yml:12 does not cover dynamodb:Scan/);
    expect(decide(r.findings, {}, 1).status).toBe('fail');
    expect(r.waivers[0].status).toBe('unused');
  });

  test('a compressed pattern in a finding is covered only if its whole expansion is', () => {
    expect(apply([newAccess(['dynamodb:*'])], [waiver()]).findings[0].evidence?.waiver).toBeUndefined();
    const wide = waiver({ actions: ['dynamodb:*'], 'allow-wildcard': true });
    const r = apply([newAccess(['dynamodb:Query', 'dynamodb:Scan'])], [wide]);
    expect(r.findings[0].evidence?.waiver).toBeDefined();
    expect(r.waivers[0].wildcard).toBe(true);
    expect(r.waivers[0].expandedCount).toBeGreaterThan(20);
  });

  test('another resource, subject, file or rule is not covered', () => {
    expect(apply([newAccess(['dynamodb:Query'], `${TABLE}-archive`)], [waiver()]).findings[0].evidence?.waiver).toBeUndefined();
    expect(apply([{ ...newAccess(['dynamodb:Query']), subject: 'arn:aws:iam::123456789012:role/other' }], [waiver()]).findings[0].evidence?.waiver).toBeUndefined();
    expect(apply([newAccess(['dynamodb:Query'])], [waiver({ files: 'iam/other/*.json' })]).findings[0].evidence?.waiver).toBeUndefined();
    expect(apply([{ ...newAccess(['dynamodb:Query']), ruleId: 'high-risk-added' }], [waiver()]).findings[0].evidence?.waiver).toBeUndefined();
  });

  test('a fingerprint waiver covers that one finding', () => {
    const f = newAccess(['dynamodb:Query']);
    const w = waiver({ actions: undefined, resources: undefined, fingerprint: fingerprint(f).slice(0, 16) });
    expect(apply([f, newAccess(['dynamodb:Scan'])], [w]).findings.map((x) => !!x.evidence?.waiver)).toEqual([true, false]);
  });
});

describe('waivers: callers and conditions', () => {
  const partner = 'AWS:arn:aws:iam::444455556666:role/partner';
  const forCaller = (principal: string, condition?: string): Finding => {
    const f = newAccess(['dynamodb:Query']);
    return { ...f, evidence: { ...f.evidence, principal, ...(condition ? { condition } : {}) }, identity: `${f.identity}|${principal}${condition ? `|${condition}` : ''}` };
  };

  test('a finding about a caller is waived only by a waiver naming that caller (or by its fingerprint)', () => {
    expect(apply([forCaller(partner)], [waiver()]).findings[0].evidence?.waiver).toBeUndefined();
    expect(apply([forCaller(partner)], [waiver({ principals: ['arn:aws:iam::444455556666:role/partner'] })]).findings[0].evidence?.waiver).toBeDefined();
    expect(apply([forCaller(partner)], [waiver({ principals: [partner] })]).findings[0].evidence?.waiver).toBeDefined();
    for (const other of ['AWS:*', 'Service:ec2.amazonaws.com', 'AWS:arn:aws:iam::444455556666:role/other']) {
      expect(apply([forCaller(other)], [waiver({ principals: [partner] })]).findings[0].evidence?.waiver).toBeUndefined();
    }
    const pinned = forCaller(partner);
    expect(apply([pinned], [waiver({ actions: undefined, resources: undefined, fingerprint: fingerprint(pinned) })]).findings[0].evidence?.waiver).toBeDefined();
    // Naming "anyone" is a wildcard waiver: it needs allow-wildcard.
    expect(() => parseConfig('waivers:\n  - rule: new-access\n    subject: x\n    actions: [s3:GetObject]\n    principals: ["*"]\n    reason: "A public read by design (OPS-9)."\n    expires: "2027-01-01"\n', 'c.yml')).toThrow(/allow-wildcard/);
  });

  test('a fingerprint does not follow a grant whose conditions change', () => {
    const [before, after] = [forCaller(partner, 'StringEquals token:sub = repo:acme/deploy:ref:refs/heads/main'), forCaller(partner, 'StringLike token:sub = repo:attacker/*')];
    expect(fingerprint(before)).not.toBe(fingerprint(after));
    expect(apply([after], [waiver({ actions: undefined, resources: undefined, fingerprint: fingerprint(before) })]).findings[0].evidence?.waiver).toBeUndefined();
  });
});

describe('waivers: time and staleness (fixed clock)', () => {
  test('daysLeft counts whole UTC days; the expiry day itself still applies', () => {
    expect(daysLeft('2026-11-24', NOW)).toBe(0);
    expect(daysLeft('2026-11-23', NOW)).toBe(-1);
    expect(daysLeft('2026-12-01', NOW)).toBe(7);
  });

  test('an expired waiver stops applying and fails as waiver-expired', () => {
    const r = apply([newAccess(['dynamodb:Query'])], [waiver({ expires: '2026-11-23' })]);
    expect(r.findings[0].evidence?.waiver).toBeUndefined();
    const expired = r.findings.find((f) => f.ruleId === 'waiver-expired')!;
    expect(expired.location).toEqual({ file: '.iam-policy-gate.yml', line: 12, column: 1 });
    expect(expired.message).toMatch(/expired on 2026-11-23/);
    expect(r.waivers[0]).toMatchObject({ status: 'expired', daysLeft: -1 });
    expect(decide(r.findings, {}, 1).reasons.map((x) => [x.ruleId, x.action])).toEqual([['new-access', 'fail'], ['waiver-expired', 'fail']]);
  });

  test('within the warning window it still applies and warns; the window is configurable', () => {
    const r = apply([newAccess(['dynamodb:Query'])], [waiver({ expires: '2026-11-27' })]);
    expect(r.findings[0].evidence?.waiver).toBeDefined();
    expect(r.findings.map((f) => f.ruleId)).toEqual(['new-access', 'waiver-expiring']);
    expect(decide(r.findings, {}, 1).status).toBe('warn');
    expect(apply([newAccess(['dynamodb:Query'])], [waiver({ expires: '2026-11-27' })], { warnDays: 2 }).findings.map((f) => f.ruleId)).toEqual(['new-access']);
    expect(decide(r.findings, { 'waiver-expiring': 'fail' }, 1).status).toBe('fail');
  });

  test('a waiver that matched nothing where the change looked is stale; elsewhere it is out of scope', () => {
    const stale = apply([], [waiver()]);
    expect(stale.waivers[0].status).toBe('unused');
    expect(stale.findings.map((f) => [f.ruleId, f.severity])).toEqual([['waiver-unused', 'low']]);
    const away = apply([], [waiver()], { scope: { files: ['iam/roles/other/policy.json'], subjects: ['arn:aws:iam::123456789012:role/other'] } });
    expect(away.waivers[0].status).toBe('out-of-scope');
    expect(away.findings).toEqual([]);
  });
});

describe('waivers: config errors are located (exit 2)', () => {
  const cfg = (w: string) => `rules:\n  new-access: fail\nwaivers:\n  - rule: new-access\n${w}`;
  const problems = (text: string): string[] => {
    try {
      parseConfig(text, '.iam-policy-gate.yml');
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).problems;
    }
  };
  const good = '    subject: arn:aws:iam::1:role/a\n    actions: [s3:GetObject]\n    resources: ["arn:aws:s3:::b/k"]\n    reason: a reviewed reason\n';

  test('a valid waiver loads with its line and expiry window', () => {
    const c = parseConfig(cfg(good + '    expires: "2027-01-01"\n    approved-by: "@sec-team"\nwaiver-expiry:\n  warn-days: 14\n'), '.iam-policy-gate.yml');
    expect(c.waivers[0]).toMatchObject({ rule: 'new-access', line: 4, approvedBy: '@sec-team' });
    expect(c.waiverExpiry.warnDays).toBe(14);
  });

  test.each([
    ['a missing reason', '    subject: x\n    fingerprint: 0123456789abcdef\n    expires: "2027-01-01"\n', /must have required property 'reason'/],
    ['a missing expiry', good, /must have required property 'expires'/],
    ['an impossible date', good + '    expires: "2027-02-30"\n', /:4:1: waiver of new-access expires "2027-02-30" is not a calendar date/],
    ['no place', '    actions: [s3:GetObject]\n    resources: ["arn:aws:s3:::b/k"]\n    reason: a reviewed reason\n    expires: "2027-01-01"\n', /says neither where it applies/],
    ['no scope', '    subject: x\n    reason: a reviewed reason\n    expires: "2027-01-01"\n', /says not exactly what it covers/],
    ['an unknown action', good.replace('s3:GetObject', 's3:GetObjekt') + '    expires: "2027-01-01"\n', /action "s3:GetObjekt" matches nothing/],
    ['a wildcard without allow-wildcard', good.replace('b/k', 'b/*') + '    expires: "2027-01-01"\n', /covers wildcard "arn:aws:s3:::b\/\*": set allow-wildcard: true/],
  ])('%s', (_name, body, message) => {
    expect(problems(cfg(body)).join('\n')).toMatch(message);
  });
});

describe('waivers added or widened by the change', () => {
  test('widening compares with the base waivers', () => {
    expect(widening(waiver(), [waiver()])).toBeUndefined();
    expect(widening(waiver({ expires: '2027-01-01' }), [waiver()])).toBeUndefined();
    expect(widening(waiver({ expires: '2027-06-30' }), [waiver()])).toBe('widened');
    expect(widening(waiver({ actions: ['dynamodb:Query', 'dynamodb:Scan'] }), [waiver()])).toBe('widened');
    expect(widening(waiver({ rule: 'high-risk-added' }), [waiver()])).toBe('added');
  });

  const policy = (actions: string[]) => Buffer.from(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: TABLE }] }));
  const baseConfig = 'subjects:\n  - files: "iam/roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n';
  const headConfig = `${baseConfig}waivers:\n  - rule: new-access\n    subject: "${ROLE}"\n    actions: [dynamodb:Query]\n    resources: ["${TABLE}"]\n    reason: "Added in this PR to let the lookup ship (@someone approved)."\n    expires: "2027-01-31"\n`;
  const changes: ChangeSet = {
    baseLabel: 'base',
    headLabel: 'head',
    notes: [],
    files: [
      { path: 'iam/roles/app/policy.json', status: 'modified', base: policy(['dynamodb:GetItem']), head: policy(['dynamodb:GetItem', 'dynamodb:Query']) },
      { path: '.iam-policy-gate.yml', status: 'modified', base: Buffer.from(baseConfig), head: Buffer.from(headConfig) },
    ],
  };

  test('it does not apply before merge, and the comment says so at the top', () => {
    const report = runGate({ changes, config: parseConfig(baseConfig, '.iam-policy-gate.yml'), toolVersion: 'test', now: NOW });
    expect(report.verdict.status).toBe('fail');
    expect(report.waivers).toEqual([expect.objectContaining({ status: 'pending', addedInChange: 'added', line: 5, covered: [expect.any(String)] })]);
    const md = renderDiffMd(report);
    const notice = md.indexOf('> [!IMPORTANT]');
    expect(notice).toBeGreaterThan(0);
    expect(notice).toBeLessThan(md.indexOf('| metric |'));
    expect(md).toContain('This change adds or widens 1 waiver.');
    expect(md).toContain('would cover 1 finding of this run');
    expect(md).toContain('@\u200bsomeone');
  });

  test('a change that breaks the config is a config-invalid finding, not a crash', () => {
    const broken: ChangeSet = { ...changes, files: [changes.files[0], { ...changes.files[1], head: Buffer.from(`${baseConfig}waivers:\n  - rule: new-access\n`) }] };
    const report = runGate({ changes: broken, config: parseConfig(baseConfig, '.iam-policy-gate.yml'), toolVersion: 'test', now: NOW });
    expect(report.findings.find((f) => f.ruleId === 'config-invalid')?.message).toMatch(/would not load after merge/);
  });
});

describe('the demo: one applied waiver and one stale one, in every output', () => {
  const demo = join(repoRoot, 'fixtures', 'demo');
  let out: string;
  // Other parts of the demo config change; find the applied waiver's line rather than fixing it here.
  const waiverLine = readFileSync(join(demo, 'base', '.iam-policy-gate.yml'), 'utf8').split('\n').indexOf('  - rule: new-access') + 1;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'review-demo-'));
    await runCheck({ base: join(demo, 'base'), head: join(demo, 'head'), cloudtrail: [join(demo, 'cloudtrail')], outDir: out, formats: ['md', 'sarif', 'json'], now: NOW, offline: true } as Parameters<typeof runCheck>[0]);
  });

  test('report.json records both waivers with their expansion, valid against the schema', () => {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.waivers.map((w: { status: string; rule: string }) => [w.rule, w.status])).toEqual([['new-access', 'applied'], ['high-risk-added', 'unused']]);
    expect(report.waivers[0].expandedActions).toEqual(['dynamodb:Query']);
    expect(report.findings.some((f: Finding) => f.ruleId === 'waiver-unused')).toBe(true);
    // The waiver parts must be valid; other areas' fields are checked by their own tests.
    const validate = reportValidator();
    validate(report);
    const ours = (validate.errors ?? []).filter((e) => e.instancePath === '' || /^\/(waivers|findings)/.test(e.instancePath));
    expect(errorsText(ours)).toBe('');
  });

  test('diff.md has the Waived section with reason, expiry and the waiver line', () => {
    const md = readFileSync(join(out, 'diff.md'), 'utf8');
    expect(md).toContain('**Waived** (1)');
    expect(md).toMatch(/\| `new-access` \| .*dynamodb:Query.* \| Order lookups by customer need Query .* \| 2027-02-28 \| `\.iam-policy-gate\.yml:(\d+)` \|/);
    expect(md).toContain(`\`.iam-policy-gate.yml:${waiverLine}\``);
    expect(waiverLine).toBeGreaterThan(1);
    expect(md).toContain('**unused (stale)**');
    expect(md).not.toContain('[!IMPORTANT]');
  });

  test('SARIF carries the waived result as an external, accepted suppression, valid against the schema', () => {
    const log = JSON.parse(readFileSync(join(out, 'results.sarif'), 'utf8'));
    const suppressed = log.runs[0].results.filter((r: { suppressions?: unknown[] }) => r.suppressions?.length);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0].ruleId).toBe('new-access');
    expect(suppressed[0].suppressions[0]).toMatchObject({ kind: 'external', status: 'accepted', justification: expect.stringMatching(/^Order lookups .* \(expires 2027-02-28\)$/) });
    expect(suppressed[0].suppressions[0].location.physicalLocation).toMatchObject({ artifactLocation: { uri: '.iam-policy-gate.yml' }, region: { startLine: waiverLine } });
    const validate = sarifValidator();
    expect(validate(log) ? '' : errorsText(validate.errors)).toBe('');
    const upload = withoutSuppressed(log);
    expect(upload.runs[0].results!.length).toBe(log.runs[0].results.length - 1);
    expect(validate(upload)).toBe(true);
    expect(renderSarif).toBeDefined();
  });
});

describe('rules: ids, precedence and the listing', () => {
  test('exact id over glob of ids over severity threshold over default', () => {
    const rules = { 'validate/*': 'warn', 'validate/MISSING_VERSION': 'off', 'severity>=medium': 'fail', 'waiver-*': 'off' } as const;
    expect(resolveAction('validate/MISSING_VERSION', 'high', rules)).toBe('off');
    expect(resolveAction('validate/OTHER', 'high', rules)).toBe('warn');
    expect(resolveAction('unknown-action', 'medium', rules)).toBe('fail');
    expect(resolveAction('waiver-expired', 'high', rules)).toBe('off');
    expect(resolveAction('waiver-unused', 'low', {})).toBe('warn');
    expect(parseConfig('rules:\n  validate/MISSING_VERSION: off\n', 'c.yml').rules).toEqual({ 'validate/MISSING_VERSION': 'off' });
  });

  test('the listing shows every rule with default action, severity, the configured action and the SARIF help text', () => {
    const rows = JSON.parse(rulesTable(RULES, { 'waiver-*': 'fail' }, 'json'));
    expect(rows.map((r: { id: string }) => r.id)).toEqual(RULES.map((r) => r.id));
    const unused = rows.find((r: { id: string }) => r.id === 'waiver-unused');
    expect(unused).toMatchObject({ defaultAction: 'warn', action: 'fail', severity: 'low', help: RULES.find((r) => r.id === 'waiver-unused')!.help });
    const table = rulesTable(RULES, {}, 'table').split('\n');
    expect(table[0]).toMatch(/^rule +default +severity +help$/);
    expect(table).toHaveLength(RULES.length + 1);
  });
});

describe('where the config is named in locations', () => {
  test('a git-mode label "(at <ref>)" is not part of the path that SARIF and links use', async () => {
    const { configDisplayPath } = await import('../../src/review/stage.js');
    const { defaultConfig } = await import('../../src/config/types.js');
    const at = (source: string) => configDisplayPath({ ...defaultConfig(), source });
    expect(at('.iam-policy-gate.yml (at 0123456789abcdef0123456789abcdef01234567)')).toBe('.iam-policy-gate.yml');
    expect(at('ci/gate.yml (at origin/main)')).toBe('ci/gate.yml');
    expect(at('defaults')).toBe('.iam-policy-gate.yml');
  });
});
