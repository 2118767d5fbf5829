// [iac] Bad input: a clear, located message; nothing else lost; fail closed (parse-error / unsupported-file fail by default).
import { readFileSync } from 'node:fs';
import type { ExtractedFile } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';
import { resolveAction } from '../../src/verdict/rules.js';

const extract = (path: string, bytes?: Uint8Array, maxBytes = 2 << 20): ExtractedFile =>
  extractPolicies(path, bytes ?? new Uint8Array(readFileSync(path)), { maxBytes, side: 'head', iac: { cloudformation: {} } });
const enc = (s: string) => new TextEncoder().encode(s);
const failsClosed = (ruleId: string) => expect(resolveAction(ruleId, 'high', {})).toBe('fail');

describe('CloudFormation bad input', () => {
  test('a template that is not CloudFormation (Resources as a list): parse-error at the Resources line', () => {
    const path = 'fixtures/iac/bad/not-cfn.yaml';
    const r = extract(path);
    expect(r.status).toBe('error');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ ruleId: 'parse-error', location: { file: path, line: 4 } });
    expect(r.findings[0].message).toBe(`${path}:4: not a valid CloudFormation template: Resources must be a mapping of logical ids to resources`);
    failsClosed('parse-error');
  });

  test('YAML with CloudFormation tags but no Resources is refused; ordinary YAML (a workflow) is simply not a policy', () => {
    const r = extract('x.yaml', enc('Outputs:\n  A: !Ref B\n'));
    expect(r.findings[0]).toMatchObject({ ruleId: 'parse-error', location: { file: 'x.yaml', line: 1 } });
    expect(r.findings[0].message).toContain('not a CloudFormation template');
    expect(extract('.github/workflows/ci.yml', enc('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n')).status).toBe('not-policy');
  });

  test('an unknown tag: located parse-error, the value is "*", the other statements are kept', () => {
    const path = 'fixtures/iac/bad/unknown-tag.yaml';
    const r = extract(path);
    const f = r.findings.find((x) => x.ruleId === 'parse-error');
    expect(f?.location).toMatchObject({ file: path, line: 18 });
    expect(f?.message).toContain('unknown YAML tag !Reff');
    const inline = r.documents.find((d) => d.label === 'AppRole inline policy app');
    expect(inline?.statements.map((s) => s.resources?.[0].value)).toEqual(['*', 'arn:aws:sqs:us-east-1:123456789012:jobs']);
    expect(r.documents.find((d) => d.kind === 'trust')).toBeDefined();
  });

  test('a circular reference: located parse-error naming the cycle, the rest of the template still analysed', () => {
    const path = 'fixtures/iac/bad/circular.yaml';
    const r = extract(path);
    const f = r.findings.find((x) => x.ruleId === 'parse-error');
    expect(f?.message).toMatch(/circular reference: resource Bucket[AB] → resource Bucket[AB] → resource Bucket[AB]/);
    expect(f?.location?.file).toBe(path);
    expect([6, 10, 26]).toContain(f?.location?.line);
    const inline = r.documents.find((d) => d.label === 'ReaderRole inline policy read');
    expect(inline?.statements).toHaveLength(2);
    expect(inline?.statements[1].actions?.[0].value).toBe('logs:PutLogEvents');
  });

  test('invalid YAML in a template: parse-error at the line, no documents', () => {
    const path = 'fixtures/iac/bad/syntax.yaml';
    const r = extract(path);
    expect(r.status).toBe('error');
    expect(r.findings[0].ruleId).toBe('parse-error');
    expect(r.findings[0].location?.file).toBe(path);
    expect(r.findings[0].location?.line).toBeGreaterThanOrEqual(6);
    expect(r.findings[0].message).toMatch(new RegExp(`^${path}:\\d+: invalid YAML`));
  });

  test('an enormous template (over the file limit): unsupported-file at line 1, never "not a policy"', () => {
    const big = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n' + Array.from({ length: 4000 }, (_, i) => `  Q${i}:\n    Type: AWS::SQS::Queue\n`).join('');
    const r = extract('infra/big.yaml', enc(big), 20_000);
    expect(r.status).toBe('error');
    expect(r.findings[0]).toMatchObject({ ruleId: 'unsupported-file', location: { file: 'infra/big.yaml', line: 1 } });
    expect(r.findings[0].message).toContain('over the limit');
    failsClosed('unsupported-file');
  });

  test('a template with more resources than any stack can hold is refused with a message', () => {
    const big = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n' + Array.from({ length: 2001 }, (_, i) => `  Q${i}:\n    Type: AWS::SQS::Queue\n`).join('');
    const r = extract('infra/many.yaml', enc(big));
    expect(r.findings[0]).toMatchObject({ ruleId: 'unsupported-file', location: { file: 'infra/many.yaml', line: 1 } });
    expect(r.findings[0].message).toContain('2001 resources');
  });

  test('an alias bomb is bounded', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill('*' + String.fromCharCode(96 + i)).join(', ')}]`);
    const text = `AWSTemplateFormatVersion: "2010-09-09"\n${lines.join('\n')}\nResources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties: { X: *h }\n`;
    const r = extract('bomb.yaml', enc(text));
    expect(r.status).toBe('error');
    expect(r.findings[0].message).toContain('template not analysed');
  });
});

describe('Terraform bad input', () => {
  test('a plan of an unsupported format version: parse-error at the format_version line and column', () => {
    const path = 'fixtures/iac/bad/plan-v9.json';
    const r = extract(path);
    expect(r.status).toBe('error');
    expect(r.findings[0]).toMatchObject({ ruleId: 'parse-error', location: { file: path, line: 2 } });
    expect(r.findings[0].message).toContain('format_version "9.0" is not supported');
  });

  test('state JSON instead of a plan is refused with a located message', () => {
    const r = extract('state.json', enc('{"format_version":"1.0","terraform_version":"1.9.0","values":{"root_module":{}}}'));
    expect(r.findings[0]).toMatchObject({ ruleId: 'parse-error', location: { file: 'state.json', line: 1 } });
    expect(r.findings[0].message).toContain('not a plan');
  });

  test('an embedded policy that is not JSON: parse-error inside the plan, other resources still read', () => {
    const plan = {
      format_version: '1.2',
      resource_changes: [
        { address: 'aws_iam_policy.bad', mode: 'managed', type: 'aws_iam_policy', name: 'bad', change: { actions: ['create'], before: null, after: { policy: '{"Statement": [' }, after_unknown: {} } },
        { address: 'aws_iam_policy.ok', mode: 'managed', type: 'aws_iam_policy', name: 'ok', change: { actions: ['create'], before: null, after: { policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}' }, after_unknown: {} } },
      ],
    };
    const r = extract('p.json', enc(JSON.stringify(plan, null, 1)));
    const f = r.findings.find((x) => x.ruleId === 'parse-error');
    expect(f?.message).toContain('aws_iam_policy.bad');
    expect(f?.location?.file).toBe('p.json');
    expect(f?.location?.line).toBeGreaterThan(1);
    expect(r.documents.map((d) => d.label)).toEqual(['aws_iam_policy.ok (unattached)']);
  });

  test('a plan over the policy-file limit but under the plan limit is still read', () => {
    const bytes = new Uint8Array(readFileSync('fixtures/iac/tf/module-for-each/tfplan.json'));
    const r = extract('fixtures/iac/tf/module-for-each/tfplan.json', bytes, 1000);
    expect(r.format).toBe('terraform-plan');
    expect(r.documents.length).toBeGreaterThan(5);
  });
});

describe('structures the extractors could not read fail closed (hardening corpus)', () => {
  const corpus = (file: string) => extract(`fixtures/bad-inputs/${file}`);
  const only = (r: ExtractedFile, ruleId: string) => r.findings.filter((f) => f.ruleId === ruleId);

  test.each([
    ['cfn-json/properties-string.json', 6, 'R (AWS::IAM::Role): Properties is a string, not a mapping'],
    ['cfn-json/policies-string.json', 8, 'R (AWS::IAM::Role): Policies is a string, not a list'],
    ['cfn-yaml/merge-key.yaml', 6, 'P (AWS::IAM::ManagedPolicy) has no PolicyDocument (YAML merge keys "<<"'],
  ])('CloudFormation %s: parse-error at line %d', (file, line, text) => {
    const [f] = only(corpus(file), 'parse-error');
    expect(f.location).toMatchObject({ file: `fixtures/bad-inputs/${file}`, line });
    expect(f.message).toContain(`fixtures/bad-inputs/${file}:${line}: ${text}`);
    failsClosed('parse-error');
  });

  test('CloudFormation: a null Policies entry and one without a PolicyDocument are each reported at their line', () => {
    const r = corpus('cfn-json/policies-with-null.json');
    expect(r.status).toBe('error');
    expect(only(r, 'parse-error').map((f) => [f.location?.line, f.message.split(': ').slice(1).join(': ')])).toEqual([
      [8, 'R (AWS::IAM::Role): Policies[0] is null, not a mapping with PolicyName and PolicyDocument'],
      [9, 'R (AWS::IAM::Role) has an inline policy (Policies[1] p) without a PolicyDocument; what it grants could not be read'],
    ]);
  });

  test.each([
    ['format-version-number.json', 'error', 'format_version is a number (1.2), not a version string'],
    ['resource-changes-object.json', 'error', 'resource_changes is an object, not a list of resource changes'],
    ['resource-change-null.json', 'policy', 'resource_changes[0] is null, not a resource change'],
    ['change-missing.json', 'policy', 'aws_iam_role_policy.p (resource_changes[0]) has no change'],
    ['policy-number.json', 'policy', 'aws_iam_role_policy.p: policy is a number, not policy JSON text'],
    ['policy-object-bad.json', 'policy', 'aws_iam_role_policy.p: policy is an object, not policy JSON text'],
    ['before-after-swapped-types.json', 'policy', 'aws_iam_role_policy.p: change.after is a list, not an object or null'],
    ['policy-document-data-bad.json', 'policy', 'data.aws_iam_policy_document.d: statement is a string, not a list of statement blocks; json is a number'],
  ])('Terraform %s: a located parse-error naming what was wrong', (file, status, text) => {
    const r = corpus(`tf-plan/${file}`);
    expect(r.status).toBe(status);
    expect(r.documents).toEqual([]);
    const f = only(r, 'parse-error').find((x) => x.message.includes(text));
    expect(f?.message).toMatch(new RegExp(`^fixtures/bad-inputs/tf-plan/${file.replace('.', '\\.')}:\\d+:\\d+: `));
    expect(f?.location?.line).toBeGreaterThan(1);
  });

  test('Terraform: an errored plan is unsupported-file at the errored key, and fails closed', () => {
    const r = corpus('tf-plan/errored-plan.json');
    expect(r.status).toBe('error');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ ruleId: 'unsupported-file', location: { file: 'fixtures/bad-inputs/tf-plan/errored-plan.json', line: 3 } });
    expect(r.findings[0].message).toContain('"errored": true (planning failed before it completed)');
    failsClosed('unsupported-file');
  });

  test('no noise for valid shapes: errored false, no resource_changes, empty inline_policy, unknown data source json, a user without Properties', () => {
    const plan = {
      format_version: '1.2',
      errored: false,
      resource_changes: [
        {
          address: 'aws_iam_role.r',
          mode: 'managed',
          type: 'aws_iam_role',
          name: 'r',
          change: {
            actions: ['create'],
            before: null,
            after: { name: 'r', assume_role_policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}', inline_policy: [{ name: '', policy: '' }] },
            after_unknown: { arn: true },
          },
        },
        { address: 'data.aws_iam_policy_document.d', mode: 'data', type: 'aws_iam_policy_document', name: 'd', change: { actions: ['read'], before: null, after: { statement: [] }, after_unknown: { json: true } } },
      ],
    };
    const r = extract('ok.json', enc(JSON.stringify(plan, null, 1)));
    expect(r.findings.filter((f) => f.ruleId === 'parse-error' || f.ruleId === 'unsupported-file')).toEqual([]);
    expect(r.documents.map((d) => d.kind)).toEqual(['trust']);
    const noChanges = extract('none.json', enc('{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{}}'));
    expect(noChanges.findings).toEqual([]);
    const user = extract('u.template.json', enc('{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"U":{"Type":"AWS::IAM::User"}}}'));
    expect(user.findings).toEqual([]);
  });
});
