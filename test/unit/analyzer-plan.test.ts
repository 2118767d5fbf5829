import { accessBatches, callKey, chunk, planAnalyzerCalls, publicAccessResourceType, validateResourceType } from '../../src/analyzer/plan.js';
import { policyText, serialise } from '../../src/analyzer/policy-text.js';
import { defaultConfig } from '../../src/config/types.js';
import type { PolicyDocument, SubjectPolicies, SubjectRef } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';

const enc = (s: string) => new TextEncoder().encode(s);

function doc(file: string, policy: unknown, kindHint?: PolicyDocument['kind']): PolicyDocument {
  const ex = extractPolicies(file, enc(JSON.stringify(policy, null, 2)), { maxBytes: 1 << 20, ...(kindHint ? { kindHint } : {}) });
  expect(ex.documents).toHaveLength(1);
  return ex.documents[0];
}

const role: SubjectRef = { type: 'role', id: 'arn:aws:iam::123456789012:role/app', arn: 'arn:aws:iam::123456789012:role/app' };
const identity = (actions: string[]) => ({ Version: '2012-10-17', Statement: [{ Sid: 'A', Effect: 'Allow', Action: actions, Resource: '*' }] });
const subject = (base: PolicyDocument[], head: PolicyDocument[], ref: SubjectRef = role): SubjectPolicies => ({ subject: ref, base, head, files: [...new Set(head.map((d) => d.file))] });

describe('planAnalyzerCalls', () => {
  test('a changed identity policy gets ValidatePolicy and CheckNoNewAccess against its base version', () => {
    const base = doc('iam/app.json', identity(['s3:GetObject']));
    const head = doc('iam/app.json', identity(['s3:GetObject', 's3:PutObject']));
    const plan = planAnalyzerCalls([subject([base], [head])], defaultConfig());
    expect(plan.questions.map((q) => q.check)).toEqual(['ValidatePolicy', 'CheckNoNewAccess']);
    const specs = [...plan.calls.values()];
    const cnna = specs.find((s) => s.op === 'CheckNoNewAccess')!;
    expect(cnna.input).toMatchObject({ policyType: 'IDENTITY_POLICY' });
    if (cnna.op !== 'CheckNoNewAccess') throw new Error('unreachable');
    expect(JSON.parse(cnna.input.existingPolicyDocument).Statement[0].Action).toEqual('s3:GetObject');
    expect(JSON.parse(cnna.input.newPolicyDocument).Statement[0].Action).toEqual(['s3:GetObject', 's3:PutObject']);
    const vp = specs.find((s) => s.op === 'ValidatePolicy')!;
    expect(vp.input).toEqual(expect.objectContaining({ policyType: 'IDENTITY_POLICY', locale: 'EN' }));
    expect(vp.input).not.toHaveProperty('validatePolicyResourceType');
  });

  test('whole-file policies are sent verbatim when the file text is known, so spans are file positions', () => {
    const text = JSON.stringify(identity(['s3:GetObject']), null, 2);
    const head = doc('iam/app.json', identity(['s3:GetObject']));
    const plan = planAnalyzerCalls([subject([], [head])], defaultConfig(), { text: (side, p) => (side === 'head' && p === 'iam/app.json' ? text : undefined) });
    const vp = [...plan.calls.values()].find((s) => s.op === 'ValidatePolicy')!;
    expect(vp.input.policyDocument).toBe(text);
    expect(plan.questions.every((q) => q.verbatim)).toBe(true);
  });

  test('a new document is compared with a policy that grants nothing (and stays valid as a resource policy)', () => {
    const head = doc('buckets/b.bucket-policy.json', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
    });
    const plan = planAnalyzerCalls([subject([], [head], { type: 'bucket', id: 'arn:aws:s3:::b', arn: 'arn:aws:s3:::b' })], defaultConfig());
    const cnna = [...plan.calls.values()].find((s) => s.op === 'CheckNoNewAccess')!;
    if (cnna.op !== 'CheckNoNewAccess') throw new Error('unreachable');
    expect(cnna.input.policyType).toBe('RESOURCE_POLICY');
    expect(JSON.parse(cnna.input.existingPolicyDocument)).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }] });
    const vp = [...plan.calls.values()].find((s) => s.op === 'ValidatePolicy')!;
    expect(vp.input).toMatchObject({ policyType: 'RESOURCE_POLICY', validatePolicyResourceType: 'AWS::S3::Bucket' });
    const pub = [...plan.calls.values()].find((s) => s.op === 'CheckNoPublicAccess')!;
    expect(pub.input).toMatchObject({ resourceType: 'AWS::S3::Bucket' });
  });

  test('trust policies: the role-trust resource type for ValidatePolicy and CheckNoPublicAccess, no CheckAccessNotGranted', () => {
    const trust = doc('iam/trust.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, 'trust');
    const config = { ...defaultConfig(), neverGrant: [{ actions: ['iam:PassRole'], resources: [] }] };
    const plan = planAnalyzerCalls([subject([], [trust])], config);
    const ops = [...plan.calls.values()].map((s) => s.op).sort();
    expect(ops).toEqual(['CheckNoNewAccess', 'CheckNoPublicAccess', 'ValidatePolicy']);
    expect([...plan.calls.values()].find((s) => s.op === 'ValidatePolicy')!.input).toMatchObject({ validatePolicyResourceType: 'AWS::IAM::AssumeRolePolicyDocument' });
    expect([...plan.calls.values()].find((s) => s.op === 'CheckNoPublicAccess')!.input).toMatchObject({ resourceType: 'AWS::IAM::AssumeRolePolicyDocument' });
  });

  test('an unchanged document of a changed subject is not asked about', () => {
    const same = doc('iam/a.json', identity(['s3:GetObject']));
    const changedBase = doc('iam/b.json', identity(['sqs:SendMessage']));
    const changedHead = doc('iam/b.json', identity(['sqs:*']));
    const plan = planAnalyzerCalls([subject([same, changedBase], [same, changedHead])], defaultConfig());
    expect(new Set(plan.questions.map((q) => q.document.file))).toEqual(new Set(['iam/b.json']));
  });

  test('renamed files compare with the base version under the old name', () => {
    const base = doc('old/app.json', identity(['s3:GetObject']));
    const head = doc('new/app.json', identity(['s3:GetObject', 's3:PutObject']));
    const plan = planAnalyzerCalls([subject([base], [head])], defaultConfig(), { renamed: new Map([['new/app.json', 'old/app.json']]) });
    const cnna = [...plan.calls.values()].find((s) => s.op === 'CheckNoNewAccess')!;
    if (cnna.op !== 'CheckNoNewAccess') throw new Error('unreachable');
    expect(JSON.parse(cnna.input.existingPolicyDocument).Statement[0].Action).toEqual('s3:GetObject');
  });

  test('identical (operation, type, documents) are asked once however many subjects share them', () => {
    const other: SubjectRef = { type: 'role', id: 'arn:aws:iam::123456789012:role/other', arn: 'arn:aws:iam::123456789012:role/other' };
    const a = doc('iam/app.json', identity(['s3:*']));
    const b = doc('iam/other.json', identity(['s3:*']));
    const plan = planAnalyzerCalls([subject([], [a]), subject([], [b], other)], defaultConfig());
    expect(plan.questions).toHaveLength(4);
    expect(plan.calls.size).toBe(2);
  });

  test('policies over the API size limit are left out with a note', () => {
    const many = Array.from({ length: 1200 }, (_, i) => `s3:GetObjectVersionTaggingNumber${i}`);
    const head = doc('iam/huge.json', identity(many));
    const plan = planAnalyzerCalls([subject([], [head])], defaultConfig());
    expect(plan.questions).toHaveLength(0);
    expect(plan.notes.join()).toMatch(/over the 32768/);
  });

  test('SCPs and RCPs are validated with their own policy types and get no custom checks', () => {
    const scp = doc('org/scp.json', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }] }, 'scp');
    const plan = planAnalyzerCalls([subject([], [scp])], defaultConfig());
    expect([...plan.calls.values()].map((s) => [s.op, (s.input as { policyType: string }).policyType])).toEqual([['ValidatePolicy', 'SERVICE_CONTROL_POLICY']]);
  });

  test('the unused-access analyzer is asked about changed roles and users only', () => {
    const config = defaultConfig();
    config.accessAnalyzer.unusedAccessAnalyzer = 'arn:aws:access-analyzer:us-east-1:123456789012:analyzer/unused';
    const bucket = doc('b.bucket-policy.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] });
    const plan = planAnalyzerCalls([subject([], [doc('iam/app.json', identity(['s3:*']))]), subject([], [bucket], { type: 'bucket', id: 'arn:aws:s3:::b', arn: 'arn:aws:s3:::b' })], config);
    expect(plan.unusedAccess?.subjects.map((s) => s.id)).toEqual([role.id]);
  });
});

describe('CheckAccessNotGranted batching (the official validators send the whole list in every batch)', () => {
  const actions = (n: number) => Array.from({ length: n }, (_, i) => `svc:Action${i}`);

  test('250 actions become 3 batches of at most 100, together exactly the list', () => {
    const batches = accessBatches({ actions: actions(250), resources: [] });
    expect(batches.map((b) => b.actions!.length)).toEqual([100, 100, 50]);
    expect(batches.flatMap((b) => b.actions)).toEqual(actions(250));
    expect(batches.every((b) => b.resources === undefined)).toBe(true);
  });

  test('actions and resources over 100 each: every pair of slices is asked', () => {
    const resources = Array.from({ length: 120 }, (_, i) => `arn:aws:s3:::bucket-${i}`);
    const batches = accessBatches({ actions: actions(150), resources });
    expect(batches).toHaveLength(4);
    for (const b of batches) {
      expect(b.actions!.length).toBeLessThanOrEqual(100);
      expect(b.resources!.length).toBeLessThanOrEqual(100);
    }
    expect(new Set(batches.flatMap((b) => b.actions))).toEqual(new Set(actions(150)));
    expect(new Set(batches.flatMap((b) => b.resources))).toEqual(new Set(resources));
  });

  test('resources only, duplicates removed, and nothing for an empty rule', () => {
    expect(accessBatches({ actions: [], resources: ['arn:aws:s3:::a', 'arn:aws:s3:::a'] })).toEqual([{ resources: ['arn:aws:s3:::a'] }]);
    expect(accessBatches({ actions: [], resources: [] })).toEqual([]);
    expect(chunk([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
  });

  test('a plan with 230 forbidden actions asks 3 distinct calls per policy, one question', () => {
    const config = { ...defaultConfig(), neverGrant: [{ actions: actions(230), resources: [] }] };
    const plan = planAnalyzerCalls([subject([], [doc('iam/app.json', identity(['s3:*']))])], config);
    const q = plan.questions.find((x) => x.check === 'CheckAccessNotGranted')!;
    expect(q.calls).toHaveLength(3);
    const sent = q.calls.map((k) => plan.calls.get(k)!).map((s) => (s.op === 'CheckAccessNotGranted' ? s.input.access : []));
    expect(sent.map((a) => a.length)).toEqual([1, 1, 1]);
    expect(sent.map((a) => a[0].actions!.length)).toEqual([100, 100, 30]);
  });

  test('never-grant rules scoped to other subjects are not asked', () => {
    const config = { ...defaultConfig(), neverGrant: [{ actions: ['iam:PassRole'], resources: [], subjects: ['arn:aws:iam::*:role/other-*'] }] };
    const plan = planAnalyzerCalls([subject([], [doc('iam/app.json', identity(['s3:*']))])], config);
    expect(plan.questions.some((q) => q.check === 'CheckAccessNotGranted')).toBe(false);
  });
});

describe('resource types', () => {
  const res = (arns: string[]) => doc('policies/res.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: '*', Resource: arns }] }, 'resource');

  test.each([
    [['arn:aws:sqs:us-east-1:123456789012:q'], 'AWS::SQS::Queue'],
    [['arn:aws:kms:us-east-1:123456789012:key/abc'], 'AWS::KMS::Key'],
    [['arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024'], 'AWS::DynamoDB::Stream'],
    [['arn:aws:kinesis:us-west-2:123456789012:stream/s/consumer/c:1'], 'AWS::Kinesis::StreamConsumer'],
    [['arn:aws:secretsmanager:us-east-1:123456789012:secret:s'], 'AWS::SecretsManager::Secret'],
    [['arn:aws:s3:us-east-1:123456789012:accesspoint/ap'], 'AWS::S3::AccessPoint'],
  ])('%j → %s', (arns, type) => {
    expect(publicAccessResourceType(res(arns))).toBe(type);
  });

  test('mixed or unknown services give no type (and the plan says so)', () => {
    expect(publicAccessResourceType(res(['arn:aws:sqs:us-east-1:1:q', 'arn:aws:sns:us-east-1:1:t']))).toBeUndefined();
    const plan = planAnalyzerCalls([subject([], [res(['arn:aws:ec2:us-east-1:1:instance/i'])])], defaultConfig());
    expect(plan.notes.join()).toMatch(/CheckNoPublicAccess/);
  });

  test('ValidatePolicy resource types: DynamoDB tables and S3 access points', () => {
    expect(validateResourceType(res(['arn:aws:dynamodb:us-east-1:1:table/orders']))).toBe('AWS::DynamoDB::Table');
    expect(validateResourceType(res(['arn:aws:s3:us-east-1:1:accesspoint/ap']))).toBe('AWS::S3::AccessPoint');
    expect(validateResourceType(res(['arn:aws:sqs:us-east-1:1:q']))).toBeUndefined();
  });
});

describe('policy text', () => {
  test('rebuilding a wrapped document keeps its meaning', () => {
    const wrapped = extractPolicies(
      'cfn.json',
      enc(JSON.stringify({ PolicyName: 'x', PolicyDocument: { Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': ['o-1', 'o-2'] } } } } })),
      { maxBytes: 1 << 20 },
    ).documents[0];
    expect(wrapped.pointer).not.toBe('');
    expect(policyText(wrapped, '{"ignored": true}').verbatim).toBe(false);
    expect(serialise(wrapped)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': ['o-1', 'o-2'] } } }],
    });
  });

  test('call keys are stable and differ by operation', () => {
    const input = { policyDocument: '{}', policyType: 'IDENTITY_POLICY' as const, locale: 'EN' as const };
    expect(callKey({ op: 'ValidatePolicy', input })).toBe(callKey({ op: 'ValidatePolicy', input: { ...input } }));
    expect(callKey({ op: 'ValidatePolicy', input })).not.toBe(callKey({ op: 'CheckNoPublicAccess', input: { policyDocument: '{}', resourceType: 'AWS::S3::Bucket' } }));
  });
});
