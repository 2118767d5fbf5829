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
