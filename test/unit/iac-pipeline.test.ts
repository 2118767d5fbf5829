// [iac] Templates and plans through the whole gate: same pipeline, same metrics and checks, located findings.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../../src/config/types.js';
import type { ChangeSet } from '../../src/model.js';
import { runGate } from '../../src/pipeline.js';
import { runCheck } from '../../src/run.js';

const enc = (s: string) => new TextEncoder().encode(s);
const template = (statements: string) => `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Logs:
    Type: AWS::S3::Bucket
  LogsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Logs
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
${statements}`;
const ownAccount = `          - Sid: Own
            Effect: Allow
            Principal: { AWS: !Sub 'arn:aws:iam::\${AWS::AccountId}:root' }
            Action: s3:GetObject
            Resource: !Sub '\${Logs.Arn}/*'
`;
const partner = `          - Sid: Partner
            Effect: Allow
            Principal: { AWS: 'arn:aws:iam::444455556666:root' }
            Action: s3:PutObject
            Resource: !Sub '\${Logs.Arn}/partner/*'
`;

function gate(base: string, head: string) {
  const changes: ChangeSet = { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: 'infra/logs.yaml', status: 'modified', base: enc(base), head: enc(head) }] };
  return runGate({ changes, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });
}

describe('a CloudFormation change through the gate', () => {
  test('new access in a bucket policy is found at the template line; the stack account stand-in is not "public"', () => {
    const report = gate(template(ownAccount), template(ownAccount + partner));
    expect(report.subjects.map((s) => s.subject.id)).toEqual(['infra/logs.yaml#Logs']);
    const newAccess = report.findings.filter((f) => f.ruleId === 'new-access');
    expect(newAccess).toHaveLength(1);
    expect(newAccess[0].location).toMatchObject({ file: 'infra/logs.yaml', line: 17 });
    expect(newAccess[0].message).toContain('arn:aws:s3:::{Logs}/partner/*');
    const pub = report.findings.filter((f) => f.ruleId === 'public-access');
    expect(pub).toHaveLength(1); // the partner account, not {AccountId}
    expect(pub[0].message).toContain('444455556666');
    expect(report.verdict.status).toBe('fail');
  });

  test('an unchanged template gives no delta and no new access', () => {
    const report = gate(template(ownAccount), template(ownAccount));
    expect(report.findings.filter((f) => f.ruleId === 'new-access')).toEqual([]);
    expect(report.totals.actions.added).toBe(0);
  });
});

describe('the demo: a CloudFormation change and a Terraform plan', () => {
  test('runCheck with --plan: both appear as subjects with ARNs and located new access', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'iac-demo-'));
    const { report } = await runCheck({
      base: 'fixtures/demo/base',
      head: 'fixtures/demo/head',
      cloudtrail: [],
      plans: ['fixtures/demo/plan/tfplan.json'],
      outDir: out,
      formats: ['json'],
      offline: true,
      now: new Date('2026-11-24T00:00:00Z'),
    });
    const ids = report.subjects.map((s) => s.subject.id);
    expect(ids).toEqual(expect.arrayContaining(['arn:aws:iam::123456789012:role/orders-prod', 'arn:aws:s3:::acme-prod-order-exports', 'arn:aws:iam::123456789012:role/reports-exporter']));
    const plan = report.findings.filter((f) => f.ruleId === 'new-access' && f.subject === 'arn:aws:iam::123456789012:role/reports-exporter');
    expect(plan.map((f) => `${f.location?.file}:${f.location?.line}`)).toEqual(['fixtures/demo/plan/main.tf:24']);
    const cfn = report.findings.filter((f) => f.ruleId === 'new-access' && f.location?.file === 'cfn/app-stack.yaml');
    expect(cfn.map((f) => f.location?.line).sort()).toEqual([33, 55, 55]);
    expect(report.change.files.find((f) => f.path === 'fixtures/demo/plan/tfplan.json')).toEqual({ path: 'fixtures/demo/plan/tfplan.json', status: 'modified', documents: { base: 2, head: 2 } });
  });
});

describe('what a template holds that the gate cannot read is reported when the change adds or changes it', () => {
  const stack = (opts: { groups?: string[]; stackSetUrl?: string; extra?: string } = {}) => `Resources:
  Admins:
    Type: AWS::IAM::Group
  Ops:
    Type: AWS::IAM::Group
  Alice:
    Type: AWS::IAM::User
    Properties:
      Groups: [${(opts.groups ?? ['platform-admins']).join(', ')}]
  Baseline:
    Type: AWS::CloudFormation::StackSet
    Properties:
      StackSetName: baseline
      PermissionModel: SERVICE_MANAGED
      TemplateURL: ${opts.stackSetUrl ?? 'https://s3.amazonaws.com/templates/baseline-v1.yaml'}
  Rotate:
    Type: Custom::KeyRotation
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:rotate
      RoleArn: arn:aws:iam::123456789012:role/rotator
  Queue:
    Type: AWS::SQS::Queue${opts.extra ?? ''}
`;
  const gate = (base: string | undefined, head: string) =>
    runGate({
      changes: { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: 'stack.yaml', status: base ? 'modified' : 'added', ...(base ? { base: enc(base) } : {}), head: enc(head) }] },
      config: defaultConfig(),
      toolVersion: 'test',
      now: new Date('2026-11-24T00:00:00Z'),
    });
  const notAnalysed = (r: ReturnType<typeof gate>) => r.findings.filter((f) => f.ruleId === 'iac-not-analysed').map((f) => f.message.replace(/^stack\.yaml:\d+: /, ''));

  test('a new template: each of them, failing closed', () => {
    const r = gate(undefined, stack());
    expect(notAnalysed(r)).toEqual([
      expect.stringMatching(/^Alice \(AWS::IAM::User\) joins group platform-admins \(Groups\), which is not defined in this template/),
      expect.stringMatching(/^Baseline \(AWS::CloudFormation::StackSet\) deploys a stack set/),
      expect.stringMatching(/^Rotate \(Custom::KeyRotation\) is a custom resource whose properties name IAM/),
    ]);
    expect(r.verdict.status).toBe('fail');
  });

  test('an unrelated edit of the same template: none of them (base had them the same), and the verdict passes', () => {
    const r = gate(stack(), stack({ extra: '\n    Properties: { DelaySeconds: 5 }' }));
    expect(notAnalysed(r)).toEqual([]);
    expect(r.verdict.status).toBe('pass');
  });

  test('a user joining another group, or a stack set whose template changes: only that one', () => {
    expect(notAnalysed(gate(stack(), stack({ groups: ['platform-admins', 'platform-ops'] })))).toEqual([expect.stringMatching(/^Alice \(AWS::IAM::User\) joins group platform-ops \(Groups\)/)]);
    // Another user under the same logical id (a new UserName) joining the same group is a change too.
    const renamed = stack().replace('      Groups: [', '      UserName: mallory\n      Groups: [');
    expect(notAnalysed(gate(stack(), renamed))).toEqual([expect.stringMatching(/^Alice \(AWS::IAM::User\) joins group platform-admins \(Groups\)/)]);
    expect(notAnalysed(gate(renamed, renamed + '# edited\n'))).toEqual([]);
    // An addition moved to another group, its user unchanged: reported.
    const addition = (group: string) => `Resources:\n  Add:\n    Type: AWS::IAM::UserToGroupAddition\n    Properties:\n      GroupName: ${group}\n      Users: [ops]\n`;
    expect(notAnalysed(gate(addition('readers'), addition('admins')))).toEqual([expect.stringMatching(/^Add \(AWS::IAM::UserToGroupAddition\) adds user user\/ops to group admins/)]);
    expect(notAnalysed(gate(addition('readers'), addition('readers') + '# edited\n'))).toEqual([]);
    const moved = gate(stack(), stack({ stackSetUrl: 'https://s3.amazonaws.com/templates/baseline-v2.yaml' }));
    expect(notAnalysed(moved)).toEqual([expect.stringMatching(/^Baseline \(AWS::CloudFormation::StackSet\) deploys a stack set/)]);
    expect(moved.verdict.status).toBe('fail');
  });

  test('a user joining a group of this template: the group\'s grants are new access for the user, at the group policy\'s lines', () => {
    const groups = (dev: string) => `Resources:
  Readers:
    Type: AWS::IAM::Group
    Properties:
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement: [{ Effect: Allow, Action: sqs:ReceiveMessage, Resource: arn:aws:sqs:us-east-1:123456789012:jobs }]
  Admins:
    Type: AWS::IAM::Group
    Properties:
      Policies:
        - PolicyName: admin
          PolicyDocument:
            Statement: [{ Effect: Allow, Action: 'sqs:*', Resource: '*' }]
  Dev:
    Type: AWS::IAM::User
    Properties:
      UserName: dev
      Groups: [${dev}]
`;
    const r = gate(groups('!Ref Readers'), groups('!Ref Readers, !Ref Admins'));
    expect(notAnalysed(r)).toEqual([]);
    const newAccess = r.findings.filter((f) => f.ruleId === 'new-access');
    expect([...new Set(newAccess.map((f) => f.subject))]).toEqual(['stack.yaml#Dev']);
    expect(newAccess.every((f) => f.location?.line === 15)).toBe(true);
    expect(r.verdict.status).toBe('fail');
    // The same membership, the group's policy unchanged: nothing new.
    expect(gate(groups('!Ref Readers, !Ref Admins'), groups('!Ref Readers, !Ref Admins') + '# edited\n').findings.filter((f) => f.ruleId === 'new-access')).toEqual([]);
  });

  test('the same text deploying something else (a parameter\'s new default) is a change too', () => {
    const nested = (url: string) => `Parameters:
  TemplateUrl:
    Type: String
    Default: ${url}
Resources:
  Network:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: !Ref TemplateUrl
`;
    expect(notAnalysed(gate(nested('https://example.s3.amazonaws.com/net-v1.yaml'), nested('https://example.s3.amazonaws.com/net-v1.yaml') + '# edited\n'))).toEqual([]);
    expect(notAnalysed(gate(nested('https://example.s3.amazonaws.com/net-v1.yaml'), nested('https://example.s3.amazonaws.com/net-v2.yaml')))).toEqual([
      expect.stringMatching(/^Network \(AWS::CloudFormation::Stack\) is a nested stack/),
    ]);
  });
});

describe('a stack set\'s inline template (TemplateBody) is analysed as the stack set\'s', () => {
  const stackSet = (action: string, extra = '') => `Parameters:
  Trusted:
    Type: String
    Default: '444455556666'
Resources:
  Baseline:
    Type: AWS::CloudFormation::StackSet
    Properties:
      StackSetName: baseline
      PermissionModel: SERVICE_MANAGED
      Parameters:
        - ParameterKey: AuditAccount
          ParameterValue: !Ref Trusted
      TemplateBody: |
        Parameters:
          AuditAccount:
            Type: String
        Resources:
          Audit:
            Type: AWS::IAM::Role
            Properties:
              RoleName: audit
              AssumeRolePolicyDocument:
                Statement:
                  - Effect: Allow
                    Principal: { AWS: !Sub 'arn:aws:iam::\${AuditAccount}:root' }
                    Action: sts:AssumeRole
              Policies:
                - PolicyName: read
                  PolicyDocument:
                    Statement:
                      - Effect: Allow
                        Action: ${action}
                        Resource: '*'
${extra}`;
  const gate = (base: string, head: string) =>
    runGate({ changes: { baseLabel: 'base', headLabel: 'head', notes: [], files: [{ path: 'stack.yaml', status: 'modified', base: enc(base), head: enc(head) }] }, config: defaultConfig(), toolVersion: 'test', now: new Date('2026-11-24T00:00:00Z') });

  test('its role is a subject of the stack set, at the lines in the file, with the parameters the stack set passes', () => {
    const r = gate(stackSet('s3:GetObject'), stackSet('s3:*'));
    const newAccess = r.findings.filter((f) => f.ruleId === 'new-access');
    expect([...new Set(newAccess.map((f) => f.subject))]).toEqual(['stack.yaml#Baseline/Audit']);
    expect([...new Set(newAccess.map((f) => f.location?.line))]).toEqual([32]); // the statement's own line in the file
    expect(r.findings.filter((f) => f.ruleId === 'iac-not-analysed')).toEqual([]);
    expect(r.verdict.status).toBe('fail');
    const audit = r.subjects.find((x) => x.subject.id === 'stack.yaml#Baseline/Audit');
    expect(audit).toBeDefined();
    // The trust policy got the account the stack set passes (its Parameters), not a placeholder.
    const trust = r.findings.filter((f) => f.ruleId === 'iac-unresolved');
    expect(trust).toEqual([]);
    // Unchanged: nothing new.
    expect(gate(stackSet('s3:GetObject'), stackSet('s3:GetObject') + '# edited\n').findings.filter((f) => f.ruleId === 'new-access')).toEqual([]);
  });

  test('per-instance parameter overrides are not analysed (fails closed when the change sets them); TemplateURL is not read', () => {
    const overrides = `      StackInstancesGroup:
        - DeploymentTargets: { OrganizationalUnitIds: [ou-abcd-12345678] }
          Regions: [us-east-1]
          ParameterOverrides:
            - ParameterKey: AuditAccount
              ParameterValue: '777788889999'
`;
    const withOverrides = stackSet('s3:GetObject').replace('      TemplateBody: |', `${overrides}      TemplateBody: |`);
    const r = gate(stackSet('s3:GetObject'), withOverrides);
    expect(r.findings.filter((f) => f.ruleId === 'iac-not-analysed').map((f) => f.message)).toEqual([expect.stringMatching(/^stack\.yaml:\d+: Baseline \(AWS::CloudFormation::StackSet\) deploys a stack set whose stack instances override its parameters/)]);
  });
});
