// [iac] Resource policies of other services in templates and plans (KMS, SQS, SNS, Secrets Manager, ECR, Lambda
// permissions; OpenSearch, Backup, S3 access points, EFS, DynamoDB, Kinesis, CodeArtifact, CloudWatch Logs, API
// Gateway, EventBridge, Lambda layers): read as kind "resource", bound to the resource they govern, with lines.
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

// ---------- more services: OpenSearch, Backup, S3 access points, EFS, DynamoDB, Kinesis, ECR registry, CodeArtifact,
// CloudWatch Logs, API Gateway, EventBridge, Lambda layers ----------

const T2 = 'infra/services.yaml';
const SERVICES = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env:
    Type: String
Conditions:
  Shared: !Equals [!Ref Env, prod]
Resources:
  Search:
    Type: AWS::OpenSearchService::Domain
    Properties:
      DomainName: logs
      AccessPolicies:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: '*'
            Action: es:ESHttpGet
            Resource: !Sub '\${Search.Arn}/*'
  Legacy:
    Type: AWS::Elasticsearch::Domain
    Properties:
      DomainName: old
      AccessPolicies:
        Statement:
          - Effect: Allow
            Principal: { AWS: arn:aws:iam::444455556666:root }
            Action: es:*
            Resource: !GetAtt Legacy.DomainArn
  Vault:
    Type: AWS::Backup::BackupVault
    Properties:
      BackupVaultName: vault
      AccessPolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"backup:DeleteRecoveryPoint","Resource":"*"}]}'
  AccessPoint:
    Type: AWS::S3::AccessPoint
    Properties:
      Bucket: data
      Name: ap
      Policy:
        Statement:
          - Effect: Allow
            Principal: { AWS: arn:aws:iam::444455556666:root }
            Action: s3:GetObject
            Resource: !Sub 'arn:aws:s3:\${AWS::Region}:\${AWS::AccountId}:accesspoint/ap/object/*'
  Files:
    Type: AWS::EFS::FileSystem
    Properties:
      FileSystemPolicy:
        Statement:
          - Effect: Allow
            Principal: { AWS: '*' }
            Action: elasticfilesystem:ClientMount
            Resource: !GetAtt Files.Arn
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      StreamSpecification:
        StreamViewType: NEW_IMAGE
        ResourcePolicy:
          PolicyDocument:
            Statement:
              - Effect: Allow
                Principal: { AWS: arn:aws:iam::444455556666:root }
                Action: dynamodb:GetRecords
                Resource: '*'
      ResourcePolicy: !If
        - Shared
        - PolicyDocument:
            Statement:
              - Effect: Allow
                Principal: { AWS: arn:aws:iam::444455556666:root }
                Action: dynamodb:GetItem
                Resource: '*'
        - !Ref AWS::NoValue
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: { Name: clicks, ShardCount: 1 }
  StreamPolicy:
    Type: AWS::Kinesis::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Stream.Arn
      ResourcePolicy:
        Statement:
          - Effect: Allow
            Principal: { AWS: arn:aws:iam::444455556666:root }
            Action: kinesis:GetRecords
            Resource: !GetAtt Stream.Arn
  Registry:
    Type: AWS::ECR::RegistryPolicy
    Properties:
      PolicyText:
        Statement:
          - Effect: Allow
            Principal: { AWS: arn:aws:iam::444455556666:root }
            Action: ecr:ReplicateImage
            Resource: !Sub 'arn:aws:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/*'
  Artifacts:
    Type: AWS::CodeArtifact::Domain
    Properties:
      DomainName: acme
      PermissionsPolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { AWS: arn:aws:iam::444455556666:root }
            Action: codeartifact:GetAuthorizationToken
            Resource: '*'
  Packages:
    Type: AWS::CodeArtifact::Repository
    Properties:
      DomainName: !GetAtt Artifacts.Name
      RepositoryName: npm
      PermissionsPolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { AWS: arn:aws:iam::444455556666:root }
            Action: codeartifact:ReadFromRepository
            Resource: '*'
  LogsPolicy:
    Type: AWS::Logs::ResourcePolicy
    Properties:
      PolicyName: route53
      PolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"route53.amazonaws.com"},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}'
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: pets
      Policy:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: '*'
            Action: execute-api:Invoke
            Resource: execute-api:/prod/GET/pets
  Bus:
    Type: AWS::Events::EventBus
    Properties: { Name: orders }
  BusPolicy:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: Partner
      Statement:
        Effect: Allow
        Principal: { AWS: arn:aws:iam::444455556666:root }
        Action: events:PutEvents
        Resource: !GetAtt Bus.Arn
  LegacyBusPolicy:
    Type: AWS::Events::EventBusPolicy
    Properties:
      StatementId: Org
      Action: events:PutEvents
      Principal: '*'
      Condition: { Type: StringEquals, Key: aws:PrincipalOrgID, Value: o-abc123 }
  Layer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      LayerName: shared
      Content: { S3Bucket: b, S3Key: k }
  LayerPermission:
    Type: AWS::Lambda::LayerVersionPermission
    Properties:
      Action: lambda:GetLayerVersion
      LayerVersionArn: !Ref Layer
      Principal: '*'
      OrganizationId: o-abc123
  SharedLayer:
    Type: AWS::Lambda::LayerVersionPermission
    Properties:
      Action: lambda:GetLayerVersion
      LayerVersionArn: arn:aws:lambda:us-east-1:111122223333:layer:tools:4
      Principal: '444455556666'
`;

describe('CloudFormation resource policies of more services', () => {
  const configured = cfn(T2, SERVICES, { parameters: {}, account: '111122223333', region: 'us-east-1' });
  const r = cfn(T2, SERVICES);
  const subject = (x: ExtractedFile, label: string) => one(x, label).subjectHint;
  const arn = (a: string) => ({ type: 'resource', arn: a, id: a });

  test('each document is read as kind resource and bound to the resource it governs (ARN when known)', () => {
    const expected: Array<[string, unknown]> = [
      ['Search domain access policy', arn('arn:aws:es:us-east-1:111122223333:domain/logs')],
      ['Legacy domain access policy', arn('arn:aws:es:us-east-1:111122223333:domain/old')],
      ['Vault backup vault policy', arn('arn:aws:backup:us-east-1:111122223333:backup-vault:vault')],
      ['AccessPoint access point policy', arn('arn:aws:s3:us-east-1:111122223333:accesspoint/ap')],
      ['Files file system policy', { type: 'resource', id: `${T2}#Files` }], // the file system id is generated
      ['Table table policy', arn('arn:aws:dynamodb:us-east-1:111122223333:table/orders')],
      ['Table stream policy', { type: 'resource', id: `${T2}#Table.StreamArn` }],
      ['StreamPolicy stream policy', arn('arn:aws:kinesis:us-east-1:111122223333:stream/clicks')],
      ['Registry registry policy', { type: 'resource', id: `${T2}#Registry` }],
      ['Artifacts domain policy', arn('arn:aws:codeartifact:us-east-1:111122223333:domain/acme')],
      ['Packages repository policy', arn('arn:aws:codeartifact:us-east-1:111122223333:repository/acme/npm')],
      ['LogsPolicy log resource policy', { type: 'resource', id: `${T2}#LogsPolicy` }],
      ['Api API policy', { type: 'resource', id: `${T2}#Api` }],
      ['BusPolicy event bus policy', arn('arn:aws:events:us-east-1:111122223333:event-bus/orders')],
      ['LegacyBusPolicy event bus policy', arn('arn:aws:events:us-east-1:111122223333:event-bus/default')],
      ['LayerPermission layer permission', { type: 'resource', id: `${T2}#Layer` }],
      ['SharedLayer layer permission', arn('arn:aws:lambda:us-east-1:111122223333:layer:tools:4')],
    ];
    for (const [label, s] of expected) {
      expect([label, one(configured, label).kind]).toEqual([label, 'resource']);
      expect([label, subject(configured, label)]).toEqual([label, s]);
    }
    expect(configured.documents).toHaveLength(expected.length);
    // Without account and region: the logical ids of the template's resources
    expect(subject(r, 'Search domain access policy')).toEqual({ type: 'resource', id: `${T2}#Search` });
    expect(subject(r, 'StreamPolicy stream policy')).toEqual({ type: 'resource', id: `${T2}#Stream` });
    expect(subject(r, 'BusPolicy event bus policy')).toEqual({ type: 'resource', id: `${T2}#Bus` });
    expect(subject(r, 'LegacyBusPolicy event bus policy')).toEqual({ type: 'resource', id: 'arn:aws:events:{Region}:{AccountId}:event-bus/default' });
    expect(configured.findings.filter((f) => f.ruleId !== 'iac-unresolved')).toEqual([]); // the unknown Env of the table's Fn::If
  });

  test('statements keep their template lines; ARNs of the new resource types resolve (Arn, DomainArn, Name)', () => {
    expect(lines(one(configured, 'Search domain access policy'))).toEqual([15]);
    expect(resources(one(configured, 'Search domain access policy'))).toEqual(['arn:aws:es:us-east-1:111122223333:domain/logs/*']);
    expect(resources(one(configured, 'Legacy domain access policy'))).toEqual(['arn:aws:es:us-east-1:111122223333:domain/old']);
    expect(resources(one(configured, 'Files file system policy'))).toEqual(['arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/{Files}']);
    expect(lines(one(configured, 'Vault backup vault policy'))).toEqual([33]); // JSON text: the string's line
    expect(actions(one(configured, 'LogsPolicy log resource policy'))).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  test('DynamoDB ResourcePolicy behind an undecided Fn::If is read (the branch that sets it), with the iac-unresolved note', () => {
    const d = one(r, 'Table table policy');
    expect(actions(d)).toEqual(['dynamodb:GetItem']);
    expect(r.findings.some((f) => f.ruleId === 'iac-unresolved' && f.message.includes('If(Shared)'))).toBe(true);
    expect(actions(one(r, 'Table stream policy'))).toEqual(['dynamodb:GetRecords']);
  });

  test('API Gateway execute-api:/ resources become the API ARN (stand-in id): no grammar finding', () => {
    const d = one(configured, 'Api API policy');
    expect(resources(d)).toEqual(['arn:aws:execute-api:us-east-1:111122223333:{Api}/prod/GET/pets']);
    expect(resources(one(r, 'Api API policy'))).toEqual(['arn:aws:execute-api:{Region}:{AccountId}:{Api}/prod/GET/pets']);
    expect(r.findings.filter((f) => f.ruleId === 'invalid-grammar')).toEqual([]);
    // an OpenAPI Body carrying x-amazon-apigateway-policy is read too
    const body = cfn('b.yaml', `Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        openapi: 3.0.1
        x-amazon-apigateway-policy:
          Version: '2012-10-17'
          Statement: [{ Effect: Allow, Principal: '*', Action: execute-api:Invoke, Resource: 'execute-api:/*' }]
`);
    expect(resources(one(body, 'Api API policy (OpenAPI Body)'))).toEqual(['arn:aws:execute-api:{Region}:{AccountId}:{Api}/*']);
  });

  test('EventBusPolicy: Statement gets StatementId as Sid; the legacy fields become one statement with the condition', () => {
    const st = one(configured, 'BusPolicy event bus policy').statements[0];
    expect(st.sid).toBe('Partner');
    const legacy = one(configured, 'LegacyBusPolicy event bus policy');
    expect(legacy.statements).toHaveLength(1);
    expect(legacy.statements[0].sid).toBe('Org');
    expect(legacy.statements[0].principal?.any).toBe(true);
    expect(actions(legacy)).toEqual(['events:PutEvents']);
    expect(resources(legacy)).toEqual(['arn:aws:events:us-east-1:111122223333:event-bus/default']);
    expect(legacy.statements[0].conditions.map((c) => [c.operator, c.key, c.values])).toEqual([['StringEquals', 'aws:PrincipalOrgID', ['o-abc123']]]);
  });

  test('EventBusPolicy Statement as JSON text, or depending on an undecided condition (read once per branch)', () => {
    const x = cfn('bus.yaml', `Parameters:
  Open: { Type: String }
Conditions:
  IsOpen: !Equals [!Ref Open, 'yes']
Resources:
  Forked:
    Type: AWS::Events::EventBusPolicy
    Properties:
      StatementId: Partner
      Statement:
        Effect: Allow
        Principal: !If [IsOpen, '*', { AWS: arn:aws:iam::444455556666:root }]
        Action: events:PutEvents
        Resource: '*'
  Text:
    Type: AWS::Events::EventBusPolicy
    Properties:
      StatementId: J
      EventBusName: arn:aws:events:us-east-1:444455556666:event-bus/shared
      Statement: '{"Effect":"Allow","Principal":"*","Action":"events:PutEvents","Resource":"*"}'
`);
    expect(one(x, 'Forked event bus policy').statements.map((s) => s.principal?.any)).toEqual([true, false]);
    const text = one(x, 'Text event bus policy');
    expect(text.subjectHint?.arn).toBe('arn:aws:events:us-east-1:444455556666:event-bus/shared');
    expect(text.statements.map((s) => [s.sid, s.principal?.any])).toEqual([['J', true]]);
  });

  test('LayerVersionPermission: the layer version ARN, "*" or an account root, OrganizationId as aws:PrincipalOrgID', () => {
    const own = one(configured, 'LayerPermission layer permission');
    expect(resources(own)).toEqual(['arn:aws:lambda:us-east-1:111122223333:layer:shared:{Layer.Version}']);
    expect(own.statements[0].principal?.any).toBe(true);
    expect(own.statements[0].conditions.map((c) => [c.key, c.values])).toEqual([['aws:PrincipalOrgID', ['o-abc123']]]);
    const shared = one(configured, 'SharedLayer layer permission');
    expect(shared.statements[0].principal?.entries.map((e) => e.value)).toEqual(['arn:aws:iam::444455556666:root']);
    expect(actions(shared)).toEqual(['lambda:GetLayerVersion']);
  });

  test('policy resources without their document fail closed; resources without a policy have none', () => {
    const t = `Resources:
  Registry:
    Type: AWS::ECR::RegistryPolicy
  Logs:
    Type: AWS::Logs::ResourcePolicy
    Properties: { PolicyName: x }
  Bus:
    Type: AWS::Events::EventBusPolicy
    Properties: { StatementId: s }
  Layer:
    Type: AWS::Lambda::LayerVersionPermission
    Properties: { Action: lambda:GetLayerVersion }
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      ResourcePolicy: { Description: none }
  Plain:
    Type: AWS::DynamoDB::Table
    Properties: { StreamSpecification: { StreamViewType: KEYS_ONLY } }
  Domain:
    Type: AWS::OpenSearchService::Domain
`;
    const x = cfn('t.yaml', t);
    expect(x.documents).toEqual([]);
    expect(x.findings.map((f) => [f.ruleId, f.message.split(' has ')[1]?.split(';')[0]])).toEqual([
      ['parse-error', 'no PolicyText'],
      ['parse-error', 'no PolicyDocument'],
      ['parse-error', 'no Statement, and no Principal, Action'],
      ['parse-error', 'no LayerVersionArn, Principal'],
      ['parse-error', 'no ResourcePolicy.PolicyDocument'],
    ]);
  });
});

describe('CloudFormation: more services through the gate', () => {
  const doc = (principal: unknown, action: string, resource = '*') => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: action, Resource: resource }] });
  const stack = (open: boolean) => {
    const p = open ? '*' : { AWS: 'arn:aws:iam::123456789012:root' };
    const account = open ? '*' : '123456789012';
    return JSON.stringify({
      AWSTemplateFormatVersion: '2010-09-09',
      Resources: {
        Search: { Type: 'AWS::OpenSearchService::Domain', Properties: { DomainName: 'logs', AccessPolicies: doc(p, 'es:ESHttpGet') } },
        Legacy: { Type: 'AWS::Elasticsearch::Domain', Properties: { AccessPolicies: doc(p, 'es:ESHttpGet') } },
        Vault: { Type: 'AWS::Backup::BackupVault', Properties: { BackupVaultName: 'v', AccessPolicy: doc(p, 'backup:CopyIntoBackupVault') } },
        AccessPoint: { Type: 'AWS::S3::AccessPoint', Properties: { Bucket: 'data', Policy: doc(p, 's3:GetObject') } },
        Files: { Type: 'AWS::EFS::FileSystem', Properties: { FileSystemPolicy: doc(p, 'elasticfilesystem:ClientMount') } },
        Table: { Type: 'AWS::DynamoDB::Table', Properties: { ResourcePolicy: { PolicyDocument: doc(p, 'dynamodb:GetItem') }, StreamSpecification: { StreamViewType: 'KEYS_ONLY', ResourcePolicy: { PolicyDocument: doc(p, 'dynamodb:GetRecords') } } } },
        Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
        StreamPolicy: { Type: 'AWS::Kinesis::ResourcePolicy', Properties: { ResourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] }, ResourcePolicy: doc(p, 'kinesis:GetRecords') } },
        Registry: { Type: 'AWS::ECR::RegistryPolicy', Properties: { PolicyText: doc(p, 'ecr:ReplicateImage') } },
        Artifacts: { Type: 'AWS::CodeArtifact::Domain', Properties: { DomainName: 'acme', PermissionsPolicyDocument: doc(p, 'codeartifact:GetAuthorizationToken') } },
        Packages: { Type: 'AWS::CodeArtifact::Repository', Properties: { DomainName: 'acme', RepositoryName: 'npm', PermissionsPolicyDocument: doc(p, 'codeartifact:ReadFromRepository') } },
        LogsPolicy: { Type: 'AWS::Logs::ResourcePolicy', Properties: { PolicyName: 'x', PolicyDocument: JSON.stringify(doc(p, 'logs:PutLogEvents')) } },
        Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'pets', Policy: doc(p, 'execute-api:Invoke', 'execute-api:/*') } },
        BusPolicy: { Type: 'AWS::Events::EventBusPolicy', Properties: { StatementId: 's', Action: 'events:PutEvents', Principal: account } },
        LayerPermission: { Type: 'AWS::Lambda::LayerVersionPermission', Properties: { Action: 'lambda:GetLayerVersion', LayerVersionArn: 'arn:aws:lambda:us-east-1:123456789012:layer:shared:1', Principal: account } },
      },
    });
  };

  test('Principal "*" on each of them is new access and public access; execute-api:/ is no grammar error', () => {
    const changes: ChangeSet = { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: 'stack.json', status: 'modified', base: enc(stack(false)), head: enc(stack(true)) }] };
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });
    expect(report.verdict.status).toBe('fail');
    const subjects = (rule: string) => [...new Set(report.findings.filter((f) => f.ruleId === rule).map((f) => f.subject))].sort();
    const expected = [
      ...['Search', 'Legacy', 'Vault', 'AccessPoint', 'Files', 'Table', 'Table.StreamArn', 'Stream', 'Registry', 'Artifacts', 'Packages', 'LogsPolicy', 'Api'].map((id) => `stack.json#${id}`),
      'arn:aws:events:{Region}:{AccountId}:event-bus/default',
      'arn:aws:lambda:us-east-1:123456789012:layer:shared:1',
    ].sort();
    expect(subjects('public-access')).toEqual(expected);
    expect(subjects('new-access')).toEqual(expected);
    expect(report.findings.filter((f) => f.ruleId === 'invalid-grammar')).toEqual([]);
  });
});

describe('Terraform plan resource policies of more services', () => {
  const A = 'arn:aws:';
  const both = (address: string, type: string, v: Record<string, unknown>, after: Record<string, unknown> = {}) => rc(address, type, v, { ...v, ...after });
  const DOMAIN = `${A}es:us-east-1:123456789012:domain/logs`;
  const OLD = `${A}es:us-east-1:123456789012:domain/old`;
  const VAULT = `${A}backup:us-east-1:123456789012:backup-vault:vault`;
  const AP = `${A}s3:us-east-1:123456789012:accesspoint/ap`;
  const FS = `${A}elasticfilesystem:us-east-1:123456789012:file-system/fs-1`;
  const TABLE = `${A}dynamodb:us-east-1:123456789012:table/orders`;
  const STREAM = `${A}kinesis:us-east-1:123456789012:stream/clicks`;
  const CA_DOMAIN = `${A}codeartifact:us-east-1:123456789012:domain/acme`;
  const CA_REPO = `${A}codeartifact:us-east-1:123456789012:repository/acme/npm`;
  const API = `${A}apigateway:us-east-1::/restapis/abc123`;
  const BUS = `${A}events:us-east-1:123456789012:event-bus/orders`;
  const LAYER = `${A}lambda:us-east-1:123456789012:layer:shared`;
  const MORE = {
    format_version: '1.2',
    resource_changes: [
      both('aws_opensearch_domain.search', 'aws_opensearch_domain', { arn: DOMAIN, domain_name: 'logs', access_policies: pol(ROOT, 'es:ESHttpGet') }, { access_policies: pol('*', 'es:ESHttpGet') }),
      both('aws_elasticsearch_domain.old', 'aws_elasticsearch_domain', { arn: OLD, domain_name: 'old', access_policies: pol(ROOT, 'es:*') }),
      both('aws_elasticsearch_domain_policy.old', 'aws_elasticsearch_domain_policy', { domain_name: 'old', access_policies: pol(ROOT, 'es:*') }, { access_policies: pol('*', 'es:*') }),
      both('aws_backup_vault.v', 'aws_backup_vault', { arn: VAULT, name: 'vault' }),
      both('aws_backup_vault_policy.v', 'aws_backup_vault_policy', { backup_vault_name: 'vault', policy: pol(ROOT, 'backup:*') }, { policy: pol('*', 'backup:*') }),
      both('aws_s3_access_point.ap', 'aws_s3_access_point', { arn: AP, policy: pol(ROOT, 's3:GetObject') }),
      both('aws_s3control_access_point_policy.ap', 'aws_s3control_access_point_policy', { access_point_arn: AP, policy: pol(ROOT, 's3:GetObject') }, { policy: pol('*', 's3:GetObject') }),
      both('aws_efs_file_system.fs', 'aws_efs_file_system', { arn: FS, id: 'fs-1' }),
      both('aws_efs_file_system_policy.fs', 'aws_efs_file_system_policy', { file_system_id: 'fs-1', policy: pol(ROOT, 'elasticfilesystem:ClientMount') }, { policy: pol('*', 'elasticfilesystem:ClientMount') }),
      both('aws_dynamodb_table.t', 'aws_dynamodb_table', { arn: TABLE, name: 'orders' }),
      both('aws_dynamodb_resource_policy.t', 'aws_dynamodb_resource_policy', { resource_arn: TABLE, policy: pol(ROOT, 'dynamodb:GetItem') }, { policy: pol('*', 'dynamodb:GetItem') }),
      both('aws_kinesis_resource_policy.k', 'aws_kinesis_resource_policy', { resource_arn: STREAM, policy: pol(ROOT, 'kinesis:GetRecords') }, { policy: pol('*', 'kinesis:GetRecords') }),
      both('aws_ecr_registry_policy.r', 'aws_ecr_registry_policy', { registry_id: '123456789012', policy: pol(ROOT, 'ecr:ReplicateImage') }, { policy: pol('*', 'ecr:ReplicateImage') }),
      both('aws_codeartifact_domain.d', 'aws_codeartifact_domain', { arn: CA_DOMAIN, domain: 'acme' }),
      both('aws_codeartifact_domain_permissions_policy.d', 'aws_codeartifact_domain_permissions_policy', { domain: 'acme', policy_document: pol(ROOT, 'codeartifact:GetAuthorizationToken') }, { policy_document: pol('*', 'codeartifact:GetAuthorizationToken') }),
      both('aws_codeartifact_repository.other', 'aws_codeartifact_repository', { arn: `${A}codeartifact:us-east-1:123456789012:repository/other/npm`, domain: 'other', repository: 'npm' }),
      both('aws_codeartifact_repository.npm', 'aws_codeartifact_repository', { arn: CA_REPO, domain: 'acme', repository: 'npm' }),
      both('aws_codeartifact_repository_permissions_policy.r', 'aws_codeartifact_repository_permissions_policy', { domain: 'acme', repository: 'npm', policy_document: pol(ROOT, 'codeartifact:ReadFromRepository') }, { policy_document: pol('*', 'codeartifact:ReadFromRepository') }),
      both('aws_cloudwatch_log_resource_policy.l', 'aws_cloudwatch_log_resource_policy', { policy_name: 'route53', policy_document: pol({ Service: 'route53.amazonaws.com' }, 'logs:PutLogEvents') }, { policy_document: pol('*', 'logs:PutLogEvents') }),
      both('aws_api_gateway_rest_api.api', 'aws_api_gateway_rest_api', { arn: API, id: 'abc123', execution_arn: `${A}execute-api:us-east-1:123456789012:abc123`, policy: pol(ROOT, 'execute-api:Invoke', 'execute-api:/prod/GET/pets') }, { policy: pol('*', 'execute-api:Invoke', 'execute-api:/prod/GET/pets') }),
      both('aws_cloudwatch_event_bus.b', 'aws_cloudwatch_event_bus', { arn: BUS, name: 'orders' }),
      both('aws_cloudwatch_event_bus_policy.b', 'aws_cloudwatch_event_bus_policy', { event_bus_name: 'orders', policy: pol(ROOT, 'events:PutEvents') }, { policy: pol('*', 'events:PutEvents') }),
      both('aws_cloudwatch_event_permission.p', 'aws_cloudwatch_event_permission', { principal: '123456789012', statement_id: 'Partner', action: 'events:PutEvents', event_bus_name: 'orders', condition: [] }, { principal: '*' }),
      both('aws_lambda_layer_version_permission.l', 'aws_lambda_layer_version_permission', { layer_name: LAYER, version_number: 3, principal: '123456789012', action: 'lambda:GetLayerVersion', statement_id: 'share', organization_id: null }, { principal: '*' }),
    ],
  };
  const head = plan(P, MORE, 'head');
  const base = plan(P, MORE, 'base');
  const doc = (r: ExtractedFile, id: string) => r.documents.find((d) => d.id === `${P}#${id}`);
  const subjectOf = (id: string) => doc(head, id)?.subjectHint?.id;

  test('each policy is read as kind resource, bound to the resource ARN from the plan (else the address)', () => {
    const expected: Array<[string, string]> = [
      ['aws_opensearch_domain.search.access_policies', DOMAIN],
      ['aws_elasticsearch_domain_policy.old.access_policies', OLD],
      ['aws_backup_vault_policy.v.policy', VAULT],
      ['aws_s3control_access_point_policy.ap.policy', AP],
      ['aws_efs_file_system_policy.fs.policy', FS],
      ['aws_dynamodb_resource_policy.t.policy', TABLE],
      ['aws_kinesis_resource_policy.k.policy', STREAM],
      ['aws_ecr_registry_policy.r.policy', `${P}#aws_ecr_registry_policy.r`],
      ['aws_codeartifact_domain_permissions_policy.d.policy_document', CA_DOMAIN],
      ['aws_codeartifact_repository_permissions_policy.r.policy_document', CA_REPO], // the repository in its domain, not another domain's "npm"
      ['aws_cloudwatch_log_resource_policy.l.policy_document', `${P}#aws_cloudwatch_log_resource_policy.l`],
      ['aws_api_gateway_rest_api.api.policy', API],
      ['aws_cloudwatch_event_bus_policy.b.policy', BUS],
      ['aws_cloudwatch_event_permission.p', BUS],
      ['aws_lambda_layer_version_permission.l', `${LAYER}:3`],
    ];
    for (const [id, s] of expected) {
      expect([id, doc(head, id)?.kind, subjectOf(id)]).toEqual([id, 'resource', s]);
      expect([id, doc(base, id)?.statements[0].principal?.any]).toEqual([id, false]);
      expect([id, doc(head, id)?.statements[0].principal?.any]).toEqual([id, true]);
    }
    expect(head.documents).toHaveLength(expected.length);
    expect(head.findings).toEqual([]);
  });

  test('a resource attribute mirrored by a separate policy resource is counted once', () => {
    expect(doc(head, 'aws_elasticsearch_domain.old.access_policies')).toBeUndefined();
    expect(doc(head, 'aws_elasticsearch_domain_policy.old.access_policies')?.subjectHint?.id).toBe(OLD);
    expect(doc(head, 'aws_s3_access_point.ap.policy')).toBeUndefined();
    expect(doc(head, 'aws_s3control_access_point_policy.ap.policy')?.subjectHint?.id).toBe(AP);
  });

  test('API Gateway execute-api:/ resources become the execution ARN', () => {
    expect(resources(doc(head, 'aws_api_gateway_rest_api.api.policy')!)).toEqual([`${A}execute-api:us-east-1:123456789012:abc123/prod/GET/pets`]);
  });

  test('permissions are synthesised: layer version ARN, bus ARN, sid, condition', () => {
    const layer = doc(head, 'aws_lambda_layer_version_permission.l')!;
    expect(resources(layer)).toEqual([`${LAYER}:3`]);
    expect(layer.statements[0].sid).toBe('share');
    expect(doc(base, 'aws_lambda_layer_version_permission.l')!.statements[0].principal?.entries.map((e) => e.value)).toEqual(['arn:aws:iam::123456789012:root']);
    const bus = doc(head, 'aws_cloudwatch_event_permission.p')!;
    expect(resources(bus)).toEqual([BUS]);
    expect(actions(bus)).toEqual(['events:PutEvents']);
  });

  test('through the gate: each "*" is new access and public access', () => {
    const bytes = enc(JSON.stringify(MORE, null, 1));
    const changes: ChangeSet = { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: P, status: 'modified', base: bytes, head: bytes }] };
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });
    const subjects = (rule: string) => new Set(report.findings.filter((f) => f.ruleId === rule).map((f) => f.subject));
    const all = new Set([DOMAIN, OLD, VAULT, AP, FS, TABLE, STREAM, `${P}#aws_ecr_registry_policy.r`, CA_DOMAIN, CA_REPO, `${P}#aws_cloudwatch_log_resource_policy.l`, API, BUS, `${LAYER}:3`]);
    expect(subjects('public-access')).toEqual(all);
    expect(subjects('new-access')).toEqual(all);
    expect(report.findings.filter((f) => f.ruleId === 'invalid-grammar')).toEqual([]);
  });
});

describe('Terraform: more services with values unknown until apply', () => {
  // [type, policy attribute, the other values]: the policy is known before, unknown after (an update in place).
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['aws_opensearch_domain', 'access_policies', { arn: 'arn:aws:es:us-east-1:123456789012:domain/d', domain_name: 'd' }],
    ['aws_elasticsearch_domain', 'access_policies', { arn: 'arn:aws:es:us-east-1:123456789012:domain/e', domain_name: 'e' }],
    ['aws_opensearch_domain_policy', 'access_policies', { domain_name: 'x' }],
    ['aws_elasticsearch_domain_policy', 'access_policies', { domain_name: 'y' }],
    ['aws_backup_vault_policy', 'policy', { backup_vault_name: 'v' }],
    ['aws_s3_access_point', 'policy', { arn: 'arn:aws:s3:us-east-1:123456789012:accesspoint/a' }],
    ['aws_s3control_access_point_policy', 'policy', { access_point_arn: 'arn:aws:s3:us-east-1:123456789012:accesspoint/b' }],
    ['aws_efs_file_system_policy', 'policy', { file_system_id: 'fs-9' }],
    ['aws_dynamodb_resource_policy', 'policy', { resource_arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/t' }],
    ['aws_kinesis_resource_policy', 'policy', { resource_arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' }],
    ['aws_ecr_registry_policy', 'policy', { registry_id: '123456789012' }],
    ['aws_codeartifact_domain_permissions_policy', 'policy_document', { domain: 'acme' }],
    ['aws_codeartifact_repository_permissions_policy', 'policy_document', { domain: 'acme', repository: 'npm' }],
    ['aws_cloudwatch_log_resource_policy', 'policy_document', { policy_name: 'p' }],
    ['aws_api_gateway_rest_api', 'policy', { arn: 'arn:aws:apigateway:us-east-1::/restapis/r1', id: 'r1' }],
    ['aws_api_gateway_rest_api_policy', 'policy', { rest_api_id: 'r2' }],
    ['aws_cloudwatch_event_bus_policy', 'policy', { event_bus_name: 'default' }],
  ];
  const value = {
    format_version: '1.2',
    resource_changes: cases.map(([type, attr, v]) => rc(`${type}.u`, type, { ...v, [attr]: pol(ROOT, 'sts:GetCallerIdentity') }, v, { after_unknown: { [attr]: true } })),
  };
  const head = plan(P, value, 'head');

  test.each(cases.map(([type, attr]) => [type, attr]))('%s.%s known only after apply fails closed', (type, attr) => {
    expect(head.documents.filter((d) => d.id.startsWith(`${P}#${type}.u.`))).toEqual([]);
    const f = head.findings.filter((x) => x.ruleId === 'check-not-run' && x.message.startsWith(`${type}.u: ${attr} is known only after apply`));
    expect(f).toHaveLength(1);
  });

  test('a policy resource always sets its policy: unknown on create fails closed too', () => {
    const created = plan(P, { format_version: '1.2', resource_changes: [rc('aws_ecr_registry_policy.n', 'aws_ecr_registry_policy', null, {}, { after_unknown: { policy: true } })] }, 'head');
    expect(created.findings.map((f) => [f.ruleId, f.subject])).toEqual([['check-not-run', `${P}#aws_ecr_registry_policy.n`]]);
  });

  test('permissions: an unknown principal or condition is "*" with iac-unresolved; a new layer version binds by reference', () => {
    const v = {
      format_version: '1.2',
      configuration: {
        root_module: {
          resources: [{ address: 'aws_lambda_layer_version_permission.p', mode: 'managed', type: 'aws_lambda_layer_version_permission', name: 'p', expressions: { layer_name: { references: ['aws_lambda_layer_version.shared.layer_name', 'aws_lambda_layer_version.shared'] }, version_number: { references: ['aws_lambda_layer_version.shared.version', 'aws_lambda_layer_version.shared'] } } }],
        },
      },
      resource_changes: [
        rc('aws_lambda_layer_version.shared', 'aws_lambda_layer_version', null, { layer_name: 'shared' }, { after_unknown: { arn: true, layer_arn: true, version: true } }),
        rc('aws_lambda_layer_version_permission.p', 'aws_lambda_layer_version_permission', null, { layer_name: 'shared', action: 'lambda:GetLayerVersion', statement_id: 's' }, { after_unknown: { version_number: true, principal: true } }),
        rc('aws_cloudwatch_event_permission.e', 'aws_cloudwatch_event_permission', null, { principal: '*', statement_id: 'org', event_bus_name: 'default' }, { after_unknown: { condition: true } }),
      ],
    };
    const r = plan(P, v, 'head');
    const layer = r.documents.find((d) => d.id === `${P}#aws_lambda_layer_version_permission.p`)!;
    expect(layer.subjectHint?.id).toBe(`${P}#aws_lambda_layer_version.shared`);
    expect(layer.statements[0].principal?.any).toBe(true);
    expect(resources(layer)).toEqual(['arn:aws:lambda:*:*:layer:shared:*']);
    const bus = r.documents.find((d) => d.id === `${P}#aws_cloudwatch_event_permission.e`)!;
    expect(bus.statements[0].conditions.map((c) => [c.key, c.values])).toEqual([['*', ['*']]]);
    const unresolved = r.findings.filter((f) => f.ruleId === 'iac-unresolved').map((f) => f.message.split(' in ')[0]);
    expect(unresolved.sort()).toEqual(['aws_cloudwatch_event_permission.e: condition.key', 'aws_cloudwatch_event_permission.e: condition.type', 'aws_cloudwatch_event_permission.e: condition.value', 'aws_lambda_layer_version_permission.p: principal']);
  });
});

describe('CloudFormation: queue and topic inline policies, and policies inside text', () => {
  const tpl = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: events
  QueueOpen:
    Type: AWS::SQS::QueueInlinePolicy
    Properties:
      Queue: !Ref Queue
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: '*'
            Action: 'sqs:*'
            Resource: !GetAtt Queue.Arn
  TopicOpen:
    Type: AWS::SNS::TopicInlinePolicy
    Properties:
      TopicArn: !Ref Topic
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: '*'
            Action: 'sns:*'
            Resource: !Ref Topic
`;

  test('AWS::SQS::QueueInlinePolicy and AWS::SNS::TopicInlinePolicy are read, bound to their queue and topic', () => {
    const r = cfn(T, tpl, { account: '123456789012', region: 'us-east-1', parameters: {} });
    expect(one(r, 'QueueOpen queue policy').subjectHint).toMatchObject({ arn: 'arn:aws:sqs:us-east-1:123456789012:jobs' });
    expect(one(r, 'TopicOpen topic policy').subjectHint).toMatchObject({ arn: 'arn:aws:sns:us-east-1:123456789012:events' });
    expect(actions(one(r, 'QueueOpen queue policy'))).toEqual(['sqs:*']);
  });

  test('an OpenAPI Body given as text that holds x-amazon-apigateway-policy fails closed (iac-not-analysed)', () => {
    const api = `Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Body: !Sub |\n        {"openapi": "3.0.1", "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}}\n`;
    const r = cfn(T, api);
    expect(r.findings.map((f) => f.ruleId)).toContain('iac-not-analysed');
    expect(r.findings.find((f) => f.ruleId === 'iac-not-analysed')!.message).toMatch(/Body is text that names x-amazon-apigateway-policy/);
    // Text without a policy in it is no policy.
    expect(cfn(T, `Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Body: '{"openapi": "3.0.1"}'\n`).findings).toEqual([]);
  });
});

describe('settings outside policies that expose a resource', () => {
  const gate = (files: ChangeSet['files'], plans = 0) => runGate({ changes: { baseLabel: 'b', headLabel: 'h', notes: [], files, ...(plans ? { plansGiven: plans } : {}) }, config: defaultConfig(), toolVersion: 't', now: new Date(0) });
  const bucket = (props: string) => `Resources:\n  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: data\n${props}`;

  test('CloudFormation: a public canned ACL, a public access block turned off, a function URL without auth fail; what base had warns', () => {
    const acl = bucket('      AccessControl: PublicReadWrite\n      PublicAccessBlockConfiguration:\n        BlockPublicAcls: false\n        BlockPublicPolicy: true\n');
    const head = gate([{ path: T, status: 'modified', base: enc(bucket('      VersioningConfiguration: {Status: Enabled}\n')), head: enc(acl) }]);
    const exposed = head.findings.filter((f) => f.ruleId === 'public-access');
    expect(exposed.map((f) => f.evidence?.setting).sort()).toEqual(['acl:PublicReadWrite', 'public-access-block:BlockPublicAcls']);
    expect(head.verdict.status).toBe('fail');
    // Unchanged exposure (the file changed elsewhere): a warning.
    const same = gate([{ path: T, status: 'modified', base: enc(acl), head: enc(`${acl}      Tags: [{Key: a, Value: b}]\n`) }]);
    expect(same.findings.filter((f) => f.ruleId === 'public-access')).toEqual([]);
    expect(same.findings.filter((f) => f.ruleId === 'public-access-existing')).toHaveLength(2);
    const url = `Resources:\n  Url:\n    Type: AWS::Lambda::Url\n    Properties:\n      TargetFunctionArn: arn:aws:lambda:us-east-1:123456789012:function:f\n      AuthType: NONE\n`;
    expect(gate([{ path: T, status: 'added', head: enc(url) }]).findings.map((f) => f.evidence?.setting)).toContain('function-url:NONE');
  });

  test('Terraform: a public ACL, a public access block removed, a function URL without auth fail', () => {
    const P = 'plan.json';
    const rc = (type: string, name: string, actions: string[], before: unknown, after: unknown) => ({ address: `${type}.${name}`, mode: 'managed', type, name, change: { actions, before, after, after_unknown: {} } });
    const plan = {
      format_version: '1.2',
      terraform_version: '1.9.0',
      resource_changes: [
        rc('aws_s3_bucket_acl', 'data', ['update'], { bucket: 'data', acl: 'private' }, { bucket: 'data', acl: 'public-read' }),
        rc('aws_s3_bucket_public_access_block', 'data', ['delete'], { bucket: 'data', block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true }, null),
        rc('aws_lambda_function_url', 'f', ['create'], null, { function_name: 'f', authorization_type: 'NONE' }),
      ],
    };
    const bytes = enc(JSON.stringify(plan));
    const report = gate([{ path: P, status: 'modified', base: bytes, head: bytes }], 1);
    expect(report.findings.filter((f) => f.ruleId === 'public-access').map((f) => f.evidence?.setting).sort()).toEqual(['acl:public-read', 'function-url:NONE', 'public-access-block:removed']);
    expect(report.verdict.headline).toMatch(/^public access for 3 resources/);
  });
});

describe('long-term access keys', () => {
  const gate = (files: ChangeSet['files'], plans = 0) => runGate({ changes: { baseLabel: 'b', headLabel: 'h', notes: [], files, ...(plans ? { plansGiven: plans } : {}) }, config: defaultConfig(), toolVersion: 't', now: new Date(0) });
  const keyTpl = (status = '', user = 'deployer') => `Resources:\n  User:\n    Type: AWS::IAM::User\n    Properties:\n      UserName: ${user}\n  Key:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: !Ref User\n${status ? `      Status: ${status}\n` : ''}`;
  const noKey = `Resources:\n  User:\n    Type: AWS::IAM::User\n    Properties:\n      UserName: deployer\n`;
  const keys = (r: ReturnType<typeof gate>) => r.findings.filter((f) => f.ruleId === 'access-key-added');

  test('CloudFormation: a key the change creates or activates warns, at its line; one base had, or an inactive one, does not', () => {
    const added = gate([{ path: T, status: 'modified', base: enc(noKey), head: enc(keyTpl()) }]);
    expect(keys(added)).toHaveLength(1);
    expect(keys(added)[0]).toMatchObject({ severity: 'medium', subject: 'Key', location: { file: T, line: 9 } });
    expect(keys(added)[0].message).toMatch(/^Key: a long-term access key for IAM user deployer/);
    expect(added.verdict.status).toBe('warn');
    expect(added.verdict.headline).toMatch(/access key created/);
    // Unchanged (the file changed elsewhere), created inactive: nothing to report.
    expect(keys(gate([{ path: T, status: 'modified', base: enc(keyTpl()), head: enc(`${keyTpl()}      Serial: 1\n`) }]))).toEqual([]);
    expect(keys(gate([{ path: T, status: 'modified', base: enc(noKey), head: enc(keyTpl('Inactive')) }]))).toEqual([]);
    // Turned on: reported; moved to another user: reported.
    expect(keys(gate([{ path: T, status: 'modified', base: enc(keyTpl('Inactive')), head: enc(keyTpl('Active')) }]))).toHaveLength(1);
    expect(keys(gate([{ path: T, status: 'modified', base: enc(keyTpl()), head: enc(keyTpl('', 'other')) }]))).toHaveLength(1);
    // The rule can fail the gate.
    const strict = runGate({ changes: { baseLabel: 'b', headLabel: 'h', notes: [], files: [{ path: T, status: 'added', head: enc(keyTpl()) }] }, config: { ...defaultConfig(), rules: { 'access-key-added': 'fail' } }, toolVersion: 't', now: new Date(0) });
    expect(strict.verdict.status).toBe('fail');
  });

  test('Terraform: aws_iam_access_key created warns; one the plan leaves in place does not; an unknown user is said so', () => {
    const P = 'plan.json';
    const rc = (name: string, actions: string[], before: unknown, after: unknown) => ({ address: `aws_iam_access_key.${name}`, mode: 'managed', type: 'aws_iam_access_key', name, change: { actions, before, after, after_unknown: {} } });
    const plan = (...changes: unknown[]) => enc(JSON.stringify({ format_version: '1.2', terraform_version: '1.9.0', resource_changes: changes }));
    const created = gate([{ path: P, status: 'modified', base: plan(rc('ci', ['create'], null, { user: 'ci-bot', status: 'Active' })), head: plan(rc('ci', ['create'], null, { user: 'ci-bot', status: 'Active' })) }], 1);
    expect(keys(created).map((f) => [f.subject, f.evidence?.user])).toEqual([['aws_iam_access_key.ci', 'ci-bot']]);
    const kept = gate([{ path: P, status: 'modified', base: plan(rc('ci', ['no-op'], { user: 'ci-bot', status: 'Active' }, { user: 'ci-bot', status: 'Active' })), head: plan(rc('ci', ['no-op'], { user: 'ci-bot', status: 'Active' }, { user: 'ci-bot', status: 'Active' })) }], 1);
    expect(keys(kept)).toEqual([]);
    const unknownUser = gate([{ path: P, status: 'added', head: plan(rc('x', ['create'], null, {})) }], 1);
    expect(keys(unknownUser)[0].message).toMatch(/an IAM user the gate cannot name/);
    expect(keys(gate([{ path: P, status: 'added', head: plan(rc('x', ['create'], null, { user: 'u', status: 'Inactive' })) }], 1))).toEqual([]);
  });
});

// ---------- DynamoDB global tables: each replica's table and stream policies ----------

const GT = 'infra/global.yaml';
const globalTable = (partner: string) => `Parameters:
  OtherRegion:
    Type: String
Resources:
  Orders:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: pk, AttributeType: S }]
      KeySchema: [{ AttributeName: pk, KeyType: HASH }]
      StreamSpecification: { StreamViewType: NEW_AND_OLD_IMAGES }
      Replicas:
        - Region: us-east-1
          ResourcePolicy:
            PolicyDocument:
              Version: '2012-10-17'
              Statement:
                - Effect: Allow
                  Principal: { AWS: arn:aws:iam::111122223333:role/app }
                  Action: dynamodb:GetItem
                  Resource: '*'
        - Region: eu-west-1
          ResourcePolicy:
            PolicyDocument:
              Version: '2012-10-17'
              Statement:
                - Effect: Allow
                  Principal: { AWS: ${partner} }
                  Action: [dynamodb:GetItem, dynamodb:Query]
                  Resource: '*'
          ReplicaStreamSpecification:
            ResourcePolicy:
              PolicyDocument:
                Version: '2012-10-17'
                Statement:
                  - Effect: Allow
                    Principal: { AWS: ${partner} }
                    Action: dynamodb:GetRecords
                    Resource: '*'
        - Region: !Ref OtherRegion
          ResourcePolicy:
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Principal: { AWS: arn:aws:iam::111122223333:role/app }
                  Action: dynamodb:PutItem
                  Resource: '*'
        - Region: ap-south-1
  Reader:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: dynamodb:Query
            Resource: !GetAtt Orders.Arn
`;

describe('CloudFormation: AWS::DynamoDB::GlobalTable replica policies', () => {
  const configured = cfn(GT, globalTable('arn:aws:iam::111122223333:root'), { parameters: {}, account: '111122223333', region: 'us-east-1' });
  const bare = cfn(GT, globalTable('arn:aws:iam::111122223333:root'));
  const arn = (a: string) => ({ type: 'resource', arn: a, id: a });

  test('each replica\'s table and stream policy is read as kind resource, bound to that replica, with its lines', () => {
    const expected: Array<[string, unknown, string[], number[]]> = [
      ['Orders table policy (us-east-1)', arn('arn:aws:dynamodb:us-east-1:111122223333:table/orders'), ['dynamodb:GetItem'], [19]],
      ['Orders table policy (eu-west-1)', arn('arn:aws:dynamodb:eu-west-1:111122223333:table/orders'), ['dynamodb:GetItem', 'dynamodb:Query'], [28]],
      ['Orders stream policy (eu-west-1)', { type: 'resource', id: `${GT}#Orders[eu-west-1].StreamArn` }, ['dynamodb:GetRecords'], [37]],
      // A Region the template cannot know (a parameter without a value): the replica by its place in the list.
      ['Orders table policy (Replicas[2])', { type: 'resource', id: `${GT}#Orders[Replicas[2]]` }, ['dynamodb:PutItem'], [45]],
    ];
    const replicaDocs = configured.documents.filter((d) => d.label.startsWith('Orders '));
    expect(replicaDocs.map((d) => d.label).sort()).toEqual(expected.map((e) => e[0]).sort());
    for (const [label, subject, acts, at] of expected) {
      const d = one(configured, label);
      expect([label, d.kind, d.subjectHint, actions(d), lines(d)]).toEqual([label, 'resource', subject, acts, at]);
    }
    // Without the account, no replica's ARN is exact: each by the template's name for it.
    expect(one(bare, 'Orders table policy (us-east-1)').subjectHint).toEqual({ type: 'resource', id: `${GT}#Orders[us-east-1]` });
    // The replica without policies has the service's default (none): no document, no finding.
    expect(configured.findings.filter((f) => f.ruleId !== 'iac-unresolved' && f.ruleId !== 'iac-unattached')).toEqual([]);
  });

  test('GetAtt Arn of a global table is its ARN in the stack\'s Region', () => {
    const reader = configured.documents.filter((d) => d.label.startsWith('Reader '));
    expect(reader).toHaveLength(1);
    expect(resources(reader[0])).toEqual(['arn:aws:dynamodb:us-east-1:111122223333:table/orders']);
  });

  test('a replica list or replica that is not one fails closed, naming it', () => {
    const text = `Resources:
  T:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      Replicas: us-east-1
  U:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      Replicas: [us-east-1]
`;
    const r = cfn('bad.yaml', text);
    expect(r.findings.map((f) => [f.ruleId, f.message])).toEqual([
      ['iac-not-analysed', expect.stringMatching(/^bad\.yaml:5: T \(AWS::DynamoDB::GlobalTable\): Replicas is a string, not a list/)],
      ['iac-not-analysed', expect.stringMatching(/^bad\.yaml:9: U \(AWS::DynamoDB::GlobalTable\): Replicas\[0\] is a string, not a mapping/)],
    ]);
  });

  test('through the gate: a partner account added to one replica is new access for that replica\'s table and stream only', () => {
    const changes: ChangeSet = {
      baseLabel: 'base',
      headLabel: 'head',
      notes: [],
      files: [{ path: GT, status: 'modified', base: enc(globalTable('arn:aws:iam::111122223333:root')), head: enc(globalTable('arn:aws:iam::444455556666:root')) }],
    };
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });
    expect(report.verdict.status).toBe('fail');
    const subjects = (rule: string) => [...new Set(report.findings.filter((f) => f.ruleId === rule).map((f) => f.subject))].sort();
    expect(subjects('new-access')).toEqual([`${GT}#Orders[eu-west-1]`, `${GT}#Orders[eu-west-1].StreamArn`]);
    const lines = report.findings.filter((f) => f.ruleId === 'new-access').map((f) => f.location?.line).sort();
    expect(lines).toEqual([28, 37]);
  });
});

// ---------- Terraform: a REST API's policy inside its OpenAPI body ----------

describe('Terraform: aws_api_gateway_rest_api body with x-amazon-apigateway-policy', () => {
  const API = 'arn:aws:apigateway:us-east-1::/restapis/abc123';
  const EXEC = 'arn:aws:execute-api:us-east-1:123456789012:abc123';
  const api = { arn: API, id: 'abc123', execution_arn: EXEC, name: 'pets' };
  const policyDoc = (principal: unknown) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'execute-api:Invoke', Resource: 'execute-api:/prod/GET/pets' }] });
  const jsonBody = (principal: unknown) => JSON.stringify({ openapi: '3.0.1', info: { title: 'pets', version: '1' }, paths: {}, 'x-amazon-apigateway-policy': policyDoc(principal) });
  const yamlBody = (principal: string) => `openapi: 3.0.1
info:
  title: pets
  version: '1'
paths: {}
x-amazon-apigateway-policy:
  Version: '2012-10-17'
  Statement:
    - Effect: Allow
      Principal: ${principal}
      Action: execute-api:Invoke
      Resource: execute-api:/prod/GET/pets
`;
  const planOf = (...changes: unknown[]) => ({ format_version: '1.2', resource_changes: changes });
  const bodyDocs = (r: ExtractedFile) => r.documents.filter((d) => d.label.endsWith('API policy (OpenAPI body)'));

  test('read when policy is not set: kind resource, bound to the API, execute-api:/ becomes the execution ARN', () => {
    for (const body of [jsonBody('*'), yamlBody("'*'")]) {
      const head = plan(P, planOf(rc('aws_api_gateway_rest_api.pets', 'aws_api_gateway_rest_api', { ...api, body: jsonBody(ROOT) }, { ...api, body })), 'head');
      const docs = bodyDocs(head);
      expect(docs).toHaveLength(1);
      expect(docs[0].kind).toBe('resource');
      expect(docs[0].subjectHint).toEqual({ type: 'resource', arn: API, id: API });
      expect(resources(docs[0])).toEqual([`${EXEC}/prod/GET/pets`]);
      expect(docs[0].statements[0].principal?.any).toBe(true);
      expect(head.findings).toEqual([]);
    }
    const base = plan(P, planOf(rc('aws_api_gateway_rest_api.pets', 'aws_api_gateway_rest_api', { ...api, body: jsonBody(ROOT) }, { ...api, body: jsonBody('*') })), 'base');
    expect(bodyDocs(base)[0].statements[0].principal?.any).toBe(false);
  });

  test('policy set (it overrides the body), or a separate aws_api_gateway_rest_api_policy: the body is not read', () => {
    const withPolicy = plan(P, planOf(rc('aws_api_gateway_rest_api.pets', 'aws_api_gateway_rest_api', null, { ...api, body: jsonBody('*'), policy: pol(ROOT, 'execute-api:Invoke', 'execute-api:/*') })), 'head');
    expect(bodyDocs(withPolicy)).toEqual([]);
    expect(withPolicy.documents.map((d) => d.label)).toEqual(['aws_api_gateway_rest_api.pets API policy']);
    const separate = plan(P, planOf(
      rc('aws_api_gateway_rest_api.pets', 'aws_api_gateway_rest_api', null, { ...api, body: jsonBody('*') }),
      rc('aws_api_gateway_rest_api_policy.pets', 'aws_api_gateway_rest_api_policy', null, { rest_api_id: 'abc123', policy: pol(ROOT, 'execute-api:Invoke', 'execute-api:/*') }),
    ), 'head');
    expect(bodyDocs(separate)).toEqual([]);
    expect(separate.documents.map((d) => d.label)).toEqual(['aws_api_gateway_rest_api_policy.pets policy']);
  });

  test('a body without the extension gives nothing; one known only after apply fails closed; a broken one is named', () => {
    const plain = plan(P, planOf(rc('aws_api_gateway_rest_api.pets', 'aws_api_gateway_rest_api', null, { ...api, body: JSON.stringify({ openapi: '3.0.1', paths: {} }) })), 'head');
    expect(plain.documents).toEqual([]);
    expect(plain.findings).toEqual([]);
    const later = plan(P, planOf(rc('aws_api_gateway_rest_api.pets', 'aws_api_gateway_rest_api', null, { ...api }, { after_unknown: { body: true } })), 'head');
    expect(later.documents).toEqual([]);
    expect(later.findings.map((f) => [f.ruleId, f.message])).toEqual([['check-not-run', expect.stringMatching(/^aws_api_gateway_rest_api\.pets: body is known only after apply and policy is not set, so an API policy in its OpenAPI definition \(x-amazon-apigateway-policy\) for arn:aws:apigateway:us-east-1::\/restapis\/abc123 could not be read \(fails closed/)]]);
    const broken = plan(P, planOf(rc('aws_api_gateway_rest_api.pets', 'aws_api_gateway_rest_api', null, { ...api, body: '{"x-amazon-apigateway-policy": {' })), 'head');
    expect(broken.findings.map((f) => f.ruleId)).toContain('parse-error');
    expect(broken.findings.find((f) => f.ruleId === 'parse-error')!.message).toMatch(/^aws_api_gateway_rest_api\.pets: body is not valid JSON/);
  });

  test('through the gate: the body\'s policy opened to everyone is new access and public access for the API', () => {
    const value = planOf(rc('aws_api_gateway_rest_api.pets', 'aws_api_gateway_rest_api', { ...api, body: jsonBody(ROOT) }, { ...api, body: jsonBody('*') }));
    const bytes = enc(JSON.stringify(value, null, 1));
    const changes: ChangeSet = { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: P, status: 'modified', base: bytes, head: bytes }] };
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });
    expect(report.verdict.status).toBe('fail');
    const subjects = (rule: string) => [...new Set(report.findings.filter((f) => f.ruleId === rule).map((f) => f.subject))];
    expect(subjects('new-access')).toEqual([API]);
    expect(subjects('public-access')).toEqual([API]);
  });
});

// ---------- CloudFormation: an API definition read from S3 ----------

describe('CloudFormation: AWS::ApiGateway::RestApi with BodyS3Location', () => {
  const template = (key: string, extra = '') => `Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: pets
      BodyS3Location:
        Bucket: api-definitions
        Key: ${key}${extra}
  Queue:
    Type: AWS::SQS::Queue
`;

  test('without Policy it is not analysed (fails closed), naming the resource and the property; with Policy that is read instead', () => {
    const r = cfn('api.yaml', template('pets-v1.yaml'));
    expect(r.findings.map((f) => [f.ruleId, f.location?.line, f.message])).toEqual([
      ['iac-not-analysed', 7, expect.stringMatching(/^api\.yaml:7: Api \(AWS::ApiGateway::RestApi\): its OpenAPI definition is read from S3 \(BodyS3Location\) and Policy is not set, so an API policy in that definition \(x-amazon-apigateway-policy\) is not analysed/)],
    ]);
    const withPolicy = cfn('api.yaml', template('pets-v1.yaml', `
      Policy:
        Statement: [{ Effect: Allow, Principal: '*', Action: execute-api:Invoke, Resource: 'execute-api:/*' }]`));
    expect(withPolicy.findings).toEqual([]);
    expect(withPolicy.documents.map((d) => d.label)).toEqual(['Api API policy']);
  });

  test('through the gate: reported when the change adds the API or moves its definition, not when base read the same one', () => {
    const gate = (base: string | undefined, head: string) =>
      runGate({
        changes: { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: 'api.yaml', status: base ? 'modified' : 'added', ...(base ? { base: enc(base) } : {}), head: enc(head) }] },
        config: defaultConfig(),
        toolVersion: 'test',
        now: new Date('2026-11-24T00:00:00Z'),
      });
    const notAnalysed = (r: ReturnType<typeof gate>) => r.findings.filter((f) => f.ruleId === 'iac-not-analysed');
    const unchanged = gate(template('pets-v1.yaml'), template('pets-v1.yaml').replace('Type: AWS::SQS::Queue', 'Type: AWS::SQS::Queue\n    Properties: { DelaySeconds: 5 }'));
    expect(notAnalysed(unchanged)).toEqual([]);
    expect(unchanged.verdict.status).toBe('pass');
    const moved = gate(template('pets-v1.yaml'), template('pets-v2.yaml'));
    expect(notAnalysed(moved)).toHaveLength(1);
    expect(moved.verdict.status).toBe('fail');
    const added = gate(undefined, template('pets-v1.yaml'));
    expect(notAnalysed(added)).toHaveLength(1);
    expect(added.verdict.status).toBe('fail');
  });
});
