// [iac] CloudFormation: templates (YAML short forms, JSON, cdk.out) -> documents bound to subjects, with template lines.
import { readFileSync } from 'node:fs';
import type { ExtractedFile, PolicyDocument } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';
import type { CfnSettings } from '../../src/iac/index.js';
import { parseCfnYaml } from '../../src/iac/cfn-yaml.js';
import { CfnResolver } from '../../src/iac/cfn-resolve.js';

const read = (p: string) => new Uint8Array(readFileSync(p));
function extract(path: string, cloudformation: CfnSettings = { parameters: {} }, bytes?: Uint8Array): ExtractedFile {
  return extractPolicies(path, bytes ?? read(path), { maxBytes: 2 << 20, iac: { cloudformation } });
}
const byLabel = (r: ExtractedFile, label: string): PolicyDocument[] => r.documents.filter((d) => d.label === label);
const lines = (d: PolicyDocument) => d.statements.map((s) => s.loc.line);
const resources = (d: PolicyDocument) => d.statements.flatMap((s) => (s.resources ?? []).map((r) => r.value));

const APP = 'fixtures/iac/cfn/app-stack.yaml';

describe('CloudFormation YAML template (short-form tags)', () => {
  const r = extract(APP);

  test('is read as CloudFormation with every policy of the template', () => {
    expect(r.status).toBe('policy');
    expect(r.format).toBe('cloudformation');
    expect(r.documents.map((d) => d.label).sort()).toEqual(
      [
        'DataBucketPolicy bucket policy',
        'OrdersManagedPolicy (OrdersManagedPolicy)',
        'OrdersRole inline policy TableAccess',
        'OrdersRole managed policy AWSLambdaBasicExecutionRole (AWS managed)',
        'OrdersRole trust policy',
        'OrphanPolicy (orders-break-glass, unattached)',
        'ReportsPolicy (reports)',
        'ReportsPolicy (reports)',
      ].sort(),
    );
  });

  test('a role inline policy: subject is the logical role, statements at their template lines, !If on a known condition resolved', () => {
    const [doc] = byLabel(r, 'OrdersRole inline policy TableAccess');
    expect(doc.kind).toBe('identity');
    expect(doc.subjectHint).toEqual({ type: 'role', id: `${APP}#OrdersRole` });
    expect(lines(doc)).toEqual([72, 78, 84]); // Env defaults to prod: the !If statement is in
    expect(doc.statements[0].actions?.map((a) => a.value)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(doc.statements[0].actions?.[0].loc.line).toBe(75);
    // !GetAtt of a table with a !FindInMap name; pseudo parameters without config are stand-ins
    expect(doc.statements[0].resources?.[0].value).toBe('arn:aws:dynamodb:{Region}:{AccountId}:table/orders-prod');
  });

  test('a parameter without value or default is "*" in the document and an iac-unresolved finding at its line', () => {
    const [doc] = byLabel(r, 'OrdersRole inline policy TableAccess');
    expect(doc.statements[1].resources?.[0].value).toBe('arn:aws:s3:::*/orders/*');
    const f = r.findings.find((x) => x.ruleId === 'iac-unresolved');
    expect(f?.location).toEqual({ file: APP, line: 81, column: expect.any(Number) });
    expect(f?.evidence).toEqual({ placeholder: '${cfn:Ref(AuditBucketName)}', analysedAs: '*' });
    expect(f?.message).toContain('analysed as "*"');
  });

  test('the trust policy is kind trust on the role subject', () => {
    const [doc] = byLabel(r, 'OrdersRole trust policy');
    expect(doc.kind).toBe('trust');
    expect(doc.subjectHint?.id).toBe(`${APP}#OrdersRole`);
    expect(lines(doc)).toEqual([60]);
  });

  test('a managed policy attached through the role ManagedPolicyArns (!Ref) is bound to the role', () => {
    const [doc] = byLabel(r, 'OrdersManagedPolicy (OrdersManagedPolicy)');
    expect(doc.subjectHint?.id).toBe(`${APP}#OrdersRole`);
    expect(lines(doc)).toEqual([95]);
    expect(resources(doc)).toEqual(['arn:aws:sqs:{Region}:{AccountId}:orders-events']);
  });

  test('an orphan managed policy is analysed as unattached and said so, never skipped', () => {
    const [doc] = byLabel(r, 'OrphanPolicy (orders-break-glass, unattached)');
    expect(doc.subjectHint).toEqual({ type: 'unbound', id: `${APP}#OrphanPolicy (unattached)` });
    expect(lines(doc)).toEqual([105]);
    const f = r.findings.find((x) => x.ruleId === 'iac-unattached');
    expect(f?.location?.line).toBe(98);
    expect(f?.subject).toBe(`${APP}#OrphanPolicy (unattached)`);
  });

  test('an AWS::IAM::Policy on two roles: one document per principal (template role and external role by name)', () => {
    const docs = byLabel(r, 'ReportsPolicy (reports)');
    expect(docs.map((d) => d.subjectHint?.id).sort()).toEqual([`${APP}#OrdersRole`, 'role/legacy-reporting']);
    expect(new Set(docs.map((d) => d.id)).size).toBe(2);
    for (const d of docs) expect(lines(d)).toEqual([118]);
  });

  test('the bucket policy on a bucket named by !Sub: bucket subject, resources from !GetAtt and !Join', () => {
    const [doc] = byLabel(r, 'DataBucketPolicy bucket policy');
    expect(doc.kind).toBe('bucket');
    expect(doc.subjectHint).toEqual({ type: 'bucket', id: `${APP}#DataBucket` });
    expect(lines(doc)).toEqual([37, 47]);
    expect(resources(doc)).toEqual(['arn:aws:s3:::{AccountId}-prod-orders-data', 'arn:aws:s3:::{AccountId}-prod-orders-data/*', 'arn:aws:s3:::{AccountId}-prod-orders-data/exports/*']);
    // a CommaDelimitedList parameter's default becomes the principal list
    expect(doc.statements[1].principal?.entries.map((e) => e.value)).toEqual(['arn:aws:iam::111122223333:root']);
  });

  test('an AWS-managed policy is expanded from the packed AWS-managed data, at its line', () => {
    expect(r.findings.find((x) => x.ruleId === 'iac-external-policy')).toBeUndefined();
    const [doc] = byLabel(r, 'OrdersRole managed policy AWSLambdaBasicExecutionRole (AWS managed)');
    expect(doc.subjectHint).toEqual({ type: 'role', id: `${APP}#OrdersRole` });
    expect(doc.statements.flatMap((s) => s.actions?.map((a) => a.value) ?? []).sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(doc.statements[0].loc.line).toBe(66);
  });

  test('a managed policy the data does not have (newer, or a customer\'s) is reported as unresolved at its line', () => {
    const text = readFileSync(APP, 'utf8').replace('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', 'arn:aws:iam::aws:policy/service-role/NotYetPublishedPolicy');
    const other = extract(APP, { parameters: {} }, new TextEncoder().encode(text));
    const f = other.findings.find((x) => x.ruleId === 'iac-external-policy');
    expect(f?.location?.line).toBe(66);
    expect(f?.evidence?.arn).toBe('arn:aws:iam::aws:policy/service-role/NotYetPublishedPolicy');
  });

  test('with the account in the config, subjects carry physical ARNs', () => {
    const withAccount = extract(APP, { account: '123456789012', region: 'eu-west-1', parameters: { AuditBucketName: 'acme-audit', Env: 'dev' } });
    const [inline] = byLabel(withAccount, 'OrdersRole inline policy TableAccess');
    expect(inline.subjectHint).toEqual({ type: 'role', arn: 'arn:aws:iam::123456789012:role/orders-dev', id: 'arn:aws:iam::123456789012:role/orders-dev' });
    expect(lines(inline)).toEqual([72, 78]); // Env=dev: the !If statement is AWS::NoValue
    expect(inline.statements[1].resources?.[0].value).toBe('arn:aws:s3:::acme-audit/orders/*');
    expect(inline.statements[0].resources?.[0].value).toBe('arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev');
    const [bucket] = byLabel(withAccount, 'DataBucketPolicy bucket policy');
    expect(bucket.subjectHint).toEqual({ type: 'bucket', arn: 'arn:aws:s3:::123456789012-dev-orders-data', id: 'arn:aws:s3:::123456789012-dev-orders-data' });
    expect(withAccount.findings.filter((f) => f.ruleId === 'iac-unresolved')).toEqual([]);
  });
});

describe('nested stack referenced by path', () => {
  test('the child template is its own file: its policies, subject and lines; its parameter without default is a placeholder', () => {
    const path = 'fixtures/iac/cfn/nested/replicas.yaml';
    const r = extract(path);
    const [inline] = byLabel(r, 'ReplicationRole inline policy replicate');
    expect(inline.subjectHint?.id).toBe(`${path}#ReplicationRole`);
    expect(lines(inline)).toEqual([20]);
    expect(resources(inline)).toEqual(['arn:aws:s3:::orders-*-replica/*']);
    expect(r.findings.find((f) => f.ruleId === 'iac-unresolved')?.location?.line).toBe(22);
  });
});

describe('CloudFormation JSON (cdk.out)', () => {
  const path = 'fixtures/iac/cdk.out/AppStack.template.json';
  const r = extract(path);

  test('an AWS::IAM::Policy with Roles [Ref] binds to the role; JSON lines', () => {
    expect(r.format).toBe('cloudformation');
    const [doc] = r.documents.filter((d) => d.label.startsWith('WorkerRoleDefaultPolicy'));
    expect(doc.subjectHint?.id).toBe(`${path}#WorkerRole6E3F2C6B`);
    expect(lines(doc)).toEqual([42]);
    expect(resources(doc)).toEqual(['arn:aws:sqs:{Region}:{AccountId}:{JobsQueue1A2B3C4D}']);
  });

  test('an AWS-managed policy from the catalogue (Fn::Join with AWS::Partition) is expanded at its line', () => {
    const [admin] = r.documents.filter((d) => d.label.includes('AdministratorAccess'));
    expect(admin.subjectHint?.id).toBe(`${path}#WorkerRole6E3F2C6B`);
    expect(admin.statements[0].actions?.[0].value).toBe('*');
    expect(admin.statements[0].loc.line).toBe(19);
  });
});

describe('intrinsic functions', () => {
  const resolver = (yaml: string, settings: CfnSettings = {}) => {
    const { root } = parseCfnYaml(yaml, 't.yaml');
    return new CfnResolver('t.yaml', root!, settings);
  };
  const valueAt = (yaml: string, key: string, settings?: CfnSettings) => {
    const { root } = parseCfnYaml(yaml, 't.yaml');
    const r = new CfnResolver('t.yaml', root!, settings);
    const props = (root as any).entries.find((e: any) => e.key === 'Resources').value.entries[0].value.entries.find((e: any) => e.key === 'Properties').value;
    const node = props.entries.find((e: any) => e.key === key).value;
    return { value: r.resolve(node), r };
  };
  const tpl = (body: string) => `Parameters:\n  P:\n    Type: String\n    Default: a,b,c\nResources:\n  X:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: t\n${body}`;

  test('!Select / !Split / !Join / !Base64 / !GetAZs', () => {
    expect((valueAt(tpl('      V: !Select [1, !Split [",", !Ref P]]'), 'V').value as any).value).toBe('b');
    expect((valueAt(tpl('      V: !Join ["-", [x, !Ref AWS::Region]]'), 'V', { region: 'eu-west-1' }).value as any).value).toBe('x-eu-west-1');
    expect((valueAt(tpl('      V: !Base64 plain'), 'V').value as any).value).toBe('plain');
    const azs = valueAt(tpl('      V: !GetAZs ""'), 'V');
    expect((azs.value as any).items[0].value).toBe('*');
    expect(azs.r.placeholders[0].expr).toBe('${cfn:GetAZs}');
  });

  test('Ref to an SNS topic gives its ARN; ImportValue and dynamic references are placeholders', () => {
    expect((valueAt(tpl('      V: !Ref X'), 'V', { account: '123456789012', region: 'us-east-1' }).value as any).value).toBe('arn:aws:sns:us-east-1:123456789012:t');
    const imp = valueAt(tpl('      V: !ImportValue shared-bucket'), 'V');
    expect((imp.value as any).value).toBe('*');
    expect(imp.r.placeholders[0].expr).toBe('${cfn:ImportValue(shared-bucket)}');
    const dyn = valueAt(tpl("      V: 'arn:aws:s3:::{{resolve:ssm:bucket-name}}/*'"), 'V');
    expect((dyn.value as any).value).toBe('arn:aws:s3:::*/*');
  });

  test('!Sub with ${!Literal} keeps IAM policy variables; !If on an unknown condition yields both branches', () => {
    expect((valueAt(tpl("      V: !Sub 'arn:aws:s3:::b/${!aws:username}/*'"), 'V').value as any).value).toBe('arn:aws:s3:::b/${aws:username}/*');
    const yaml = `Parameters:\n  Q:\n    Type: String\nConditions:\n  C: !Equals [!Ref Q, yes]\nResources:\n  X:\n    Type: AWS::SNS::Topic\n    Properties:\n      V: !If [C, 'arn:aws:s3:::one', 'arn:aws:s3:::two']\n`;
    const { value } = valueAt(yaml, 'V');
    expect((value as any).items.map((i: any) => i.value)).toEqual(['arn:aws:s3:::one', 'arn:aws:s3:::two']);
    expect(resolver(yaml).condition('C', { file: 't.yaml', line: 1, column: 1 })).toBeUndefined();
  });

  test('long forms (JSON style) resolve like short forms', () => {
    const yaml = tpl('      V:\n        Fn::Join: ["", ["arn:", {Ref: "AWS::Partition"}, ":s3:::", {"Fn::Select": [0, {"Fn::Split": [",", {Ref: P}]}]}]]');
    expect((valueAt(yaml, 'V').value as any).value).toBe('arn:aws:s3:::a');
  });
});
