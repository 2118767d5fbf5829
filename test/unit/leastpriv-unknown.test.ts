// Unknown, not unused: data-event-only actions of every family CloudTrail logs, cross-account callers known only by
// their account, and group subjects; and successful calls the current policy (as evaluated) denies.
import { lookupAction } from '../../src/catalog/catalog.js';
import * as families from '../../src/leastpriv/families.js';
import { leastPrivilege } from '../../src/leastpriv/index.js';
import { suggestPolicy } from '../../src/leastpriv/suggest.js';
import type { SubjectPolicies } from '../../src/model.js';
import { ACCOUNT, ROLE, allow, bucketSubject, policy, record, roleSubject, usageOf } from '../../fixtures/leastpriv/build.js';

const STREAM = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/clicks`;
const SNAPSHOTS = 'arn:aws:ec2:us-east-1::snapshot/*';
const DIRECTORY_BUCKET = `arn:aws:s3express:us-east-1:${ACCOUNT}:bucket/fast--use1-az4--x-s3`;
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`;
const OTHER = `arn:aws:iam::${ACCOUNT}:role/other`;

const unknownActions = (u: { unknown: Array<{ actions: string[] }> }) => u.unknown.flatMap((x) => x.actions).sort();
const unusedActions = (u: { unusedActions: Array<{ actions: string[] }> }) => u.unusedActions.flatMap((x) => x.actions).sort();

describe('data-event-only actions beyond S3, Lambda, DynamoDB, SQS and SNS', () => {
  test('Kinesis records, EBS direct APIs and S3 Express sessions are unknown unless such data events were logged for the resource', () => {
    const head = [
      policy([
        allow(['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:DescribeStreamSummary'], STREAM),
        allow(['ebs:GetSnapshotBlock', 'ebs:ListSnapshotBlocks'], SNAPSHOTS),
        allow('s3express:CreateSession', DIRECTORY_BUCKET),
      ]),
    ];
    const usage = usageOf([record('kinesis:DescribeStreamSummary', STREAM)]);
    const { unused, suggestion } = leastPrivilege(roleSubject(head), usage);
    expect(unusedActions(unused!)).toEqual([]);
    expect(unused!.unusedServices).toEqual([]);
    expect(unknownActions(unused!)).toEqual(['ebs:GetSnapshotBlock', 'ebs:ListSnapshotBlocks', 'kinesis:PutRecord', 'kinesis:PutRecords', 's3express:CreateSession']);
    expect(unused!.unknown.find((u) => u.service === 'kinesis')!.why).toMatch(/Kinesis Data Streams \(data\) events/);
    expect(suggestion!.notes.join('\n')).toMatch(/logs cannot show they are unused: .*kinesis:PutRecords/);

    // Once the family was logged for the resource (by anyone), an uncalled action is unused again.
    const head2 = [policy([allow(['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:GetRecords'], STREAM), allow('s3express:CreateSession', DIRECTORY_BUCKET)])];
    const usage2 = usageOf([
      record('kinesis:PutRecords', STREAM),
      record('kinesis:GetRecords', STREAM, { principal: OTHER }),
      // CloudTrail's resources[] names the directory bucket without "bucket/".
      record('s3express:CreateSession', `arn:aws:s3express:us-east-1:${ACCOUNT}:fast--use1-az4--x-s3`, { principal: OTHER }),
    ]);
    const logged = leastPrivilege(roleSubject(head2), usage2).unused!;
    expect(unusedActions(logged)).toEqual(['kinesis:GetRecords', 'kinesis:PutRecord']);
    expect(logged.unusedServices).toEqual([{ service: 's3express', actions: 1 }]);
    expect(unknownActions(logged)).toEqual([]);
    // The report lists every family seen (report.schema.json takes any family name).
    expect(logged.coverage.dataEvents.map((d) => d.family)).toEqual(expect.arrayContaining(['kinesis-stream', 's3express-object']));
  });

  test('a management event does not show a family is logged, nor does a stream-only selector show item events are', () => {
    const head = [policy([allow(['bedrock:InvokeModel', 'bedrock:Retrieve'], '*'), allow(['dynamodb:GetItem', 'dynamodb:GetRecords', 'dynamodb:DescribeTable'], [TABLE, `${TABLE}/stream/*`])])];
    const usage = usageOf([
      // InvokeModel is a management event; StartAsyncInvoke (also bedrock:InvokeModel) is a data event.
      record('bedrock:InvokeModel', undefined, { principal: OTHER }),
      record('dynamodb:GetShardIterator', `${TABLE}/stream/2026-01-01T00:00:00.000`, { principal: OTHER }),
      record('dynamodb:DescribeTable', TABLE),
    ]);
    const { unused } = leastPrivilege(roleSubject(head), usage);
    expect(unknownActions(unused!)).toEqual(['bedrock:InvokeModel', 'bedrock:Retrieve', 'dynamodb:GetItem']);
    // Stream events were seen for the table's stream: GetRecords can be claimed.
    expect(unusedActions(unused!)).toEqual(['dynamodb:GetRecords']);
  });

  test('types without resource ARNs (CloudWatch metrics) are logged all or nothing', () => {
    const head = [policy([allow(['cloudwatch:PutMetricData', 'cloudwatch:GetMetricData', 'cloudwatch:DescribeAlarms'], '*')])];
    const none = leastPrivilege(roleSubject(head), usageOf([record('cloudwatch:DescribeAlarms')])).unused!;
    expect(unknownActions(none)).toEqual(['cloudwatch:GetMetricData', 'cloudwatch:PutMetricData']);
    const seen = leastPrivilege(roleSubject(head), usageOf([record('cloudwatch:DescribeAlarms'), record('cloudwatch:PutMetricData'), record('cloudwatch:GetMetricStatistics', undefined, { principal: OTHER })])).unused!;
    expect(unusedActions(seen)).toEqual(['cloudwatch:GetMetricData']);
    // Only writes (PutMetricData) arrived: reads cannot be claimed unused.
    const writesOnly = leastPrivilege(roleSubject(head), usageOf([record('cloudwatch:DescribeAlarms'), record('cloudwatch:PutMetricData')])).unused!;
    expect(unknownActions(writesOnly)).toEqual(['cloudwatch:GetMetricData']);
  });

  test('every action the table lists is a catalogue action, in its casing', () => {
    const listed = (families as { listedDataActions?: () => string[] }).listedDataActions?.() ?? [];
    expect(listed.length).toBeGreaterThan(50);
    const missing = listed.filter((a) => lookupAction(a)?.id !== a);
    expect(missing).toEqual([]);
    for (const a of listed) expect(families.dataFamily(a)).toBeDefined();
    expect(families.dataFamily('kinesis:CreateStream')).toBeUndefined();
    expect(families.dataFamily('ebs:StartSnapshot')).toBeUndefined();
    expect(families.dataFamily('rds-data:ExecuteStatement')).toBe('rds-data-api');
    expect(families.neverRecorded('lambda:InvokeFunctionUrl')).toBeDefined();
  });
});

describe('calls CloudTrail shows succeeded but the current policy, as evaluated, denies', () => {
  const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`;
  // A queue ARN read wrongly from a legacy queue URL (region "queue").
  const MISREAD = `arn:aws:sqs:queue:${ACCOUNT}:jobs`;

  test('keep the statements that may grant them, as written, with a note', () => {
    const current = [policy([allow(['sqs:SendMessage', 'sqs:ReceiveMessage'], QUEUE, { Condition: { Bool: { 'aws:SecureTransport': 'true' } } })])];
    const s = suggestPolicy({ current, records: [record('sqs:SendMessage', MISREAD, { context: { 'aws:securetransport': 'true' } })] });
    expect(s.documents).toHaveLength(1);
    expect(s.documents[0].Statement).toEqual([
      { Sid: 'UsedSqs', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [QUEUE], Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
    ]);
    expect(s.notes.join('\n')).toMatch(/1 call\(s\) CloudTrail shows succeeded are denied by the current policy as evaluated here.*kept as written: sqs:SendMessage/);
    expect(s.notes.join('\n')).not.toMatch(/nothing to suggest|the current policy denies are not suggested/);
  });

  test('denied calls are still left out, and a success no statement names is reported, not dropped silently', () => {
    const current = [policy([allow('sqs:SendMessage', QUEUE)])];
    const s = suggestPolicy({
      current,
      records: [record('sqs:SendMessage', MISREAD, { outcome: 'denied' }), record('s3:GetObject', 'arn:aws:s3:::shared/k')],
    });
    expect(s.documents).toEqual([]);
    const notes = s.notes.join('\n');
    expect(notes).toMatch(/1 call\(s\) the current policy denies are not suggested: sqs:SendMessage/);
    expect(notes).toMatch(/1 call\(s\) CloudTrail shows succeeded are named by no Allow statement.*s3:GetObject/);
  });
});

describe('bucket policy principals and callers known only by their account', () => {
  const partnerPolicy = policy(
    [{ Sid: 'Partner', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:role/partner-etl' }, Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::shared/*' }],
    'shared.json',
  );
  const byAccount = (principalType: string) =>
    usageOf([
      record('s3:GetObject', 'arn:aws:s3:::shared/in/a.csv', { principal: 'arn:aws:iam::999999999999:root', principalType, account: '999999999999' }),
      record('s3:PutObject', 'arn:aws:s3:::shared/out/b.csv', { principal: 'arn:aws:iam::999999999999:root', principalType, account: '999999999999' }),
    ]);

  test('a role of the calling account is unknown, never stale, when its calls arrived as the account (type AWSAccount)', () => {
    const { unused } = leastPrivilege(bucketSubject([partnerPolicy], 'shared'), byAccount('AWSAccount'));
    const p = unused!.s3!.principals![0];
    expect(p).toMatchObject({ principal: 'arn:aws:iam::999999999999:role/partner-etl', status: 'unknown', calls: 0 });
    expect(p.why).toMatch(/account 999999999999 made 2 call\(s\) on shared \(read, write\).*may be this principal's/);
    // The account's root user calling (type Root) is not one of its roles.
    const byRoot = leastPrivilege(bucketSubject([partnerPolicy], 'shared'), byAccount('Root')).unused!;
    expect(byRoot.s3!.principals![0]).toMatchObject({ status: 'stale' });
  });
});

describe('group subjects', () => {
  const GROUP = `arn:aws:iam::${ACCOUNT}:group/devs`;
  const groupSubject = (head: ReturnType<typeof policy>[]): SubjectPolicies => ({ subject: { type: 'group', arn: GROUP, id: GROUP }, base: head, head, files: head.map((d) => d.file) });

  test('usage is unknown (members make the calls), nothing is unused, and there is no suggestion', () => {
    const head = [policy([allow(['ec2:DescribeInstances', 'ec2:StartInstances', 'cloudwatch:GetMetricData'], '*'), allow('s3:GetObject', 'arn:aws:s3:::team/*')])];
    const usage = usageOf([
      record('ec2:DescribeInstances', undefined, { principal: `arn:aws:iam::${ACCOUNT}:user/alice`, principalType: 'IAMUser' }),
      record('cloudwatch:GetMetricData', undefined, { principal: `arn:aws:iam::${ACCOUNT}:user/alice`, principalType: 'IAMUser' }),
      record('s3:GetObject', 'arn:aws:s3:::team/x', { principal: ROLE }),
    ]);
    const out = leastPrivilege(groupSubject(head), usage, { includeNew: true });
    expect(out.suggestion).toBeUndefined();
    const u = out.unused!;
    expect(u.unusedActions).toEqual([]);
    expect(u.unusedServices).toEqual([]);
    expect(unknownActions(u)).toEqual(['cloudwatch:GetMetricData', 'ec2:DescribeInstances', 'ec2:StartInstances', 's3:GetObject']);
    for (const k of u.unknown) expect(k.why).toMatch(/group makes no calls of its own.*membership is not known/);
    expect(u.s3).toBeUndefined();
    expect(u.notes.join('\n')).toMatch(/the subject is a group/);
  });
});
