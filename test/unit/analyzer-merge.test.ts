import { analyzerMode, credentialSource } from '../../src/analyzer/credentials.js';
import { locateStatement, locateWire } from '../../src/analyzer/locate.js';
import { mergeAnalyzerResults } from '../../src/analyzer/merge.js';
import type { AccessAnalyzerCheck, AnalyzerOutcome } from '../../src/analyzer/types.js';
import { defaultConfig } from '../../src/config/types.js';
import type { Finding, PolicyDocument, SubjectAnalysis } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';
import { resolveAction } from '../../src/verdict/rules.js';

const enc = (s: string) => new TextEncoder().encode(s);

// A CloudFormation-style wrapper: the document is rebuilt, so locations come from the path.
const WRAPPED = `{
  "PolicyName": "app",
  "PolicyDocument": {
    "Version": "2012-10-17",
    "Statement": [
      { "Sid": "Broken", "Effect": "Allow" },
      {
        "Sid": "Pass",
        "Effect": "Allow",
        "Principal": { "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"] },
        "Action": ["s3:GetObject", "iam:PassRole"],
        "Resource": "*",
        "Condition": { "StringEquals": { "aws:PrincipalOrgID": "o-1" } }
      }
    ]
  }
}`;

function wrapped(): PolicyDocument {
  return extractPolicies('cfn/app.json', enc(WRAPPED), { maxBytes: 1 << 20 }).documents[0];
}

describe('locating Access Analyzer answers', () => {
  test('statement indexes: the file index when verbatim, the sent index when rebuilt', () => {
    const doc = wrapped();
    expect(locateStatement(doc, 1, true).line).toBe(7);
    // Rebuilt documents hold the statements that parsed; if the broken one is dropped, index 0 is "Pass".
    const sentFirst = doc.statements[0];
    expect(locateStatement(doc, 0, false).line).toBe(sentFirst.loc.line);
    expect(locateStatement(doc, 99, true)).toEqual({ file: 'cfn/app.json', line: doc.loc.line, column: doc.loc.column });
  });

  // Paths index the statements as sent: in a rebuilt document, the position of "Pass" among the parsed ones.
  test.each([
    [[{ value: 'Action' }, { index: 1 }], 11, '"iam:PassRole"'],
    [[{ value: 'Principal' }, { key: 'AWS' }, { index: 1 }], 10, '"arn:aws:iam::444455556666:root"'],
    [[{ value: 'Condition' }, { key: 'StringEquals' }, { key: 'aws:PrincipalOrgID' }], 13, '"aws:PrincipalOrgID"'],
    [[{ value: 'Resource' }], 12, '"*"'],
    [[{ value: 'Sid' }], 7, '{'],
  ])('Statement[Pass] then %j → line %i', (rest, line, token) => {
    const doc = wrapped();
    const sent = doc.statements.findIndex((st) => st.sid === 'Pass');
    const loc = locateWire(doc, { path: [{ value: 'statement' }, { index: sent }, ...rest] }, false);
    expect(loc.line).toBe(line);
    if (token !== '{') expect(loc.column).toBe(WRAPPED.split('\n')[line - 1].indexOf(token) + 1);
  });

  test('a span is used only when the file itself was sent', () => {
    const doc = wrapped();
    const where = { path: [{ value: 'Statement' }, { index: 1 }], span: { start: { line: 2, column: 4, offset: 0 }, end: { line: 2, column: 9, offset: 0 } } };
    expect(locateWire(doc, where, true)).toEqual({ file: 'cfn/app.json', line: 2, column: 5, endLine: 2, endColumn: 10 });
    expect(locateWire(doc, where, false).line).not.toBe(2);
    expect(locateWire(doc, { path: [{ value: 'Version' }] }, false).line).toBe(doc.loc.line);
    expect(locateWire(doc, undefined, false).line).toBe(doc.loc.line);
  });
});

const SUBJECT = 'arn:aws:iam::123456789012:role/app';
const loc = (line: number) => ({ file: 'iam/app.json', line, column: 5 });

function analysis(): SubjectAnalysis {
  const zero = { concrete: 0, scoped: 0, wildcard: 0, noResourceLevel: 0, ratio: null };
  return {
    subject: { type: 'role', id: SUBJECT, arn: SUBJECT },
    files: ['iam/app.json'],
    delta: { baseCount: 0, headCount: 0, addedCount: 0, removedCount: 0, added: [], removed: [] },
    concreteness: { base: zero, head: zero },
    risk: { added: [], removed: [] },
    newAccess: [],
    limits: [],
  };
}

function outcome(answers: AccessAnalyzerCheck[], extra: Partial<AnalyzerOutcome> = {}): AnalyzerOutcome {
  return { status: 'ran', detail: '4 call(s)', bySubject: { [SUBJECT]: answers }, errors: [], callsMade: 4, deduplicated: 0, ...extra };
}

const localNewAccess: Finding = { ruleId: 'new-access', severity: 'high', subject: SUBJECT, location: loc(9), message: 'x', identity: 'new-access|x', origin: 'local' };

describe('mergeAnalyzerResults', () => {
  test('AWS and local agree on FAIL: both shown, no disagreement', () => {
    const a = analysis();
    const cnna: AccessAnalyzerCheck = { check: 'CheckNoNewAccess', document: 'iam/app.json', result: 'FAIL', message: 'new access', reasons: [{ description: 'New access in the statement with index: 1.', statementIndex: 1, location: loc(9) }] };
    const { findings, checks } = mergeAnalyzerResults([a], [localNewAccess], outcome([cnna]));
    expect(a.accessAnalyzer).toEqual([{ ...cnna, local: 'FAIL' }]);
    expect(findings).toEqual([expect.objectContaining({ ruleId: 'access-analyzer/no-new-access', location: loc(9), origin: 'access-analyzer', severity: 'high' })]);
    expect(findings[0].message).not.toMatch(/stricter/);
    expect(checks).toEqual([{ id: 'access-analyzer', status: 'ran', detail: '4 call(s)' }]);
  });

  test('AWS FAIL, local PASS: a failing finding that says so', () => {
    const a = analysis();
    const cnna: AccessAnalyzerCheck = { check: 'CheckNoNewAccess', document: 'iam/app.json', result: 'FAIL', message: 'new access', reasons: [{ description: 'd', statementIndex: 0, location: loc(4) }] };
    const { findings, checks } = mergeAnalyzerResults([a], [], outcome([cnna]));
    expect(a.accessAnalyzer![0]).toMatchObject({ local: 'PASS', disagreement: true });
    expect(findings[0].message).toMatch(/local engine found no new access here; the gate keeps the stricter answer/);
    expect(findings[0].evidence).toMatchObject({ aws: 'FAIL', local: 'PASS', disagreement: true });
    expect(resolveAction(findings[0].ruleId, findings[0].severity, {})).toBe('fail');
    expect(checks[0].detail).toMatch(/1 disagreement/);
  });

  test('AWS PASS, local FAIL: the disagreement is recorded, the local finding already gates', () => {
    const a = analysis();
    const { findings } = mergeAnalyzerResults([a], [localNewAccess], outcome([{ check: 'CheckNoNewAccess', document: 'iam/app.json', result: 'PASS', message: 'no new access' }]));
    expect(a.accessAnalyzer![0]).toMatchObject({ result: 'PASS', local: 'FAIL', disagreement: true });
    expect(findings).toEqual([]);
  });

  test('local findings in another document of the subject do not count for this one', () => {
    const a = analysis();
    const other = { ...localNewAccess, location: { file: 'iam/other.json', line: 3, column: 1 } };
    mergeAnalyzerResults([a], [other], outcome([{ check: 'CheckNoNewAccess', document: 'iam/app.json', result: 'PASS', message: '' }]));
    expect(a.accessAnalyzer![0]).toMatchObject({ local: 'PASS' });
    expect(a.accessAnalyzer![0].disagreement).toBeUndefined();
  });

  test('ValidatePolicy findings become validate/<issueCode>: ERROR and SECURITY_WARNING fail, the rest warn', () => {
    const a = analysis();
    const vp: AccessAnalyzerCheck = {
      check: 'ValidatePolicy',
      document: 'iam/app.json',
      result: 'FAIL',
      message: '3 finding(s)',
      findings: [
        { findingType: 'SECURITY_WARNING', issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE', details: 'd1', location: loc(11) },
        { findingType: 'SUGGESTION', issueCode: 'EMPTY_ARRAY_ACTION', details: 'd2', location: loc(5) },
        { findingType: 'ERROR', issueCode: 'INVALID_POLICY_ELEMENT', details: 'd3', learnMoreLink: 'https://docs.aws.amazon.com/x', location: loc(2) },
      ],
    };
    const { findings } = mergeAnalyzerResults([a], [], outcome([vp]));
    expect(findings.map((f) => [f.ruleId, f.severity, f.location?.line, resolveAction(f.ruleId, f.severity, {})])).toEqual([
      ['validate/PASS_ROLE_WITH_STAR_IN_RESOURCE', 'high', 11, 'fail'],
      ['validate/EMPTY_ARRAY_ACTION', 'low', 5, 'warn'],
      ['validate/INVALID_POLICY_ELEMENT', 'high', 2, 'fail'],
    ]);
    expect(findings[2].message).toContain('https://docs.aws.amazon.com/x');
    // The config still decides: an exact id or a glob wins over the default.
    expect(resolveAction('validate/PASS_ROLE_WITH_STAR_IN_RESOURCE', 'high', { 'validate/*': 'warn' })).toBe('warn');
  });

  test('answers AWS could not give become one check-not-run finding per cause', () => {
    const a = analysis();
    const error = { kind: 'access-denied' as const, action: 'access-analyzer:CheckNoNewAccess', message: 'the AWS credentials are not allowed access-analyzer:CheckNoNewAccess (AccessDeniedException: no)' };
    const { findings, checks } = mergeAnalyzerResults(
      [a],
      [],
      outcome([{ check: 'CheckNoNewAccess', document: 'iam/app.json', result: 'not-run', message: error.message }], { status: 'not-run', errors: [error] }),
    );
    expect(findings).toEqual([expect.objectContaining({ ruleId: 'check-not-run', severity: 'high', evidence: { kind: 'access-denied', missingAction: 'access-analyzer:CheckNoNewAccess' } })]);
    expect(checks[0].status).toBe('not-run');
    expect(a.accessAnalyzer![0].local).toBeUndefined();
  });

  test('unused-access answers are attached without findings', () => {
    const a = analysis();
    const unused: AccessAnalyzerCheck = { check: 'UnusedAccess', document: SUBJECT, result: 'FAIL', message: '1 service', unused: [{ findingId: 'f', kind: 'UnusedPermission', service: 's3', actions: [] }] };
    const { findings } = mergeAnalyzerResults([a], [], outcome([unused]));
    expect(findings).toEqual([]);
    expect(a.accessAnalyzer).toEqual([unused]);
  });
});

describe('whether to ask AWS', () => {
  test('credential sources the SDK finds without the network', () => {
    expect(credentialSource({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toBe('AWS_ACCESS_KEY_ID');
    expect(credentialSource({ AWS_ACCESS_KEY_ID: 'a' })).toBeUndefined();
    expect(credentialSource({ AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' })).toBe('AWS_WEB_IDENTITY_TOKEN_FILE');
    expect(credentialSource({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials' })).toBe('container credentials');
    expect(credentialSource({ AWS_PROFILE: 'dev' })).toBe('AWS_PROFILE=dev');
    expect(credentialSource({})).toBeUndefined();
  });

  test('modes and the region order: flag, config, environment, default', () => {
    const config = defaultConfig();
    const creds = { AWS_PROFILE: 'dev', AWS_REGION: 'eu-west-1' };
    expect(analyzerMode(config, { env: creds })).toEqual({ run: true, region: 'eu-west-1', source: 'AWS_PROFILE=dev' });
    expect(analyzerMode(config, { env: creds, region: 'ap-south-1' })).toMatchObject({ region: 'ap-south-1' });
    expect(analyzerMode({ ...config, accessAnalyzer: { enabled: 'auto', region: 'us-west-2' } }, { env: creds })).toMatchObject({ region: 'us-west-2' });
    expect(analyzerMode(config, { env: { AWS_PROFILE: 'dev' } })).toMatchObject({ region: 'us-east-1' });
    expect(analyzerMode(config, { env: {} })).toMatchObject({ run: false, status: 'skipped' });
    expect(analyzerMode(config, { env: creds, offline: true })).toMatchObject({ run: false, status: 'skipped' });
    expect(analyzerMode({ ...config, accessAnalyzer: { enabled: 'off' } }, { env: creds })).toMatchObject({ run: false, status: 'skipped' });
    expect(analyzerMode({ ...config, accessAnalyzer: { enabled: 'on' } }, { env: {} })).toMatchObject({ run: false, status: 'not-run' });
  });
});
