import { ConfigError, parseConfig } from '../../src/config/load.js';
import { bindSubject, compileMappings, globWithPlaceholders } from '../../src/config/subjects.js';
import { defaultConfig } from '../../src/config/types.js';
import type { Finding, PolicyDocument } from '../../src/model.js';
import { decide } from '../../src/verdict/decide.js';
import { resolveAction } from '../../src/verdict/rules.js';

const EXAMPLE = `subjects:                        # which principal or bucket each file governs
  - files: "iam/roles/{name}/*.json"
    principal: "arn:aws:iam::123456789012:role/{name}"
  - files: "buckets/{name}.bucket-policy.json"
    bucket: "arn:aws:s3:::{name}"
rules:                           # fail | warn | off
  new-access: fail
  high-risk-added: fail
  access-denied-predicted: warn
  check-not-run: fail
never-grant:                     # CheckAccessNotGranted, locally and in Access Analyzer
  actions: ["iam:CreateAccessKey", "s3:PutBucketPolicy"]
cloudtrail:
  since: 90d
  sources:
    - s3: "s3://org-trail-logs/AWSLogs/o-abc123/"
    - lake: "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/abc"
`;

function errorsOf(text: string): string[] {
  try {
    parseConfig(text, '.iam-policy-gate.yml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('config file', () => {
  test('the example config from the docs parses', () => {
    const c = parseConfig(EXAMPLE, '.iam-policy-gate.yml');
    expect(c.subjects).toHaveLength(2);
    expect(c.neverGrant).toEqual([{ actions: ['iam:CreateAccessKey', 's3:PutBucketPolicy'], resources: [], subjects: undefined }]);
    expect(c.cloudtrail.sources).toHaveLength(2);
    expect(c.rules['access-denied-predicted']).toBe('warn');
  });

  test('errors name the file, line and setting', () => {
    expect(errorsOf('rules:\n  new-access: block\n')).toEqual(['.iam-policy-gate.yml:2:15: /rules/new-access must be one of fail, warn, off']);
    // An unknown setting: the line and column of its key, at any depth.
    expect(errorsOf('subjects:\n  - files: "a/*.json"\n    principle: "arn:aws:iam::1:role/x"\n')).toEqual(['.iam-policy-gate.yml:3:5: /subjects/0 unknown setting "principle"']);
    expect(errorsOf('rules: {}\n\nfoo: 1\n')).toEqual(['.iam-policy-gate.yml:3:1: (top level) unknown setting "foo"']);
    expect(errorsOf('cloudtrail:\n  since: 30d\n  # a comment\n  bogus: true\n')).toEqual(['.iam-policy-gate.yml:4:3: /cloudtrail unknown setting "bogus"']);
    expect(errorsOf('rules: [\n')[0]).toMatch(/^\.iam-policy-gate\.yml:\d+:\d+: /);
    expect(errorsOf('- a\n- b\n')[0]).toMatch(/must be a mapping/);
    expect(errorsOf('rules:\n  a: fail\n  a: warn\n')[0]).toMatch(/:3:\d+: .*unique/i);
  });

  test('a rules key that names no rule is an error at its line, with the nearest id', () => {
    expect(errorsOf('rules:\n  new-acess: fail\n')).toEqual(['.iam-policy-gate.yml:2:1: /rules/new-acess is not a rule id (did you mean new-access?); see `iam-policy-gate rules`']);
    expect(errorsOf('rules:\n  "nothing-*": off\n')).toEqual(['.iam-policy-gate.yml:2:1: /rules/nothing-* matches no rule id']);
    expect(errorsOf('rules:\n  severity>=huge: fail\n')[0]).toMatch(/severity>=\(critical/);
    // Ids, globs that match, thresholds and Access Analyzer codes (AWS adds them) are fine.
    expect(parseConfig('rules:\n  iac-*: warn\n  severity>=high: fail\n  validate/NEW_CODE: warn\n  access-analyzer/public-access: fail\n  public-access-existing: off\n', 'x.yml').rules).toMatchObject({ 'iac-*': 'warn' });
  });

  test('an empty file is the defaults', () => {
    expect(parseConfig('', 'x.yml').rules).toEqual({});
    expect(parseConfig('# nothing\n', 'x.yml').subjects).toEqual([]);
  });
});

describe('subjects', () => {
  const doc = (file: string, kind: PolicyDocument['kind'] = 'identity', resources: string[] = ['*']): PolicyDocument => ({
    id: file,
    file,
    pointer: '',
    kind,
    statements: [{ index: 0, effect: 'Allow', resources: resources.map((value) => ({ value, loc: { file, line: 1, column: 1 } })), conditions: [], loc: { file, line: 1, column: 1 } }],
    loc: { file, line: 1, column: 1 },
    size: 10,
    label: file,
  });
  const config = parseConfig(EXAMPLE, 'c.yml');
  const mappings = compileMappings(config);

  test('placeholders come from the path', () => {
    expect(bindSubject(doc('iam/roles/app-worker/inline.json'), mappings)).toEqual({ type: 'role', arn: 'arn:aws:iam::123456789012:role/app-worker', id: 'arn:aws:iam::123456789012:role/app-worker' });
    expect(bindSubject(doc('buckets/logs.bucket-policy.json', 'bucket'), mappings)).toMatchObject({ type: 'bucket', arn: 'arn:aws:s3:::logs' });
  });

  test('an unmapped bucket policy naming one bucket binds to it; anything else is its own unbound subject', () => {
    const none = compileMappings(defaultConfig());
    expect(bindSubject(doc('x/policy.json', 'bucket', ['arn:aws:s3:::data', 'arn:aws:s3:::data/*']), none)).toMatchObject({ type: 'bucket', arn: 'arn:aws:s3:::data' });
    expect(bindSubject(doc('x/policy.json', 'bucket', ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*']), none)).toEqual({ type: 'unbound', id: 'x/policy.json' });
    expect(bindSubject(doc('x/p.json'), none)).toEqual({ type: 'unbound', id: 'x/p.json' });
  });

  test('globs: ** spans folders, * does not', () => {
    expect(globWithPlaceholders('iam/**/*.json').test('iam/a/b/c.json')).toBe(true);
    expect(globWithPlaceholders('iam/**/*.json').test('iam/c.json')).toBe(true);
    expect(globWithPlaceholders('iam/*.json').test('iam/a/c.json')).toBe(false);
  });
});

describe('verdict', () => {
  const f = (ruleId: string, severity: Finding['severity'] = 'high', subject = 's1'): Finding => ({ ruleId, severity, message: `${ruleId} happened`, identity: ruleId + subject, subject });

  test('precedence: exact id over glob over severity threshold over the default', () => {
    const rules = { 'validate/*': 'warn', 'validate/PASS_ROLE*': 'fail', 'severity>=high': 'fail', 'unknown-action': 'off' } as const;
    expect(resolveAction('validate/PASS_ROLE_WITH_STAR', 'low', rules)).toBe('fail');
    expect(resolveAction('validate/OTHER', 'critical', rules)).toBe('warn');
    expect(resolveAction('unknown-action', 'critical', rules)).toBe('off');
    expect(resolveAction('duplicate-key', 'high', rules)).toBe('fail');
    expect(resolveAction('duplicate-key', 'high', {})).toBe('fail');
    expect(resolveAction('new-access', 'high', {})).toBe('fail');
  });

  test('fail on any failing rule, warn on warnings only, pass otherwise; reasons counted per rule', () => {
    const v = decide([f('new-access'), f('new-access', 'high', 's2'), f('access-denied-predicted', 'medium')], {}, 3);
    expect(v.status).toBe('fail');
    expect(v.reasons.map((r) => [r.ruleId, r.action, r.count])).toEqual([
      ['new-access', 'fail', 2],
      ['access-denied-predicted', 'warn', 1],
    ]);
    expect(v.headline).toBe('new access for 2 of 3 subjects (+0 more rules)'.replace(' (+0 more rules)', ''));
    expect(decide([f('access-denied-predicted', 'medium')], {}, 1).status).toBe('warn');
    expect(decide([f('new-access')], { 'new-access': 'off' }, 1)).toMatchObject({ status: 'pass', reasons: [] });
    expect(decide([], {}, 0).headline).toBe('no policy changes');
  });

  test('the reason shown for a rule is its worst finding: iam:* before ec2:*, certain before possible', () => {
    const item = (actions: string[], severity: 'high' | 'medium', message: string): Finding => ({ ...f('new-access', severity), message, evidence: { actions } });
    const v = decide([item(['ec2:AttachVolume'], 'high', 'ec2'), item(['iam:*'], 'medium', 'iam maybe'), item(['iam:*'], 'high', 'iam'), item(['s3:GetObject'], 'high', 's3')], {}, 1);
    expect(v.reasons[0]).toMatchObject({ ruleId: 'new-access', count: 4, message: 'iam' });
  });

  test('the headline names the deciding rules worst first: exposure and escalation before new access', () => {
    const v = decide([f('new-access'), f('high-risk-added'), f('privilege-escalation-path'), f('public-access', 'critical', 's2'), f('parse-error', 'high', 's3')], {}, 4);
    expect(v.reasons.map((r) => r.ruleId).slice(0, 3)).toEqual(['public-access', 'privilege-escalation-path', 'new-access']);
    expect(v.headline).toBe('public access, privilege escalation path and new access for 2 of 4 subjects (+2 more rules)');
    expect(decide([f('new-access'), f('high-risk-added')], {}, 1).headline).toBe('new access and high risk added for 1 of 1 subject');
  });
});
