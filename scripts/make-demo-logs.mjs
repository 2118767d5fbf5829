// Writes the demo's CloudTrail logs (deterministic): fixtures/demo/cloudtrail/*.json(.gz).
// Run: node scripts/make-demo-logs.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const ACCOUNT = '123456789012';
const out = new URL('../fixtures/demo/cloudtrail/', import.meta.url);
mkdirSync(out, { recursive: true });

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const start = Date.parse('2026-08-27T00:00:00Z');
const end = Date.parse('2026-11-22T18:00:00Z');
let n = 0;

function role(name, session) {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE${name.length}:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${session}`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEXAMPLE',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: `AROAEXAMPLE${name.length}`, arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, accountId: ACCOUNT, userName: name },
      attributes: { creationDate: '2026-08-27T00:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

function event({ who, source, name, params = {}, resources, error, at, readOnly = true, data = false }) {
  n++;
  const e = {
    eventVersion: '1.09',
    userIdentity: who,
    eventTime: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: '10.0.12.34',
    userAgent: 'aws-sdk-js/3.600.0',
    requestParameters: params,
    responseElements: null,
    requestID: `REQ${n.toString(16).padStart(8, '0')}`,
    eventID: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: !data,
    recipientAccountId: ACCOUNT,
    eventCategory: data ? 'Data' : 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${source}` },
  };
  if (resources) e.resources = resources;
  if (error) {
    e.errorCode = error;
    e.errorMessage = `User: ${who.arn} is not authorized to perform: ${source.split('.')[0]}:${name} because no identity-based policy allows the action`;
  }
  return e;
}

const spread = (count, fn) => Array.from({ length: count }, (_, i) => fn(start + Math.floor(((end - start) * (i + rand())) / count)));
const worker = role('app-worker', 'i-0abc123');
const deployer = role('ci-deployer', 'GitHubActions');
const s3obj = (key) => [
  { accountId: ACCOUNT, type: 'AWS::S3::Object', ARN: `arn:aws:s3:::acme-reports/${key}` },
  { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-reports' },
];

const records = [
  ...spread(1180, (at) => { const key = `daily/${new Date(at).toISOString().slice(0, 10)}.csv`; return event({ who: worker, source: 's3.amazonaws.com', name: 'PutObject', params: { bucketName: 'acme-reports', key }, resources: s3obj(key), at, readOnly: false, data: true }); }),
  ...spread(420, (at) => event({ who: worker, source: 's3.amazonaws.com', name: 'GetObject', params: { bucketName: 'acme-reports', key: 'daily/summary.csv' }, resources: s3obj('daily/summary.csv'), at, data: true })),
  ...spread(90, (at) => event({ who: worker, source: 'dynamodb.amazonaws.com', name: 'GetItem', params: { tableName: 'orders' }, resources: [{ accountId: ACCOUNT, type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders` }], at })),
  ...spread(17, (at) => event({ who: worker, source: 'dynamodb.amazonaws.com', name: 'Query', params: { tableName: 'orders' }, resources: [{ accountId: ACCOUNT, type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders` }], error: 'AccessDenied', at })),
  ...spread(60, (at) => event({ who: deployer, source: 'cloudformation.amazonaws.com', name: 'DescribeStacks', params: { stackName: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/app-web/1a2b` }, at })),
  ...spread(12, (at) => event({ who: deployer, source: 'cloudformation.amazonaws.com', name: 'UpdateStack', params: { stackName: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/app-web/1a2b` }, at, readOnly: false })),
  ...spread(30, (at) => event({ who: deployer, source: 'sts.amazonaws.com', name: 'GetCallerIdentity', at })),
  ...spread(3, (at) => event({ who: worker, source: 'unknown-service.amazonaws.com', name: 'DoSomething', at })),
].sort((a, b) => a.eventTime.localeCompare(b.eventTime));

// Two shapes CloudTrail users meet: a delivered log object ({"Records": [...]}, gzipped) and JSON lines.
const half = records.length - 60;
writeFileSync(new URL(`${ACCOUNT}_CloudTrail_us-east-1_20261122T1800Z_demo.json.gz`, out), gzipSync(JSON.stringify({ Records: records.slice(0, half) })));
writeFileSync(new URL('exported-events.json', out), records.slice(half).map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(`wrote ${records.length} events`);
