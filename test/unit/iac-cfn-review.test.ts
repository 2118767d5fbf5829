// [iac] CloudFormation, review fixes: ManagedPolicyArns given as an intrinsic, Fn::If on an unknown condition with
// mapping or list branches (both branches analysed), Fn::Transform (AWS::Include) inside Properties fails closed,
// unresolved values outside a role's inline policy reported, a managed policy attached through Fn::If.
import type { ExtractedFile, PolicyDocument } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';

const FILE = 'stack.yaml';
function extract(yaml: string, parameters: Record<string, string> = {}): ExtractedFile {
  return extractPolicies(FILE, new TextEncoder().encode(yaml), { maxBytes: 2 << 20, side: 'head', iac: { cloudformation: { account: '123456789012', parameters } } });
}
const rules = (r: ExtractedFile, id: string) => r.findings.filter((f) => f.ruleId === id);
const labels = (r: ExtractedFile) => r.documents.map((d) => d.label).sort();
const actions = (d?: PolicyDocument) => d?.statements.flatMap((s) => (s.actions ?? []).map((a) => a.value)) ?? [];
const byLabel = (r: ExtractedFile, label: string) => r.documents.find((d) => d.label === label);

const ROLE = `  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
`;
const ADMIN = 'AppRole managed policy AdministratorAccess (AWS managed)';

describe('ManagedPolicyArns given as an intrinsic', () => {
  const head = (params: string, arns: string) =>
    `AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Env:\n    Type: String\n    Default: prod\n${params}Conditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n${ROLE}      ManagedPolicyArns: ${arns}\n`;

  test('Fn::If on a known condition around the whole list: the AWS-managed policy is expanded', () => {
    const r = extract(head('', '!If [IsProd, [!Sub "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"], !Ref AWS::NoValue]'));
    expect(labels(r)).toContain(ADMIN);
    expect(actions(byLabel(r, ADMIN))).toContain('*');
  });

  test('Fn::If on an unknown condition around the whole list: both branches are attached', () => {
    const yaml = head('  Mode:\n    Type: String\n', '!If [IsAdmin, ["arn:aws:iam::aws:policy/AdministratorAccess"], !Ref AWS::NoValue]').replace('Resources:', '  IsAdmin: !Equals [!Ref Mode, admin]\nResources:');
    expect(labels(extract(yaml))).toContain(ADMIN);
  });

  test('a CommaDelimitedList parameter with a default', () => {
    const r = extract(head('  ExtraPolicies:\n    Type: CommaDelimitedList\n    Default: arn:aws:iam::aws:policy/AdministratorAccess\n', '!Ref ExtraPolicies'));
    expect(labels(r)).toContain(ADMIN);
    expect(rules(r, 'iac-not-analysed')).toHaveLength(0);
  });

  test('a list parameter without a value fails closed (iac-not-analysed naming the placeholder)', () => {
    const r = extract(head('  ExtraPolicies:\n    Type: CommaDelimitedList\n', '!Ref ExtraPolicies'));
    const [f] = rules(r, 'iac-not-analysed');
    expect(f).toBeDefined();
    expect(f.message).toContain('${cfn:Ref(ExtraPolicies)}');
    expect(f.message).toContain('ManagedPolicyArns');
    expect(f.location?.line).toBe(21);
    // with a value in the config it is analysed
    expect(labels(extract(head('  ExtraPolicies:\n    Type: CommaDelimitedList\n', '!Ref ExtraPolicies'), { ExtraPolicies: 'arn:aws:iam::aws:policy/AdministratorAccess' }))).toContain(ADMIN);
  });
});

describe('Fn::If on a condition that cannot be decided: both branches are analysed', () => {
  const tpl = (condition: string, resources: string) =>
    `AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Mode:\n    Type: String\nConditions:\n  ${condition}: !Equals [!Ref Mode, x]\nResources:\n${resources}`;

  test('a statement list: the union of both branches', () => {
    const yaml = tpl(
      'IsAdmin',
      `${ROLE}      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: '2012-10-17'
            Statement: !If
              - IsAdmin
              - - Sid: Normal
                  Effect: Allow
                  Action: s3:GetObject
                  Resource: arn:aws:s3:::fixed/*
              - - Sid: Other
                  Effect: Allow
                  Action: iam:PassRole
                  Resource: '*'
`,
    );
    const doc = byLabel(extract(yaml), 'AppRole inline policy p');
    expect(actions(doc).sort()).toEqual(['iam:PassRole', 's3:GetObject']);
  });

  test('the same Sid in both branches is not a duplicate-Sid grammar error', () => {
    const yaml = tpl(
      'IsAdmin',
      `${ROLE}      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: '2012-10-17'
            Statement: !If
              - IsAdmin
              - - {Sid: S, Effect: Allow, Action: s3:GetObject, Resource: 'arn:aws:s3:::fixed/*'}
              - - {Sid: S, Effect: Allow, Action: iam:PassRole, Resource: '*'}
`,
    );
    const r = extract(yaml);
    expect(r.findings.filter((f) => /Sids must be unique/.test(f.message))).toHaveLength(0);
    expect(actions(byLabel(r, 'AppRole inline policy p')).sort()).toEqual(['iam:PassRole', 's3:GetObject']);
  });

  test('a bucket policy Principal: the statement is analysed once per branch, so "*" is seen', () => {
    const yaml = tpl(
      'Internal',
      `  B:
    Type: AWS::S3::Bucket
    Properties: {BucketName: my-bkt}
  BP:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref B
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: Read
            Effect: Allow
            Principal: !If [Internal, {AWS: 'arn:aws:iam::123456789012:root'}, '*']
            Action: s3:GetObject
            Resource: arn:aws:s3:::my-bkt/*
`,
    );
    const r = extract(yaml);
    const doc = byLabel(r, 'BP bucket policy')!;
    expect(doc.statements).toHaveLength(2);
    expect(doc.statements.map((s) => s.principal?.any)).toEqual([false, true]);
    expect(doc.statements.map((s) => s.sid)).toEqual(['Read', 'Read[Internal=false]']);
    expect(rules(r, 'invalid-grammar')).toHaveLength(0);
    const msgs = rules(r, 'iac-unresolved').map((f) => f.message);
    expect(msgs.some((m) => m.includes('${cfn:If(Internal)}') && m.includes('each branch is analysed'))).toBe(true);
    expect(msgs.some((m) => m.includes('first branch') || (m.includes('If(Internal)') && m.includes('analysed as "*"')))).toBe(false);
  });

  test('a Condition block against AWS::NoValue: the reading without the condition is analysed too', () => {
    const yaml = tpl(
      'Scoped',
      `${ROLE}      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: '*'
                Condition: !If [Scoped, {StringEquals: {'aws:PrincipalTag/team': a}}, !Ref AWS::NoValue]
`,
    );
    const doc = byLabel(extract(yaml), 'AppRole inline policy p')!;
    expect(doc.statements.map((s) => s.conditions.length)).toEqual([1, 0]);
  });

  test('a single statement (not a list) whose Principal depends on the condition: the document holds both readings', () => {
    const yaml = tpl(
      'Internal',
      `  BP:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: my-bkt
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          Effect: Allow
          Principal: !If [Internal, {AWS: 'arn:aws:iam::123456789012:root'}, '*']
          Action: s3:GetObject
          Resource: arn:aws:s3:::my-bkt/*
`,
    );
    const doc = byLabel(extract(yaml), 'BP bucket policy')!;
    expect(doc.statements.map((s) => s.principal?.any)).toEqual([false, true]);
  });
});

describe('Fn::Transform inside Properties fails closed', () => {
  test('an AWS::Include in a statement list is iac-not-analysed at its line', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nResources:\n${ROLE}      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::fixed/*
              - Fn::Transform:
                  Name: AWS::Include
                  Parameters: {Location: s3://my-bucket/stmt.yaml}
`;
    const [f] = rules(extract(yaml), 'iac-not-analysed');
    expect(f).toBeDefined();
    expect(f.message).toContain('AWS::Include');
    expect(f.location?.line).toBe(21);
  });

  test('Properties given wholly by !Transform', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties: !Transform {Name: 'AWS::Include', Parameters: {Location: 's3://b/p.yaml'}}\n`;
    expect(rules(extract(yaml), 'iac-not-analysed')).toHaveLength(1);
  });
});

describe('role inline policies and attachments', () => {
  test('an unresolved value from a resource name property is reported for a role inline policy', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  DataBucketName:
    Type: String
Resources:
  DataBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Ref DataBucketName
${ROLE}      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !Sub '\${DataBucket.Arn}/*'
`;
    const [f] = rules(extract(yaml), 'iac-unresolved');
    expect(f?.message).toContain('${cfn:Ref(DataBucketName)}');
    expect(f?.message).toContain('AppRole inline policy p');
  });

  test('a managed policy attached through ManagedPolicyArns: [!If [Cond, !Ref MP, !Ref AWS::NoValue]] is attached', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  MP:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: mp
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Action: iam:PassRole, Resource: '*'}
${ROLE}      ManagedPolicyArns:
        - !If [IsProd, !Ref MP, !Ref AWS::NoValue]
`;
    const r = extract(yaml);
    expect(rules(r, 'iac-unattached')).toHaveLength(0);
    expect(r.documents.find((d) => d.label === 'MP (mp)')?.subjectHint?.id).toBe('arn:aws:iam::123456789012:role/app');
  });
});

describe('conditions on pseudo parameters without config are undecided, never false', () => {
  const tpl = (cond: string, settings = '') =>
    `AWSTemplateFormatVersion: '2010-09-09'${settings}\nConditions:\n  Here: ${cond}\nResources:\n${ROLE}      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Version: '2012-10-17'\n            Statement: !If\n              - Here\n              - - Effect: Allow\n                  Action: '*'\n                  Resource: '*'\n              - - Effect: Allow\n                  Action: s3:GetObject\n                  Resource: arn:aws:s3:::fixed/*\n  Public:\n    Type: AWS::S3::BucketPolicy\n    Condition: Here\n    Properties:\n      Bucket: data\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: '*'\n            Action: s3:GetObject\n            Resource: arn:aws:s3:::data/*\n`;

  test.each([['!Equals [!Ref AWS::Region, eu-west-1]'], ['!Equals [!Ref AWS::StackName, prod]'], ['!Not [!Equals [!Sub "${AWS::Region}", us-east-1]]']])('%s: both branches and the conditional resource are analysed', (cond) => {
    // No region or stack name configured (the account is: it is not what the condition tests).
    const r = extract(tpl(cond));
    expect(actions(byLabel(r, 'AppRole inline policy p'))).toEqual(expect.arrayContaining(['*', 's3:GetObject']));
    expect(r.documents.some((d) => d.kind === 'bucket')).toBe(true);
  });

  test('a configured region decides it', () => {
    const r = extractPolicies(FILE, new TextEncoder().encode(tpl('!Equals [!Ref AWS::Region, eu-west-1]')), { maxBytes: 2 << 20, side: 'head', iac: { cloudformation: { account: '123456789012', region: 'us-east-1', parameters: {} } } });
    expect(actions(byLabel(r, 'AppRole inline policy p'))).toEqual(['s3:GetObject']);
    expect(r.documents.some((d) => d.kind === 'bucket')).toBe(false);
  });
});

describe('review round 2: unresolved principals, unresolved managed ARNs, membership, opaque deployment units', () => {
  const POLICY = `    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: '*'\n            Resource: '*'\n`;
  const subjects = (r: ExtractedFile) => [...new Set(r.documents.map((d) => d.subjectHint?.id))].sort();

  test('each unresolved principal of Roles is its own subject, and iac-unresolved is reported for it', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  AppRoleName: {Type: String}\nResources:\n  Admin:\n${POLICY}      Roles:\n        - !Ref AppRoleName\n        - !ImportValue CiRunnerRoleName\n`;
    const r = extract(yaml);
    const ids = subjects(r);
    expect(ids).toHaveLength(2);
    expect(ids.every((id) => id?.startsWith(`${FILE}#unresolved:role:`))).toBe(true);
    expect(ids.some((id) => id === 'role/*')).toBe(false);
    expect(rules(r, 'iac-unresolved').map((f) => f.evidence?.placeholder)).toEqual(expect.arrayContaining([expect.stringContaining('AppRoleName'), expect.stringContaining('CiRunnerRoleName')]));
  });

  test('a RolePolicy whose RoleName is an ImportValue gets its own subject', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  P:\n    Type: AWS::IAM::RolePolicy\n    Properties:\n      PolicyName: p\n      RoleName: !ImportValue Other\n      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}\n`;
    const r = extract(yaml);
    expect(subjects(r)).toEqual([expect.stringMatching(/^stack\.yaml#unresolved:role:.*Other/)]);
    expect(rules(r, 'iac-unresolved')).toHaveLength(1);
  });

  test('unresolved ManagedPolicyArns carry their expression, so two different ones never share the arn key', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  ReadOnlyArn: {Type: String}\nResources:\n${ROLE}      ManagedPolicyArns:\n        - !Ref ReadOnlyArn\n        - !ImportValue SharedAdminPolicyArn\n`;
    const arns = rules(extract(yaml), 'iac-external-policy').map((f) => String(f.evidence?.arn));
    expect(arns).toHaveLength(2);
    expect(new Set(arns).size).toBe(2);
    expect(arns.find((a) => a.includes('SharedAdminPolicyArn'))).toBeDefined();
    expect(arns.find((a) => a.includes('ReadOnlyArn'))).toBeDefined();
  });

  test('a user joining a group of this template (Groups, UserToGroupAddition) gets its policies, each labelled with the group', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Admins:\n    Type: AWS::IAM::Group\n    Properties:\n      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n      Policies:\n        - PolicyName: tickets\n          PolicyDocument:\n            Statement: [{ Effect: Allow, Action: sqs:SendMessage, Resource: '*' }]\n  Dev:\n    Type: AWS::IAM::User\n    Properties:\n      Groups: [!Ref Admins]\n  Add:\n    Type: AWS::IAM::UserToGroupAddition\n    Properties:\n      GroupName: !Ref Admins\n      Users: [ops]\n`;
    const r = extract(yaml);
    expect(rules(r, 'iac-not-analysed')).toEqual([]);
    const bySubject = (id: string) => r.documents.filter((d) => d.subjectHint?.id === id).map((d) => d.label).sort();
    expect(bySubject('stack.yaml#Admins')).toEqual(['Admins inline policy tickets', 'Admins managed policy AdministratorAccess (AWS managed)']);
    expect(bySubject('stack.yaml#Dev')).toEqual(['Admins inline policy tickets (via group stack.yaml#Admins)', 'Admins managed policy AdministratorAccess (AWS managed) (via group stack.yaml#Admins)']);
    expect(bySubject('arn:aws:iam::123456789012:user/ops')).toEqual(['Admins inline policy tickets (via group stack.yaml#Admins)', 'Admins managed policy AdministratorAccess (AWS managed) (via group stack.yaml#Admins)']);
    // The statements keep the group's lines.
    expect(r.documents.find((d) => d.subjectHint?.id === 'arn:aws:iam::123456789012:user/ops' && d.label.startsWith('Admins inline'))!.statements[0].loc.line).toBe(10);
    expect(new Set(r.documents.map((d) => d.id)).size).toBe(r.documents.length);
  });

  test('a user joining a group defined elsewhere is iac-not-analysed naming user and group, and gets its external policies', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Dev:\n    Type: AWS::IAM::User\n    Properties:\n      Groups: [platform-admins]\n  Add:\n    Type: AWS::IAM::UserToGroupAddition\n    Properties:\n      GroupName: platform-admins\n      Users: [ops]\n`;
    const msgs = rules(extract(yaml), 'iac-not-analysed').map((f) => f.message);
    expect(msgs).toHaveLength(2);
    expect(msgs.some((m) => m.includes('Dev') && m.includes('platform-admins') && m.includes('not defined in this template'))).toBe(true);
    expect(msgs.some((m) => m.includes('ops') && m.includes('platform-admins'))).toBe(true);
    // A group of this template attaching a managed policy the gate does not have: each member is told too.
    const external = extract(`AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Admins:\n    Type: AWS::IAM::Group\n    Properties:\n      ManagedPolicyArns: [arn:aws:iam::123456789012:policy/custom-admin]\n  Dev:\n    Type: AWS::IAM::User\n    Properties:\n      Groups: [!Ref Admins]\n`);
    expect(rules(external, 'iac-external-policy').map((f) => f.subject).sort()).toEqual(['stack.yaml#Admins', 'stack.yaml#Dev']);
  });

  test.each([
    ['AWS::CloudFormation::StackSet', '      TemplateURL: https://s3.amazonaws.com/b/baseline.yaml\n'],
    ['AWS::CloudFormation::Stack', '      TemplateURL: https://s3.amazonaws.com/b/t.yaml\n      Parameters: {PolicyArn: arn:aws:iam::aws:policy/AdministratorAccess}\n'],
    ['Custom::AttachRolePolicy', '      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:f\n      PolicyArn: arn:aws:iam::aws:policy/AdministratorAccess\n'],
    ['AWS::SSO::PermissionSet', '      Name: admin\n      InstanceArn: arn:aws:sso:::instance/ssoins-1\n'],
    ['AWS::Organizations::Policy', '      Name: scp\n      Type: SERVICE_CONTROL_POLICY\n      Content: {}\n'],
  ])('%s is iac-not-analysed', (type, props) => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X:\n    Type: ${type}\n    Properties:\n${props}`;
    const [f] = rules(extract(yaml), 'iac-not-analysed');
    expect(f?.message).toContain(`X (${type})`);
  });

  test('a custom resource whose properties name no IAM is not reported', () => {
    const yaml = `AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X:\n    Type: Custom::Seed\n    Properties:\n      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:f\n      Table: t\n`;
    expect(rules(extract(yaml), 'iac-not-analysed')).toHaveLength(0);
  });
});
