import { accessNotGranted, publicAccess } from '../../src/analysis/local-checks.js';
import type { PolicyKind, SubjectRef } from '../../src/model.js';
import { compiled, doc, policy } from './engine-helpers.js';

const bucket: SubjectRef = { type: 'bucket', id: 'arn:aws:s3:::data', arn: 'arn:aws:s3:::data' };
const role: SubjectRef = { type: 'role', id: 'arn:aws:iam::111122223333:role/app', arn: 'arn:aws:iam::111122223333:role/app' };
const c = (statements: unknown[], kind: PolicyKind = 'bucket') => compiled([doc(policy(statements), kind, 'p.json')]);
const get = (Principal: unknown, extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*', ...extra });

describe('CheckNoPublicAccess, locally', () => {
  test.each([
    ['Principal "*" without condition', [get('*')], 1],
    ['restricted to an organisation', [get('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } } })], 0],
    ['restricted to a VPC endpoint', [get('*', { Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } })], 0],
    ['restricted to private addresses', [get('*', { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })], 0],
    ['public addresses do not restrict', [get('*', { Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })], 1],
    ['wildcard values are not fixed', [get('*', { Condition: { StringLike: { 'aws:PrincipalOrgID': 'o-*' } } })], 1],
    ['policy variables are not fixed', [get('*', { Condition: { StringEquals: { 'aws:SourceAccount': '${aws:PrincipalAccount}' } } })], 1],
    ['IfExists lets requests without the key through', [get('*', { Condition: { StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } })], 1],
    ['a condition on another key does not restrict', [get('*', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } })], 1],
    [
      'a data-perimeter Deny restricts the Allow',
      [get('*'), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::data/*', Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc1234567' } } }],
      0,
    ],
    [
      'a Deny with another condition does not',
      [get('*'), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::data/*', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' }, Bool: { 'aws:SecureTransport': 'false' } } }],
      1,
    ],
    ['an untrusted account', [get({ AWS: '444455556666' })], 1],
    ['a trusted account', [get({ AWS: 'arn:aws:iam::111122223333:root' })], 0],
    ['NotPrincipal Allow', [{ Effect: 'Allow', NotPrincipal: { AWS: '111122223333' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*' }], 1],
  ])('%s: %d finding(s)', (_name, statements, n) => {
    const findings = publicAccess(bucket, c(statements), ['111122223333']);
    expect(findings).toHaveLength(n);
    for (const f of findings) {
      expect(f.origin).toBe('local');
      expect(f.message).toMatch(/computed locally/);
    }
  });

  test('"*" and {"AWS": "*"} are one exposure, said once', () => {
    for (const principal of ['*', { AWS: '*' }]) {
      const [f] = publicAccess(bucket, c([get(principal)]), ['111122223333']);
      expect(f.evidence?.exposures).toEqual(['anyone ("*")']);
      expect(f.message).toContain('bucket policy allows anyone ("*") without a condition');
    }
  });

  test('an account condition naming an untrusted account still exposes the bucket', () => {
    const s = [get('*', { Condition: { StringEquals: { 'aws:PrincipalAccount': '444455556666' } } })];
    expect(publicAccess(bucket, c(s), ['111122223333'])).toHaveLength(1);
    expect(publicAccess(bucket, c([get('*', { Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } } })]), ['111122223333'])).toHaveLength(0);
  });

  test('trust policy: an OIDC provider without a sub condition is public', () => {
    const trust = (cond: unknown) =>
      c(
        [{ Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity', ...(cond ? { Condition: cond } : {}) }],
        'trust',
      );
    expect(publicAccess(role, trust(undefined), [])).toHaveLength(1);
    expect(publicAccess(role, trust({ StringEquals: { 'token.actions.githubusercontent.com:sub': 'repo:org/app:ref:refs/heads/main' } }), [])).toHaveLength(0);
    // A wildcard that still names an owner restricts; one that names nobody does not.
    const sub = (v: string | string[]) => publicAccess(role, trust({ StringLike: { 'token.actions.githubusercontent.com:sub': v } }), []).length;
    for (const pinned of ['repo:org/app:*', 'repo:org/*', 'repo:org/app:ref:refs/heads/*']) expect(sub(pinned)).toBe(0);
    for (const loose of ['*', '*:*', 'repo*', 'repo:*', 'repo:o*', 'repo:*/app:*', ['repo:org/app:*', 'repo:*']]) expect(sub(loose)).toBe(1);
  });
});

describe('CheckAccessNotGranted, locally', () => {
  const rules = [{ actions: ['iam:PassRole', 's3:DeleteBucket'], resources: [] }];
  test.each([
    ['named action', [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }], 1],
    ['through a wildcard', [{ Effect: 'Allow', Action: 's3:Delete*', Resource: '*' }], 1],
    ['through NotAction', [{ Effect: 'Allow', NotAction: 'ec2:*', Resource: '*' }], 1],
    ['removed by a blanket Deny', [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }], 0],
    ['not granted', [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }], 0],
  ])('%s: %d finding(s)', (_n, statements, n) => {
    const findings = accessNotGranted(role, c(statements, 'identity'), rules);
    expect(findings).toHaveLength(n);
    for (const f of findings) expect(f.message).toMatch(/computed locally/);
  });

  test('forbidden resources: any grant that may reach them, including NotResource', () => {
    const r = [{ actions: [], resources: ['arn:aws:s3:::secrets/*'] }];
    expect(accessNotGranted(role, c([{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::secrets/a' }], 'identity'), r)).toHaveLength(1);
    expect(accessNotGranted(role, c([{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }], 'identity'), r)).toHaveLength(1);
    expect(accessNotGranted(role, c([{ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::public/*' }], 'identity'), r)).toHaveLength(1);
    expect(accessNotGranted(role, c([{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::public/*' }], 'identity'), r)).toHaveLength(0);
  });

  test('rules limited to subjects apply only to them', () => {
    const r = [{ actions: ['iam:PassRole'], resources: [], subjects: ['arn:aws:iam::*:role/other-*'] }];
    expect(accessNotGranted(role, c([{ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }], 'identity'), r)).toHaveLength(0);
  });
});
