import { dataFamily, neverRecorded, s3Class } from '../../src/leastpriv/families.js';
import { generaliseResources, coveredBy, MAX_PREFIXES } from '../../src/leastpriv/generalise.js';
import { packDocuments, policySizeOf } from '../../src/leastpriv/policy-json.js';
import { leastPrivilege } from '../../src/leastpriv/index.js';
import { suggestPolicy } from '../../src/leastpriv/suggest.js';
import type { SuggestedStatement } from '../../src/leastpriv/types.js';
import { evaluate } from '../../src/analysis/evaluate/evaluate.js';
import { ACCOUNT, ROLE, allow, bucketSubject, deny, policy, policyFromJson, record, roleSubject, usageOf } from '../../fixtures/leastpriv/build.js';

const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`;

describe('families and classes', () => {
  test('data-event families, never-logged actions and S3 classes', () => {
    expect(dataFamily('s3:GetObject')).toBe('s3-object');
    expect(dataFamily('s3:ListBucket')).toBe('s3-object');
    expect(dataFamily('s3:GetBucketPolicy')).toBeUndefined();
    expect(dataFamily('lambda:InvokeFunction')).toBe('lambda-invoke');
    expect(dataFamily('dynamodb:Query')).toBe('dynamodb-item');
    expect(dataFamily('dynamodb:CreateTable')).toBeUndefined();
    expect(neverRecorded('iam:PassRole')).toMatch(/never logged/);
    expect(s3Class('s3:GetObject')).toBe('read');
    expect(s3Class('s3:PutObject')).toBe('write');
    expect(s3Class('s3:DeleteObject')).toBe('delete');
    expect(s3Class('s3:ListBucket')).toBe('list');
    expect(s3Class('s3:PutBucketPolicy')).toBe('permissions');
    expect(s3Class('s3:DeleteBucketPolicy')).toBe('permissions');
    expect(s3Class('dynamodb:GetItem')).toBeUndefined();
  });
});

describe('generaliseResources', () => {
  const all = () => true;
  test('object keys become their folder followed by *, root keys stay exact', () => {
    expect(generaliseResources(['arn:aws:s3:::b/daily/1.csv', 'arn:aws:s3:::b/daily/2.csv', 'arn:aws:s3:::b/top.txt'], all)).toEqual([
      'arn:aws:s3:::b/daily/*',
      'arn:aws:s3:::b/top.txt',
    ]);
  });
  test('too many folders are cut one level shorter until they fit', () => {
    const keys = Array.from({ length: MAX_PREFIXES + 5 }, (_, i) => `arn:aws:s3:::b/logs/day${i}/x.gz`);
    expect(generaliseResources(keys, all)).toEqual(['arn:aws:s3:::b/logs/*']);
  });
  test('a pattern the granting statement does not contain falls back to the exact ARNs', () => {
    const covered = coveredBy(['arn:aws:s3:::b/daily/1.csv', 'arn:aws:s3:::b/daily/2.csv']);
    expect(generaliseResources(['arn:aws:s3:::b/daily/1.csv', 'arn:aws:s3:::b/daily/2.csv'], covered)).toEqual(['arn:aws:s3:::b/daily/1.csv', 'arn:aws:s3:::b/daily/2.csv']);
  });
  test('secrets lose their random suffix; other ARNs are kept exact', () => {
    const secret = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/db-AbCdEf`;
    const fn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:f:live`;
    expect(generaliseResources([secret, fn, `${TABLE}/index/byCustomer`], coveredBy(['*']))).toEqual([
      `${TABLE}/index/byCustomer`,
      fn,
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/db-??????`,
    ]);
  });
});

describe('packDocuments', () => {
  test('splits statements and over-long resource lists to fit the limit, with unique Sids', () => {
    const resources = Array.from({ length: 400 }, (_, i) => `arn:aws:s3:::bucket-with-a-long-name-${i}/*`);
    const st: SuggestedStatement = { Sid: 'UsedS3', Effect: 'Allow', Action: ['s3:GetObject'], Resource: resources };
    const docs = packDocuments([st, { ...st, Resource: ['arn:aws:s3:::x/*'] }], 6144);
    expect(docs.length).toBeGreaterThan(2);
    for (const d of docs) {
      expect(policySizeOf(d)).toBeLessThanOrEqual(6144);
      const sids = d.Statement.map((s) => s.Sid);
      expect(new Set(sids).size).toBe(sids.length);
    }
    expect(docs.flatMap((d) => d.Statement.flatMap((s) => s.Resource ?? [])).sort()).toEqual([...resources, 'arn:aws:s3:::x/*'].sort());
  });
});

describe('unused access', () => {
  test('groups unused actions by service and level, lists untouched services, and calls unlogged actions unknown', () => {
    const head = [
      policy([
        allow(['s3:GetObject', 's3:PutObject', 's3:ListBucket'], ['arn:aws:s3:::data', 'arn:aws:s3:::data/*']),
        allow(['dynamodb:GetItem', 'dynamodb:DescribeTable'], TABLE),
        allow(['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], '*'),
      ]),
    ];
    // A write to another bucket by someone else shows the trail logs write events too.
    const usage = usageOf([record('s3:GetObject', 'arn:aws:s3:::data/a/1'), record('dynamodb:DescribeTable', TABLE), record('s3:PutObject', 'arn:aws:s3:::other/x', { principal: 'arn:aws:iam::123456789012:role/writer' })]);
    const { unused } = leastPrivilege(roleSubject(head), usage);
    expect(unused).toBeDefined();
    expect(unused!.grantedActions).toBe(8);
    expect(unused!.usedActions).toBe(2);
    // S3 data events were seen for "data", reads and writes are logged: PutObject and ListBucket are really unused.
    expect(unused!.unusedActions).toEqual([
      { service: 's3', accessLevel: 'Write', actions: ['s3:PutObject'] },
      { service: 's3', accessLevel: 'List', actions: ['s3:ListBucket'] },
    ]);
    expect(unused!.unusedServices).toEqual([{ service: 'lambda', actions: 1 }]);
    const unknown = Object.fromEntries(unused!.unknown.map((u) => [u.actions.join(), u.why]));
    // No DynamoDB item-level events at all: GetItem is unknown, not unused.
    expect(unknown['dynamodb:GetItem']).toMatch(/no DynamoDB item-level/);
    expect(unknown['iam:PassRole']).toMatch(/never logged/);
    expect(unknown['lambda:InvokeFunction']).toMatch(/Lambda Invoke/);
    const bucket = unused!.s3!.buckets[0];
    expect(bucket).toMatchObject({ bucket: 'data', granted: ['read', 'list', 'write'], used: ['read'], unusedClasses: ['list', 'write'], onlyReadsUsed: true, neverAccessed: false, dataEvents: 'seen' });
  });

  test('S3 object actions on a bucket without data events are unknown, and the bucket is not called never accessed', () => {
    const head = [policy([allow(['s3:GetObject', 's3:GetBucketPolicy'], ['arn:aws:s3:::quiet', 'arn:aws:s3:::quiet/*']), allow('sqs:ListQueues', '*')])];
    const usage = usageOf([record('sqs:ListQueues')]);
    const { unused } = leastPrivilege(roleSubject(head), usage);
    expect(unused!.unknown.flatMap((u) => u.actions)).toEqual(['s3:GetObject']);
    expect(unused!.unusedActions.concat()).toEqual([]);
    expect(unused!.unusedServices).toEqual([{ service: 's3', actions: 1 }]);
    expect(unused!.s3!.buckets[0]).toMatchObject({ bucket: 'quiet', dataEvents: 'not-seen', neverAccessed: false, unusedClasses: [] });
    expect(unused!.coverage.trails[0]).toMatch(/not in the log files/);
  });

  test('bucket policies: stale principals, and unknown when object events were not logged', () => {
    const bucketPolicy = (name: string) =>
      policy(
        [
          { Sid: 'Partner', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/partner' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${name}/*` },
          { Sid: 'App', Effect: 'Allow', Principal: { AWS: ROLE }, Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${name}/*` },
          { Sid: 'Ops', Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 's3:GetBucketPolicy', Resource: `arn:aws:s3:::${name}` },
        ],
        `${name}.json`,
      );
    const usage = usageOf([record('s3:GetObject', 'arn:aws:s3:::logged/k'), record('s3:PutObject', 'arn:aws:s3:::elsewhere/k', { principal: 'arn:aws:iam::123456789012:role/writer' })]);
    const logged = leastPrivilege(bucketSubject([bucketPolicy('logged')], 'logged'), usage).unused!;
    const status = Object.fromEntries(logged.s3!.principals!.map((p) => [p.principal, p.status]));
    expect(status).toEqual({ '444455556666': 'stale', [ROLE]: 'active', 'arn:aws:iam::111122223333:role/partner': 'stale' });
    expect(logged.unusedActions).toEqual([
      { service: 's3', accessLevel: 'Write', actions: ['s3:PutObject'] },
      { service: 's3', accessLevel: 'Read', actions: ['s3:GetBucketPolicy'] },
    ]);
    const quiet = leastPrivilege(bucketSubject([bucketPolicy('quiet')], 'quiet'), usage).unused!;
    const quietStatus = Object.fromEntries(quiet.s3!.principals!.map((p) => [p.principal, p.status]));
    expect(quietStatus).toEqual({ '444455556666': 'stale', [ROLE]: 'unknown', 'arn:aws:iam::111122223333:role/partner': 'unknown' });
    expect(quiet.s3!.buckets[0]).toMatchObject({ neverAccessed: false, dataEvents: 'not-seen' });
  });
});

describe('trails that log one kind of data event only', () => {
  test('only write events arrived: read actions are unknown, not unused (and the other way round)', () => {
    const head = [policy([allow(['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::ingest/*'), allow(['dynamodb:GetItem', 'dynamodb:PutItem'], TABLE)])];
    const writesOnly = usageOf([record('s3:PutObject', 'arn:aws:s3:::ingest/a'), record('dynamodb:PutItem', TABLE)]);
    const w = leastPrivilege(roleSubject(head), writesOnly);
    expect(w.unused!.unusedActions).toEqual([]);
    const unknown = Object.fromEntries(w.unused!.unknown.map((u) => [u.actions.join(), u.why]));
    expect(unknown['s3:GetObject']).toMatch(/no read-only S3 object-level .* arrived at all, only write ones/);
    expect(unknown['dynamodb:GetItem']).toMatch(/no read-only .*arrived at all/);
    expect(w.unused!.s3!.buckets[0]).toMatchObject({ bucket: 'ingest', unusedClasses: [] });
    expect(JSON.stringify(w.suggestion!.documents)).not.toContain('s3:GetObject');
    expect(w.suggestion!.notes.join('\n')).toMatch(/logs cannot show they are unused: .*s3:GetObject/);
    const readsOnly = usageOf([record('s3:GetObject', 'arn:aws:s3:::ingest/a')]);
    const r = leastPrivilege(roleSubject(head), readsOnly).unused!;
    expect(r.unknown.flatMap((u) => u.actions)).toContain('s3:PutObject');
  });
});

describe('suggestPolicy', () => {
  const evalAll = (docs: ReturnType<typeof policy>[], action: string, resource?: string, context: Record<string, string> = {}) =>
    evaluate({ action, resource, principal: { arn: ROLE, account: ACCOUNT, type: 'AWS' }, context }, { identity: docs }).decision;

  test('keeps used calls under their conditions, puts actions without resource-level permissions under * apart', () => {
    const current = [
      policy([
        allow(['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::data/*', { Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } }),
        allow(['ec2:DescribeInstances', 'dynamodb:*'], '*'),
        deny('s3:*', '*', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        deny('iam:*', '*'),
      ]),
    ];
    const records = [
      record('s3:GetObject', 'arn:aws:s3:::data/in/1.json', { context: { 'aws:requestedregion': 'us-east-1' } }),
      record('s3:GetObject', 'arn:aws:s3:::data/in/2.json', { context: { 'aws:requestedregion': 'us-east-1' } }),
      record('ec2:DescribeInstances'),
      record('dynamodb:Query', `${TABLE}/index/byDay`),
      record('sqs:SendMessage', 'arn:aws:sqs:us-east-1:123456789012:q', { outcome: 'denied' }),
    ];
    const s = suggestPolicy({ current, records });
    expect(s.documents).toHaveLength(1);
    const statements = s.documents[0].Statement;
    expect(statements).toContainEqual({ Sid: 'UsedDynamodb', Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [`${TABLE}/index/byDay`] });
    expect(statements).toContainEqual({ Sid: 'NoResourceLevel', Effect: 'Allow', Action: ['ec2:DescribeInstances'], Resource: ['*'] });
    expect(statements).toContainEqual({
      Sid: 'UsedS3',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: ['arn:aws:s3:::data/in/*'],
      Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
    });
    // The SecureTransport deny still applies to the suggested S3 action; the iam:* deny does not.
    expect(statements.filter((st) => st.Effect === 'Deny').map((st) => st.Action)).toEqual([['s3:*']]);
    expect(s.notes.join('\n')).toMatch(/1 call\(s\) the current policy denies are not suggested: sqs:SendMessage/);
    expect(s.diff).toContain('- Allow s3:PutObject on arn:aws:s3:::data/* when {"StringEquals":{"aws:RequestedRegion":"us-east-1"}}');
    expect(s.diff).toContain('- Deny iam:* on *');
    expect(s.diff.some((l) => l.startsWith('+ Allow s3:GetObject on arn:aws:s3:::data/in/*'))).toBe(true);
    expect(s.diff).toContain('  Allow ec2:DescribeInstances on *');
    const suggested = s.documents.map((d) => policyFromJson(d));
    expect(evalAll(suggested, 's3:GetObject', 'arn:aws:s3:::data/in/3.json', { 'aws:requestedregion': 'us-east-1' })).toBe('allow');
    expect(evalAll(suggested, 's3:GetObject', 'arn:aws:s3:::data/out/3.json', { 'aws:requestedregion': 'us-east-1' })).toBe('implicit-deny');
  });

  test('honours exclude and allow patterns, and never suggests what an SCP or boundary denies', () => {
    const current = [policy([allow(['s3:GetObject', 'kms:Decrypt', 'logs:PutLogEvents', 'logs:CreateLogStream'], '*')])];
    const scp = policy([allow('*', '*'), deny('kms:*', '*')], 'scp.json', 'scp');
    const records = [record('s3:GetObject', 'arn:aws:s3:::b/k'), record('kms:Decrypt', `arn:aws:kms:us-east-1:${ACCOUNT}:key/k1`), record('logs:PutLogEvents', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:g:log-stream:s`)];
    const s = suggestPolicy({ current, scps: [scp], records, exclude: ['logs:Put*'], allow: ['logs:CreateLogStream'] });
    const actions = s.documents.flatMap((d) => d.Statement.flatMap((st) => st.Action ?? [])).sort();
    expect(actions).toEqual(['logs:CreateLogStream', 's3:GetObject']);
    expect(s.notes.join('\n')).toMatch(/SCP or the permissions boundary denies .*kms:Decrypt/);
    expect(s.notes.join('\n')).toMatch(/least-privilege.exclude: logs:PutLogEvents/);
    expect(s.notes.join('\n')).toMatch(/least-privilege.allow as currently granted: logs:CreateLogStream/);
  });

  test('a call whose event names no resource keeps the resources of the statement that granted it', () => {
    const current = [policy([allow('cloudformation:DescribeStacks', `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/app-*`)])];
    const s = suggestPolicy({ current, records: [record('cloudformation:DescribeStacks')] });
    expect(s.documents[0].Statement[0].Resource).toEqual([`arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/app-*`]);
    expect(s.notes.join()).toMatch(/do not name a resource/);
  });

  test('splits into several managed policies when over 6,144 characters', () => {
    const current = [policy([allow('dynamodb:GetItem', '*')])];
    const records = Array.from({ length: 300 }, (_, i) => record('dynamodb:GetItem', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/a-rather-long-table-name-${i}`));
    const s = suggestPolicy({ current, records });
    expect(s.documents.length).toBeGreaterThan(1);
    expect(Math.max(...s.sizes)).toBeLessThanOrEqual(6144);
    expect(s.usedPairs).toBe(300);
  });

  test('no usage: no documents, and a note', () => {
    const s = suggestPolicy({ current: [policy([allow('s3:GetObject', '*')])], records: [] });
    expect(s.documents).toEqual([]);
    expect(s.notes[0]).toMatch(/no usage/);
  });

  test('subjects new in the change are left alone unless asked; no usage means no suggestion', () => {
    const head = [policy([allow('s3:GetObject', 'arn:aws:s3:::b/*')])];
    const usage = usageOf([record('s3:GetObject', 'arn:aws:s3:::b/k')]);
    expect(leastPrivilege(roleSubject(head, ROLE, []), usage)).toEqual({});
    expect(leastPrivilege(roleSubject(head, ROLE, []), usage, { includeNew: true }).suggestion?.documents).toHaveLength(1);
    const idle = leastPrivilege(roleSubject(head), usageOf([]));
    expect(idle.unused?.usedActions).toBe(0);
    expect(idle.suggestion).toBeUndefined();
  });

  test('bucket subjects get unused access but no suggestion', () => {
    const b = policy([{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::x/*' }], 'x.json');
    const out = leastPrivilege(bucketSubject([b], 'x'), usageOf([]));
    expect(out.unused).toBeDefined();
    expect(out.suggestion).toBeUndefined();
  });
});
