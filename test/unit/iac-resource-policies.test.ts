// [iac] Resource policies of other services in templates and plans (KMS, SQS, SNS, Secrets Manager, ECR, Lambda
// permissions): read as kind "resource", bound to the resource they govern, with template / plan lines.
import { defaultConfig } from '../../src/config/types.js';
import type { ChangeSet, ExtractedFile, PolicyDocument } from '../../src/model.js';
import { TfSourceIndex, type CfnSettings } from '../../src/iac/index.js';
import { lambdaFunctionArn, lambdaPrincipal, sqsQueueArnFromUrl } from '../../src/iac/resource-policies.js';
import { runGate } from '../../src/pipeline.js';
import { extractPolicies } from '../../src/policies/extract.js';

const enc = (s: string) => new TextEncoder().encode(s);
const cfn = (path: string, text: string, cloudformation: CfnSettings = { parameters: {} }): ExtractedFile =>
  extractPolicies(path, enc(text), { maxBytes: 2 << 20, iac: { cloudformation } });
const plan = (path: string, value: unknown, side: 'base' | 'head'): ExtractedFile => extractPolicies(path, enc(JSON.stringify(value, null, 1)), { maxBytes: 2 << 20, side, iac: {} });
const byLabel = (r: ExtractedFile, label: string): PolicyDocument[] => r.documents.filter((d) => d.label === label);
const one = (r: ExtractedFile, label: string): PolicyDocument => {
  const docs = byLabel(r, label);
  expect(docs).toHaveLength(1);
  return docs[0];
};
const lines = (d: PolicyDocument) => d.statements.map((s) => s.loc.line);
const resources = (d: PolicyDocument) => d.statements.flatMap((s) => (s.resources ?? []).map((r) => r.value));
const actions = (d: PolicyDocument) => d.statements.flatMap((s) => (s.actions ?? []).map((r) => r.value));

const T = 'infra/stack.yaml';
const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  FnName:
    Type: String
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: Root
            Effect: Allow
            Principal: { AWS: !Sub 'arn:aws:iam::\${AWS::AccountId}:root' }
            Action: 'kms:*'
            Resource: '*'
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: orders
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues:
        - !Ref Queue
        - https://sqs.eu-west-1.amazonaws.com/444455556666/partner-queue
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { Service: sns.amazonaws.com }
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: '*'
            Action: sns:Publish
            Resource: !Ref Topic
  Secret:
    Type: AWS::SecretsManager::Secret
  SecretPolicy:
    Type: AWS::SecretsManager::ResourcePolicy
    Properties:
      SecretId: !Ref Secret
      ResourcePolicy:
        Statement:
          - Effect: Allow
            Principal: { AWS: arn:aws:iam::444455556666:root }
            Action: secretsmanager:GetSecretValue
            Resource: '*'
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: app
      RepositoryPolicyText: '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"ecr:BatchGetImage"}]}'
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: worker
  FromBucket:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !GetAtt Fn.Arn
      Action: lambda:InvokeFunction
      Principal: s3.amazonaws.com
      SourceAccount: !Ref AWS::AccountId
      SourceArn: arn:aws:s3:::uploads
  FromPartner:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn
      Action: lambda:InvokeFunction
      Principal: '444455556666'
      PrincipalOrgID: o-abc123
  Unknown:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref FnName
      Action: lambda:InvokeFunction
      Principal: events.amazonaws.com
`;

describe('CloudFormation resource policies of other services', () => {
  const r = cfn(T, TEMPLATE);
  const configured = cfn(T, TEMPLATE, { parameters: {}, account: '111122223333', region: 'us-east-1' });

  test('KMS KeyPolicy: kind resource, bound to the key, at its template lines', () => {
    const d = one(r, 'Key key policy');
    expect(d.kind).toBe('resource');
    expect(d.subjectHint).toEqual({ type: 'resource', id: `${T}#Key` });
    expect(lines(d)).toEqual([12]);
    expect(d.statements[0].principal?.entries[0].value).toBe('arn:aws:iam::{AccountId}:root');
  });

  test('SQS QueuePolicy: one document per queue in Queues, ARN subjects when known', () => {
    const docs = byLabel(configured, 'QueuePolicy queue policy');
    expect(docs.map((d) => d.kind)).toEqual(['resource', 'resource']);
    expect(docs.map((d) => d.subjectHint)).toEqual([
      { type: 'resource', arn: 'arn:aws:sqs:us-east-1:111122223333:orders', id: 'arn:aws:sqs:us-east-1:111122223333:orders' },
      { type: 'resource', arn: 'arn:aws:sqs:eu-west-1:444455556666:partner-queue', id: 'arn:aws:sqs:eu-west-1:444455556666:partner-queue' },
    ]);
    expect(new Set(docs.map((d) => d.id)).size).toBe(2);
    expect(lines(docs[0])).toEqual([29]);
    // Without account and region, the template's own queue is its logical id
    expect(byLabel(r, 'QueuePolicy queue policy')[0].subjectHint).toEqual({ type: 'resource', id: `${T}#Queue` });
    expect(resources(byLabel(r, 'QueuePolicy queue policy')[0])).toEqual(['arn:aws:sqs:{Region}:{AccountId}:orders']);
  });

  test('SNS TopicPolicy, Secrets Manager ResourcePolicy and ECR RepositoryPolicyText (JSON text) are read', () => {
    const topic = one(configured, 'TopicPolicy topic policy');
    expect(topic.subjectHint?.arn).toBe('arn:aws:sns:us-east-1:111122223333:alerts');
    expect(topic.statements[0].principal?.any).toBe(true);
    const secret = one(configured, 'SecretPolicy secret policy');
    expect(secret.kind).toBe('resource');
    expect(secret.subjectHint).toEqual({ type: 'resource', id: `${T}#Secret` }); // the ARN's random suffix is not known
    const repo = one(configured, 'Repo repository policy');
    expect(repo.subjectHint?.arn).toBe('arn:aws:ecr:us-east-1:111122223333:repository/app');
    expect(actions(repo)).toEqual(['ecr:BatchGetImage']);
    expect(lines(repo)).toEqual([63]); // JSON text: every statement at the string's line
    // ECR repository policies name no Resource (the repository is implied): no grammar finding for it
    expect(configured.findings.filter((f) => f.message.includes('needs Resource'))).toEqual([]);
  });

  test('AWS::Lambda::Permission becomes a one-statement function policy: service principal, source conditions', () => {
    const d = one(configured, 'FromBucket Lambda permission');
    expect(d.kind).toBe('resource');
    expect(d.subjectHint?.arn).toBe('arn:aws:lambda:us-east-1:111122223333:function:worker');
    expect(d.statements).toHaveLength(1);
    const st = d.statements[0];
    expect(st.principal?.entries.map((e) => [e.type, e.value])).toEqual([['Service', 's3.amazonaws.com']]);
    expect(actions(d)).toEqual(['lambda:InvokeFunction']);
    expect(resources(d)).toEqual(['arn:aws:lambda:us-east-1:111122223333:function:worker']);
    expect(st.conditions.map((c) => [c.operator, c.key, c.values])).toEqual([
      ['StringEquals', 'AWS:SourceAccount', ['111122223333']],
      ['ArnLike', 'AWS:SourceArn', ['arn:aws:s3:::uploads']],
    ]);
    expect(st.actions?.[0].loc.line).toBe(72);
    expect(st.resources?.[0].loc.line).toBe(71);
  });

  test('a Lambda permission to an account id: that account root, PrincipalOrgID condition, same function subject', () => {
    const d = one(configured, 'FromPartner Lambda permission');
    expect(d.subjectHint?.id).toBe('arn:aws:lambda:us-east-1:111122223333:function:worker');
    const st = d.statements[0];
    expect(st.principal?.entries.map((e) => e.value)).toEqual(['arn:aws:iam::444455556666:root']);
    expect(st.conditions.map((c) => [c.key, c.values])).toEqual([['aws:PrincipalOrgID', ['o-abc123']]]);
  });

  test('a Lambda permission on a function that cannot be known: Resource "*" and iac-unresolved', () => {
    const d = one(r, 'Unknown Lambda permission');
    expect(resources(d)).toEqual(['*']);
    expect(d.subjectHint).toEqual({ type: 'resource', id: `${T}#Unknown` });
    const f = r.findings.find((x) => x.ruleId === 'iac-unresolved' && x.message.includes('Unknown Lambda permission'));
    expect(f?.evidence).toMatchObject({ placeholder: '${cfn:Ref(FnName)}' });
    expect(f?.location?.line).toBe(86);
  });

  test('a policy resource without its document fails closed; a key without KeyPolicy has the default one', () => {
    const t = `Resources:
  K:
    Type: AWS::KMS::Key
  QP:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [https://sqs.us-east-1.amazonaws.com/111122223333/q]
`;
    const x = cfn('t.yaml', t);
    expect(x.documents).toEqual([]);
    expect(x.findings.map((f) => f.ruleId)).toEqual(['parse-error']);
    expect(x.findings[0].message).toContain('no PolicyDocument');
  });
});

describe('CloudFormation resource policies through the gate (Principal "*" no longer passes)', () => {
  const stack = (principal: string, lambdaPrincipal: string) => `{
 "AWSTemplateFormatVersion": "2010-09-09",
 "Resources": {
  "Q": { "Type": "AWS::SQS::Queue", "Properties": { "QueueName": "q" } },
  "QP": { "Type": "AWS::SQS::QueuePolicy", "Properties": { "Queues": [{ "Ref": "Q" }],
    "PolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "AWS": "${principal}" }, "Action": "sqs:*", "Resource": { "Fn::GetAtt": ["Q", "Arn"] } }] } } },
  "K": { "Type": "AWS::KMS::Key", "Properties": { "KeyPolicy": { "Version": "2012-10-17",
    "Statement": [{ "Effect": "Allow", "Principal": { "AWS": "${principal}" }, "Action": "kms:*", "Resource": "*" }] } } },
  "LP": { "Type": "AWS::Lambda::Permission", "Properties": { "FunctionName": "f", "Action": "lambda:InvokeFunction", "Principal": "${lambdaPrincipal}" } }
 }
}`;
  test('KMS, SQS and Lambda permission changes to "*" are new access and public access', () => {
    const changes: ChangeSet = {
      baseLabel: 'base',
      headLabel: 'head',
      notes: [],
      files: [{ path: 'stack.json', status: 'modified', base: enc(stack('arn:aws:iam::123456789012:root', 's3.amazonaws.com')), head: enc(stack('*', '*')) }],
    };
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });
    expect(report.verdict.status).toBe('fail');
    const subjects = (rule: string) => [...new Set(report.findings.filter((f) => f.ruleId === rule).map((f) => f.subject))].sort();
    const expected = ['arn:aws:lambda:{Region}:{AccountId}:function:f', 'stack.json#K', 'stack.json#Q'];
    expect(subjects('new-access')).toEqual(expected);
    expect(subjects('public-access')).toEqual(expected);
  });

  test('an unchanged template gives no new access', () => {
    const same = enc(stack('arn:aws:iam::123456789012:root', 's3.amazonaws.com'));
    const changes: ChangeSet = { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: 'stack.json', status: 'modified', base: same, head: same }] };
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });
    expect(report.findings.filter((f) => f.ruleId === 'new-access')).toEqual([]);
    expect(report.totals.actions.added).toBe(0);
  });
});

// ---------- Terraform ----------

const P = 'infra/tfplan.json';
const pol = (principal: unknown, action: string, resource = '*') => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: action, Resource: resource }] });
const ROOT = { AWS: 'arn:aws:iam::123456789012:root' };
const rc = (address: string, type: string, before: unknown, after: unknown, extra: Record<string, unknown> = {}) => ({
  address,
  mode: 'managed',
  type,
  name: address.split('.').pop(),
  provider_name: 'registry.terraform.io/hashicorp/aws',
  change: { actions: before ? ['update'] : ['create'], before, after, after_unknown: {}, ...extra },
});
const QURL = 'https://sqs.us-east-1.amazonaws.com/123456789012/orders';
const QARN = 'arn:aws:sqs:us-east-1:123456789012:orders';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:worker';
const PLAN = {
  format_version: '1.2',
  terraform_version: '1.9.0',
  resource_changes: [
    rc('aws_kms_key.k', 'aws_kms_key', { arn: 'arn:aws:kms:us-east-1:123456789012:key/abcd', policy: pol(ROOT, 'kms:*') }, { arn: 'arn:aws:kms:us-east-1:123456789012:key/abcd', policy: pol('*', 'kms:*') }),
    rc('aws_sqs_queue.orders', 'aws_sqs_queue', { arn: QARN, url: QURL, policy: pol(ROOT, 'sqs:*') }, { arn: QARN, url: QURL, policy: pol(ROOT, 'sqs:*') }),
    rc('aws_sqs_queue_policy.orders', 'aws_sqs_queue_policy', { queue_url: QURL, policy: pol(ROOT, 'sqs:*') }, { queue_url: QURL, policy: pol({ AWS: '*' }, 'sqs:*') }),
    rc('aws_sns_topic.alerts', 'aws_sns_topic', { arn: TOPIC, policy: pol(ROOT, 'sns:Publish') }, { arn: TOPIC, policy: pol({ Service: 'events.amazonaws.com' }, 'sns:Publish') }),
    rc('aws_secretsmanager_secret_policy.s', 'aws_secretsmanager_secret_policy', null, { secret_arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf', policy: pol({ AWS: 'arn:aws:iam::444455556666:root' }, 'secretsmanager:GetSecretValue') }),
    rc('aws_ecr_repository_policy.r', 'aws_ecr_repository_policy', null, { repository: 'app', policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'ecr:BatchGetImage' }] }) }),
    rc('aws_lambda_function.worker', 'aws_lambda_function', { arn: FN, function_name: 'worker' }, { arn: FN, function_name: 'worker' }),
    rc(
      'aws_lambda_permission.s3',
      'aws_lambda_permission',
      { function_name: 'worker', action: 'lambda:InvokeFunction', principal: 's3.amazonaws.com', source_arn: 'arn:aws:s3:::uploads', source_account: '123456789012', statement_id: 'AllowS3' },
      { function_name: 'worker', action: 'lambda:InvokeFunction', principal: '*', source_arn: 'arn:aws:s3:::uploads', source_account: null, statement_id: 'AllowS3' },
    ),
    rc('aws_lambda_permission.later', 'aws_lambda_permission', null, { function_name: 'worker', action: 'lambda:InvokeFunction', principal: 'sns.amazonaws.com', statement_id: 'Later' }, { after_unknown: { source_arn: true } }),
    rc('aws_kms_key.unknown', 'aws_kms_key', { arn: 'arn:aws:kms:us-east-1:123456789012:key/ffff', policy: pol(ROOT, 'kms:*') }, { arn: 'arn:aws:kms:us-east-1:123456789012:key/ffff' }, { after_unknown: { policy: true } }),
  ],
};

describe('Terraform plan resource policies of other services', () => {
  const base = plan(P, PLAN, 'base');
  const head = plan(P, PLAN, 'head');
  const doc = (r: ExtractedFile, id: string) => r.documents.find((d) => d.id === `${P}#${id}`);

  test('aws_kms_key policy: kind resource, bound to the key ARN; before on base, after on head', () => {
    const b = doc(base, 'aws_kms_key.k.policy')!;
    const h = doc(head, 'aws_kms_key.k.policy')!;
    expect(h.kind).toBe('resource');
    expect(h.subjectHint).toEqual({ type: 'resource', arn: 'arn:aws:kms:us-east-1:123456789012:key/abcd', id: 'arn:aws:kms:us-east-1:123456789012:key/abcd' });
    expect(b.statements[0].principal?.any).toBe(false);
    expect(h.statements[0].principal?.any).toBe(true);
    expect(h.statements[0].loc.file).toBe(P);
  });

  test('aws_sqs_queue_policy binds to the queue ARN from queue_url; the queue policy it mirrors is counted once', () => {
    const h = doc(head, 'aws_sqs_queue_policy.orders.policy')!;
    expect(h.subjectHint?.arn).toBe(QARN);
    expect(h.kind).toBe('resource');
    expect(doc(head, 'aws_sqs_queue.orders.policy')).toBeUndefined();
  });

  test('aws_sns_topic policy, aws_secretsmanager_secret_policy and aws_ecr_repository_policy are read', () => {
    expect(doc(head, 'aws_sns_topic.alerts.policy')?.subjectHint?.arn).toBe(TOPIC);
    expect(doc(head, 'aws_secretsmanager_secret_policy.s.policy')?.subjectHint?.arn).toBe('arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf');
    expect(doc(base, 'aws_secretsmanager_secret_policy.s.policy')).toBeUndefined(); // created: head only
    const ecr = doc(head, 'aws_ecr_repository_policy.r.policy')!;
    expect(ecr.kind).toBe('resource');
    expect(ecr.subjectHint).toEqual({ type: 'resource', id: `${P}#aws_ecr_repository_policy.r` });
    expect(head.findings.filter((f) => f.ruleId === 'invalid-grammar')).toEqual([]);
  });

  test('aws_lambda_permission is synthesised from principal, action, function and source conditions', () => {
    const b = doc(base, 'aws_lambda_permission.s3')!;
    const h = doc(head, 'aws_lambda_permission.s3')!;
    expect(b.subjectHint?.arn).toBe(FN);
    expect(h.subjectHint?.arn).toBe(FN);
    expect(b.statements[0].sid).toBe('AllowS3');
    expect(b.statements[0].principal?.entries.map((e) => [e.type, e.value])).toEqual([['Service', 's3.amazonaws.com']]);
    expect(b.statements[0].conditions.map((c) => c.key)).toEqual(['AWS:SourceAccount', 'AWS:SourceArn']);
    expect(h.statements[0].principal?.any).toBe(true);
    expect(h.statements[0].conditions.map((c) => c.key)).toEqual(['AWS:SourceArn']);
    expect(resources(h)).toEqual([FN]);
  });

  test('an unknown element of a Lambda permission is "*" with iac-unresolved; an unknown policy fails closed', () => {
    const later = doc(head, 'aws_lambda_permission.later')!;
    expect(later.statements[0].conditions.map((c) => [c.key, c.values])).toEqual([['AWS:SourceArn', ['*']]]);
    const u = head.findings.find((f) => f.ruleId === 'iac-unresolved' && f.message.includes('aws_lambda_permission.later'));
    expect(u?.message).toContain('source_arn');
    expect(doc(head, 'aws_kms_key.unknown.policy')).toBeUndefined();
    const nr = head.findings.find((f) => f.ruleId === 'check-not-run' && f.message.includes('aws_kms_key.unknown'));
    expect(nr?.subject).toBe('arn:aws:kms:us-east-1:123456789012:key/ffff');
  });

  test('through the gate: the KMS, SQS and Lambda changes are new access; "*" and foreign accounts are public access', () => {
    const bytes = enc(JSON.stringify(PLAN, null, 1));
    const changes: ChangeSet = { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: P, status: 'modified', base: bytes, head: bytes }] };
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });
    expect(report.verdict.status).toBe('fail');
    const subjects = (rule: string) => new Set(report.findings.filter((f) => f.ruleId === rule).map((f) => f.subject));
    expect(subjects('new-access')).toEqual(new Set(['arn:aws:kms:us-east-1:123456789012:key/abcd', QARN, FN, TOPIC, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf', `${P}#aws_ecr_repository_policy.r`]));
    // The function's "*" keeps an aws:SourceArn condition (restricting); the secret and repository go to an untrusted account
    expect(subjects('public-access')).toEqual(new Set(['arn:aws:kms:us-east-1:123456789012:key/abcd', QARN, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf', `${P}#aws_ecr_repository_policy.r`]));
  });
});

describe('Terraform: separate key policies, legacy secret policies, .tf lines', () => {
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1111';
  const value = {
    format_version: '1.2',
    resource_changes: [
      rc('aws_kms_key.k', 'aws_kms_key', { arn: KEY, key_id: '1111', policy: pol(ROOT, 'kms:*') }, { arn: KEY, key_id: '1111', policy: pol(ROOT, 'kms:*') }),
      rc('aws_kms_key_policy.k', 'aws_kms_key_policy', { key_id: '1111', policy: pol(ROOT, 'kms:*') }, { key_id: '1111', policy: pol({ AWS: 'arn:aws:iam::444455556666:root' }, 'kms:Decrypt') }),
      rc('aws_secretsmanager_secret.s', 'aws_secretsmanager_secret', { arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf', policy: '' }, { arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf', policy: pol('*', 'secretsmanager:GetSecretValue') }),
      rc('aws_lambda_permission.p', 'aws_lambda_permission', null, { function_name: FN, qualifier: 'live', action: 'lambda:InvokeFunction', principal: 'events.amazonaws.com', statement_id: 'AllowEvents' }),
    ],
  };
  const tf = `resource "aws_lambda_permission" "p" {
  statement_id  = "AllowEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.worker.arn
  qualifier     = "live"
  principal     = "events.amazonaws.com"
}
`;
  const head = extractPolicies(P, enc(JSON.stringify(value)), { maxBytes: 2 << 20, side: 'head', iac: { terraformSources: new TfSourceIndex([{ path: 'infra/main.tf', text: tf }]) } });
  const doc = (id: string) => head.documents.find((d) => d.id === `${P}#${id}`);

  test('aws_kms_key_policy binds to the key by key_id; the key policy it mirrors is counted once', () => {
    expect(doc('aws_kms_key_policy.k.policy')?.subjectHint?.arn).toBe(KEY);
    expect(doc('aws_kms_key.k.policy')).toBeUndefined();
  });

  test('the legacy aws_secretsmanager_secret policy argument is read', () => {
    expect(doc('aws_secretsmanager_secret.s.policy')?.kind).toBe('resource');
  });

  test('a Lambda permission with a qualifier: the qualified ARN, the function as subject, the .tf line', () => {
    const d = doc('aws_lambda_permission.p')!;
    expect(resources(d)).toEqual([`${FN}:live`]);
    expect(d.subjectHint?.arn).toBe(FN);
    expect(d.statements[0].loc).toMatchObject({ file: 'infra/main.tf', line: 2 });
  });
});

describe('Terraform: a queue created in the same plan', () => {
  const value = {
    format_version: '1.2',
    configuration: {
      root_module: {
        resources: [
          { address: 'aws_sqs_queue_policy.q', mode: 'managed', type: 'aws_sqs_queue_policy', name: 'q', expressions: { queue_url: { references: ['aws_sqs_queue.q.id', 'aws_sqs_queue.q'] }, policy: { references: ['aws_sqs_queue.q.arn', 'aws_sqs_queue.q'] } } },
        ],
      },
    },
    resource_changes: [
      rc('aws_sqs_queue.q', 'aws_sqs_queue', null, { name: 'q' }, { after_unknown: { arn: true, url: true, id: true, policy: true } }),
      rc('aws_sqs_queue_policy.q', 'aws_sqs_queue_policy', null, {}, { after_unknown: { queue_url: true, policy: true } }),
    ],
  };
  const head = plan(P, value, 'head');

  test('the policy binds to the queue by reference; a policy known only after apply fails closed on that subject', () => {
    expect(head.documents).toEqual([]);
    const f = head.findings.filter((x) => x.ruleId === 'check-not-run');
    expect(f.map((x) => x.subject)).toEqual([`${P}#aws_sqs_queue.q`]);
    // the queue's own computed policy, left to the provider on create, is not reported
    expect(f[0].message).toContain('aws_sqs_queue_policy.q');
  });
});

describe('resource-policy helpers', () => {
  test('queue URL to ARN', () => {
    expect(sqsQueueArnFromUrl(QURL)).toBe(QARN);
    expect(sqsQueueArnFromUrl('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q', 'aws-cn')).toBe('arn:aws-cn:sqs:cn-north-1:123456789012:q');
    expect(sqsQueueArnFromUrl('not a url')).toBeUndefined();
  });

  test('function names in the forms AddPermission accepts', () => {
    const env = { partition: 'aws', region: 'us-east-1', account: '123456789012' };
    expect(lambdaFunctionArn('worker', env)).toEqual({ arn: FN, functionArn: FN });
    expect(lambdaFunctionArn('worker:live', env).arn).toBe(`${FN}:live`);
    expect(lambdaFunctionArn('123456789012:function:worker', env).functionArn).toBe(FN);
    expect(lambdaFunctionArn(`${FN}:3`, env)).toEqual({ arn: `${FN}:3`, functionArn: FN });
    expect(lambdaFunctionArn('worker', env, 'prod').arn).toBe(`${FN}:prod`);
  });

  test('Lambda principals', () => {
    expect(lambdaPrincipal('*', 'aws')).toEqual({ type: '*', value: '*' });
    expect(lambdaPrincipal('123456789012', 'aws')).toEqual({ type: 'AWS', value: 'arn:aws:iam::123456789012:root' });
    expect(lambdaPrincipal('arn:aws:iam::123456789012:role/x', 'aws').type).toBe('AWS');
    expect(lambdaPrincipal('s3.amazonaws.com', 'aws').type).toBe('Service');
  });
});
