// Table-driven cases for the request evaluator. Each case names the IAM User Guide page (and
// section anchor) whose rule it checks: doc_source/<file>#<anchor> in awsdocs/iam-user-guide.
import { existsSync, readFileSync } from 'node:fs';
import type { Decision, PolicyDocument, PolicyKind, PrincipalBlock, PrincipalType, Statement } from '../../src/model.js';
import { evaluate, evaluatePolicies, type RequestContext } from '../../src/analysis/evaluate/evaluate.js';

// ---------- building documents from raw JSON ----------

type Json = unknown;
const loc = { file: 'case.json', line: 1, column: 1 };

function list(v: Json): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function principalBlock(v: Json): PrincipalBlock {
  if (v === '*') return { any: true, entries: [], loc };
  const entries = Object.entries(v as Record<string, Json>).flatMap(([type, vals]) =>
    list(vals).map((value) => ({ type: type as PrincipalType, value, loc })),
  );
  return { any: false, entries, loc };
}

function statement(raw: Record<string, Json>, index: number): Statement {
  const located = (v: Json) => (v === undefined ? undefined : list(v).map((value) => ({ value, loc })));
  const conditions = Object.entries((raw.Condition ?? {}) as Record<string, Record<string, Json>>).flatMap(([operator, keys]) =>
    Object.entries(keys).map(([key, values]) => ({ operator, key, values: list(values), loc })),
  );
  return {
    index,
    sid: raw.Sid as string | undefined,
    effect: raw.Effect as 'Allow' | 'Deny',
    actions: located(raw.Action),
    notActions: located(raw.NotAction),
    resources: located(raw.Resource),
    notResources: located(raw.NotResource),
    principal: raw.Principal === undefined ? undefined : principalBlock(raw.Principal),
    notPrincipal: raw.NotPrincipal === undefined ? undefined : principalBlock(raw.NotPrincipal),
    conditions,
    loc: { ...loc, line: index + 1 },
  };
}

let docCounter = 0;
function doc(raw: Json, kind: PolicyKind = 'identity'): PolicyDocument {
  const r = (Array.isArray(raw) ? { Version: '2012-10-17', Statement: raw } : raw) as Record<string, Json>;
  const sts = Array.isArray(r.Statement) ? r.Statement : [r.Statement];
  const id = `doc${++docCounter}.json`;
  return {
    id,
    file: id,
    pointer: '',
    kind,
    version: r.Version as string | undefined,
    statements: (sts as Record<string, Json>[]).map(statement),
    loc,
    size: 0,
    label: id,
  };
}

// ---------- case shape ----------

interface Case {
  name: string;
  /** doc_source file and section the rule comes from. */
  source: string;
  identity?: Json[];
  resource?: Json[];
  boundary?: Json[];
  scps?: Json[][];
  rcps?: Json[][];
  request: Partial<RequestContext> & { action?: string };
  principalAccount?: string;
  resourceAccount?: string;
  callerBoundary?: boolean | 'unknown';
  expect: Decision;
}

const ACCT = '111122223333';
const OTHER = '444455556666';
const ROLE = `arn:aws:iam::${ACCT}:role/app`;
const USER = `arn:aws:iam::${ACCT}:user/alice`;
const me = { arn: ROLE, account: ACCT, type: 'AWS' as const };

function allow(action: Json = 's3:GetObject', resource: Json = '*', condition?: Json, extra: Record<string, Json> = {}): Json {
  return { Effect: 'Allow', Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}), ...extra };
}
function deny(action: Json = 's3:GetObject', resource: Json = '*', condition?: Json, extra: Record<string, Json> = {}): Json {
  return { Effect: 'Deny', Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}), ...extra };
}

const cases: Case[] = [];

// ---------- Action / NotAction ----------
const ACT = 'reference_policies_elements_action.md';
const NACT = 'reference_policies_elements_notaction.md';
const actionRows: [Json, string, Decision][] = [
  ['s3:GetObject', 's3:GetObject', 'allow'],
  ['s3:*', 's3:GetObject', 'allow'],
  ['*', 'iam:CreateUser', 'allow'],
  ['S3:GETOBJECT', 's3:GetObject', 'allow'],
  ['s3:Get*', 's3:PutObject', 'implicit-deny'],
  ['s3:Get*', 's3:GetBucketPolicy', 'allow'],
  ['iam:*AccessKey*', 'iam:CreateAccessKey', 'allow'],
  ['iam:*AccessKey*', 'iam:CreateUser', 'implicit-deny'],
  [['sqs:SendMessage', 'sqs:ReceiveMessage'], 'sqs:ReceiveMessage', 'allow'],
  ['ec2:Describe?nstances', 'ec2:DescribeInstances', 'allow'],
  ['s3:GetObject', 's3:GetObjectAcl', 'implicit-deny'],
  ['ec2:*', 's3:GetObject', 'implicit-deny'],
];
for (const [a, action, expect] of actionRows)
  cases.push({ name: `Action ${JSON.stringify(a)} vs ${action}`, source: `${ACT}#Action_syntax`, identity: [[allow(a)]], request: { action }, expect });
cases.push(
  { name: 'NotAction allows what it does not list', source: `${NACT}#notaction-allow`, identity: [[{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }]], request: { action: 's3:GetObject' }, expect: 'allow' },
  { name: 'NotAction does not allow what it lists', source: `${NACT}#notaction-allow`, identity: [[{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }]], request: { action: 'iam:CreateUser' }, expect: 'implicit-deny' },
  {
    name: 'Deny NotAction denies everything else',
    source: `${NACT}#notaction-deny`,
    identity: [[allow('*'), { Effect: 'Deny', NotAction: ['iam:*', 'sts:*'], Resource: '*' }]],
    request: { action: 's3:GetObject' },
    expect: 'explicit-deny',
  },
  {
    name: 'Deny NotAction spares what it lists',
    source: `${NACT}#notaction-deny`,
    identity: [[allow('*'), { Effect: 'Deny', NotAction: ['iam:*', 'sts:*'], Resource: '*' }]],
    request: { action: 'iam:ListUsers' },
    expect: 'allow',
  },
  { name: 'statement without Action applies to nothing', source: `${ACT}#Action_syntax`, identity: [[{ Effect: 'Allow', Resource: '*' }]], request: { action: 's3:GetObject' }, expect: 'implicit-deny' },
);

// ---------- Resource / NotResource ----------
const RES = 'reference_policies_elements_resource.md';
const NRES = 'reference_policies_elements_notresource.md';
const resourceRows: [Json, string | undefined, Decision, string][] = [
  ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/a.txt', 'allow', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/dir/sub/a.txt', 'allow', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket', 'implicit-deny', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::other/a', 'implicit-deny', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/a', 'implicit-deny', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:s3:::bucket/?.txt', 'arn:aws:s3:::bucket/a.txt', 'allow', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:s3:::bucket/?.txt', 'arn:aws:s3:::bucket/ab.txt', 'implicit-deny', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:iam::111122223333:user/*', 'arn:aws:iam::111122223333:user/division/alice', 'allow', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:dynamodb:*:111122223333:table/t', 'arn:aws:dynamodb:us-east-2:111122223333:table/t', 'allow', 'reference_policies_elements_resource'],
  ['arn:aws:dynamodb:*:111122223333:table/t', 'arn:aws:dynamodb:us-east-2:444455556666:table/t', 'implicit-deny', 'reference_policies_elements_resource'],
  ['arn:aws:ec2:*:instance/*', 'arn:aws:ec2:us-east-1:111122223333:instance/i-1', 'implicit-deny', 'reference-policies-elements-resource-wildcards'],
  ['arn:aws:logs:us-east-1:*:log-group:*', 'arn:aws:logs:us-east-1:111122223333:log-group:g:log-stream:s', 'allow', 'reference-policies-elements-resource-wildcards'],
  [['arn:aws:s3:::a', 'arn:aws:s3:::b'], 'arn:aws:s3:::b', 'allow', 'reference_policies_elements_resource'],
  ['*', 'arn:aws:s3:::anything', 'allow', 'reference_policies_elements_resource'],
  ['*', undefined, 'allow', 'reference_policies_elements_resource'],
  ['arn:aws:s3:::bucket/*', undefined, 'undecided', 'reference_policies_elements_resource'],
];
for (const [r, resource, expect, anchor] of resourceRows)
  cases.push({ name: `Resource ${JSON.stringify(r)} vs ${resource ?? '(unknown)'}`, source: `${RES}#${anchor}`, identity: [[allow('s3:GetObject', r)]], request: { resource }, expect });
cases.push(
  { name: 'NotResource allows other resources', source: `${NRES}#notresource-element-combinations`, identity: [[{ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::hr/*' }]], request: { resource: 'arn:aws:s3:::eng/x' }, expect: 'allow' },
  { name: 'NotResource excludes listed resources', source: `${NRES}#notresource-element-combinations`, identity: [[{ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::hr/*' }]], request: { resource: 'arn:aws:s3:::hr/pay' }, expect: 'implicit-deny' },
  { name: 'NotResource with an unknown resource is undecided', source: `${NRES}#notresource-element-combinations`, identity: [[{ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::hr/*' }]], request: { resource: undefined }, expect: 'undecided' },
  { name: 'NotResource "*" never applies, even with an unknown resource', source: `${NRES}#notresource-element-combinations`, identity: [[{ Effect: 'Allow', Action: 's3:*', NotResource: '*' }]], request: { resource: undefined }, expect: 'implicit-deny' },
  {
    name: 'Deny NotResource denies outside the listed bucket',
    source: 'reference_policies_examples_s3_deny-except-bucket.md#reference_policies_examples_s3_deny-except-bucket',
    identity: [[allow('s3:*'), { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }]],
    request: { resource: 'arn:aws:s3:::other/x' },
    expect: 'explicit-deny',
  },
  {
    name: 'Deny NotResource spares the listed bucket',
    source: 'reference_policies_examples_s3_deny-except-bucket.md#reference_policies_examples_s3_deny-except-bucket',
    identity: [[allow('s3:*'), { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }]],
    request: { resource: 'arn:aws:s3:::b/x' },
    expect: 'allow',
  },
  {
    name: 'Deny NotResource with unknown resource is undecided',
    source: `${NRES}#notresource-element-combinations`,
    identity: [[allow('s3:*'), { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::b/*'] }]],
    request: { resource: undefined },
    expect: 'undecided',
  },
);

// ---------- condition operators: one Allow with one condition ----------
const CO = 'reference_policies_elements_condition_operators.md';
const COND = 'reference_policies_elements_condition.md#AccessPolicyLanguage_ConditionBlock';
const MV = 'reference_policies_condition-single-vs-multi-valued-context-keys.md';
const MISSING = Symbol('missing');
const UNKNOWN = Symbol('unknown');
type Ctx = string | string[] | typeof MISSING | typeof UNKNOWN;
type Row = [operator: string, key: string, values: string[], ctx: Ctx, result: 'match' | 'no-match' | 'unknown', source: string];

const S = `${CO}#Conditions_String`;
const N = `${CO}#Conditions_Numeric`;
const D = `${CO}#Conditions_Date`;
const B = `${CO}#Conditions_Boolean`;
const BIN = `${CO}#Conditions_BinaryEquals`;
const IP = `${CO}#Conditions_IPAddress`;
const ARN = `${CO}#Conditions_ARN`;
const IFX = `${CO}#Conditions_IfExists`;
const NUL = `${CO}#Conditions_Null`;
const T0 = '2020-01-01T00:00:00Z';

const conditionRows: Row[] = [
  ['StringEquals', 'aws:username', ['alice'], 'alice', 'match', S],
  ['StringEquals', 'aws:username', ['alice'], 'Alice', 'no-match', S],
  ['StringEquals', 'aws:username', ['a', 'b'], 'b', 'match', COND],
  ['StringEquals', 'aws:username', ['a'], MISSING, 'no-match', COND],
  ['StringEquals', 'aws:username', ['*'], 'alice', 'no-match', S],
  ['StringEquals', 'AWS:UserName', ['alice'], 'alice', 'match', `${COND}`],
  ['StringNotEquals', 'aws:username', ['a'], 'b', 'match', S],
  ['StringNotEquals', 'aws:username', ['a'], 'a', 'no-match', S],
  ['StringNotEquals', 'aws:username', ['a', 'b'], 'b', 'no-match', COND],
  ['StringNotEquals', 'aws:username', ['a', 'b'], 'c', 'match', COND],
  ['StringNotEquals', 'aws:principalorgid', ['o-123'], MISSING, 'match', COND],
  ['StringEqualsIgnoreCase', 'aws:username', ['ALICE'], 'alice', 'match', S],
  ['StringEqualsIgnoreCase', 'aws:username', ['bob'], 'alice', 'no-match', S],
  ['StringNotEqualsIgnoreCase', 'aws:username', ['ALICE'], 'alice', 'no-match', S],
  ['StringNotEqualsIgnoreCase', 'aws:username', ['bob'], 'alice', 'match', S],
  ['StringNotEqualsIgnoreCase', 'aws:username', ['bob'], MISSING, 'match', COND],
  ['StringLike', 's3:prefix', ['home/*'], 'home/alice/x', 'match', S],
  ['StringLike', 's3:prefix', ['home/?'], 'home/ab', 'no-match', S],
  ['StringLike', 's3:prefix', ['home/??'], 'home/ab', 'match', S],
  ['StringLike', 's3:prefix', ['Home/*'], 'home/x', 'no-match', S],
  ['StringLike', 's3:prefix', ['*'], '', 'match', S],
  ['StringLike', 's3:prefix', ['a/*', 'b/*'], 'b/x', 'match', COND],
  ['StringLike', 's3:prefix', ['home/*'], MISSING, 'no-match', COND],
  ['StringNotLike', 's3:prefix', ['home/*'], 'public/x', 'match', S],
  ['StringNotLike', 's3:prefix', ['home/*'], 'home/x', 'no-match', S],
  ['StringNotLike', 's3:prefix', ['home/*'], MISSING, 'match', COND],
  ['NumericEquals', 's3:max-keys', ['10'], '10', 'match', N],
  ['NumericEquals', 's3:max-keys', ['10'], '10.0', 'match', N],
  ['NumericEquals', 's3:max-keys', ['10'], '11', 'no-match', N],
  ['NumericNotEquals', 's3:max-keys', ['10'], '11', 'match', N],
  ['NumericNotEquals', 's3:max-keys', ['10'], '10', 'no-match', N],
  ['NumericNotEquals', 's3:max-keys', ['10'], MISSING, 'match', COND],
  ['NumericLessThan', 's3:max-keys', ['10'], '9', 'match', N],
  ['NumericLessThan', 's3:max-keys', ['10'], '10', 'no-match', N],
  ['NumericLessThan', 's3:max-keys', ['-1'], '-2', 'match', N],
  ['NumericLessThan', 's3:max-keys', ['10'], 'abc', 'no-match', N],
  ['NumericLessThan', 's3:max-keys', ['10'], MISSING, 'no-match', COND],
  ['NumericLessThanEquals', 's3:max-keys', ['10'], '10', 'match', N],
  ['NumericLessThanEquals', 's3:max-keys', ['10'], '10.5', 'no-match', N],
  ['NumericGreaterThan', 's3:max-keys', ['10'], '10', 'no-match', N],
  ['NumericGreaterThan', 's3:max-keys', ['10'], '11', 'match', N],
  ['NumericGreaterThanEquals', 's3:max-keys', ['10'], '10', 'match', N],
  ['NumericGreaterThanEquals', 's3:max-keys', ['10'], '9.5', 'no-match', N],
  ['DateGreaterThan', 'aws:CurrentTime', [T0], '2021-06-01T00:00:00Z', 'match', D],
  ['DateLessThan', 'aws:CurrentTime', [T0], '2021-06-01T00:00:00Z', 'no-match', D],
  ['DateEquals', 'aws:CurrentTime', [T0], T0, 'match', D],
  ['DateEquals', 'aws:EpochTime', [T0], '1577836800', 'match', D],
  ['DateLessThan', 'aws:CurrentTime', ['1577836800'], '2019-12-31T23:59:59Z', 'match', D],
  ['DateNotEquals', 'aws:CurrentTime', [T0], '2020-01-02T00:00:00Z', 'match', D],
  ['DateNotEquals', 'aws:CurrentTime', [T0], T0, 'no-match', D],
  ['DateLessThanEquals', 'aws:CurrentTime', [T0], T0, 'match', D],
  ['DateGreaterThanEquals', 'aws:CurrentTime', [T0], '2019-01-01T00:00:00Z', 'no-match', D],
  ['DateGreaterThan', 'aws:CurrentTime', ['2020-01-01'], '2020-01-01T00:00:01Z', 'match', D],
  ['DateGreaterThan', 'aws:CurrentTime', ['2020-01-01T00:00:00+02:00'], '2019-12-31T23:00:00Z', 'match', D],
  ['DateLessThan', 'aws:TokenIssueTime', [T0], MISSING, 'no-match', COND],
  ['DateGreaterThan', 'aws:CurrentTime', [T0], 'not-a-date', 'no-match', D],
  ['Bool', 'aws:SecureTransport', ['true'], 'true', 'match', B],
  ['Bool', 'aws:SecureTransport', ['true'], 'false', 'no-match', B],
  ['Bool', 'aws:SecureTransport', ['false'], 'false', 'match', B],
  ['Bool', 'aws:SecureTransport', ['TRUE'], 'true', 'match', B],
  ['Bool', 'aws:MultiFactorAuthPresent', ['true'], MISSING, 'no-match', COND],
  ['BoolIfExists', 'aws:MultiFactorAuthPresent', ['false'], MISSING, 'match', IFX],
  ['BoolIfExists', 'aws:MultiFactorAuthPresent', ['false'], 'true', 'no-match', IFX],
  ['BinaryEquals', 'key', ['QmluYXJ5VmFsdWVJbkJhc2U2NA=='], 'QmluYXJ5VmFsdWVJbkJhc2U2NA==', 'match', BIN],
  ['BinaryEquals', 'key', ['QmluYXJ5VmFsdWVJbkJhc2U2NA=='], 'T3RoZXI=', 'no-match', BIN],
  ['BinaryEquals', 'key', ['QmluYXJ5VmFsdWVJbkJhc2U2NA=='], 'not base64!', 'no-match', BIN],
  ['BinaryEquals', 'key', ['QmluYXJ5VmFsdWVJbkJhc2U2NA=='], MISSING, 'no-match', COND],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.0/24'], '203.0.113.7', 'match', IP],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.0/24'], '203.0.114.7', 'no-match', IP],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.0/24', '198.51.100.0/24'], '198.51.100.9', 'match', IP],
  ['IpAddress', 'aws:SourceIp', ['2001:DB8:1234:5678::/64'], '2001:db8:1234:5678::1', 'match', IP],
  ['IpAddress', 'aws:SourceIp', ['2001:DB8:1234:5678::/64'], '2001:db8:1234:5679::1', 'no-match', IP],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.5'], '203.0.113.5', 'match', IP],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.5/32'], '203.0.113.6', 'no-match', IP],
  ['IpAddress', 'aws:SourceIp', ['0.0.0.0/0'], '8.8.8.8', 'match', IP],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.0/24'], 'ec2.amazonaws.com', 'no-match', IP],
  ['IpAddress', 'aws:SourceIp', ['10.0.0.0/8'], '2001:db8::1', 'no-match', IP],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.0/24'], MISSING, 'no-match', COND],
  ['NotIpAddress', 'aws:SourceIp', ['203.0.113.0/24'], '192.0.2.1', 'match', IP],
  ['NotIpAddress', 'aws:SourceIp', ['203.0.113.0/24'], '203.0.113.1', 'no-match', IP],
  ['NotIpAddress', 'aws:SourceIp', ['203.0.113.0/24'], MISSING, 'match', COND],
  ['ArnEquals', 'aws:SourceArn', ['arn:aws:sns:us-east-1:111122223333:t'], 'arn:aws:sns:us-east-1:111122223333:t', 'match', ARN],
  ['ArnLike', 'aws:SourceArn', ['arn:aws:s3:::bucket/*'], 'arn:aws:s3:::bucket/a/b', 'match', ARN],
  ['ArnLike', 'aws:PrincipalArn', ['arn:aws:iam::*:role/admin'], 'arn:aws:iam::111122223333:role/admin', 'match', ARN],
  ['ArnLike', 'aws:PrincipalArn', ['arn:aws:iam::*:role/*'], 'arn:aws:iam::111122223333:user/x', 'no-match', ARN],
  ['ArnLike', 'aws:SourceArn', ['arn:aws:ec2:*:111122223333:instance/*'], 'arn:aws:ec2:us-east-1:111122223333:instance/i-1', 'match', ARN],
  ['ArnLike', 'aws:SourceArn', ['arn:aws:sqs:*:111122223333:*'], 'arn:aws:sqs:us-east-1:444455556666:q', 'no-match', ARN],
  ['ArnEquals', 'aws:SourceArn', ['arn:aws:sqs:*:111122223333:q*'], 'arn:aws:sqs:eu-west-1:111122223333:queue1', 'match', ARN],
  ['ArnLike', 'aws:PrincipalArn', ['arn:aws:iam::111122223333:role/Admin'], 'arn:aws:iam::111122223333:role/admin', 'no-match', ARN],
  ['ArnNotEquals', 'aws:SourceArn', ['arn:aws:sqs:us-east-1:111122223333:q'], 'arn:aws:sqs:us-east-1:111122223333:other', 'match', ARN],
  ['ArnNotLike', 'aws:SourceArn', ['arn:aws:sqs:*:111122223333:*'], 'arn:aws:sqs:us-east-1:111122223333:q', 'no-match', ARN],
  ['ArnNotLike', 'aws:SourceArn', ['arn:aws:sqs:*:111122223333:*'], MISSING, 'match', COND],
  ['ArnLike', 'aws:SourceArn', ['arn:aws:sqs:*:111122223333:*'], MISSING, 'no-match', COND],
  ['Null', 'aws:TokenIssueTime', ['true'], MISSING, 'match', NUL],
  ['Null', 'aws:TokenIssueTime', ['true'], '2020-01-01T00:00:00Z', 'no-match', NUL],
  ['Null', 'aws:TokenIssueTime', ['false'], '2020-01-01T00:00:00Z', 'match', NUL],
  ['Null', 'aws:TokenIssueTime', ['false'], MISSING, 'no-match', NUL],
  ['Null', 'aws:TokenIssueTime', ['true'], UNKNOWN, 'unknown', NUL],
  ['StringEqualsIfExists', 'ec2:InstanceType', ['t2.micro'], MISSING, 'match', IFX],
  ['StringEqualsIfExists', 'ec2:InstanceType', ['t2.micro'], 't2.micro', 'match', IFX],
  ['StringEqualsIfExists', 'ec2:InstanceType', ['t2.micro'], 'm5.large', 'no-match', IFX],
  ['StringLikeIfExists', 'ec2:InstanceType', ['t2.*'], 't2.small', 'match', IFX],
  ['NumericLessThanIfExists', 's3:max-keys', ['10'], MISSING, 'match', IFX],
  ['ArnLikeIfExists', 'aws:SourceArn', ['arn:aws:s3:::b'], MISSING, 'match', IFX],
  ['IpAddressIfExists', 'aws:SourceIp', ['203.0.113.0/24'], MISSING, 'match', IFX],
  ['DateLessThanIfExists', 'aws:CurrentTime', [T0], '2021-01-01T00:00:00Z', 'no-match', IFX],
  ['StringEquals', 'aws:username', ['alice'], UNKNOWN, 'unknown', COND],
  ['StringEqualsIfExists', 'aws:username', ['alice'], UNKNOWN, 'unknown', IFX],
  ['StringNotEquals', 'aws:username', ['alice'], UNKNOWN, 'unknown', COND],
  ['StringSomethingElse', 'aws:username', ['alice'], 'alice', 'unknown', CO],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'owner'], ['env'], 'match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'owner'], ['env', 'cost'], 'no-match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['env'], MISSING, 'match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['env'], [], 'match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], ['env', 'x'], 'match', `${MV}#reference_policies_condition-foranyvalue`],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], ['x'], 'no-match', `${MV}#reference_policies_condition-foranyvalue`],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], MISSING, 'no-match', `${MV}#reference_policies_condition-foranyvalue`],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], [], 'no-match', `${MV}#reference_policies_condition-foranyvalue`],
  ['ForAllValues:StringLike', 'aws:TagKeys', ['env*'], ['env1', 'env2'], 'match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAnyValue:StringNotEquals', 'aws:TagKeys', ['env'], ['env', 'x'], 'match', `${MV}#reference_policies_condition-foranyvalue`],
  ['ForAnyValue:StringNotEquals', 'aws:TagKeys', ['env'], ['env'], 'no-match', `${MV}#reference_policies_condition-foranyvalue`],
  ['ForAllValues:StringNotEquals', 'aws:TagKeys', ['secret'], ['a', 'b'], 'match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAllValues:StringNotEquals', 'aws:TagKeys', ['secret'], ['a', 'secret'], 'no-match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAllValues:StringEqualsIgnoreCase', 'aws:TagKeys', ['ENV'], ['env'], 'match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAnyValue:StringEqualsIfExists', 'aws:TagKeys', ['env'], MISSING, 'match', IFX],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['env'], UNKNOWN, 'unknown', MV],
  ['ForAllValues:NumericLessThan', 'k', ['10'], ['1', '2'], 'match', `${MV}#reference_policies_condition-forallvalues`],
  ['ForAnyValue:IpAddress', 'k', ['10.0.0.0/8'], ['192.0.2.1', '10.1.2.3'], 'match', `${MV}#reference_policies_condition-foranyvalue`],
  ['StringEquals', 'aws:TagKeys', ['env'], ['x', 'env'], 'match', MV],
  ['StringNotEquals', 'aws:TagKeys', ['env'], ['x', 'env'], 'no-match', MV],
  ['StringNotEquals', 'aws:TagKeys', ['env'], ['x', 'y'], 'match', MV],
];

const outcomeToDecision = { match: 'allow', 'no-match': 'implicit-deny', unknown: 'undecided' } as const;
function ctxFor(key: string, v: Ctx): RequestContext['context'] {
  if (v === MISSING) return {};
  if (v === UNKNOWN) return { [key.toLowerCase()]: undefined };
  return { [key.toLowerCase()]: v };
}
for (const [op, key, values, v, result, source] of conditionRows) {
  const ctxLabel = v === MISSING ? '(missing)' : v === UNKNOWN ? '(unknown)' : JSON.stringify(v);
  cases.push({
    name: `Allow if ${op} ${key} ${JSON.stringify(values)} with ${ctxLabel}`,
    source,
    identity: [[allow('s3:GetObject', '*', { [op]: { [key]: values } })]],
    request: { context: ctxFor(key, v) },
    expect: outcomeToDecision[result],
  });
}

// The same conditions on a Deny next to a broad Allow: match denies, unknown is undecided.
const denyRows: [string, string, string[], Ctx, Decision, string][] = [
  ['Bool', 'aws:SecureTransport', ['false'], 'false', 'explicit-deny', 'reference_policies_evaluation-logic.md#policy-eval-denyallow'],
  ['Bool', 'aws:SecureTransport', ['false'], 'true', 'allow', 'reference_policies_evaluation-logic.md#policy-eval-denyallow'],
  ['Bool', 'aws:SecureTransport', ['false'], UNKNOWN, 'undecided', 'reference_policies_evaluation-logic.md#policy-eval-denyallow'],
  ['NotIpAddress', 'aws:SourceIp', ['192.0.2.0/24'], '203.0.113.1', 'explicit-deny', 'reference_policies_examples_aws_deny-ip.md#reference_policies_examples_aws_deny-ip'],
  ['NotIpAddress', 'aws:SourceIp', ['192.0.2.0/24'], '192.0.2.10', 'allow', 'reference_policies_examples_aws_deny-ip.md#reference_policies_examples_aws_deny-ip'],
  ['NotIpAddress', 'aws:SourceIp', ['192.0.2.0/24'], UNKNOWN, 'undecided', 'reference_policies_examples_aws_deny-ip.md#reference_policies_examples_aws_deny-ip'],
  ['StringNotEquals', 'aws:RequestedRegion', ['eu-central-1', 'eu-west-1'], 'us-east-1', 'explicit-deny', 'reference_policies_examples_aws_deny-requested-region.md#reference_policies_examples_aws_deny-requested-region'],
  ['StringNotEquals', 'aws:RequestedRegion', ['eu-central-1', 'eu-west-1'], 'eu-west-1', 'allow', 'reference_policies_examples_aws_deny-requested-region.md#reference_policies_examples_aws_deny-requested-region'],
  ['BoolIfExists', 'aws:MultiFactorAuthPresent', ['false'], MISSING, 'explicit-deny', 'reference_policies_examples_aws_my-sec-creds-self-manage-mfa-only.md'],
  ['BoolIfExists', 'aws:MultiFactorAuthPresent', ['false'], 'true', 'allow', 'reference_policies_examples_aws_my-sec-creds-self-manage-mfa-only.md'],
  ['StringNotEquals', 'aws:PrincipalOrgID', ['o-abc'], MISSING, 'explicit-deny', COND],
  ['Null', 'aws:MultiFactorAuthAge', ['true'], MISSING, 'explicit-deny', NUL],
];
for (const [op, key, values, v, expect, source] of denyRows)
  cases.push({
    name: `Deny if ${op} ${key} ${JSON.stringify(values)} with ${v === MISSING ? '(missing)' : v === UNKNOWN ? '(unknown)' : JSON.stringify(v)}`,
    source,
    identity: [[allow('*'), deny('*', '*', { [op]: { [key]: values } })]],
    request: { context: ctxFor(key, v) },
    expect,
  });

cases.push(
  {
    name: 'conditions on several keys are ANDed (one fails)',
    source: COND,
    identity: [[allow('s3:GetObject', '*', { StringEquals: { 'aws:username': 'alice' }, Bool: { 'aws:SecureTransport': 'true' } })]],
    request: { context: { 'aws:username': 'alice', 'aws:securetransport': 'false' } },
    expect: 'implicit-deny',
  },
  {
    name: 'conditions on several keys are ANDed (all hold)',
    source: COND,
    identity: [[allow('s3:GetObject', '*', { StringEquals: { 'aws:username': 'alice' }, Bool: { 'aws:SecureTransport': 'true' } })]],
    request: { context: { 'aws:username': 'alice', 'aws:securetransport': 'true' } },
    expect: 'allow',
  },
  {
    name: 'two keys under one operator are ANDed',
    source: COND,
    identity: [[allow('s3:GetObject', '*', { StringEquals: { 'aws:username': 'alice', 'aws:requestedregion': 'us-east-1' } })]],
    request: { context: { 'aws:username': 'alice', 'aws:requestedregion': 'eu-west-1' } },
    expect: 'implicit-deny',
  },
  {
    name: 'a failing condition wins over an unknown one',
    source: COND,
    identity: [[allow('s3:GetObject', '*', { StringEquals: { 'aws:username': 'alice', 'aws:requestedregion': 'us-east-1' } })]],
    request: { context: { 'aws:username': undefined, 'aws:requestedregion': 'eu-west-1' } },
    expect: 'implicit-deny',
  },
);

// ---------- policy variables ----------
const VARS = 'reference_policies_variables.md';
const home = (r: string) => [[allow('s3:GetObject', r)]];
cases.push(
  { name: '${aws:username} in Resource', source: `${VARS}#policy-vars-resourceelement`, identity: home('arn:aws:s3:::b/${aws:username}/*'), request: { resource: 'arn:aws:s3:::b/alice/f', context: { 'aws:username': 'alice' } }, expect: 'allow' },
  { name: '${aws:username} in Resource, other user folder', source: `${VARS}#policy-vars-resourceelement`, identity: home('arn:aws:s3:::b/${aws:username}/*'), request: { resource: 'arn:aws:s3:::b/bob/f', context: { 'aws:username': 'alice' } }, expect: 'implicit-deny' },
  { name: 'variable key not present: statement invalid', source: `${VARS}#principaltable`, identity: home('arn:aws:s3:::b/${aws:username}/*'), request: { resource: 'arn:aws:s3:::b/alice/f', context: {} }, expect: 'implicit-deny' },
  { name: 'variable key not recorded: undecided', source: `${VARS}#principaltable`, identity: home('arn:aws:s3:::b/${aws:username}/*'), request: { resource: 'arn:aws:s3:::b/alice/f', context: { 'aws:username': undefined } }, expect: 'undecided' },
  { name: 'default value when the key is absent', source: `${VARS}#policy-vars-default-values`, identity: home("arn:aws:s3:::b/${aws:username, 'anonymous'}/*"), request: { resource: 'arn:aws:s3:::b/anonymous/f', context: {} }, expect: 'allow' },
  { name: 'default value ignored when the key is present', source: `${VARS}#policy-vars-default-values`, identity: home("arn:aws:s3:::b/${aws:username, 'anonymous'}/*"), request: { resource: 'arn:aws:s3:::b/anonymous/f', context: { 'aws:username': 'alice' } }, expect: 'implicit-deny' },
  {
    name: 'Version 2008-10-17: variables are literal text',
    source: 'reference_policies_elements_version.md',
    identity: [{ Version: '2008-10-17', Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/${aws:username}/*')] }],
    request: { resource: 'arn:aws:s3:::b/alice/f', context: { 'aws:username': 'alice' } },
    expect: 'implicit-deny',
  },
  {
    name: 'Version 2008-10-17: the literal text matches itself',
    source: 'reference_policies_elements_version.md',
    identity: [{ Version: '2008-10-17', Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/${aws:username}/*')] }],
    request: { resource: 'arn:aws:s3:::b/${aws:username}/f', context: { 'aws:username': 'alice' } },
    expect: 'allow',
  },
  {
    name: 'no Version: variables are literal text',
    source: 'reference_policies_elements_version.md',
    identity: [{ Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/${aws:username}/*')] }],
    request: { resource: 'arn:aws:s3:::b/alice/f', context: { 'aws:username': 'alice' } },
    expect: 'implicit-deny',
  },
  { name: '${aws:PrincipalTag/team} in Resource', source: `${VARS}#policy-vars-tags`, identity: home('arn:aws:s3:::b/${aws:PrincipalTag/team}/*'), request: { resource: 'arn:aws:s3:::b/blue/x', context: { 'aws:principaltag/team': 'blue' } }, expect: 'allow' },
  { name: '${aws:userid} in Resource', source: `${VARS}#principaltable`, identity: home('arn:aws:s3:::b/${aws:userid}/*'), request: { resource: 'arn:aws:s3:::b/AIDAEXAMPLE/x', context: { 'aws:userid': 'AIDAEXAMPLE' } }, expect: 'allow' },
  { name: '${*} is a literal asterisk', source: `${VARS}#policy-vars-specialchars`, identity: home('arn:aws:s3:::b/${*}'), request: { resource: 'arn:aws:s3:::b/*' }, expect: 'allow' },
  { name: '${*} is not a wildcard', source: `${VARS}#policy-vars-specialchars`, identity: home('arn:aws:s3:::b/${*}'), request: { resource: 'arn:aws:s3:::b/x' }, expect: 'implicit-deny' },
  { name: '${?} is not a wildcard', source: `${VARS}#policy-vars-specialchars`, identity: home('arn:aws:s3:::b/${?}'), request: { resource: 'arn:aws:s3:::b/x' }, expect: 'implicit-deny' },
  { name: '${?} is a literal question mark', source: `${VARS}#policy-vars-specialchars`, identity: home('arn:aws:s3:::b/${?}'), request: { resource: 'arn:aws:s3:::b/?' }, expect: 'allow' },
  { name: '${$} is a literal dollar', source: `${VARS}#policy-vars-specialchars`, identity: home('arn:aws:s3:::b/${$}x'), request: { resource: 'arn:aws:s3:::b/$x' }, expect: 'allow' },
  { name: 'a substituted value never acts as a wildcard', source: `${VARS}#policy-vars-specialchars`, identity: home('arn:aws:s3:::b/${aws:username}'), request: { resource: 'arn:aws:s3:::b/abc', context: { 'aws:username': 'a*' } }, expect: 'implicit-deny' },
  {
    name: 'variable in a StringLike value',
    source: `${VARS}#policy-vars-conditionelement`,
    identity: [[allow('s3:ListBucket', '*', { StringLike: { 's3:prefix': '${aws:username}/*' } })]],
    request: { action: 's3:ListBucket', context: { 'aws:username': 'alice', 's3:prefix': 'alice/docs' } },
    expect: 'allow',
  },
  {
    name: 'variable in a StringLike value, other prefix',
    source: `${VARS}#policy-vars-conditionelement`,
    identity: [[allow('s3:ListBucket', '*', { StringLike: { 's3:prefix': '${aws:username}/*' } })]],
    request: { action: 's3:ListBucket', context: { 'aws:username': 'alice', 's3:prefix': 'bob/docs' } },
    expect: 'implicit-deny',
  },
  {
    name: 'variable in a StringEquals value against a tag',
    source: `${VARS}#policy-vars-tags`,
    identity: [[allow('ec2:StartInstances', '*', { StringEquals: { 'aws:ResourceTag/owner': '${aws:username}' } })]],
    request: { action: 'ec2:StartInstances', context: { 'aws:username': 'alice', 'aws:resourcetag/owner': 'alice' } },
    expect: 'allow',
  },
  {
    name: 'variable in an ArnLike value',
    source: `${VARS}#policy-vars-conditionelement`,
    identity: [[allow('s3:GetObject', '*', { ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:${aws:username}-*' } })]],
    request: { context: { 'aws:username': 'alice', 'aws:sourcearn': 'arn:aws:sqs:us-east-1:111122223333:alice-q' } },
    expect: 'allow',
  },
  {
    name: 'variable in a condition value with the key missing: statement invalid',
    source: `${VARS}#principaltable`,
    identity: [[allow('s3:ListBucket', '*', { StringLike: { 's3:prefix': '${aws:username}/*' } })]],
    request: { action: 's3:ListBucket', context: { 's3:prefix': 'alice/docs' } },
    expect: 'implicit-deny',
  },
  {
    name: 'Deny whose variable has no value does not apply',
    source: `${VARS}#principaltable`,
    identity: [[allow('*'), deny('s3:GetObject', '*', { StringNotEquals: { 'aws:ResourceTag/owner': '${aws:username}' } })]],
    request: { context: { 'aws:resourcetag/owner': 'bob' } },
    expect: 'allow',
  },
  {
    name: 'variables are not substituted for Numeric operators',
    source: `${VARS}#policy-vars-conditionelement`,
    identity: [[allow('s3:GetObject', '*', { NumericEquals: { 's3:max-keys': '${aws:username}' } })]],
    request: { context: { 'aws:username': '5', 's3:max-keys': '5' } },
    expect: 'implicit-deny',
  },
  { name: 'multivalued key as a variable: no value', source: `${VARS}#principaltable`, identity: home('arn:aws:s3:::b/${aws:TagKeys}/*'), request: { resource: 'arn:aws:s3:::b/a/x', context: { 'aws:tagkeys': ['a', 'b'] } }, expect: 'implicit-deny' },
  { name: 'variable names are case-insensitive', source: `${VARS}#policy-vars-infoallreqs`, identity: home('arn:aws:s3:::b/${AWS:UserName}/*'), request: { resource: 'arn:aws:s3:::b/alice/x', context: { 'aws:username': 'alice' } }, expect: 'allow' },
);

// ---------- NotPrincipal with Deny: only the caller's own ARN spares it, with its account (and role) ----------
const SESSION = `arn:aws:sts::${ACCT}:assumed-role/app/s1`;
const ROOT = `arn:aws:iam::${ACCT}:root`;
const notPrincipalRows: [string, string[], RequestContext['principal'], Decision, Partial<Case>?][] = [
  ['a role ARN does not spare its sessions', [ROLE, ROOT], { arn: SESSION, type: 'AWS' }, 'explicit-deny'],
  ['a role ARN does not spare the role (a session of it, name unknown)', [ROLE, ROOT], me, 'explicit-deny'],
  ['the session ARN with its role and account spares the session', [SESSION, ROLE, ROOT], { arn: SESSION, type: 'AWS' }, 'allow'],
  ['another session of the role is not spared', [SESSION, ROLE, ROOT], { arn: `arn:aws:sts::${ACCT}:assumed-role/app/s2`, type: 'AWS' }, 'explicit-deny'],
  ['a named session, the caller a session of unknown name: undecided', [SESSION, ROLE, ROOT], me, 'undecided'],
  ['the session ARN without its account: AWS may check the account first, undecided', [SESSION, ROLE], { arn: SESSION, type: 'AWS' }, 'undecided'],
  ['the session ARN without its role: undecided', [SESSION, ROOT], { arn: SESSION, type: 'AWS' }, 'undecided'],
  ['the user ARN and its account spare the user', [USER, ROOT], { arn: USER, type: 'AWS' }, 'allow'],
  ['an account spares only its root user, not its users', [ACCT], { arn: USER, type: 'AWS' }, 'explicit-deny'],
  ['an account spares its root user', [ACCT], { arn: ROOT, type: 'AWS' }, 'allow'],
  [
    'a caller with a permissions boundary is denied whatever NotPrincipal names',
    [SESSION, ROLE, ROOT],
    { arn: SESSION, type: 'AWS' },
    'explicit-deny',
    { source: 'access_policies_boundaries.md#access_policies_boundaries', boundary: [[{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]] },
  ],
  ['a caller whose boundary is not known is undecided', [USER, ROOT], { arn: USER, type: 'AWS' }, 'undecided', { callerBoundary: 'unknown' }],
  ['a caller the record only stands for (caller unknown) is undecided', [USER, ROOT], { arn: USER, type: 'AWS', caller: 'unknown' }, 'undecided'],
  ['a caller of an account it names nothing of is denied, even if unknown', [`arn:aws:iam::${OTHER}:user/bob`, OTHER], { arn: USER, type: 'AWS', caller: 'unknown' }, 'explicit-deny'],
];

// ---------- Principal / NotPrincipal in resource policies ----------
const PR = 'reference_policies_elements_principal.md';
const NP = 'reference_policies_elements_notprincipal.md';
const bucket = (principal: Json, extra: Record<string, Json> = {}): Json[] => [[{ Effect: 'Allow', Principal: principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', ...extra }]];
const OBJ = 'arn:aws:s3:::b/k';
const principalRows: [string, Json, RequestContext['principal'], Decision, string][] = [
  ['"*" is everyone', '*', me, 'allow', `${PR}#principal-anonymous`],
  ['{"AWS":"*"} is everyone', { AWS: '*' }, me, 'allow', `${PR}#principal-anonymous`],
  ['role ARN', { AWS: ROLE }, me, 'allow', `${PR}#principal-roles`],
  ['role ARN covers its sessions', { AWS: ROLE }, { arn: `arn:aws:sts::${ACCT}:assumed-role/app/sess`, type: 'AWS' }, 'allow', `${PR}#principal-role-session`],
  ['role ARN with a path covers its sessions', { AWS: `arn:aws:iam::${ACCT}:role/team/app` }, { arn: `arn:aws:sts::${ACCT}:assumed-role/app/s1`, type: 'AWS' }, 'allow', `${PR}#principal-role-session`],
  ['session of another role', { AWS: ROLE }, { arn: `arn:aws:sts::${ACCT}:assumed-role/other/s`, type: 'AWS' }, 'implicit-deny', `${PR}#principal-roles`],
  ['another role', { AWS: `arn:aws:iam::${ACCT}:role/other` }, me, 'implicit-deny', `${PR}#principal-roles`],
  ['session ARN names that session only', { AWS: `arn:aws:sts::${ACCT}:assumed-role/app/s1` }, { arn: `arn:aws:sts::${ACCT}:assumed-role/app/s2`, type: 'AWS' }, 'implicit-deny', `${PR}#principal-role-session`],
  ['session ARN names itself', { AWS: `arn:aws:sts::${ACCT}:assumed-role/app/s1` }, { arn: `arn:aws:sts::${ACCT}:assumed-role/app/s1`, type: 'AWS' }, 'allow', `${PR}#principal-role-session`],
  ['user ARN', { AWS: USER }, { arn: USER, type: 'AWS' }, 'allow', `${PR}#principal-users`],
  ['list of principals', { AWS: [USER, ROLE] }, me, 'allow', `${PR}#Principal_specifying`],
  ['partial wildcard is not a wildcard', { AWS: `arn:aws:iam::${ACCT}:role/*` }, me, 'implicit-deny', `${PR}#principal-anonymous`],
  ['service principal', { Service: 'cloudtrail.amazonaws.com' }, { arn: 'cloudtrail.amazonaws.com', type: 'Service' }, 'allow', `${PR}#principal-services`],
  ['other service principal', { Service: 'cloudtrail.amazonaws.com' }, { arn: 'config.amazonaws.com', type: 'Service' }, 'implicit-deny', `${PR}#principal-services`],
  ['an IAM role is not a service principal', { Service: 'cloudtrail.amazonaws.com' }, me, 'implicit-deny', `${PR}#principal-services`],
  ['federated provider', { Federated: 'cognito-identity.amazonaws.com' }, { arn: 'cognito-identity.amazonaws.com', type: 'Federated' }, 'allow', `${PR}#principal-federated-web-identity`],
  ['canonical user', { CanonicalUser: '79a59df900b949e55d96a1e698fbaced' }, { arn: '79a59df900b949e55d96a1e698fbaced', type: 'CanonicalUser' }, 'allow', `${PR}#principal-canonical-user`],
  ['unknown caller, named principal', { AWS: ROLE }, undefined, 'undecided', `${PR}#Principal_specifying`],
  ['unknown caller, "*"', '*', undefined, 'allow', `${PR}#principal-anonymous`],
];
for (const [name, principal, who, expect, source] of principalRows)
  cases.push({ name: `Principal: ${name}`, source, resource: bucket(principal), request: { resource: OBJ, principal: who }, resourceAccount: ACCT, expect });
cases.push(
  { name: 'Principal: resource statement without Principal names nobody', source: `${PR}#Principal_specifying`, resource: [[allow('s3:GetObject', 'arn:aws:s3:::b/*')]], request: { resource: OBJ, principal: me }, resourceAccount: ACCT, expect: 'implicit-deny' },
  { name: 'Principal: same account id delegates to identity policies (none allow)', source: `${PR}#principal-accounts`, resource: bucket({ AWS: ACCT }), request: { resource: OBJ, principal: me }, resourceAccount: ACCT, expect: 'implicit-deny' },
  { name: 'Principal: same account id plus identity allow', source: `${PR}#principal-accounts`, identity: [[allow('s3:GetObject', 'arn:aws:s3:::b/*')]], resource: bucket({ AWS: ACCT }), request: { resource: OBJ, principal: me }, resourceAccount: ACCT, expect: 'allow' },
  { name: 'Principal: account root ARN, cross-account with identity allow', source: `${PR}#principal-accounts`, identity: [[allow('s3:GetObject', '*')]], resource: bucket({ AWS: `arn:aws:iam::${ACCT}:root` }), request: { resource: OBJ, principal: me }, resourceAccount: OTHER, expect: 'allow' },
  { name: 'Principal: account root ARN, cross-account without identity allow', source: `${PR}#principal-accounts`, resource: bucket({ AWS: `arn:aws:iam::${ACCT}:root` }), request: { resource: OBJ, principal: me }, resourceAccount: OTHER, expect: 'implicit-deny' },
  { name: 'Principal: another account id', source: `${PR}#principal-accounts`, identity: [[allow('s3:GetObject', '*')]], resource: bucket({ AWS: OTHER }), request: { resource: OBJ, principal: me }, resourceAccount: OTHER, expect: 'implicit-deny' },
  {
    name: 'NotPrincipal Deny denies everyone not listed',
    source: `${NP}#specifying-notprincipal-allow`,
    resource: [[{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }, { Effect: 'Deny', NotPrincipal: { AWS: [`arn:aws:iam::${ACCT}:role/admin`] }, Action: 's3:*', Resource: '*' }]],
    request: { resource: OBJ, principal: me },
    resourceAccount: ACCT,
    expect: 'explicit-deny',
  },
  ...notPrincipalRows.map(([name, listed, who, expect, extra]) => ({
    name: `NotPrincipal Deny: ${name}`,
    source: `${NP}#notprincipal-key-points`,
    resource: [[{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }, { Effect: 'Deny', NotPrincipal: { AWS: listed }, Action: 's3:*', Resource: '*' }]],
    request: { resource: OBJ, principal: who },
    resourceAccount: ACCT,
    expect,
    ...extra,
  })),
  {
    name: 'NotPrincipal Deny with unknown caller is undecided',
    source: `${NP}#specifying-notprincipal-allow`,
    resource: [[{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }, { Effect: 'Deny', NotPrincipal: { AWS: [ROLE] }, Action: 's3:*', Resource: '*' }]],
    request: { resource: OBJ, principal: undefined },
    resourceAccount: ACCT,
    expect: 'undecided',
  },
);

// ---------- combining policy types ----------
const EL = 'reference_policies_evaluation-logic.md';
const XA = 'reference_policies_evaluation-logic-cross-account.md';
const BND = 'access_policies_boundaries.md';
/** AWS Organizations User Guide, "Resource control policies (RCPs)", "List of AWS services that support RCPs". */
const RCP_DOC = 'orgs_manage_policies_rcps.md';
const idAllow = [[allow('s3:GetObject', '*')]];
cases.push(
  { name: 'identity allow', source: `${EL}#policy-eval-basics`, identity: idAllow, request: {}, expect: 'allow' },
  { name: 'no policy: implicit deny', source: `${EL}#policy-eval-basics`, identity: [], request: {}, expect: 'implicit-deny' },
  { name: 'allow and deny: deny wins', source: `${EL}#policy-eval-denyallow`, identity: [[allow(), deny()]], request: {}, expect: 'explicit-deny' },
  { name: 'deny in another identity policy wins', source: `${EL}#policy-eval-denyallow`, identity: [[allow()], [deny()]], request: {}, expect: 'explicit-deny' },
  {
    name: 'deny in the bucket policy overrides an identity allow',
    source: `${EL}#policy-eval-denyallow`,
    identity: idAllow,
    resource: [[{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }]],
    request: { resource: OBJ, principal: me },
    resourceAccount: ACCT,
    expect: 'explicit-deny',
  },
  { name: 'same account: resource policy alone allows (role)', source: `${EL}#policies_evaluation_resource-based`, resource: bucket({ AWS: ROLE }), request: { resource: OBJ, principal: me }, resourceAccount: ACCT, expect: 'allow' },
  { name: 'same account: identity alone allows with a bucket policy that is silent', source: `${EL}#policies_evaluation_resource-based`, identity: idAllow, resource: bucket({ AWS: USER }), request: { resource: OBJ, principal: me }, resourceAccount: ACCT, expect: 'allow' },
  { name: 'cross account: resource policy alone is not enough', source: `${XA}#policy-eval-cross-account`, resource: bucket({ AWS: ROLE }), request: { resource: OBJ, principal: me }, resourceAccount: OTHER, expect: 'implicit-deny' },
  { name: 'cross account: both allow', source: `${XA}#policy-eval-cross-account`, identity: idAllow, resource: bucket({ AWS: ROLE }), request: { resource: OBJ, principal: me }, resourceAccount: OTHER, expect: 'allow' },
  { name: 'cross account: identity alone is not enough', source: `${XA}#policy-eval-cross-account`, identity: idAllow, resource: bucket({ AWS: USER }), request: { resource: OBJ, principal: me }, resourceAccount: OTHER, expect: 'implicit-deny' },
  {
    name: 'cross account from the principal ARN and an explicit resource account',
    source: `${XA}#policy-eval-cross-account`,
    identity: idAllow,
    resource: bucket({ AWS: ROLE }),
    request: { resource: OBJ, principal: { arn: ROLE } },
    principalAccount: ACCT,
    resourceAccount: OTHER,
    expect: 'allow',
  },
  { name: 'boundary and identity allow', source: `${BND}#access_policies_boundaries-eval-logic`, identity: idAllow, boundary: [[allow('s3:*')]], request: {}, expect: 'allow' },
  { name: 'boundary does not allow', source: `${BND}#access_policies_boundaries-eval-logic`, identity: idAllow, boundary: [[allow('ec2:*')]], request: {}, expect: 'implicit-deny' },
  { name: 'boundary allows but identity does not', source: `${BND}#access_policies_boundaries-eval-logic`, identity: [], boundary: [[allow('s3:*')]], request: {}, expect: 'implicit-deny' },
  { name: 'boundary deny', source: `${BND}#access_policies_boundaries-eval-logic`, identity: idAllow, boundary: [[allow('*'), deny('s3:GetObject')]], request: {}, expect: 'explicit-deny' },
  {
    name: 'same account: bucket policy naming the user is not limited by the boundary',
    source: `${BND}#access_policies_boundaries-eval-logic`,
    resource: bucket({ AWS: USER }),
    boundary: [[allow('ec2:*')]],
    request: { resource: OBJ, principal: { arn: USER, type: 'AWS' } },
    resourceAccount: ACCT,
    expect: 'allow',
  },
  {
    name: 'same account: bucket policy naming the role is limited by the boundary',
    source: `${BND}#access_policies_boundaries-eval-logic`,
    resource: bucket({ AWS: ROLE }),
    boundary: [[allow('ec2:*')]],
    request: { resource: OBJ, principal: me },
    resourceAccount: ACCT,
    expect: 'implicit-deny',
  },
  {
    name: 'same account: bucket policy naming the role session is not limited by the boundary',
    source: `${BND}#access_policies_boundaries-eval-logic`,
    resource: bucket({ AWS: `arn:aws:sts::${ACCT}:assumed-role/app/s1` }),
    boundary: [[allow('ec2:*')]],
    request: { resource: OBJ, principal: { arn: `arn:aws:sts::${ACCT}:assumed-role/app/s1`, type: 'AWS' } },
    resourceAccount: ACCT,
    expect: 'allow',
  },
  { name: 'SCP allows', source: `${EL}#policy-eval-basics`, identity: idAllow, scps: [[[allow('*')]]], request: {}, expect: 'allow' },
  { name: 'SCP: one level does not allow', source: `${EL}#policy-eval-basics`, identity: idAllow, scps: [[[allow('*')]], [[allow('ec2:*')]]], request: {}, expect: 'implicit-deny' },
  { name: 'SCP: every level allows', source: `${EL}#policy-eval-basics`, identity: idAllow, scps: [[[allow('*')]], [[allow('s3:*')]]], request: {}, expect: 'allow' },
  { name: 'SCP deny', source: `${EL}#policy-eval-denyallow`, identity: idAllow, scps: [[[allow('*'), deny('s3:*')]]], request: {}, expect: 'explicit-deny' },
  { name: 'SCP allows but nothing grants', source: `${EL}#policy-eval-basics`, identity: [], scps: [[[allow('*')]]], request: {}, expect: 'implicit-deny' },
  { name: 'RCP deny', source: `${EL}#policy-eval-denyallow`, identity: idAllow, rcps: [[[allow('*', '*', undefined, { Principal: '*' }), deny('s3:*', '*', undefined, { Principal: '*' })]]], request: {}, expect: 'explicit-deny' },
  { name: 'RCP level without allow', source: `${EL}#policy-eval-basics`, identity: idAllow, rcps: [[[allow('ec2:*', '*', undefined, { Principal: '*' })]]], request: {}, expect: 'implicit-deny' },
  { name: 'RCP allows', source: `${EL}#policy-eval-basics`, identity: idAllow, rcps: [[[allow('*', '*', undefined, { Principal: '*' })]]], request: {}, expect: 'allow' },
  ...(['lambda:InvokeFunction', 'sns:Publish', 'dynamodb:GetItem', 's3express:CreateSession'] as const).map((action) => ({
    name: `RCPs govern only the services that support them: not ${action}`,
    source: `${RCP_DOC}#rcp-supported-services`,
    identity: [[allow(action)]],
    rcps: [[[allow('*', '*', undefined, { Principal: '*' }), deny('*', '*', undefined, { Principal: '*' })]]],
    request: { action, resource: undefined },
    expect: 'allow' as Decision,
  })),
  ...(['s3:GetObject', 'sts:AssumeRole', 'kms:Decrypt', 'sqs:SendMessage', 'secretsmanager:GetSecretValue'] as const).map((action) => ({
    name: `RCPs govern ${action.split(':')[0]}`,
    source: `${RCP_DOC}#rcp-supported-services`,
    identity: [[allow(action)]],
    rcps: [[[allow('*', '*', undefined, { Principal: '*' }), deny('*', '*', undefined, { Principal: '*' })]]],
    request: { action, resource: undefined },
    expect: 'explicit-deny' as Decision,
  })),
  { name: 'undecided deny over a certain allow: undecided', source: `${EL}#policy-eval-denyallow`, identity: [[allow(), deny('s3:GetObject', '*', { StringEquals: { 'aws:username': 'x' } })]], request: { context: { 'aws:username': undefined } }, expect: 'undecided' },
  { name: 'undecided deny without any allow: implicit deny', source: `${EL}#policy-eval-basics`, identity: [[deny('s3:GetObject', '*', { StringEquals: { 'aws:username': 'x' } })]], request: { context: { 'aws:username': undefined } }, expect: 'implicit-deny' },
  { name: 'undecided allow only: undecided', source: `${EL}#policy-eval-basics`, identity: [[allow('s3:GetObject', '*', { StringEquals: { 'aws:username': 'x' } })]], request: { context: { 'aws:username': undefined } }, expect: 'undecided' },
  { name: 'certain deny beats undecided allow', source: `${EL}#policy-eval-denyallow`, identity: [[allow('s3:GetObject', '*', { StringEquals: { 'aws:username': 'x' } }), deny()]], request: { context: { 'aws:username': undefined } }, expect: 'explicit-deny' },
  { name: 'undecided allow next to a certain allow: allow', source: `${EL}#policy-eval-basics`, identity: [[allow('s3:GetObject', '*', { StringEquals: { 'aws:username': 'x' } }), allow()]], request: { context: { 'aws:username': undefined } }, expect: 'allow' },
  { name: 'undecided SCP allow: undecided', source: `${EL}#policy-eval-basics`, identity: idAllow, scps: [[[allow('*', '*', { StringEquals: { 'aws:requestedregion': 'us-east-1' } })]]], request: { context: { 'aws:requestedregion': undefined } }, expect: 'undecided' },
  {
    name: 'service principal: SCPs do not apply, bucket policy allows',
    source: `${PR}#principal-services`,
    scps: [[[deny('*')]]],
    resource: bucket({ Service: 'cloudtrail.amazonaws.com' }),
    request: { resource: OBJ, principal: { arn: 'cloudtrail.amazonaws.com', type: 'Service' } },
    expect: 'allow',
  },
  { name: 'service principal without a resource policy', source: `${PR}#principal-services`, identity: idAllow, request: { principal: { arn: 'cloudtrail.amazonaws.com', type: 'Service' } }, expect: 'implicit-deny' },
);

// ---------- running them ----------

function toInput(c: Case) {
  const docs = (xs: Json[] | undefined, kind: PolicyKind) => xs?.map((x) => doc(x, kind));
  return {
    identity: docs(c.identity, 'identity') ?? [],
    resource: docs(c.resource, 'bucket'),
    boundary: docs(c.boundary, 'boundary'),
    scps: c.scps?.map((lvl) => lvl.map((x) => doc(x, 'scp'))),
    rcps: c.rcps?.map((lvl) => lvl.map((x) => doc(x, 'rcp'))),
    principalAccount: c.principalAccount,
    resourceAccount: c.resourceAccount,
    callerBoundary: c.callerBoundary,
  };
}

function toRequest(c: Case): RequestContext {
  return {
    action: c.request.action ?? 's3:GetObject',
    resource: 'resource' in c.request ? c.request.resource : 'arn:aws:s3:::b/k',
    principal: 'principal' in c.request ? c.request.principal : me,
    context: c.request.context ?? {},
  };
}

test('the table has at least 200 cases, each with a source', () => {
  expect(cases.length).toBeGreaterThanOrEqual(200);
  for (const c of cases) expect(c.source).toMatch(/\.md(#|$)/);
});

describe('evaluate: IAM User Guide cases', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = evaluate(toRequest(c), toInput(c));
    if (result.decision !== c.expect) throw new Error(`expected ${c.expect}, got ${result.decision}: ${result.reason} [${c.source}]`);
    expect(result.reason.length).toBeGreaterThan(0);
  });
});

describe('evaluate: what it reports', () => {
  test('explicit deny names the deciding statement and its conditions', () => {
    const id = doc([allow(), { Sid: 'NoHttp', ...(deny('s3:*', '*', { Bool: { 'aws:SecureTransport': 'false' } }) as object) }]);
    const r = evaluate({ action: 's3:GetObject', resource: OBJ, principal: me, context: { 'aws:securetransport': 'false' } }, { identity: [id] });
    expect(r.decision).toBe('explicit-deny');
    expect(r.deciding).toHaveLength(1);
    expect(r.deciding[0]).toMatchObject({ documentId: id.id, statementIndex: 1, sid: 'NoHttp', effect: 'Deny', certain: true });
    expect(r.deciding[0].conditions).toEqual([expect.objectContaining({ operator: 'Bool', key: 'aws:SecureTransport', result: 'match' })]);
    expect(r.reason).toContain('NoHttp');
  });

  test('undecided names the unknown condition', () => {
    const id = doc([allow('s3:GetObject', '*', { StringEquals: { 'aws:PrincipalTag/team': 'blue' } })]);
    const r = evaluate({ action: 's3:GetObject', context: { 'aws:principaltag/team': undefined } }, { identity: [id] });
    expect(r.decision).toBe('undecided');
    expect(r.deciding[0].certain).toBe(false);
    expect(r.deciding[0].conditions[0].result).toBe('unknown');
    expect(r.reason).toMatch(/aws:PrincipalTag\/team/);
  });

  test('allow lists the granting statements; layers are reported', () => {
    const id = doc([allow()]);
    const scp = doc([allow('*')], 'scp');
    const r = evaluate({ action: 's3:GetObject', resource: OBJ, principal: me, context: {} }, { identity: [id], scps: [[scp]] });
    expect(r.decision).toBe('allow');
    expect(r.deciding.map((h) => h.documentId)).toEqual(expect.arrayContaining([id.id]));
    expect(Object.keys(r.layers).sort()).toEqual(['identity', 'scp:0']);
    expect(r.layers.identity.decision).toBe('allow');
  });

  test('evaluatePolicies evaluates one layer', () => {
    const d = doc([allow('s3:*'), deny('s3:DeleteObject')]);
    const req = (action: string): RequestContext => ({ action, resource: OBJ, context: {} });
    expect(evaluatePolicies(req('s3:GetObject'), [d]).decision).toBe('allow');
    expect(evaluatePolicies(req('s3:DeleteObject'), [d]).decision).toBe('explicit-deny');
    expect(evaluatePolicies(req('ec2:RunInstances'), [d]).decision).toBe('implicit-deny');
    expect(evaluatePolicies(req('s3:GetObject'), []).decision).toBe('implicit-deny');
    const maybeDeny = doc([deny('s3:*', '*', { StringEquals: { 'aws:username': 'x' } })]);
    const unknownUser: RequestContext = { action: 's3:GetObject', context: { 'aws:username': undefined } };
    expect(evaluatePolicies(unknownUser, [maybeDeny]).decision).toBe('implicit-deny');
    expect(evaluatePolicies(unknownUser, [maybeDeny, d]).decision).toBe('undecided');
  });

  test('bad input never throws', () => {
    const weird = doc([
      { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${unterminated', Condition: { IpAddress: { 'aws:SourceIp': ['not-an-ip', '1.2.3.4/99'] }, DateEquals: { 'aws:CurrentTime': 'yesterday' } } },
      { Effect: 'Allow', Action: 's3:*', Resource: "arn:aws:s3:::b/${aws:username, 'bad}", Condition: { 'ForAllValues:Nonsense': { k: 'v' } } },
    ]);
    expect(() => evaluate({ action: 's3:GetObject', resource: 'not an arn', context: { 'aws:sourceip': '1.2.3.4' } }, { identity: [weird] })).not.toThrow();
  });
});

// Every policy the IAM User Guide shows, evaluated against a few requests: no throw, a decision.
const DOCS = '/work/shared/data/awsdocs_iam-user-guide/policies_from_docs.json';
(existsSync(DOCS) ? describe : describe.skip)('evaluate: IAM User Guide policies', () => {
  test('every documented policy evaluates without throwing', () => {
    const entries = JSON.parse(readFileSync(DOCS, 'utf8')) as { kind: string; policy: Json }[];
    const requests: RequestContext[] = [
      { action: 's3:GetObject', resource: 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/x', principal: me, context: { 'aws:username': 'alice', 'aws:sourceip': '203.0.113.1' } },
      { action: 'iam:CreateUser', resource: undefined, principal: undefined, context: { 'aws:multifactorauthpresent': undefined } },
      { action: 'ec2:RunInstances', resource: 'arn:aws:ec2:us-east-1:111122223333:instance/i-1', principal: me, context: {} },
    ];
    let decided = 0;
    for (const e of entries) {
      const d = doc(e.policy, e.kind.startsWith('resource') ? 'resource' : 'identity');
      for (const r of requests) {
        const out = d.kind === 'resource' ? evaluate(r, { identity: [], resource: [d] }) : evaluate(r, { identity: [d] });
        expect(['allow', 'explicit-deny', 'implicit-deny', 'undecided']).toContain(out.decision);
        decided++;
      }
    }
    expect(decided).toBe(entries.length * requests.length);
  });
});
