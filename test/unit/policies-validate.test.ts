import type { Finding, PolicyKind } from '../../src/model.js';
import type { ActionCatalogPort } from '../../src/policies/catalog-port.js';
import { documentFromValue, inferKind, policySize } from '../../src/policies/document.js';
import { parseLocatedJson } from '../../src/policies/json-located.js';
import { fromPlain } from '../../src/policies/located.js';
import { DEFAULT_SIZE_LIMITS, parseOperator, suggestAction, validateDocument } from '../../src/policies/validate.js';

const FILE = 'p.json';

function check(policy: unknown, kindHint?: PolicyKind, sizeLimit?: number): Finding[] {
  const { root } = parseLocatedJson(JSON.stringify(policy, null, 2), { file: FILE });
  const meta = { file: FILE, pointer: '', label: FILE, ...(kindHint ? { kindHint } : {}), ...(sizeLimit ? { sizeLimit } : {}) };
  return documentFromValue(root!, meta).findings;
}
const messages = (fs: Finding[]): string[] => fs.map((f) => `${f.ruleId}: ${f.message}`);
const stmt = (s: Record<string, unknown>): unknown => ({ Version: '2012-10-17', Statement: [s] });

describe('documentFromValue on any located tree', () => {
  test('a tree from another source (YAML, plan) builds the same document', () => {
    const loc = { file: 'template.yaml', line: 12, column: 9 };
    const tree = fromPlain({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] }, loc);
    const { document, findings } = documentFromValue(tree, { file: 'template.yaml', pointer: 'Resources/Role/Properties/Policies/0/PolicyDocument', label: 'Role inline policy' });
    expect(findings).toEqual([]);
    expect(document).toMatchObject({ id: 'template.yaml#Resources/Role/Properties/Policies/0/PolicyDocument', kind: 'identity', label: 'Role inline policy' });
    expect(document?.statements[0].actions?.[0]).toEqual({ value: 's3:GetObject', loc });
  });

  test('non-object values give a finding and no document', () => {
    const r = documentFromValue(fromPlain(['x'], { file: 'f', line: 2, column: 3 }), { file: 'f', pointer: '/x', label: 'f' });
    expect(r.document).toBeUndefined();
    expect(r.findings).toEqual([expect.objectContaining({ ruleId: 'invalid-grammar', identity: 'invalid-grammar|f#/x|not-object', location: { file: 'f', line: 2, column: 3 } })]);
  });

  test('subjectHint is carried and validate:false skips validation', () => {
    const tree = fromPlain({ Statement: {} }, { file: 'f', line: 1, column: 1 });
    const r = documentFromValue(tree, { file: 'f', pointer: '', label: 'f', validate: false, subjectHint: { type: 'role', id: 'AppRole' } });
    expect(r.findings).toEqual([]);
    expect(r.document?.subjectHint).toEqual({ type: 'role', id: 'AppRole' });
  });
});

describe('kind inference', () => {
  const doc = (policy: unknown, file = 'x.json') => documentFromValue(fromPlain(policy, { file, line: 1, column: 1 }), { file, pointer: '', label: file, validate: false }).document!;
  test.each([
    ['identity', { Statement: { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' } }],
    ['trust', { Statement: { Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: ['sts:AssumeRole', 'sts:TagSession'] } }],
    ['trust', { Statement: { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole*' } }],
    ['bucket', { Statement: { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws-cn:s3:::b/*' } }],
    ['resource', { Statement: { Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:111122223333:q' } }],
    ['resource', { Statement: { Effect: 'Allow', Principal: '*', Action: ['sts:AssumeRole', 's3:GetObject'], Resource: 'arn:aws:sqs:::q' } }],
  ])('%s', (kind, policy) => {
    expect(doc(policy).kind).toBe(kind);
  });
  test('inferKind reads the path', () => {
    expect(inferKind(doc({ Statement: { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' } }).statements, 'buckets/logs.bucket_policy.json')).toBe('bucket');
  });
});

describe('grammar', () => {
  test('valid identity policy: no findings', () => {
    expect(check(stmt({ Sid: 'Read1', Effect: 'Allow', Action: ['s3:Get*', 'ec2:Describe?pcs'], Resource: 'arn:aws:s3:::b/*', Condition: { 'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': ['a*'] } } }))).toEqual([]);
  });

  test('missing Version: policy variables are not substituted', () => {
    const fs = check({ Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:username}/*' } });
    expect(fs).toEqual([expect.objectContaining({ ruleId: 'invalid-grammar', severity: 'medium', identity: 'invalid-grammar|p.json|Version|missing', location: { file: FILE, line: 1, column: 1 } })]);
    expect(fs[0].message).toMatch(/not substituted/);
  });

  test('bad Version, missing Statement, unknown keys', () => {
    expect(messages(check({ Version: '2012-10-18', Id: 'x', Foo: 1 }))).toEqual([
      'invalid-grammar: Unknown top-level element "Foo": a policy has only Version, Id and Statement.',
      'invalid-grammar: Version must be "2012-10-17" (or the legacy "2008-10-17").',
      'invalid-grammar: The policy has no Statement.',
    ]);
    expect(check({ Version: '2008-10-17', Statement: [] })).toEqual([]);
  });

  test('missing Effect is located at the statement', () => {
    const fs = check(stmt({ Action: 's3:GetObject', Resource: '*' }));
    expect(fs).toEqual([expect.objectContaining({ message: 'Statement 1 has no Effect; it must be "Allow" or "Deny".', location: { file: FILE, line: 4, column: 5 }, identity: 'invalid-grammar|p.json|statement[0]|Effect|missing' })]);
  });

  test('Action/NotAction and Resource/NotResource: exactly one', () => {
    expect(messages(check(stmt({ Effect: 'Allow' })))).toEqual(['invalid-grammar: Statement 1 needs Action or NotAction.', 'invalid-grammar: Statement 1 needs Resource or NotResource.']);
    expect(messages(check(stmt({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', NotResource: 'arn:aws:s3:::b' })))).toEqual([
      'invalid-grammar: A statement may have Resource or NotResource, not both.',
    ]);
  });

  test('trust policies need a Principal but no Resource; identity policies forbid Principal', () => {
    expect(check(stmt({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }), 'trust')).toEqual([]);
    expect(messages(check(stmt({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'trust'))).toEqual(['invalid-grammar: Statement 1 needs Principal or NotPrincipal.']);
    expect(messages(check(stmt({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }), 'identity'))).toEqual([
      'invalid-grammar: Principal is not allowed in an identity policy.',
    ]);
    expect(messages(check(stmt({ Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 's3:*', Resource: '*' }), 'scp'))).toEqual([
      'invalid-grammar: NotPrincipal is not allowed in a service control policy.',
    ]);
  });

  test('bucket policies need Principal and Resource', () => {
    expect(messages(check(stmt({ Effect: 'Allow', Action: 's3:GetObject' }), 'bucket'))).toEqual([
      'invalid-grammar: Statement 1 needs Resource or NotResource.',
      'invalid-grammar: Statement 1 needs Principal or NotPrincipal.',
    ]);
  });

  test('principal shapes', () => {
    const fs = check(stmt({ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:root', '111122223333', 'Bob'], Users: 'x' }, Action: 's3:GetObject', Resource: '*' }), 'bucket');
    expect(messages(fs)).toEqual([
      'invalid-grammar: "Bob" is not an AWS principal: expected "*", a 12-digit account id or an ARN.',
      'invalid-grammar: Unknown principal type "Users": expected AWS, Service, Federated or CanonicalUser.',
    ]);
    expect(messages(check(stmt({ Effect: 'Allow', Principal: '111122223333', Action: 's3:GetObject', Resource: '*' }), 'bucket'))).toEqual([
      'invalid-grammar: Principal as a string must be "*"; use {"AWS": "111122223333"} for an account or ARN.',
    ]);
  });

  test('Sids: unique; letters and digits only in identity policies', () => {
    const policy = { Version: '2012-10-17', Statement: [{ Sid: 'A-1', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, { Sid: 'A-1', Effect: 'Deny', Action: 's3:GetObject', Resource: '*' }] };
    expect(messages(check(policy, 'identity'))).toEqual([
      'invalid-grammar: Sid "A-1" may contain only letters and digits in an identity policy.',
      'invalid-grammar: Sid "A-1" may contain only letters and digits in an identity policy.',
      'invalid-grammar: Sid "A-1" is already used by statement 1; Sids must be unique.',
    ]);
    expect(messages(check({ ...policy, Statement: policy.Statement.map((s) => ({ ...s, Principal: '*' })) }, 'bucket'))).toEqual([
      'invalid-grammar: Sid "A-1" is already used by statement 1; Sids must be unique.',
    ]);
  });

  test('action and resource formats', () => {
    const fs = check(stmt({ Effect: 'Allow', Action: ['s3 GetObject', 'GetObject', '*', 's3:*'], Resource: ['*', 'arn:aws:s3:::b', 'arn:aws:s3::b', 'bucket/*', 'arn:${aws:partition}:s3:::b/${aws:username}'] }));
    expect(messages(fs)).toEqual([
      'invalid-grammar: "s3 GetObject" is not an action: expected "service:Action" (wildcards * and ? allowed) or "*".',
      'invalid-grammar: "GetObject" is not an action: expected "service:Action" (wildcards * and ? allowed) or "*".',
      'invalid-grammar: "arn:aws:s3::b" is not a resource: expected "*" or "arn:partition:service:region:account:resource".',
      'invalid-grammar: "bucket/*" is not a resource: expected "*" or "arn:partition:service:region:account:resource".',
    ]);
    expect(fs[0].location).toEqual({ file: FILE, line: 7, column: 9 });
  });

  test('element types', () => {
    expect(messages(check(stmt({ Effect: 'Allow', Action: { s3: 'GetObject' }, Resource: [] })))).toEqual([
      'invalid-grammar: Action must be a string or an array of strings, found an object.',
      'invalid-grammar: Resource must not be an empty array.',
    ]);
    expect(messages(check({ Version: '2012-10-17', Statement: ['Allow'] }))).toEqual(['invalid-grammar: Statement 1 must be an object, found a string.']);
  });
});

describe('conditions', () => {
  test.each([
    ['StringEquals', { set: undefined, base: 'StringEquals', ifExists: false }],
    ['StringNotLikeIfExists', { base: 'StringNotLike', ifExists: true }],
    ['ForAllValues:StringEquals', { set: 'ForAllValues', base: 'StringEquals', ifExists: false }],
    ['ForAnyValue:ArnLikeIfExists', { set: 'ForAnyValue', base: 'ArnLike', ifExists: true }],
    ['NumericGreaterThanEquals', { base: 'NumericGreaterThanEquals', ifExists: false }],
    ['DateLessThanIfExists', { base: 'DateLessThan', ifExists: true }],
    ['BinaryEquals', { base: 'BinaryEquals', ifExists: false }],
    ['NotIpAddress', { base: 'NotIpAddress', ifExists: false }],
    ['Null', { base: 'Null', ifExists: false }],
  ])('operator %s is known', (op, parts) => {
    expect(parseOperator(op)).toMatchObject(Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)));
  });

  test.each(['StringEqualz', 'NullIfExists', 'ForAllValues:Null', 'ForSomeValues:StringEquals', 'IfExists', ''])('operator "%s" is unknown', (op) => {
    expect(parseOperator(op)).toBeUndefined();
  });

  test('values must suit the operator', () => {
    const fs = check(
      stmt({
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: {
          Bool: { 'aws:SecureTransport': true, 'aws:ViaAWSService': 'maybe' },
          NumericLessThan: { 's3:max-keys': ['10', 5, 'ten'] },
          DateGreaterThan: { 'aws:CurrentTime': ['2024-01-01T00:00:00Z', '1700000000', 'yesterday'] },
          Null: { 'aws:TokenIssueTime': 'false' },
          StringEquals: { 'aws:username': ['a', null], 'aws:PrincipalTag/x': [] },
          StringLike: 'x',
        },
      }),
    );
    expect(messages(fs)).toEqual([
      'invalid-grammar: "maybe" is not a valid value for Bool (key aws:ViaAWSService).',
      'invalid-grammar: "ten" is not a valid value for NumericLessThan (key s3:max-keys).',
      'invalid-grammar: "yesterday" is not a valid value for DateGreaterThan (key aws:CurrentTime).',
      'invalid-grammar: Condition values must be strings, numbers or booleans; aws:username has a null.',
      'invalid-grammar: Condition key aws:PrincipalTag/x has no values.',
      'invalid-grammar: Condition operator StringLike must map condition keys to values, found a string.',
    ]);
  });

  test('condition clause values are strings, booleans and numbers as text', () => {
    const { root } = parseLocatedJson(JSON.stringify(stmt({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': true }, NumericLessThan: { 's3:max-keys': [10, '20'] } } })), { file: FILE });
    const { document } = documentFromValue(root!, { file: FILE, pointer: '', label: FILE });
    expect(document?.statements[0].conditions.map((c) => [c.operator, c.key, c.values])).toEqual([
      ['Bool', 'aws:SecureTransport', ['true']],
      ['NumericLessThan', 's3:max-keys', ['10', '20']],
    ]);
  });
});

describe('actions against the catalogue', () => {
  test('unknown actions with a suggestion from the real catalogue; patterns that match nothing', () => {
    const fs = check(stmt({ Effect: 'Allow', Action: ['s3:GetObjectt', 's3:PutObject', 'iam:PassRoles', 'nosuchservice:Get*', 's3:Frobnicate*', 'S3:getobject'], Resource: '*' }));
    expect(fs.map((f) => [f.ruleId, f.severity, f.message, f.identity, f.evidence])).toEqual([
      ['unknown-action', 'medium', '"s3:GetObjectt" matches no action in the IAM action catalogue. Did you mean "s3:GetObject"?', 'unknown-action|p.json|s3:getobjectt', { action: 's3:GetObjectt', suggestion: 's3:GetObject' }],
      ['unknown-action', 'medium', '"iam:PassRoles" matches no action in the IAM action catalogue. Did you mean "iam:PassRole"?', 'unknown-action|p.json|iam:passroles', { action: 'iam:PassRoles', suggestion: 'iam:PassRole' }],
      ['unknown-action', 'medium', '"nosuchservice:Get*" matches no action in the IAM action catalogue.', 'unknown-action|p.json|nosuchservice:get*', { action: 'nosuchservice:Get*' }],
      ['unknown-action', 'medium', '"s3:Frobnicate*" matches no action in the IAM action catalogue.', 'unknown-action|p.json|s3:frobnicate*', { action: 's3:Frobnicate*' }],
    ]);
    expect(fs[0].location).toEqual({ file: FILE, line: 7, column: 9 });
  });

  test('a substitute catalogue can be passed', () => {
    const fake: ActionCatalogPort = { isKnown: (p) => p === 'svc:Known', serviceActions: (s) => (s === 'svc' ? ['Known', 'Other'] : []) };
    const { root } = parseLocatedJson(JSON.stringify(stmt({ Effect: 'Allow', Action: ['svc:Known', 'svc:Knwn', 'svc:Unrelated'], Resource: '*' })), { file: FILE });
    const { document } = documentFromValue(root!, { file: FILE, pointer: '', label: FILE, validate: false });
    expect(messages(validateDocument(document!, root!, { catalog: fake }))).toEqual([
      'unknown-action: "svc:Knwn" matches no action in the IAM action catalogue. Did you mean "svc:Known"?',
      'unknown-action: "svc:Unrelated" matches no action in the IAM action catalogue.',
    ]);
    expect(suggestAction('svc:Kn*', fake)).toBeUndefined();
  });
});

describe('size quotas', () => {
  const bigPolicy = (n: number): unknown => stmt({ Effect: 'Allow', Action: 's3:GetObject', Resource: Array.from({ length: n }, (_, i) => `arn:aws:s3:::bucket-${String(i).padStart(4, '0')}/*`) });

  test('defaults per kind', () => {
    expect(DEFAULT_SIZE_LIMITS).toMatchObject({ identity: 6144, trust: 2048, bucket: 20480, scp: 5120 });
    const p = bigPolicy(200); // ~5.9k characters
    const size = policySize(fromPlain(p, { file: 'f', line: 1, column: 1 }));
    expect(size).toBe(JSON.stringify(p).length);
    expect(size).toBeGreaterThan(5120);
    expect(size).toBeLessThan(6144);
    expect(check(p, 'identity')).toEqual([]);
    const scp = check(p, 'scp');
    expect(scp).toEqual([expect.objectContaining({ ruleId: 'policy-too-large', severity: 'high', identity: 'policy-too-large|p.json|size', evidence: { size, limit: 5120 }, location: { file: FILE, line: 1, column: 1 } })]);
  });

  test('an explicit limit wins (inline user policy: 2,048)', () => {
    expect(check(bigPolicy(80), 'identity', 2048).map((f) => f.ruleId)).toEqual(['policy-too-large']);
  });

  test('whitespace is not counted', () => {
    const compact = policySize(parseLocatedJson('{"A":"b c"}', { file: 'f' }).root!);
    const spaced = policySize(parseLocatedJson('{\n    "A" :   "b c"\n}\n', { file: 'f' }).root!);
    expect(compact).toBe(11);
    expect(spaced).toBe(11);
  });
});

test('a trailing wildcard may cover the remaining ARN parts', () => {
  expect(check(stmt({ Effect: 'Allow', Action: 'cloudfront:ListDistributions', Resource: 'arn:aws:cloudfront:*' }))).toEqual([]);
});
