import { readFileSync } from 'node:fs';
import type { ExtractedFile, Finding } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';
import { POLICY_WRAPPERS } from '../../src/policies/detect.js';

const FIXTURES = new URL('../../fixtures/policies/', import.meta.url);
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const OPTS = { maxBytes: 1 << 20 };

const extract = (name: string, extra: Partial<Parameters<typeof extractPolicies>[2]> = {}): ExtractedFile =>
  extractPolicies(`iam/${name}`, read(name), { ...OPTS, ...extra });
const rules = (f: ExtractedFile): string[] => f.findings.map((x) => x.ruleId);
const lines = (xs: Array<{ loc: { line: number } }> | undefined): number[] => (xs ?? []).map((x) => x.loc.line);

describe('valid policies from the IAM User Guide', () => {
  test('identity policy: statements, actions and resources at their exact lines', () => {
    const f = extract('identity-access-analyzer.json');
    expect(f).toMatchObject({ status: 'policy', format: 'json', findings: [] });
    const [doc] = f.documents;
    expect(doc).toMatchObject({ id: 'iam/identity-access-analyzer.json', pointer: '', kind: 'identity', version: '2012-10-17', label: 'iam/identity-access-analyzer.json' });
    expect(doc.loc).toMatchObject({ line: 1, column: 1, endLine: 29 });
    expect(doc.statements.map((s) => [s.index, s.effect, s.loc.line, s.loc.column])).toEqual([
      [0, 'Allow', 4, 5],
      [1, 'Allow', 9, 5],
      [2, 'Allow', 17, 5],
    ]);
    expect(doc.statements[0].actions).toEqual([{ value: 'cloudtrail:GetTrail', loc: { file: 'iam/identity-access-analyzer.json', line: 6, column: 17, endLine: 6, endColumn: 38 } }]);
    expect(lines(doc.statements[1].actions)).toEqual([12, 13]);
    expect(lines(doc.statements[2].actions)).toEqual([20, 21]);
    expect(doc.statements[2].resources?.map((r) => [r.value, r.loc.line])).toEqual([
      ['arn:aws:s3:::DOC-EXAMPLE-BUCKET', 24],
      ['arn:aws:s3:::DOC-EXAMPLE-BUCKET/*', 25],
    ]);
    expect(doc.statements[0].conditions).toEqual([]);
  });

  test('identity size is the whitespace-free length', () => {
    const text = readFileSync(new URL('identity-access-analyzer.json', FIXTURES), 'utf8');
    const [doc] = extract('identity-access-analyzer.json').documents;
    expect(doc.size).toBe(JSON.stringify(JSON.parse(text)).length);
    expect(doc.size).toBeLessThan(text.replace(/\s/g, '').length + 1);
  });

  test('trust policy (GitHub OIDC): kind, federated principal, conditions located', () => {
    const f = extract('trust-github-oidc.json');
    expect(f.findings).toEqual([]);
    const [doc] = f.documents;
    expect(doc.kind).toBe('trust');
    const [st] = doc.statements;
    expect(st.loc.line).toBe(4);
    expect(st.principal).toMatchObject({ any: false, loc: { line: 6 }, entries: [{ type: 'Federated', value: 'arn:aws:iam::012345678910:oidc-provider/token.actions.githubusercontent.com', loc: { line: 7 } }] });
    expect(lines(st.actions)).toEqual([9]);
    expect(st.resources).toBeUndefined();
    expect(st.conditions.map((c) => [c.operator, c.key, c.values, c.loc.line])).toEqual([
      ['StringEquals', 'token.actions.githubusercontent.com:aud', ['sts.amazonaws.com'], 12],
      ['StringEquals', 'token.actions.githubusercontent.com:sub', ['repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch'], 13],
    ]);
  });

  test('trust policy with SetSourceIdentity statements and Sids', () => {
    const f = extract('trust-saml-source-identity.json');
    expect(f.findings).toEqual([]);
    expect(f.documents[0].kind).toBe('trust');
    expect(f.documents[0].statements.map((s) => s.sid)).toEqual(['SAMLProviderAssumeRoleWithSAML', 'SetSourceIdentitySrEngs']);
  });

  test('bucket policy: {"AWS": "*"} is any principal, resource lines, both condition clauses', () => {
    const f = extract('bucket-policy-generation.json');
    expect(f.findings).toEqual([]);
    const [doc] = f.documents;
    expect(doc.kind).toBe('bucket');
    const [st] = doc.statements;
    expect(st.sid).toBe('PolicyGenerationBucketPolicy');
    expect(st.principal).toMatchObject({ any: true, entries: [{ type: 'AWS', value: '*', loc: { line: 8 } }] });
    expect(lines(st.actions)).toEqual([11, 12]);
    expect(lines(st.resources)).toEqual([15, 16]);
    expect(st.conditions.map((c) => [c.operator, c.loc.line])).toEqual([
      ['StringEquals', 20],
      ['StringLike', 23],
    ]);
  });

  test('bucket policy with "Principal": "*" and a Deny', () => {
    const f = extract('bucket-deny-principal-arn.json');
    expect(f.findings).toEqual([]);
    expect(f.documents[0].kind).toBe('bucket');
    expect(f.documents[0].statements[0]).toMatchObject({ effect: 'Deny', principal: { any: true, entries: [] } });
  });

  test('kindHint wins over the inferred kind', () => {
    expect(extract('identity-access-analyzer.json', { kindHint: 'boundary' }).documents[0].kind).toBe('boundary');
  });

  test('the path hints bucket policies', () => {
    const text = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}}';
    expect(extractPolicies('x/resource.json', enc(text), OPTS).documents[0].kind).toBe('resource');
    expect(extractPolicies('x/my-bucket-policy.json', enc(text), OPTS).documents[0].kind).toBe('bucket');
  });
});

describe('wrappers', () => {
  test('POLICY_WRAPPERS documents each shape', () => {
    expect(POLICY_WRAPPERS.map((w) => w.pointer)).toEqual(['', '/PolicyDocument', '/Policy', '/Attributes/Policy', '/policyText', '/ResourcePolicy', '/PolicyVersion/Document', '/AssumeRolePolicyDocument', '/Role/AssumeRolePolicyDocument']);
    for (const w of POLICY_WRAPPERS) expect(w.description.length).toBeGreaterThan(20);
  });

  test('resource policies from the CLI: kms/lambda {"Policy"}, sqs/sns Attributes.Policy, ecr policyText, secretsmanager ResourcePolicy; kind by content', () => {
    const kms = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] });
    const bucket = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] });
    const kindOf = (wrapped: object) => {
      const f = extractPolicies('p.json', enc(JSON.stringify(wrapped)), OPTS);
      expect(f.status).toBe('policy');
      return f.documents[0].kind;
    };
    expect(kindOf({ Policy: kms, PolicyName: 'default' })).toBe('resource');
    expect(kindOf({ Policy: bucket })).toBe('bucket');
    expect(kindOf({ Attributes: { Policy: kms } })).toBe('resource');
    expect(kindOf({ registryId: '1', repositoryName: 'r', policyText: kms })).toBe('resource');
    expect(kindOf({ ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:s', Name: 's', ResourcePolicy: kms })).toBe('resource');
  });

  test('get-role-policy: PolicyDocument', () => {
    const f = extract('wrapper-get-role-policy.json');
    expect(f).toMatchObject({ status: 'policy', format: 'wrapper', findings: [] });
    expect(f.documents[0]).toMatchObject({ id: 'iam/wrapper-get-role-policy.json#/PolicyDocument', pointer: '/PolicyDocument', label: 'iam/wrapper-get-role-policy.json#/PolicyDocument', kind: 'identity' });
    expect(f.documents[0].statements.map((s) => s.loc.line)).toEqual([7, 12, 20]);
  });

  test('s3api get-bucket-policy: inner positions map into the string on its line', () => {
    const name = 'wrapper-s3api-get-bucket-policy.json';
    const f = extract(name);
    expect(f.findings).toEqual([]);
    const [doc] = f.documents;
    expect(doc).toMatchObject({ pointer: '/Policy', kind: 'bucket', version: '2012-10-17' });
    const line2 = readFileSync(new URL(name, FIXTURES), 'utf8').split('\n')[1];
    const action = doc.statements[0].actions![0];
    expect(action.value).toBe('s3:*');
    expect(action.loc.line).toBe(2);
    // the column points at the opening (escaped) quote of "s3:*" inside the outer string
    expect(line2.slice(action.loc.column - 1)).toMatch(/^\\"s3:\*\\"/);
    const res = doc.statements[0].resources!;
    expect(res.map((r) => r.value)).toEqual(['arn:aws:s3:::carlossalazar/*', 'arn:aws:s3:::carlossalazar']);
    expect(line2.slice(res[1].loc.column - 1)).toMatch(/^\\"arn:aws:s3:::carlossalazar\\"\]/);
  });

  test('get-policy-version with an object Document', () => {
    const f = extract('wrapper-get-policy-version.json');
    expect(f.findings).toEqual([]);
    expect(f.documents[0]).toMatchObject({ pointer: '/PolicyVersion/Document', kind: 'identity' });
    expect(f.documents[0].statements[0].loc.line).toBe(6);
  });

  test('get-policy-version with a URL-encoded Document: everything points at the string', () => {
    const f = extract('wrapper-get-policy-version-urlencoded.json');
    expect(f.findings).toEqual([]);
    const [doc] = f.documents;
    expect(doc.statements).toHaveLength(3);
    expect(doc.statements[2].resources?.map((r) => r.value)).toEqual(['arn:aws:s3:::DOC-EXAMPLE-BUCKET', 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/*']);
    expect(doc.statements[2].resources?.[1].loc).toMatchObject({ line: 3, column: 21 });
  });

  test('get-role: Role.AssumeRolePolicyDocument is a trust policy', () => {
    const f = extract('wrapper-get-role.json');
    expect(f.findings).toEqual([]);
    expect(f.documents[0]).toMatchObject({ pointer: '/Role/AssumeRolePolicyDocument', kind: 'trust' });
    expect(f.documents[0].statements[0].loc.line).toBe(11);
  });

  test('create-role input: AssumeRolePolicyDocument as a JSON string', () => {
    const f = extract('wrapper-create-role-input.json');
    expect(f.findings).toEqual([]);
    expect(f.documents[0]).toMatchObject({ pointer: '/AssumeRolePolicyDocument', kind: 'trust' });
    expect(f.documents[0].statements[0].principal?.entries[0]).toMatchObject({ type: 'Service', value: 'access-analyzer.amazonaws.com', loc: { line: 3 } });
  });

  test('a broken embedded string is a located parse error', () => {
    const f = extractPolicies('p.json', enc('{\n  "Policy": "{\\"Statement\\": [}"\n}'), OPTS);
    expect(f.status).toBe('error');
    expect(f.findings).toEqual([expect.objectContaining({ ruleId: 'parse-error', location: { file: 'p.json', line: 2, column: 31 } })]);
  });
});

describe('not policies', () => {
  test.each([
    ['package.json', '{"name": "x", "version": "1.0.0"}'],
    ['tsconfig.json', '{ // comments\n "compilerOptions": {} }'],
    ['README.md', '# hello'],
    ['iam-policy.yaml', 'Statement: []'],
    ['list.json', '[1, 2, {"a": 1}]'],
    ['get-policy.json', '{"Policy": {"PolicyName": "x", "Arn": "arn:aws:iam::1:policy/x"}}'],
  ])('%s is not a policy', (path, text) => {
    expect(extractPolicies(path, enc(text), OPTS)).toEqual({ path, status: 'not-policy', documents: [], findings: [] });
  });

  test('binary non-JSON files are ignored', () => {
    expect(extractPolicies('logo.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), OPTS).status).toBe('not-policy');
  });

  test('forcePolicy turns "not a policy" into an error', () => {
    const f = extractPolicies('package.json', enc('{"name": "x"}'), { ...OPTS, forcePolicy: true });
    expect(f.status).toBe('error');
    expect(f.findings).toEqual([expect.objectContaining({ ruleId: 'unsupported-file', identity: 'unsupported-file|package.json|not-a-policy', location: { file: 'package.json', line: 1, column: 1 } })]);
    expect(extractPolicies('policy.txt', enc('garbage'), { ...OPTS, forcePolicy: true }).findings[0].ruleId).toBe('parse-error');
  });
});

describe('bad inputs', () => {
  const only = (f: ExtractedFile): Finding => {
    expect(f.findings).toHaveLength(1);
    return f.findings[0];
  };

  test('malformed JSON (missing comma): parse error at the exact line and column', () => {
    const f = extract('bad-malformed.json');
    expect(f.status).toBe('error');
    expect(f.documents).toEqual([]);
    expect(only(f)).toMatchObject({ ruleId: 'parse-error', severity: 'high', location: { file: 'iam/bad-malformed.json', line: 7, column: 7 }, identity: 'parse-error|iam/bad-malformed.json|syntax' });
  });

  test('truncated JSON: unexpected end of input located at the end', () => {
    const f = extract('bad-truncated.json');
    expect(f.status).toBe('error');
    expect(only(f).message).toBe('Invalid JSON: unexpected end of input (the text is truncated).');
    expect(only(f).location).toEqual({ file: 'iam/bad-truncated.json', line: 8, column: 1 });
  });

  test('a non-.json file that fails to parse is not a policy', () => {
    expect(extractPolicies('notes/policy.txt', read('bad-malformed.json'), OPTS).status).toBe('not-policy');
  });

  test('duplicate keys: finding at the second key, the last value analysed', () => {
    const f = extract('bad-duplicate-keys.json');
    expect(f.status).toBe('policy');
    expect(only(f)).toMatchObject({ ruleId: 'duplicate-key', severity: 'high', location: { line: 8, column: 7 }, identity: 'duplicate-key|iam/bad-duplicate-keys.json|/Statement/0/Action' });
    expect(f.documents[0].statements[0].actions).toEqual([expect.objectContaining({ value: 's3:*', loc: expect.objectContaining({ line: 8 }) })]);
    // The same value twice is not ambiguous: no finding.
    const same = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*","Action":["s3:GetObject"]}]}';
    expect(extractPolicies('same.json', enc(same), OPTS).findings).toEqual([]);
  });

  test('wrong types: located grammar findings, document still produced', () => {
    const f = extract('bad-wrong-types.json');
    expect(f.status).toBe('policy');
    expect(f.findings.map((x) => [x.ruleId, x.location?.line, x.location?.column])).toEqual([
      ['invalid-grammar', 2, 14],
      ['invalid-grammar', 3, 16],
    ]);
    expect(f.documents[0].statements).toEqual([]);
  });

  test('deep nesting is a parse error, not a stack overflow', () => {
    const text = '{"Statement": ' + '['.repeat(50_000) + ']'.repeat(50_000) + '}';
    const f = extractPolicies('deep.json', enc(text), OPTS);
    expect(f.status).toBe('error');
    expect(only(f)).toMatchObject({ ruleId: 'parse-error', location: { line: 1, column: 78 } });
    expect(only(f).message).toMatch(/deeper than 64/);
  });

  test('huge file: not parsed, an unsupported-file error when meant as a policy', () => {
    const big = enc('{"Statement": [' + '{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},'.repeat(30_000) + '{}]}');
    const f = extractPolicies('big.json', big, OPTS);
    expect(f.status).toBe('error');
    expect(only(f)).toMatchObject({ ruleId: 'unsupported-file', identity: 'unsupported-file|big.json|too-large' });
    expect(extractPolicies('data.json', enc('[' + '1,'.repeat(600_000) + '1]'), OPTS).status).toBe('not-policy');
  });

  test('UTF-8 BOM: stripped, parsed, noted', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...read('identity-access-analyzer.json')]);
    const f = extractPolicies('bom.json', bytes, OPTS);
    expect(f.status).toBe('policy');
    expect(f.documents[0].statements[0].loc.line).toBe(4);
    expect(only(f)).toMatchObject({ ruleId: 'parse-error', severity: 'info', identity: 'parse-error|bom.json|bom' });
  });

  test('non-UTF-8 policy file', () => {
    const bytes = enc('{"Version":"2012-10-17","Statement":{"Sid":"caf\u00e9"}}');
    const latin1 = new Uint8Array([...bytes].flatMap((b, i, a) => (b === 0xc3 && a[i + 1] === 0xa9 ? [0xe9] : b === 0xa9 && a[i - 1] === 0xc3 ? [] : [b])));
    const f = extractPolicies('latin1.json', latin1, OPTS);
    expect(f.status).toBe('error');
    expect(only(f)).toMatchObject({ ruleId: 'unsupported-file', message: expect.stringMatching(/not valid UTF-8/) });
  });

  test('UTF-16 policy file (PowerShell default) gets its own message', () => {
    const text = '{"Version":"2012-10-17","Statement":[]}';
    const utf16 = new Uint8Array([0xff, 0xfe, ...[...text].flatMap((c) => [c.charCodeAt(0), 0])]);
    const f = extractPolicies('ps.json', utf16, OPTS);
    expect(f.status).toBe('error');
    expect(only(f).message).toMatch(/UTF-16/);
    // Without a byte order mark, little or big endian: still an error, never "not a policy".
    for (const bytes of [utf16.subarray(2), new Uint8Array([...[...text].flatMap((c) => [0, c.charCodeAt(0)])])]) {
      const g = extractPolicies('ps.json', bytes, OPTS);
      expect(g.status).toBe('error');
      expect(only(g)).toMatchObject({ ruleId: 'unsupported-file', message: expect.stringMatching(/UTF-16 encoded \(no byte order mark\)/) });
    }
  });

  test('binary content named .json that does not look like a policy is ignored; forced, it is an error', () => {
    const bin = new Uint8Array([1, 2, 0, 4, 5]);
    expect(extractPolicies('blob.json', bin, OPTS).status).toBe('not-policy');
    const f = extractPolicies('blob.json', bin, { ...OPTS, forcePolicy: true });
    expect(only(f)).toMatchObject({ ruleId: 'unsupported-file', message: expect.stringMatching(/binary/) });
  });

  test('grammar fixture: every problem located, statements with a bad Effect left out', () => {
    const f = extract('bad-grammar.json', { kindHint: 'identity' });
    expect(f.status).toBe('policy');
    const got = f.findings.map((x) => `${x.ruleId}@${x.location?.line}:${x.location?.column} ${x.message}`);
    expect(got).toEqual([
      'invalid-grammar@3:3 Unknown top-level element "Statment": a policy has only Version, Id and Statement.',
      'invalid-grammar@7:17 Effect must be "Allow" or "Deny", not "allow" (the value is case-sensitive).',
      'invalid-grammar@6:14 Sid "Read Reports" may contain only letters and digits in an identity policy.',
      'invalid-grammar@9:19 "reports-bucket/*" is not a resource: expected "*" or "arn:partition:service:region:account:resource".',
      'invalid-grammar@11:5 Statement 2 has no Effect; it must be "Allow" or "Deny".',
      'invalid-grammar@13:52 Action entries must be strings, found a number.',
      'unknown-action@13:18 "s3:GetObjectt" matches no action in the IAM action catalogue. Did you mean "s3:GetObject"?',
      'invalid-grammar@16:9 Unknown condition operator "StringEqualz".',
      'invalid-grammar@17:42 "yes" is not a valid value for Bool (key aws:SecureTransport).',
      'invalid-grammar@18:52 Condition values must be strings, numbers or booleans; s3:max-keys has an object.',
      'invalid-grammar@25:7 A statement may have Action or NotAction, not both.',
      'invalid-grammar@26:7 Principal is not allowed in an identity policy.',
      'invalid-grammar@22:14 Sid "NoEffect" is already used by statement 2; Sids must be unique.',
    ]);
    expect(f.documents[0].statements.map((s) => s.index)).toEqual([2]);
  });

  test('never throws on random bytes', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let i = 0; i < 200; i++) {
      const bytes = new Uint8Array(Array.from({ length: 1 + (i % 50) }, rnd));
      expect(() => extractPolicies('r.json', bytes, { maxBytes: 100, forcePolicy: i % 2 === 0 })).not.toThrow();
    }
  });
});

test('CRLF and lone-CR line endings give the same lines, also inside wrapper strings', () => {
  const text = readFileSync(new URL('wrapper-s3api-get-bucket-policy.json', FIXTURES), 'utf8');
  const lf = extractPolicies('w.json', enc(text), OPTS).documents[0].statements[0].actions![0].loc;
  for (const eol of ['\r\n', '\r']) {
    const loc = extractPolicies('w.json', enc(text.replace(/\n/g, eol)), OPTS).documents[0].statements[0].actions![0].loc;
    expect(loc).toEqual(lf);
  }
  const deep = '{\r\n"Statement":\r\n' + '['.repeat(70);
  expect(extractPolicies('d.json', enc(deep), OPTS).findings[0].location).toEqual({ file: 'd.json', line: 3, column: 64 }); // the root { is level 1
});

describe('a file with several wrappers', () => {
  test('a create-role skeleton: both PolicyDocument and AssumeRolePolicyDocument are read', () => {
    const text = JSON.stringify({
      RoleName: 'app',
      AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] },
      PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] },
    });
    const r = extractPolicies('role.json', new TextEncoder().encode(text), { maxBytes: 1 << 20 });
    expect(r.documents.map((d) => [d.pointer, d.kind]).sort()).toEqual([['/AssumeRolePolicyDocument', 'trust'], ['/PolicyDocument', 'identity']]);
  });
});

describe('a list of policies', () => {
  test('is an unsupported file (fails closed), not "not a policy"', () => {
    const text = JSON.stringify([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }]);
    const r = extractPolicies('policies.json', new TextEncoder().encode(text), { maxBytes: 1 << 20 });
    expect(r.status).toBe('error');
    expect(r.findings.map((f) => f.ruleId)).toEqual(['unsupported-file']);
    expect(extractPolicies('list.json', new TextEncoder().encode('[1, 2]'), { maxBytes: 1 << 20 }).status).toBe('not-policy');
  });
});

describe('a policy document written in YAML', () => {
  test('is an unsupported file (fails closed), not "not a policy"', () => {
    const r = extractPolicies('iam/app.yaml', new TextEncoder().encode("Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Action: '*'\n    Resource: '*'\n"), { maxBytes: 1 << 20 });
    expect(r.status).toBe('error');
    expect(r.findings.map((f) => f.ruleId)).toEqual(['unsupported-file']);
    expect(r.findings[0].message).toMatch(/a policy document in YAML is not analysed/);
  });
});
