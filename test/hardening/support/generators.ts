// Inputs too large, too deep or too binary to commit: made at run time, deterministically.
import { gzipSync } from 'node:zlib';
import { prng } from '../../../bench/cloudtrail-gen.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A small seeded generator (mulberry32): the same bytes on every run. */
const random = prng;

function randomBytes(n: number, seed: number): Uint8Array {
  const next = random(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

const statement = (action: string, resource = '*', extra = '') => `{"Effect":"Allow","Action":${JSON.stringify(action)},"Resource":${JSON.stringify(resource)}${extra}}`;
const policy = (statements: string[]) => `{"Version":"2012-10-17","Statement":[${statements.join(',')}]}`;
const nested = (depth: number, open: string, close: string, inner: string) => open.repeat(depth) + inner + close.repeat(depth);

const CLOUDTRAIL_EVENT = (i: number, extra = '') =>
  `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/app/s${i}","accountId":"123456789012","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/app"}}},"eventTime":"2026-11-20T10:00:00Z","eventSource":"sqs.amazonaws.com","eventName":"ReceiveMessage","awsRegion":"us-east-1","eventID":"e${i}","eventType":"AwsApiCall","recipientAccountId":"123456789012"${extra}}`;

const CFN_HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n';
const cfnRole = (name: string, policyDoc: string) =>
  `  ${name}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}\n      Policies:\n        - PolicyName: p\n          PolicyDocument: ${policyDoc}\n`;

const planWith = (resourceChanges: string[]) => `{"format_version":"1.2","terraform_version":"1.9.0","resource_changes":[${resourceChanges.join(',')}]}`;
const planPolicy = (i: number, policyText: string) =>
  `{"address":"aws_iam_role_policy.p${i}","mode":"managed","type":"aws_iam_role_policy","name":"p${i}","provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["create"],"before":null,"after":{"name":"p${i}","role":"app","policy":${JSON.stringify(policyText)}},"after_unknown":{}}}`;

const GENERATORS: Record<string, () => Uint8Array> = {
  // Policy JSON
  'policy-deep-arrays': () => enc(policy([statement('s3:GetObject', '*', `,"Condition":{"StringEquals":{"aws:username":${nested(100_000, '[', ']', '"x"')}}}`)])),
  'policy-deep-objects': () => enc(nested(60_000, '{"a":', '}', policy([statement('s3:GetObject')]))),
  'policy-deep-statement': () => enc(`{"Version":"2012-10-17","Statement":${nested(20_000, '[', ']', statement('s3:GetObject'))}}`),
  'policy-over-size-limit': () => enc(policy([statement('s3:GetObject')]) + ' '.repeat(3 * 1024 * 1024)),
  'policy-many-statements': () => enc(policy(Array.from({ length: 12_000 }, (_, i) => statement(`sqs:Action${i}`, `arn:aws:sqs:us-east-1:123456789012:q${i}`)))),
  'policy-many-keys': () => enc(`{"Version":"2012-10-17",${Array.from({ length: 80_000 }, (_, i) => `"k${i}":${i}`).join(',')},"Statement":[${statement('s3:GetObject')}]}`),
  'policy-many-duplicate-keys': () => enc(`{"Version":"2012-10-17","Statement":[{${Array.from({ length: 20_000 }, () => '"Effect":"Allow"').join(',')},"Action":"s3:GetObject","Resource":"*"}]}`),
  'policy-megabyte-action': () => enc(policy([statement(`s3:${'G'.repeat(1_500_000)}`)])),
  'policy-wildcard-bomb': () => enc(policy([statement(`s3:${'*a'.repeat(400)}*b`, `arn:aws:s3:::${'*a'.repeat(400)}*b`)])),
  'policy-question-bomb': () => enc(policy([statement(`s3:${'?*'.repeat(300)}`, `arn:aws:s3:::b/${'?*'.repeat(300)}x`)])),
  'policy-many-actions': () => enc(policy([`{"Effect":"Allow","Action":${JSON.stringify(Array.from({ length: 50_000 }, (_, i) => `ec2:*${i}*`))},"Resource":"*"}`])),
  'policy-many-conditions': () =>
    enc(policy([statement('s3:GetObject', '*', `,"Condition":{"StringLike":{${Array.from({ length: 20_000 }, (_, i) => `"aws:PrincipalTag/t${i}":["*${i}*"]`).join(',')}}}`)])),
  'policy-random-bytes': () => randomBytes(64 * 1024, 1),
  'policy-png': () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...randomBytes(4096, 2)]),
  'policy-gzip': () => new Uint8Array(gzipSync(Buffer.from(policy([statement('s3:GetObject')])))),
  'policy-nul-filled': () => new Uint8Array(256 * 1024),
  'policy-utf16-no-bom': () => new Uint8Array(Buffer.from(policy([statement('s3:GetObject')]), 'utf16le')),
  'policy-long-line-of-brackets': () => enc('['.repeat(2_000_000)),

  // Config YAML
  'config-deep-flow': () => enc(`rules: ${nested(50_000, '[', ']', 'fail')}\n`),
  'config-deep-block': () => enc(Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' x\n'),
  'config-huge': () => enc(`subjects:\n${Array.from({ length: 60_000 }, (_, i) => `  - files: "iam/${i}/*.json"\n    principal: "arn:aws:iam::123456789012:role/r${i}"\n    bogus: ${i}\n`).join('')}`),
  'config-alias-bomb': () => {
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]`);
    return enc(`${lines.join('\n')}\nrules: *a11\n`);
  },
  'config-random-bytes': () => randomBytes(32 * 1024, 3),
  'config-long-key': () => enc(`${'k'.repeat(1_000_000)}: 1\n`),

  // CloudFormation
  'cfn-deep-intrinsic': () => enc(CFN_HEAD + cfnRole('R', `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":${nested(5000, '{"Fn::Join":["",[', ']]}', '"arn:aws:s3:::b/*"')}}]}`)),
  'cfn-many-resources': () => enc(CFN_HEAD + Array.from({ length: 4000 }, (_, i) => cfnRole(`Role${i}`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:q${i}"}]}`)).join('')),
  'cfn-alias-bomb': () => {
    const lines = ['AWSTemplateFormatVersion: "2010-09-09"', 'Mappings:', '  M:', '    a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) lines.push(`    a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]`);
    return enc(`${lines.join('\n')}\nResources:\n  R:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: p\n      Roles: *a9\n      PolicyDocument: {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}\n`);
  },
  'cfn-ref-chain': () => {
    const params = Array.from({ length: 3000 }, (_, i) => `  P${i}:\n    Type: String\n    Default: !Ref P${i + 1}\n`).join('');
    return enc(`AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n${params}Resources:\n${cfnRole('R', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":{"Ref":"P0"}}]}')}`);
  },
  'cfn-deep-json': () => enc(`{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"R":{"Type":"AWS::IAM::ManagedPolicy","Properties":{"PolicyDocument":${nested(80_000, '{"x":', '}', '1')}}}}}`),

  // Terraform plans
  'tf-many-policies': () => enc(planWith(Array.from({ length: 3000 }, (_, i) => planPolicy(i, policy([statement(`sqs:SendMessage`, `arn:aws:sqs:us-east-1:123456789012:q${i}`)]))))),
  'tf-deep-after': () => enc(planWith([`{"address":"aws_iam_policy.p","mode":"managed","type":"aws_iam_policy","name":"p","change":{"actions":["create"],"before":null,"after":{"policy":${nested(80_000, '{"a":', '}', '1')}}}}`])),
  'tf-deep-policy-string': () => enc(planWith([planPolicy(0, `{"Version":"2012-10-17","Statement":${nested(50_000, '[', ']', statement('s3:GetObject'))}}`)])),
  'tf-random-bytes': () => randomBytes(128 * 1024, 4),

  // CloudTrail
  'ct-gzip-bomb': () => new Uint8Array(gzipSync(Buffer.concat([Buffer.from('{"Records":['), Buffer.alloc(96 * 1024 * 1024, 0x20), Buffer.from(']}')]), { level: 9 })),
  'ct-truncated-gzip': () => {
    const gz = gzipSync(Buffer.from(`{"Records":[${Array.from({ length: 500 }, (_, i) => CLOUDTRAIL_EVENT(i)).join(',')}]}`));
    return new Uint8Array(gz.subarray(0, Math.floor(gz.length / 2)));
  },
  'ct-deep-record': () => enc(`{"Records":[${CLOUDTRAIL_EVENT(1, `,"requestParameters":${nested(100_000, '{"a":', '}', '1')}`)}]}`),
  'ct-deep-records-array': () => enc(`{"Records":${nested(100_000, '[', ']', CLOUDTRAIL_EVENT(1))}}`),
  'ct-all-lines-broken': () => enc(Array.from({ length: 20_000 }, (_, i) => `{"eventName":"Get${i}",`).join('\n')),
  'ct-random-bytes': () => randomBytes(256 * 1024, 5),
  'ct-huge-line': () => enc(`{"Records":[${CLOUDTRAIL_EVENT(1, `,"requestParameters":{"x":"${'y'.repeat(40 * 1024 * 1024)}"}`)}]}`),

  // Event payloads
  'event-deep': () => enc(nested(100_000, '{"pull_request":', '}', '{}')),
  'event-huge-title': () => enc(JSON.stringify({ action: 'opened', number: 1, pull_request: { number: 1, title: 'x'.repeat(8 * 1024 * 1024), base: { sha: 42 }, head: {} } })),

  // Access Analyzer answers
  'aa-huge-body': () => enc(`{"result":"FAIL","message":"${'m'.repeat(6 * 1024 * 1024)}","reasons":"not a list"}`),
  'aa-deep-body': () => enc(`{"result":"FAIL","message":"new access","reasons":${nested(100_000, '[', ']', '1')}}`),
};

const cache = new Map<string, Uint8Array>();

export function generate(name: string): Uint8Array {
  const make = GENERATORS[name];
  if (!make) throw new Error(`no generator named ${name}`);
  let bytes = cache.get(name);
  if (!bytes) cache.set(name, (bytes = make()));
  return bytes;
}

export const GENERATOR_NAMES = Object.keys(GENERATORS);
