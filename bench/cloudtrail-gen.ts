// Deterministic synthetic CloudTrail: a realistic field mix (assumed roles with and without sessionIssuer, IAM
// users, AWS services, cross-account callers, S3/Lambda/DynamoDB data events, management calls, denials and
// errors). Same seed, same bytes. Used by bench/cloudtrail.ts and the tests.

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (rand: () => number, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += ((rand() * 16) | 0).toString(16);
  return s;
};
export const uuid = (rand: () => number) => `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-a${hex(rand, 3)}-${hex(rand, 12)}`;

export const ACCOUNTS = ['111122223333', '444455556666', '777788889999'];
const ROLES = ['app-worker', 'etl-job', 'ci-deploy', 'api-server', 'reporting', 'lambda-ingest', 'admin', 'readonly-audit'];
const USERS = ['alice', 'bob', 'build-bot'];
const BUCKETS = ['app-data', 'raw-events', 'reports-prod', 'static-assets'];
const AGENTS = [
  'aws-sdk-java/2.25.10 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/standard',
  'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.209 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51',
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/s3.cp',
  'aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.210 lang/js md/nodejs#20.11.1 api/s3#3.540.0',
];

type Kind = 'data-s3' | 'data-lambda' | 'data-ddb' | 'mgmt' | 'assume' | 'kms';
const MIX: Array<[Kind, number]> = [
  ['data-s3', 0.45],
  ['data-ddb', 0.12],
  ['data-lambda', 0.05],
  ['kms', 0.1],
  ['assume', 0.06],
  ['mgmt', 0.22],
];
const MGMT: Array<[string, string]> = [
  ['ec2.amazonaws.com', 'DescribeInstances'],
  ['ec2.amazonaws.com', 'RunInstances'],
  ['iam.amazonaws.com', 'GetRole'],
  ['iam.amazonaws.com', 'ListRoles'],
  ['cloudformation.amazonaws.com', 'DescribeStacks'],
  ['logs.amazonaws.com', 'CreateLogStream'],
  ['monitoring.amazonaws.com', 'PutMetricData'],
  ['sts.amazonaws.com', 'GetCallerIdentity'],
  ['lambda.amazonaws.com', 'GetFunction20150331v2'],
  ['secretsmanager.amazonaws.com', 'GetSecretValue'],
];

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[(rand() * xs.length) | 0];
}

function identity(rand: () => number, account: string): Record<string, unknown> {
  const r = rand();
  if (r < 0.72) {
    const role = pick(rand, ROLES);
    const session = rand() < 0.5 ? `i-0${hex(rand, 16)}` : `botocore-session-${(rand() * 1e10) | 0}`;
    const ui: Record<string, unknown> = {
      type: 'AssumedRole',
      principalId: `AROA${hex(rand, 4).toUpperCase()}EXAMPLE:${session}`,
      arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
      accountId: account,
      accessKeyId: `ASIA${hex(rand, 16).toUpperCase()}`,
    };
    // Some producers (and LookupEvents exports) leave the sessionIssuer out.
    if (rand() < 0.95) {
      ui.sessionContext = {
        sessionIssuer: { type: 'Role', principalId: `AROA${role.length}EXAMPLE`, arn: `arn:aws:iam::${account}:role/${role}`, accountId: account, userName: role },
        webIdFederationData: {},
        attributes: { creationDate: '2024-05-01T00:00:00Z', mfaAuthenticated: 'false' },
      };
    }
    return ui;
  }
  if (r < 0.85) {
    const user = pick(rand, USERS);
    return { type: 'IAMUser', principalId: `AIDA${user.toUpperCase()}EXAMPLE`, arn: `arn:aws:iam::${account}:user/${user}`, accountId: account, accessKeyId: `AKIA${hex(rand, 16).toUpperCase()}`, userName: user };
  }
  if (r < 0.95) return { type: 'AWSService', invokedBy: pick(rand, ['cloudtrail.amazonaws.com', 'lambda.amazonaws.com', 'ec2.amazonaws.com']) };
  // A caller from another account: only its account and unique id are in the event.
  const other = ACCOUNTS.find((a) => a !== account) ?? account;
  return { type: 'AWSAccount', principalId: `AROAOTHEREXAMPLE:${hex(rand, 8)}`, accountId: other };
}

/** Event number `i` of a stream seeded with `seed`, at `time` (ISO, no milliseconds). */
export function trailEvent(rand: () => number, account: string, region: string, time: string): Record<string, unknown> {
  let k = rand();
  let kind: Kind = 'mgmt';
  for (const [name, share] of MIX) {
    if (k < share) {
      kind = name;
      break;
    }
    k -= share;
  }
  const ui = identity(rand, account);
  // Who is calling, without the session: each caller has its own bucket, objects and egress addresses, so the
  // answer (principal x action x resource x context) stays bounded as the volume grows, as in real accounts.
  const who = String(ui.arn ?? ui.invokedBy ?? ui.accountId).replace(/(assumed-role\/[^/]+)\/.*$/, '$1');
  let h = 0;
  for (let i = 0; i < who.length; i++) h = (h * 31 + who.charCodeAt(i)) | 0;
  h = Math.abs(h);
  let eventSource = 's3.amazonaws.com';
  let eventName = 'GetObject';
  let requestParameters: Record<string, unknown> | null = null;
  let responseElements: Record<string, unknown> | null = null;
  let resources: unknown[] | undefined;
  let management = false;
  switch (kind) {
    case 'data-s3': {
      const bucket = BUCKETS[h % BUCKETS.length];
      const key = `data/${h % 97}/${(rand() * 4) | 0}/part-${(rand() * 10) | 0}.parquet`;
      eventName = pick(rand, ['GetObject', 'GetObject', 'PutObject', 'HeadObject', 'ListObjects', 'DeleteObject']);
      requestParameters =
        eventName === 'ListObjects'
          ? { bucketName: bucket, prefix: 'data/', 'list-type': '2', Host: `${bucket}.s3.${region}.amazonaws.com` }
          : { bucketName: bucket, key, Host: `${bucket}.s3.${region}.amazonaws.com` };
      resources = [
        { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
        { accountId: account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
      ];
      break;
    }
    case 'data-ddb':
      eventSource = 'dynamodb.amazonaws.com';
      eventName = pick(rand, ['GetItem', 'PutItem', 'Query', 'UpdateItem']);
      requestParameters = { tableName: `orders-${(rand() * 4) | 0}`, key: { id: 'HIDDEN_DUE_TO_SECURITY_REASONS' }, consistentRead: false };
      break;
    case 'data-lambda':
      eventSource = 'lambda.amazonaws.com';
      eventName = 'Invoke';
      requestParameters = { functionName: `arn:aws:lambda:${region}:${account}:function:ingest-${(rand() * 3) | 0}`, invocationType: 'RequestResponse' };
      break;
    case 'kms':
      eventSource = 'kms.amazonaws.com';
      eventName = pick(rand, ['Decrypt', 'GenerateDataKey', 'Encrypt']);
      management = true;
      requestParameters = { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { 'aws:s3:arn': `arn:aws:s3:::${pick(rand, BUCKETS)}` } };
      resources = [{ accountId: account, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${account}:key/1111aaaa-0000-4000-a000-00000000000${(rand() * 3) | 0}` }];
      break;
    case 'assume': {
      eventSource = 'sts.amazonaws.com';
      eventName = 'AssumeRole';
      management = true;
      const role = pick(rand, ROLES);
      requestParameters = { roleArn: `arn:aws:iam::${account}:role/${role}`, roleSessionName: `s-${hex(rand, 6)}`, durationSeconds: 3600 };
      responseElements = {
        credentials: { accessKeyId: `ASIA${hex(rand, 16).toUpperCase()}`, sessionToken: hex(rand, 120), expiration: 'May 1, 2024, 11:00:00 AM' },
        assumedRoleUser: { assumedRoleId: `AROAEXAMPLE:s`, arn: `arn:aws:sts::${account}:assumed-role/${role}/s` },
      };
      resources = [{ accountId: account, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${account}:role/${role}` }];
      break;
    }
    default:
      [eventSource, eventName] = pick(rand, MGMT);
      management = true;
      requestParameters = eventName.startsWith('Describe') || eventName.startsWith('List') ? { maxResults: 100, filterSet: {} } : { name: `thing-${(rand() * 20) | 0}` };
      if (eventName === 'RunInstances') responseElements = { instancesSet: { items: [{ instanceId: `i-0${hex(rand, 16)}`, imageId: 'ami-0abcdef1234567890', instanceType: 't3.micro' }] } };
  }
  const event: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: ui,
    eventTime: time,
    eventSource,
    eventName,
    awsRegion: region,
    sourceIPAddress: ui.type === 'AWSService' ? ui.invokedBy : `198.51.100.${(h % 60) + (rand() < 0.1 ? 1 : 0)}`,
    userAgent: ui.type === 'AWSService' ? ui.invokedBy : pick(rand, AGENTS),
    requestParameters,
    responseElements,
    requestID: hex(rand, 32).toUpperCase(),
    eventID: uuid(rand),
    readOnly: eventName.startsWith('Get') || eventName.startsWith('Describe') || eventName.startsWith('List') || eventName === 'HeadObject',
    eventType: 'AwsApiCall',
    managementEvent: management,
    recipientAccountId: account,
    eventCategory: management ? 'Management' : 'Data',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${eventSource.split('.')[0]}.${region}.amazonaws.com` },
  };
  if (resources) event.resources = resources;
  const e = rand();
  if (e < 0.03) {
    event.errorCode = eventSource === 'ec2.amazonaws.com' ? 'Client.UnauthorizedOperation' : 'AccessDenied';
    event.errorMessage =
      ui.type === 'AssumedRole' || ui.type === 'IAMUser'
        ? `User: ${String(ui.arn)} is not authorized to perform: ${eventSource.split('.')[0] === 'monitoring' ? 'cloudwatch' : eventSource.split('.')[0]}:${eventName} because no identity-based policy allows the action`
        : 'Access Denied';
  } else if (e < 0.05) {
    event.errorCode = kind === 'data-s3' ? 'NoSuchKey' : 'ValidationException';
    event.errorMessage = 'The specified key does not exist.';
  }
  return event;
}

/** One delivered object: `count` events of one account and region over five minutes from `start` (ms). */
export function trailObject(seed: number, account: string, region: string, start: number, count: number): { name: string; json: string; eventIds: string[] } {
  const rand = prng(seed);
  const records: unknown[] = [];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = new Date(start + Math.floor((i * 300_000) / Math.max(1, count))).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ev = trailEvent(rand, account, region, t);
    records.push(ev);
    ids.push(ev.eventID as string);
  }
  const d = new Date(start + 300_000);
  const stamp = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}T${String(d.getUTCHours()).padStart(2, '0')}${String(d.getUTCMinutes()).padStart(2, '0')}Z`;
  return { name: `${account}_CloudTrail_${region}_${stamp}_${hex(rand, 16)}.json.gz`, json: JSON.stringify({ Records: records }), eventIds: ids };
}
