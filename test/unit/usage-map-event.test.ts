import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { lookupAction } from '../../src/catalog/catalog.js';
import eventMap from '../../src/usage/event-map.generated.js';
import { allTableActions, resolveActions, stripVersionSuffix } from '../../src/usage/event-actions.js';
import { mapEvent, outcomeOf, isoTime, type MappedEvent } from '../../src/usage/map-event.js';
import { normalisePrincipal, roleArnFromSessionArn } from '../../src/usage/principal.js';

const FIX = join(process.cwd(), 'fixtures/cloudtrail/good');
const records: Record<string, unknown>[] = JSON.parse(
  gunzipSync(readFileSync(join(FIX, '111122223333_CloudTrail_us-east-1_20240501T1005Z_Abc123Def456Ghij.json.gz'))).toString('utf8'),
).Records;
const lines: Record<string, unknown>[] = readFileSync(join(FIX, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

const byName = (name: string, from = records) => {
  const r = from.find((e) => e.eventName === name);
  if (!r) throw new Error(`fixture has no ${name}`);
  return r;
};
const mapped = (name: string, from = records): MappedEvent => {
  const m = mapEvent(byName(name, from));
  if (!('actions' in m)) throw new Error(`${name} did not map: ${JSON.stringify(m)}`);
  return m;
};

describe('event map table', () => {
  test('every action the table emits is a catalogue action, in catalogue casing', () => {
    const actions = allTableActions();
    expect(actions.length).toBeGreaterThan(40);
    for (const a of actions) expect(lookupAction(a)?.id).toBe(a);
  });

  test('every S3 object action exists in the catalogue', () => {
    for (const a of eventMap.s3ObjectActions) expect(lookupAction(a)?.id).toBe(a);
  });

  test('eventSource prefixes resolve to catalogue services for the renamed ones', () => {
    expect(eventMap.sourcePrefixes['monitoring.amazonaws.com']).toBe('cloudwatch');
    expect(eventMap.sourcePrefixes['streams.dynamodb.amazonaws.com']).toBe('dynamodb');
    expect(eventMap.sourcePrefixes['email.amazonaws.com']).toBe('ses');
    expect(eventMap.sourcePrefixes['tagging.amazonaws.com']).toBe('tag');
  });

  test.each([
    ['s3.amazonaws.com', 'HeadObject', ['s3:GetObject']],
    ['s3.amazonaws.com', 'ListObjectsV2', ['s3:ListBucket']],
    ['s3.amazonaws.com', 'ListObjects', ['s3:ListBucket']],
    ['s3.amazonaws.com', 'HeadBucket', ['s3:ListBucket']],
    ['s3.amazonaws.com', 'ListBuckets', ['s3:ListAllMyBuckets']],
    ['s3.amazonaws.com', 'PutBucketReplication', ['s3:PutReplicationConfiguration']],
    ['s3.amazonaws.com', 'DeleteBucketReplication', ['s3:PutReplicationConfiguration']],
    ['s3.amazonaws.com', 'DeleteBucketCors', ['s3:PutBucketCORS']],
    ['s3.amazonaws.com', 'PutBucketCors', ['s3:PutBucketCORS']],
    ['s3.amazonaws.com', 'DeleteObjects', ['s3:DeleteObject']],
    ['s3.amazonaws.com', 'UploadPart', ['s3:PutObject']],
    ['s3.amazonaws.com', 'GetObject', ['s3:GetObject']],
    ['lambda.amazonaws.com', 'Invoke', ['lambda:InvokeFunction']],
    ['lambda.amazonaws.com', 'GetFunction20150331v2', ['lambda:GetFunction']],
    ['lambda.amazonaws.com', 'ListVersionsByFunction20150331', ['lambda:ListVersionsByFunction']],
    ['cloudfront.amazonaws.com', 'GetDistribution2020_05_31', ['cloudfront:GetDistribution']],
    ['cloudfront.amazonaws.com', 'UpdateDistribution2016_11_25', ['cloudfront:UpdateDistribution']],
    ['monitoring.amazonaws.com', 'PutMetricData', ['cloudwatch:PutMetricData']],
    ['kms.amazonaws.com', 'ReEncrypt', ['kms:ReEncryptFrom', 'kms:ReEncryptTo']],
    ['sqs.amazonaws.com', 'SendMessageBatch', ['sqs:SendMessage']],
    ['iam.amazonaws.com', 'createrole', ['iam:CreateRole']],
  ])('%s %s -> %j', (source, name, actions) => {
    expect(resolveActions(source, name, lookupAction)).toEqual({ actions });
  });

  test.each([
    ['sts.amazonaws.com', 'GetCallerIdentity'],
    ['sts.amazonaws.com', 'GetSessionToken'],
    ['signin.amazonaws.com', 'ConsoleLogin'],
    ['dynamodb.amazonaws.com', 'DescribeEndpoints'],
  ])('%s %s needs no permission', (source, name) => {
    expect(resolveActions(source, name, lookupAction)).toEqual({ permissionless: true });
  });

  test('a known source with an event that is no catalogue action is unmapped, never guessed', () => {
    expect(resolveActions('s3.amazonaws.com', 'NoSuchOperation', lookupAction)).toEqual({ unmapped: true });
    expect(resolveActions('madeup.amazonaws.com', 'DoThing', lookupAction)).toEqual({ unmapped: true });
    expect(resolveActions('not a host', 'DoThing', lookupAction)).toEqual({ unmapped: true });
  });

  test('version suffixes are stripped only when they look like API dates', () => {
    expect(stripVersionSuffix('GetFunctionConfiguration20150331v2')).toBe('GetFunctionConfiguration');
    expect(stripVersionSuffix('CreateInvalidation2019_03_26')).toBe('CreateInvalidation');
    expect(stripVersionSuffix('ListObjectsV2')).toBe('ListObjectsV2');
    expect(stripVersionSuffix('PutObjectV2')).toBe('PutObjectV2');
    expect(stripVersionSuffix('Ec2')).toBe('Ec2');
  });
});

describe('mapEvent', () => {
  test('calls that pass a role also map to iam:PassRole on each role ARN they name (nested and listed parameters)', () => {
    const ev = (eventSource: string, eventName: string, requestParameters: unknown, extra: Record<string, unknown> = {}) => ({
      eventSource, eventName, eventTime: '2024-05-01T10:00:00Z', awsRegion: 'us-east-1', requestParameters, ...extra,
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/ci', accountId: '111122223333' },
    });
    const passed = (e: unknown) => {
      const m = mapEvent(e as Record<string, unknown>);
      if (!('targets' in m)) throw new Error(JSON.stringify(m));
      return m.targets.filter((t) => t.action === 'iam:PassRole').flatMap((t) => t.resources);
    };
    const task = 'arn:aws:iam::111122223333:role/task';
    const exec = 'arn:aws:iam::111122223333:role/service-role/exec';
    expect(passed(ev('ecs.amazonaws.com', 'RegisterTaskDefinition', { family: 'app', taskRoleArn: task, executionRoleArn: exec }))).toEqual([task, exec]);
    expect(passed(ev('ecs.amazonaws.com', 'RunTask', { cluster: 'c', overrides: { taskRoleArn: task } }))).toEqual([task]);
    expect(passed(ev('ecs.amazonaws.com', 'RunTask', { cluster: 'c' }))).toEqual([]);
    expect(passed(ev('events.amazonaws.com', 'PutTargets', { rule: 'r', targets: [{ id: '1', arn: 'arn:aws:sqs:us-east-1:111122223333:q' }, { id: '2', roleArn: task }] }))).toEqual([task]);
    expect(passed(ev('cloudformation.amazonaws.com', 'CreateStack', { stackName: 's', roleARN: exec }))).toEqual([exec]);
    expect(passed(ev('glue.amazonaws.com', 'UpdateJob', { jobName: 'j', jobUpdate: { role: task } }))).toEqual([task]);
    // Not an IAM role ARN (a name, another service's ARN): not counted.
    expect(passed(ev('glue.amazonaws.com', 'CreateJob', { name: 'j', role: 'task' }))).toEqual([]);
    expect(passed(ev('glue.amazonaws.com', 'CreateJob', { name: 'j', role: 'arn:aws:s3:::b' }))).toEqual([]);
    // A call that is not in the table passes nothing.
    expect(passed(ev('lambda.amazonaws.com', 'GetFunction20150331v2', { functionName: 'fn', role: task }))).toEqual([]);
    // A denial of the PassRole itself keeps its action and the role the message names.
    const denied = mapEvent(
      ev('lambda.amazonaws.com', 'CreateFunction20150331', { functionName: 'fn', role: task }, {
        errorCode: 'AccessDenied',
        errorMessage: `User: arn:aws:iam::111122223333:user/ci is not authorized to perform: iam:PassRole on resource: ${task} because no identity-based policy allows the iam:PassRole action`,
      }) as Record<string, unknown>,
    );
    expect('targets' in denied && denied.targets).toEqual([{ action: 'iam:PassRole', resources: [task] }]);
  });

  test('HeadObject by an assumed role: s3:GetObject on the object, role principal, context', () => {
    const m = mapped('HeadObject');
    expect(m.actions).toEqual(['s3:GetObject']);
    expect(m.resources).toEqual(['arn:aws:s3:::app-data/reports/2024/a.csv']);
    expect(m.principal).toBe('arn:aws:iam::111122223333:role/service/app-worker');
    expect(m.principalType).toBe('AssumedRole');
    expect(m.account).toBe('111122223333');
    expect(m.outcome).toBe('allowed');
    expect(m.time).toBe('2024-05-01T10:00:00.000Z');
    expect(m.eventId).toBe('0e1c4a52-0001-4c1e-9a6e-5f0c3b9d0001');
    expect(m.recipientAccountId).toBe('111122223333');
    expect(m.context).toMatchObject({
      'aws:sourceip': '203.0.113.10',
      'aws:requestedregion': 'us-east-1',
      'aws:principalarn': 'arn:aws:iam::111122223333:role/service/app-worker',
      'aws:principalaccount': '111122223333',
      'aws:sourcevpce': 'vpce-0a1b2c3d',
      'aws:securetransport': 'true',
      'aws:userid': 'AROAEXAMPLEROLEID0001:i-0abc123',
      'aws:principaltype': 'AssumedRole',
      'aws:multifactorauthpresent': 'false',
    });
  });

  test('ListObjectsV2: s3:ListBucket on the bucket ARN, s3:prefix in context', () => {
    const m = mapped('ListObjectsV2');
    expect(m.targets).toEqual([{ action: 's3:ListBucket', resources: ['arn:aws:s3:::app-data'] }]);
    expect(m.context['s3:prefix']).toBe('reports/');
  });

  test('bucket-level S3 events get the bucket ARN', () => {
    expect(mapped('PutBucketReplication').targets).toEqual([{ action: 's3:PutReplicationConfiguration', resources: ['arn:aws:s3:::app-data'] }]);
    expect(mapped('DeleteBucketCors').targets).toEqual([{ action: 's3:PutBucketCORS', resources: ['arn:aws:s3:::app-data'] }]);
  });

  test('CopyObject writes the destination and reads the source', () => {
    expect(mapped('CopyObject').targets).toEqual([
      { action: 's3:PutObject', resources: ['arn:aws:s3:::app-archive/reports/a.csv'] },
      { action: 's3:GetObject', resources: ['arn:aws:s3:::app-data/reports/2024/a.csv'] },
    ]);
  });

  test('a call on one version of an object is authorised as the *Version action; a copy of one reads it so', () => {
    const withVersion = (name: string, rp: Record<string, unknown>) => {
      const ev = structuredClone(byName(name)) as Record<string, any>;
      ev.requestParameters = { ...ev.requestParameters, ...rp };
      const m = mapEvent(ev);
      if (!('actions' in m)) throw new Error(JSON.stringify(m));
      return m.targets.map((t) => t.action);
    };
    expect(withVersion('GetObject', { versionId: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' })).toEqual(['s3:GetObjectVersion']);
    expect(withVersion('GetObject', { versionId: 'null' })).toEqual(['s3:GetObjectVersion']);
    expect(withVersion('GetObject', { versionId: '' })).toEqual(['s3:GetObject']);
    expect(mapped('GetObject').targets.map((t) => t.action)).toEqual(['s3:GetObject']);
    const copy = withVersion('CopyObject', { 'x-amz-copy-source': 'app-data/reports/2024/a.csv?versionId=abc' });
    expect(copy).toEqual(['s3:PutObject', 's3:GetObjectVersion']);
  });

  test('kms ReEncrypt: ReEncryptFrom on the source key, ReEncryptTo on the destination key', () => {
    expect(mapped('ReEncrypt').targets).toEqual([
      { action: 'kms:ReEncryptFrom', resources: ['arn:aws:kms:us-east-1:111122223333:key/1111aaaa-1111-1111-1111-111111111111'] },
      { action: 'kms:ReEncryptTo', resources: ['arn:aws:kms:us-east-1:111122223333:key/2222aaaa-2222-2222-2222-222222222222'] },
    ]);
  });

  test('lambda Invoke data event -> lambda:InvokeFunction on the function; role derived without sessionIssuer', () => {
    const m = mapped('Invoke');
    expect(m.actions).toEqual(['lambda:InvokeFunction']);
    expect(m.resources).toEqual(['arn:aws:lambda:us-east-1:111122223333:function:resize']);
    expect(m.principal).toBe('arn:aws:iam::111122223333:role/invoker');
    expect(m.note).toMatch(/path is lost/);
  });

  test('names without ARNs become ARNs in the caller account and region (lambda, dynamodb)', () => {
    expect(mapped('GetFunction20150331v2').targets).toEqual([{ action: 'lambda:GetFunction', resources: ['arn:aws:lambda:us-east-1:111122223333:function:resize'] }]);
    expect(mapped('GetItem').targets).toEqual([{ action: 'dynamodb:GetItem', resources: ['arn:aws:dynamodb:us-east-1:111122223333:table/Orders'] }]);
  });

  test('monitoring -> cloudwatch; email -> ses; resources unknown stay empty', () => {
    expect(mapped('PutMetricData')).toMatchObject({ actions: ['cloudwatch:PutMetricData'], resources: [] });
    expect(mapped('SendEmail')).toMatchObject({ actions: ['ses:SendEmail'], resources: [] });
  });

  test('sts GetCallerIdentity and console sign-in are permissionless', () => {
    expect(mapEvent(byName('GetCallerIdentity'))).toEqual({ permissionless: true });
    expect(mapEvent(byName('ConsoleLogin'))).toEqual({ permissionless: true });
  });

  test('unknown service -> unmapped with its source and name', () => {
    expect(mapEvent(byName('DoThing'))).toEqual({ unmapped: { eventSource: 'madeup.amazonaws.com', eventName: 'DoThing' } });
  });

  test('Client.UnauthorizedOperation is denied', () => {
    const m = mapped('RunInstances');
    expect(m).toMatchObject({ actions: ['ec2:RunInstances'], outcome: 'denied', errorCode: 'Client.UnauthorizedOperation', principalType: 'IAMUser' });
    expect(m.principal).toBe('arn:aws:iam::111122223333:user/alice');
    expect(m.context['aws:username']).toBe('alice');
  });

  test('AccessDenied takes the action and resource from the denial message', () => {
    expect(mapped('DeleteRole')).toMatchObject({
      outcome: 'denied',
      errorCode: 'AccessDenied',
      targets: [{ action: 'iam:DeleteRole', resources: ['arn:aws:iam::111122223333:role/admin'] }],
    });
  });

  test('other errors are "error"', () => {
    expect(mapped('PutObject')).toMatchObject({ outcome: 'error', errorCode: 'NoSuchBucket', resources: ['arn:aws:s3:::app-data-missing/a.txt'] });
  });

  test.each([
    ['AccessDenied', 'denied'],
    ['AccessDeniedException', 'denied'],
    ['Client.UnauthorizedOperation', 'denied'],
    ['UnauthorizedOperation', 'denied'],
    ['KMS.AccessDeniedException', 'denied'],
    ['ThrottlingException', 'error'],
    [undefined, 'allowed'],
  ])('errorCode %s -> %s', (code, outcome) => {
    expect(outcomeOf(code)).toBe(outcome);
  });

  test('an unrecognised errorCode with a not-authorized message is denied', () => {
    expect(outcomeOf('Forbidden', 'User: x is not authorized to perform: sns:Publish')).toBe('denied');
  });

  test('records that are not events are bad, never thrown', () => {
    expect(mapEvent(null)).toHaveProperty('bad');
    expect(mapEvent(42)).toHaveProperty('bad');
    expect(mapEvent({ note: 'hi' })).toHaveProperty('bad');
    expect(mapEvent({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', eventTime: 'yesterday' })).toHaveProperty('bad');
    expect(mapEvent({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', eventTime: '2024-05-01T00:00:00Z' })).toHaveProperty('bad');
  });

  test('event times in re-exported formats are read as UTC', () => {
    expect(isoTime('2024-12-12 16:04:32.000000000')).toBe('2024-12-12T16:04:32.000Z');
    expect(isoTime('2024-05-01T10:00:00Z')).toBe('2024-05-01T10:00:00.000Z');
    expect(isoTime('2024-05-01T12:00:00+02:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(isoTime('not a date')).toBeUndefined();
  });

  test('DynamoDB Query and Scan on a secondary index (indexName) are authorised on the index ARN, not the table', () => {
    const call = (eventName: string, rp: Record<string, unknown>) => {
      const m = mapEvent({ ...byName('GetItem'), eventName, requestParameters: rp });
      if (!('targets' in m)) throw new Error(JSON.stringify(m));
      return m.targets;
    };
    const table = 'arn:aws:dynamodb:us-east-1:111122223333:table/Orders';
    expect(call('Query', { tableName: 'Orders', indexName: 'by-customer' })).toEqual([{ action: 'dynamodb:Query', resources: [`${table}/index/by-customer`] }]);
    expect(call('Scan', { tableName: 'Orders', indexName: 'gsi_1.v2' })).toEqual([{ action: 'dynamodb:Scan', resources: [`${table}/index/gsi_1.v2`] }]);
    // A table named by its ARN (the API takes one), and the Contributor Insights of an index.
    expect(call('Query', { tableName: 'arn:aws:dynamodb:eu-west-1:444455556666:table/T', indexName: 'i1' })).toEqual([{ action: 'dynamodb:Query', resources: ['arn:aws:dynamodb:eu-west-1:444455556666:table/T/index/i1'] }]);
    expect(call('UpdateContributorInsights', { tableName: 'Orders', indexName: 'by-customer', contributorInsightsAction: 'ENABLE' })).toEqual([
      { action: 'dynamodb:UpdateContributorInsights', resources: [`${table}/index/by-customer`] },
    ]);
    // The table itself when no index is named; other calls never read indexName.
    expect(call('Query', { tableName: 'Orders' })).toEqual([{ action: 'dynamodb:Query', resources: [table] }]);
    expect(call('Query', { tableName: 'Orders', indexName: null })).toEqual([{ action: 'dynamodb:Query', resources: [table] }]);
    expect(call('GetItem', { tableName: 'Orders', indexName: 'x1' })).toEqual([{ action: 'dynamodb:GetItem', resources: [table] }]);
    // An index name that is not one leaves the resource unknown, never the table.
    for (const indexName of ['a/b', '', 5, { n: 1 }]) expect(call('Query', { tableName: 'Orders', indexName })).toEqual([{ action: 'dynamodb:Query', resources: [] }]);
  });

  test('S3 writes with an ACL header also need s3:PutObjectAcl, with x-amz-tagging s3:PutObjectTagging, on the object', () => {
    const put = (eventName: string, rp: Record<string, unknown>) => {
      const m = mapEvent({ ...byName('GetObject'), eventName, requestParameters: { bucketName: 'b', key: 'k/1.csv', ...rp } });
      if (!('targets' in m)) throw new Error(JSON.stringify(m));
      return m.targets;
    };
    const obj = ['arn:aws:s3:::b/k/1.csv'];
    expect(put('PutObject', {})).toEqual([{ action: 's3:PutObject', resources: obj }]);
    expect(put('PutObject', { 'x-amz-acl': 'bucket-owner-full-control' })).toEqual([
      { action: 's3:PutObject', resources: obj },
      { action: 's3:PutObjectAcl', resources: obj },
    ]);
    for (const h of ['x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp']) {
      expect(put('PutObject', { [h]: 'id="abc"' }).map((t) => t.action)).toEqual(['s3:PutObject', 's3:PutObjectAcl']);
    }
    expect(put('CreateMultipartUpload', { 'x-amz-tagging': 'team=data' })).toEqual([
      { action: 's3:PutObject', resources: obj },
      { action: 's3:PutObjectTagging', resources: obj },
    ]);
    // Both, and as re-exported logs write headers (a list).
    expect(put('PutObject', { 'x-amz-acl': ['private'], 'x-amz-tagging': 'a=b' }).map((t) => t.action)).toEqual(['s3:PutObject', 's3:PutObjectAcl', 's3:PutObjectTagging']);
    // A copy: the new object's ACL, not the source's.
    expect(put('CopyObject', { 'x-amz-copy-source': 'src/s.csv', 'x-amz-acl': 'private' })).toEqual([
      { action: 's3:PutObject', resources: obj },
      { action: 's3:GetObject', resources: ['arn:aws:s3:::src/s.csv'] },
      { action: 's3:PutObjectAcl', resources: obj },
    ]);
    // Empty headers set nothing; other calls with these headers are what they are (PutBucketAcl is its own action).
    expect(put('PutObject', { 'x-amz-acl': '', 'x-amz-tagging': [] }).map((t) => t.action)).toEqual(['s3:PutObject']);
    expect(put('UploadPart', { 'x-amz-acl': 'private' }).map((t) => t.action)).toEqual(['s3:PutObject']);
    expect(put('GetObject', { 'x-amz-tagging': 'a=b' }).map((t) => t.action)).toEqual(['s3:GetObject']);
  });

  test('SQS queue URLs of every documented endpoint form give the queue ARN in their region; others none', () => {
    const queue = (queueUrl: string) => {
      const m = mapEvent({ ...byName('GetItem'), eventSource: 'sqs.amazonaws.com', eventName: 'SendMessage', requestParameters: { queueUrl, messageBody: 'x' } });
      if (!('targets' in m)) throw new Error(JSON.stringify(m));
      return m.targets[0].resources;
    };
    const arn = (region: string, name = 'jobs') => [`arn:aws:sqs:${region}:111122223333:${name}`];
    expect(queue('https://sqs.eu-west-1.amazonaws.com/111122223333/jobs')).toEqual(arn('eu-west-1'));
    expect(queue('https://sqs-fips.us-gov-west-1.amazonaws.com/111122223333/jobs.fifo')).toEqual(arn('us-gov-west-1', 'jobs.fifo'));
    expect(queue('https://sqs.ap-southeast-2.api.aws/111122223333/jobs')).toEqual(arn('ap-southeast-2'));
    expect(queue('https://sqs.cn-north-1.amazonaws.com.cn/111122223333/jobs')).toEqual(arn('cn-north-1'));
    // Legacy forms: queue.amazonaws.com is us-east-1, <region>.queue.amazonaws.com its region (was: "queue").
    expect(queue('https://queue.amazonaws.com/111122223333/jobs')).toEqual(arn('us-east-1'));
    expect(queue('https://eu-central-1.queue.amazonaws.com/111122223333/jobs')).toEqual(arn('eu-central-1'));
    expect(queue('http://us-west-2.queue.amazonaws.com/111122223333/jobs')).toEqual(arn('us-west-2'));
    // Interface VPC endpoints (was: "vpce"), with or without a zone.
    expect(queue('https://vpce-0a1b2c3d4e5f67890-abcdefgh.sqs.us-east-2.vpce.amazonaws.com/111122223333/jobs')).toEqual(arn('us-east-2'));
    expect(queue('https://vpce-0a1b2c3d4e5f67890-abcdefgh-us-east-2a.sqs.us-east-2.vpce.amazonaws.com/111122223333/jobs')).toEqual(arn('us-east-2'));
    // Anything else is unknown, never a wrong queue.
    for (const url of [
      'http://localhost:4566/111122223333/jobs',
      'https://sqs.amazonaws.com/111122223333/jobs',
      'https://proxy.example.com/sqs.us-east-1.amazonaws.com/111122223333/jobs',
      'https://sqs.us-east-1.amazonaws.com.evil.example/111122223333/jobs',
      'https://sqs.us-east-1.amazonaws.com/111122223333/jobs/extra',
      'https://sqs.us-east-1.amazonaws.com/1111/jobs',
      'https://sqs.us-east-1.amazonaws.com/111122223333/jo:bs',
    ]) {
      expect({ url, resources: queue(url) }).toEqual({ url, resources: [] });
    }
  });

  test('a denial carries the policy type its message says denied it', () => {
    const denied = (errorMessage: string | undefined) => {
      const m = mapEvent({ ...byName('DeleteRole'), errorMessage });
      if (!('outcome' in m)) throw new Error(JSON.stringify(m));
      return m.deniedBy;
    };
    const pre = 'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:DeleteRole on resource: arn:aws:iam::111122223333:role/admin';
    expect(denied(`${pre} because no identity-based policy allows the iam:DeleteRole action`)).toBe('identity');
    expect(denied(`${pre} with an explicit deny in an identity-based policy`)).toBe('identity-explicit');
    expect(denied(`${pre} because no service control policy allows the iam:DeleteRole action`)).toBe('scp');
    expect(denied(`${pre} with an explicit deny in a service control policy`)).toBe('scp-explicit');
    expect(denied(`${pre} due to an explicit deny in a Service Control Policy`)).toBe('scp-explicit');
    expect(denied(`${pre} with an explicit deny in a resource control policy`)).toBe('rcp-explicit');
    expect(denied(`${pre} because no permissions boundary allows the iam:DeleteRole action`)).toBe('boundary');
    expect(denied(`${pre} with an explicit deny in a permissions boundary`)).toBe('boundary-explicit');
    expect(denied(`${pre} because no session policy allows the iam:DeleteRole action`)).toBe('session');
    expect(denied(`${pre} with an explicit deny in a resource-based policy`)).toBe('resource-explicit');
    expect(denied(`${pre} because no VPC endpoint policy allows the iam:DeleteRole action`)).toBe('vpce');
    expect(denied(`${pre} with an explicit deny in a VPC endpoint policy: arn:aws:ec2:us-east-1:111122223333:vpc-endpoint/vpce-1`)).toBe('vpce-explicit');
    // No type named (or one not known here): none, as before.
    expect(denied(pre)).toBeUndefined();
    expect(denied('Access Denied')).toBeUndefined();
    expect(denied(undefined)).toBeUndefined();
    expect(denied(`${pre} because no sprocket policy allows the iam:DeleteRole action`)).toBeUndefined();
    // Only denials carry one.
    const m = mapEvent({ ...byName('DeleteRole'), errorCode: 'NoSuchEntity', errorMessage: 'The role admin, with an explicit deny in a service control policy, cannot be found' });
    expect('outcome' in m && [m.outcome, m.deniedBy]).toEqual(['error', undefined]);
  });

  test('dynamodb ExecuteStatement maps by statement verb', () => {
    const base = { ...byName('GetItem'), eventName: 'ExecuteStatement' };
    const m = mapEvent({ ...base, requestParameters: { statement: 'UPDATE "Orders" SET a=1' } });
    expect('actions' in m && m.actions).toEqual(['dynamodb:PartiQLUpdate']);
    expect(mapEvent({ ...base, requestParameters: {} })).toEqual({ unmapped: { eventSource: 'dynamodb.amazonaws.com', eventName: 'ExecuteStatement' } });
  });
});

describe('principal normalisation', () => {
  test('IAMUser -> its ARN', () => {
    expect(normalisePrincipal(byName('PutBucketReplication').userIdentity)).toMatchObject({ principal: 'arn:aws:iam::111122223333:user/alice', type: 'IAMUser' });
  });
  test('AssumedRole -> sessionIssuer ARN (with path)', () => {
    expect(normalisePrincipal(byName('HeadObject').userIdentity)?.principal).toBe('arn:aws:iam::111122223333:role/service/app-worker');
  });
  test('AssumedRole without sessionIssuer -> role ARN from the STS ARN', () => {
    expect(roleArnFromSessionArn('arn:aws:sts::111122223333:assumed-role/Admin/jdoe@example.com')).toBe('arn:aws:iam::111122223333:role/Admin');
    expect(roleArnFromSessionArn('arn:aws-cn:sts::111122223333:assumed-role/A/s/x')).toBe('arn:aws-cn:iam::111122223333:role/A');
    expect(roleArnFromSessionArn('arn:aws:iam::111122223333:user/bob')).toBeUndefined();
  });
  test('Root -> account root', () => {
    expect(normalisePrincipal(byName('DeleteBucketCors').userIdentity)).toMatchObject({ principal: 'arn:aws:iam::111122223333:root', type: 'Root' });
  });
  test('FederatedUser -> the issuing IAM user; aws:principalarn is the federated user', () => {
    const m = mapped('UpdateFunctionConfiguration20150331v2', lines);
    expect(m).toMatchObject({ principal: 'arn:aws:iam::111122223333:user/ci', principalType: 'FederatedUser', actions: ['lambda:UpdateFunctionConfiguration'] });
    expect(m.context['aws:principalarn']).toBe('arn:aws:sts::111122223333:federated-user/ci-bot');
    expect(m.context['aws:principaltype']).toBe('FederatedUser');
  });
  test('FederatedUser without sessionIssuer -> the federated-user ARN', () => {
    expect(normalisePrincipal({ type: 'FederatedUser', arn: 'arn:aws:sts::111122223333:federated-user/x', accountId: '111122223333' })?.principal).toBe(
      'arn:aws:sts::111122223333:federated-user/x',
    );
  });
  test('WebIdentityUser -> identity provider', () => {
    const m = mapped('AssumeRoleWithWebIdentity', lines);
    expect(m).toMatchObject({ principal: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com', principalType: 'WebIdentityUser' });
    expect(m.targets).toEqual([{ action: 'sts:AssumeRoleWithWebIdentity', resources: ['arn:aws:iam::111122223333:role/gha-deploy'] }]);
  });
  test('SAMLUser -> identity provider', () => {
    expect(mapped('AssumeRoleWithSAML', lines)).toMatchObject({ principal: 'SAMLEXAMPLE1234=', principalType: 'SAMLUser' });
  });
  test('IdentityCenterUser -> identity store user', () => {
    expect(mapped('ListInstances', lines)).toMatchObject({
      principal: 'arn:aws:identitystore:::user/94482488-3041-7026-18f3-be45837cd0e4',
      principalType: 'IdentityCenterUser',
      actions: ['sso:ListInstances'],
    });
  });
  test('AWSService -> the service principal; access-key resources ignored', () => {
    const m = mapped('AssumeRole', lines);
    expect(m).toMatchObject({ principal: 'lambda.amazonaws.com', principalType: 'AWSService' });
    expect(m.resources).toEqual(['arn:aws:iam::111122223333:role/resize-exec']);
    expect(m.context['aws:principalservicename']).toBe('lambda.amazonaws.com');
    expect(m.context['aws:sourceip']).toBeUndefined();
  });
  test('AWSAccount (cross-account, principalId only) -> that account root', () => {
    const m = mapped('GetObject');
    expect(m).toMatchObject({ principal: 'arn:aws:iam::444455556666:root', principalType: 'AWSAccount', account: '444455556666' });
    expect(m.resources).toEqual(['arn:aws:s3:::app-data/exports/x.parquet']);
    expect(m.context['aws:userid']).toBe('AROAEXAMPLEOTHER0001:etl');
  });
  test('no identity -> undefined', () => {
    expect(normalisePrincipal(undefined)).toBeUndefined();
    expect(normalisePrincipal({ type: 'IAMUser' })).toBeUndefined();
    expect(normalisePrincipal('x')).toBeUndefined();
  });
});

describe('mapEvent on untrusted input', () => {
  test('never throws, whatever the record holds', () => {
    const fields = fc.record(
      {
        eventSource: fc.oneof(fc.constantFrom('s3.amazonaws.com', 'kms.amazonaws.com', 'lambda.amazonaws.com', 'dynamodb.amazonaws.com', 'sqs.amazonaws.com'), fc.anything()),
        eventName: fc.oneof(fc.constantFrom('GetObject', 'ReEncrypt', 'Invoke', 'CopyObject', 'ExecuteStatement', 'SendMessage'), fc.anything()),
        eventTime: fc.oneof(fc.constant('2024-05-01T10:00:00Z'), fc.anything()),
        userIdentity: fc.oneof(
          fc.record({ type: fc.constantFrom('IAMUser', 'AssumedRole', 'Root', 'FederatedUser', 'AWSService', 'AWSAccount', 'IdentityCenterUser'), arn: fc.anything(), accountId: fc.anything(), sessionContext: fc.anything(), invokedBy: fc.anything(), onBehalfOf: fc.anything() }, { requiredKeys: ['type'] }),
          fc.anything(),
        ),
        requestParameters: fc.oneof(fc.record({ bucketName: fc.anything(), key: fc.anything(), 'x-amz-copy-source': fc.anything(), tableName: fc.anything(), indexName: fc.anything(), 'x-amz-acl': fc.anything(), 'x-amz-tagging': fc.anything(), functionName: fc.anything(), queueUrl: fc.anything(), destinationKeyId: fc.anything(), statement: fc.anything() }), fc.anything()),
        resources: fc.anything(),
        errorCode: fc.anything(),
        errorMessage: fc.anything(),
        tlsDetails: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fields, (r) => {
        expect(() => mapEvent(r)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

test('a CloudFormation stack call naming its stack by ARN carries that resource', () => {
  const stack = 'arn:aws:cloudformation:us-east-1:123456789012:stack/app-web/1a2b';
  const record = {
    eventVersion: '1.09',
    eventID: 'cfn-1',
    eventTime: '2026-11-01T00:00:00Z',
    eventSource: 'cloudformation.amazonaws.com',
    eventName: 'DescribeStacks',
    awsRegion: 'us-east-1',
    recipientAccountId: '123456789012',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/dev', accountId: '123456789012' },
    requestParameters: { stackName: stack },
  };
  const byName = { ...record, eventID: 'cfn-2', requestParameters: { stackName: 'app-web' } };
  const mapped = mapEvent(record) as { resources: string[] };
  expect(mapped.resources).toEqual([stack]);
  expect((mapEvent(byName) as { resources: string[] }).resources).toEqual([]);
});
