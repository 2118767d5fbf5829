import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { ACCOUNTS, trailObject } from '../../bench/cloudtrail-gen.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readLocalLogs, readLocalSource } from '../../src/usage/read-local.js';
import { makeContext } from '../../src/usage/sources/common.js';

const GOOD = join(process.cwd(), 'fixtures/cloudtrail/good');
const BAD = join(process.cwd(), 'fixtures/cloudtrail/bad');
const GZ = join(GOOD, '111122223333_CloudTrail_us-east-1_20240501T1005Z_Abc123Def456Ghij.json.gz');

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'usage-read-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('readLocalLogs', () => {
  test('object versions: GetObject with a versionId counts as s3:GetObjectVersion, also after the plain call is known', async () => {
    const event = (i: number, rp: Record<string, unknown>) => ({
      eventVersion: '1.09', eventSource: 's3.amazonaws.com', eventName: 'GetObject', eventTime: `2024-05-01T10:0${i}:00Z`, eventID: `00000000-0000-4000-8000-00000000000${i}`,
      awsRegion: 'us-east-1', recipientAccountId: '111122223333', eventType: 'AwsApiCall', sourceIPAddress: '10.0.0.1',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/app/s', accountId: '111122223333', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app', accountId: '111122223333' } } },
      requestParameters: { bucketName: 'data', key: 'a.csv', ...rp },
    });
    // Enough plain calls first for the text path to know their signature, then versioned ones on the same key.
    const records = [0, 1, 2].map((i) => event(i, {})).concat([3, 4].map((i) => event(i, { versionId: 'v1' })));
    writeFileSync(join(tmp, 'a.json'), JSON.stringify({ Records: records }));
    for (const workers of [0, 1]) {
      const s = await readLocalLogs([tmp], { workers });
      const counts = Object.fromEntries(s.records.map((r) => [r.action, r.count]));
      expect(counts).toEqual({ 's3:GetObject': 3, 's3:GetObjectVersion': 2 });
    }
  });

  test('a call that passes a role counts as iam:PassRole on that role too, on every path (text, parsed, workers)', async () => {
    const ui = { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/deployer/s', accountId: '111122223333', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/deployer', accountId: '111122223333' } } };
    const event = (i: number, eventName: string, rp: Record<string, unknown>) => ({
      eventVersion: '1.09', eventSource: 'lambda.amazonaws.com', eventName, eventTime: `2024-05-01T10:0${i}:00Z`, eventID: `00000000-0000-4000-8000-00000000000${i}`,
      awsRegion: 'us-east-1', recipientAccountId: '111122223333', eventType: 'AwsApiCall', sourceIPAddress: '10.0.0.1', userIdentity: ui, requestParameters: rp,
    });
    const role = 'arn:aws:iam::111122223333:role/fn-exec';
    const records = [
      // Repeated so that the text path answers the later ones from what the first defined.
      ...[0, 1, 2].map((i) => event(i, 'CreateFunction20150331', { functionName: 'fn', role, runtime: 'nodejs20.x' })),
      // A backslash sends the record through JSON.parse: the same answer.
      event(3, 'CreateFunction20150331', { functionName: 'fn', role, description: 'a \\ b' }),
      // No role in the call: no PassRole; a role by name: its path is unknown, not counted.
      event(4, 'UpdateFunctionConfiguration20150331v2', { functionName: 'fn', timeout: 30 }),
      event(5, 'UpdateFunctionConfiguration20150331v2', { functionName: 'fn', role: 'fn-exec' }),
    ];
    writeFileSync(join(tmp, 'a.json'), JSON.stringify({ Records: records }));
    for (const workers of [0, 1]) {
      const s = await readLocalLogs([tmp], { workers });
      const rows = s.records.map((r) => `${r.action} ${r.resource ?? '?'} ${r.count}`).sort();
      expect(rows).toEqual([
        `iam:PassRole ${role} 4`,
        'lambda:CreateFunction arn:aws:lambda:us-east-1:111122223333:function:fn 4',
        'lambda:UpdateFunctionConfiguration arn:aws:lambda:us-east-1:111122223333:function:fn 2',
      ]);
    }
  });

  /** Events by one role in the trail's layout, read with and without a worker: `action resource outcome count` rows. */
  const readRows = async (records: unknown[]) => {
    writeFileSync(join(tmp, 'a.json'), JSON.stringify({ Records: records }));
    const out: string[][] = [];
    for (const workers of [0, 1]) {
      const s = await readLocalLogs([tmp], { workers });
      out.push(s.records.map((r) => `${r.action} ${r.resource ?? `(${r.bucket ?? '?'})`} ${r.outcome}${r.deniedBy ? `/${r.deniedBy}` : ''} ${r.count}`).sort());
    }
    expect(out[1]).toEqual(out[0]);
    return out[0];
  };
  const appUi = { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/app/s', accountId: '111122223333', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app', accountId: '111122223333' } } };
  const appEvent = (i: number, eventSource: string, eventName: string, rp: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    eventVersion: '1.09', eventSource, eventName, eventTime: `2024-05-01T10:${String(i).padStart(2, '0')}:00Z`, eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    awsRegion: 'us-east-1', recipientAccountId: '111122223333', eventType: 'AwsApiCall', sourceIPAddress: '10.0.0.1', userIdentity: appUi, requestParameters: rp, ...extra,
  });

  test('a DynamoDB Query or Scan on an index counts on the index ARN, on every path (text, parsed, workers)', async () => {
    const table = 'arn:aws:dynamodb:us-east-1:111122223333:table/orders';
    const rows = await readRows([
      // The table first, repeated: the text path knows the signature of a query on the table, then meets indexed ones.
      ...[0, 1, 2].map((i) => appEvent(i, 'dynamodb.amazonaws.com', 'Query', { tableName: 'orders', keyConditionExpression: 'pk = :p' })),
      ...[3, 4, 5].map((i) => appEvent(i, 'dynamodb.amazonaws.com', 'Query', { tableName: 'orders', indexName: 'by-date', keyConditionExpression: 'd = :d' })),
      // A backslash sends the record through JSON.parse: the same answer.
      appEvent(6, 'dynamodb.amazonaws.com', 'Query', { tableName: 'orders', indexName: 'by-date', keyConditionExpression: 'd = \\:d' }),
      ...[7, 8].map((i) => appEvent(i, 'dynamodb.amazonaws.com', 'Scan', { tableName: 'orders', indexName: 'by-customer' })),
    ]);
    expect(rows).toEqual([`dynamodb:Query ${table} allowed 3`, `dynamodb:Query ${table}/index/by-date allowed 4`, `dynamodb:Scan ${table}/index/by-customer allowed 2`]);
  });

  test('an S3 write with ACL or tagging headers counts as s3:PutObjectAcl / s3:PutObjectTagging too, on every path', async () => {
    const obj = 'arn:aws:s3:::lake/raw/a.csv';
    const put = (i: number, rp: Record<string, unknown>, eventName = 'PutObject') => appEvent(i, 's3.amazonaws.com', eventName, { bucketName: 'lake', key: 'raw/a.csv', 'x-amz-server-side-encryption': 'AES256', ...rp });
    const rows = await readRows([
      // Plain writes first, repeated: the text path knows their signature, then meets writes with headers.
      ...[0, 1, 2].map((i) => put(i, {})),
      ...[3, 4, 5].map((i) => put(i, { 'x-amz-acl': 'bucket-owner-full-control' })),
      ...[6, 7].map((i) => put(i, { 'x-amz-grant-read': 'id="abc"' })),
      ...[8, 9, 10].map((i) => put(i, { 'x-amz-tagging': 'team=data' }, 'CreateMultipartUpload')),
      // A backslash: parsed.
      put(11, { 'x-amz-tagging': 'team=d\\ata' }),
      // Empty or listed (re-exported logs) headers: the text path reads them as the parsed path does.
      ...[12, 13].map((i) => put(i, { 'x-amz-acl': '' })),
      ...[14, 15].map((i) => put(i, { 'x-amz-grant-full-control': ['id="abc"'] })),
    ]);
    expect(rows).toEqual([
      `s3:PutObject ${obj} allowed 16`,
      `s3:PutObjectAcl ${obj} allowed 7`,
      `s3:PutObjectTagging ${obj} allowed 4`,
    ]);
  });

  test('SQS calls on legacy and VPC endpoint queue URLs count on the queue in its region, on every path', async () => {
    const send = (i: number, queueUrl: string) => appEvent(i, 'sqs.amazonaws.com', 'SendMessage', { queueUrl, messageBody: 'x' });
    const rows = await readRows([
      ...[0, 1, 2].map((i) => send(i, 'https://sqs.us-east-1.amazonaws.com/111122223333/jobs')),
      ...[3, 4].map((i) => send(i, 'https://queue.amazonaws.com/111122223333/jobs')),
      ...[5, 6].map((i) => send(i, 'https://eu-west-1.queue.amazonaws.com/111122223333/jobs')),
      ...[7, 8].map((i) => send(i, 'https://vpce-0abc-defg.sqs.eu-west-1.vpce.amazonaws.com/111122223333/jobs')),
      // A backslash: parsed.
      { ...send(9, 'https://vpce-0abc-defg.sqs.eu-west-1.vpce.amazonaws.com/111122223333/jobs'), userAgent: 'a \\ b' },
      ...[10, 11].map((i) => send(i, 'http://localhost:9324/111122223333/jobs')),
    ]);
    expect(rows).toEqual([
      'sqs:SendMessage (?) allowed 2',
      'sqs:SendMessage arn:aws:sqs:eu-west-1:111122223333:jobs allowed 5',
      'sqs:SendMessage arn:aws:sqs:us-east-1:111122223333:jobs allowed 5',
    ]);
  });

  test('denials keep the policy type their message names: one record per type, on every path', async () => {
    const pre = 'User: arn:aws:sts::111122223333:assumed-role/app/s is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders';
    const get = (i: number, errorMessage?: string) =>
      appEvent(i, 'dynamodb.amazonaws.com', 'GetItem', { tableName: 'orders' }, errorMessage === undefined ? {} : { errorCode: 'AccessDeniedException', errorMessage });
    const rows = await readRows([
      ...[0, 1, 2].map((i) => get(i)),
      ...[3, 4].map((i) => get(i, `${pre} because no identity-based policy allows the dynamodb:GetItem action`)),
      ...[5, 6, 7].map((i) => get(i, `${pre} with an explicit deny in a service control policy`)),
      get(8, `${pre} because no VPC endpoint policy allows the dynamodb:GetItem action`),
      get(9, pre),
    ]);
    const table = 'arn:aws:dynamodb:us-east-1:111122223333:table/orders';
    expect(rows).toEqual([
      `dynamodb:GetItem ${table} allowed 3`,
      `dynamodb:GetItem ${table} denied 1`,
      `dynamodb:GetItem ${table} denied/identity 2`,
      `dynamodb:GetItem ${table} denied/scp-explicit 3`,
      `dynamodb:GetItem ${table} denied/vpce 1`,
    ]);
  });

  test('reads a folder of .json.gz and JSON lines; skips the digest file and says so; dedupes', async () => {
    const notes: string[] = [];
    const problems: string[] = [];
    const s = await readLocalLogs([GOOD], { onNote: (m) => notes.push(m), onProblem: (m) => problems.push(m) });
    expect(problems).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/CloudTrail-Digest.*digest file.*skipped/);
    expect(s.sources).toHaveLength(1);
    expect(s.sources[0]).toMatchObject({ id: `file:${GOOD}`, kind: 'file', status: 'ran', events: 26, objects: 2, errors: [], accounts: ['111122223333'], regions: ['us-east-1'] });
    expect(s.sources[0].bytes).toBeGreaterThan(0);
    expect(s.complete).toBe(true);
    // 20 + 6 records, one delivered twice.
    expect(s.duplicateEvents).toBe(1);
    expect(s.totalEvents).toBe(25);
    expect(s.permissionless).toBe(2);
    expect(s.badRecords).toBe(0);
    expect(s.unmapped).toEqual([{ eventSource: 'madeup.amazonaws.com', eventName: 'DoThing', count: 1 }]);
    expect(s.window).toEqual({ start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T12:00:00.000Z' });
  });

  test('a source folds after its pool is closed (workers released first); closing twice is harmless', async () => {
    const ctx = makeContext();
    const run = await readLocalSource(GOOD, ctx);
    await ctx.close();
    await ctx.close();
    const s = run.fold().summary([run.report]);
    expect(s.totalEvents).toBe(25);
    expect(s.duplicateEvents).toBe(1);
  });

  test('an event delivered by two trails counts once, also when the dedupe spills to disk and splits', async () => {
    // An organization trail's folder and an account trail's folder holding copies of two of its three objects.
    const org = join(tmp, 'org');
    const acct = join(tmp, 'account');
    const spill = join(tmp, 'spill');
    for (const d of [org, acct, spill]) mkdirSync(d);
    let copied = 0;
    for (let i = 0; i < 3; i++) {
      const o = trailObject(40 + i, ACCOUNTS[i], 'us-east-1', Date.UTC(2024, 4, 1, i), 400);
      writeFileSync(join(org, o.name), gzipSync(o.json));
      if (i > 0) {
        writeFileSync(join(acct, o.name), gzipSync(o.json));
        copied += 400;
      }
    }
    const inMemory = await readLocalLogs([org, acct], { workers: 0 });
    const spilled = await readLocalLogs([org, acct], { workers: 0, ledger: { dir: spill, partitions: 4, bufferRecords: 16, maxInMemory: 64 } });
    expect(spilled.duplicateEvents).toBe(copied);
    expect(spilled.totalEvents + spilled.badRecords).toBe(1200);
    expect(spilled).toEqual(inMemory);
    expect(readdirSync(spill)).toEqual([]); // the spill folder is removed once settled
  });

  test('aggregates counts with first/last seen per (principal, action, resource, outcome)', async () => {
    const s = await readLocalLogs([GZ]);
    const head = s.records.filter((r) => r.action === 's3:GetObject' && r.principal.endsWith('role/service/app-worker'));
    // Two HeadObjects and CopyObject's read of its source: one record; CopyObject (10:00, first by name) names it.
    expect(head).toEqual([
      expect.objectContaining({
        resource: 'arn:aws:s3:::app-data/reports/2024/a.csv',
        count: 3,
        firstSeen: '2024-05-01T10:00:00.000Z',
        lastSeen: '2024-05-01T12:00:00.000Z',
        outcome: 'allowed',
        eventName: 'CopyObject',
        account: '111122223333',
        principalType: 'AssumedRole',
        context: {},
      }),
    ]);
    const denied = s.records.filter((r) => r.outcome === 'denied').map((r) => [r.principal, r.action, r.errorCode]);
    expect(denied).toEqual([
      ['arn:aws:iam::111122223333:user/alice', 'ec2:RunInstances', 'Client.UnauthorizedOperation'],
      ['arn:aws:iam::111122223333:user/alice', 'iam:DeleteRole', 'AccessDenied'],
    ]);
    const reencrypt = s.records.filter((r) => r.eventName === 'ReEncrypt').map((r) => [r.action, r.resource]);
    expect(reencrypt).toEqual([
      ['kms:ReEncryptFrom', 'arn:aws:kms:us-east-1:111122223333:key/1111aaaa-1111-1111-1111-111111111111'],
      ['kms:ReEncryptTo', 'arn:aws:kms:us-east-1:111122223333:key/2222aaaa-2222-2222-2222-222222222222'],
    ]);
    // No resource known -> no resource field (not "*").
    expect(s.records.find((r) => r.action === 'cloudwatch:PutMetricData')).not.toHaveProperty('resource');
  });

  test('context keys split records only when the policies use them', async () => {
    const without = await readLocalLogs([GZ]);
    const withKeys = await readLocalLogs([GZ], { contextKeys: ['aws:SourceVpce', 'aws:securetransport'] });
    const pick = (s: typeof without) => s.records.filter((r) => r.action === 's3:GetObject' && r.principal.endsWith('app-worker'));
    expect(pick(without)).toHaveLength(1);
    const split = pick(withKeys);
    expect(split.map((r) => [r.count, r.context])).toEqual([
      [1, {}], // CopyObject's read: no VPC endpoint, no TLS details (no context sorts first)
      [2, { 'aws:securetransport': 'true', 'aws:sourcevpce': 'vpce-0a1b2c3d' }],
    ]);
  });

  test('since/until filter by event time', async () => {
    const s = await readLocalLogs([GZ], { since: new Date('2024-05-01T11:30:00Z') });
    expect(s.totalEvents).toBe(1);
    expect(s.records.map((r) => r.eventName)).toEqual(['HeadObject']);
    expect(s.window.start).toBe('2024-05-01T11:30:00.000Z');
  });

  test('the same input read twice is deduped by eventID across files', async () => {
    copyFileSync(GZ, join(tmp, 'a.json.gz'));
    copyFileSync(GZ, join(tmp, 'b.json.gz'));
    const s = await readLocalLogs([tmp]);
    expect(s.duplicateEvents).toBe(20);
    expect(s.totalEvents).toBe(20);
    expect(s.sources[0].objects).toBe(2);
  });

  test('a record that is not an event, a scalar and an invalid object are reported with index; the rest goes on', async () => {
    const problems: string[] = [];
    const s = await readLocalLogs([join(BAD, 'not-events.json')], { onProblem: (m) => problems.push(m) });
    expect(s.sources[0].status).toBe('partial');
    expect(s.complete).toBe(false);
    expect(problems).toEqual([
      expect.stringMatching(/not-events\.json: record 1 \(line 1\): not a JSON object/),
      expect.stringMatching(/not-events\.json: record has no eventSource\/eventName/),
      expect.stringMatching(/not-events\.json: record 3 \(line 1\): invalid JSON/),
    ]);
    expect(s.badRecords).toBe(1);
    expect(s.records.map((r) => r.action).sort()).toEqual(['s3:PutBucketCORS', 's3:PutReplicationConfiguration']);
    expect(s.sources[0].errors).toEqual(problems);
  });

  test('truncated JSON keeps the complete records and names the file', async () => {
    const problems: string[] = [];
    const s = await readLocalLogs([join(BAD, 'truncated.json')], { onProblem: (m) => problems.push(m) });
    expect(s.sources[0].status).toBe('partial');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/truncated\.json: truncated JSON: record 2 starting at line 1 never ends/);
    expect(s.totalEvents).toBe(2);
  });

  test('a corrupt JSON line is reported by line number; other lines are read', async () => {
    const problems: string[] = [];
    const s = await readLocalLogs([join(BAD, 'bad-line.jsonl')], { onProblem: (m) => problems.push(m) });
    expect(problems).toEqual([expect.stringMatching(/bad-line\.jsonl: line 2: invalid JSON/)]);
    expect(s.records.map((r) => r.action).sort()).toEqual(['cloudwatch:PutMetricData', 'dynamodb:GetItem']);
  });

  test('a corrupt .gz is reported; records before the damage are kept; other files still read', async () => {
    const problems: string[] = [];
    const s = await readLocalLogs([join(BAD, 'corrupt.json.gz'), GZ], { onProblem: (m) => problems.push(m) });
    expect(problems).toEqual([expect.stringMatching(/corrupt\.json\.gz: corrupt gzip/)]);
    expect(s.sources.map((x) => x.status)).toEqual(['partial', 'ran']);
    const fromCorrupt = s.records.filter((r) => r.resource?.includes(':table/T'));
    expect(fromCorrupt.length).toBeGreaterThan(0);
    expect(fromCorrupt.length).toBeLessThan(200);
  });

  test('a gzip file that is not gzip at all is reported', async () => {
    writeFileSync(join(tmp, 'x.json.gz'), 'not gzip');
    const problems: string[] = [];
    const s = await readLocalLogs([tmp], { onProblem: (m) => problems.push(m) });
    expect(problems).toEqual([expect.stringMatching(/x\.json\.gz: corrupt gzip/)]);
    expect(s.sources[0].status).toBe('partial');
  });

  test('symlinks out of the root are refused; symlinks inside are followed once', async () => {
    const root = join(tmp, 'root');
    const outside = join(tmp, 'outside');
    mkdirSync(join(root, 'sub'), { recursive: true });
    mkdirSync(outside);
    copyFileSync(GZ, join(outside, 'secret.json.gz'));
    copyFileSync(join(GOOD, 'events.jsonl'), join(root, 'sub', 'events.jsonl'));
    symlinkSync(join(outside, 'secret.json.gz'), join(root, 'link-out.json.gz'));
    symlinkSync(outside, join(root, 'dir-out'));
    symlinkSync(join(root, 'sub'), join(root, 'again'));
    symlinkSync(root, join(root, 'sub', 'loop'));
    const problems: string[] = [];
    const s = await readLocalLogs([root], { onProblem: (m) => problems.push(m) });
    expect(problems.sort()).toEqual([
      expect.stringMatching(/dir-out: symlink points outside/),
      expect.stringMatching(/link-out\.json\.gz: symlink points outside/),
    ]);
    expect(s.sources[0]).toMatchObject({ status: 'partial', objects: 1, events: 6 });
  });

  test('a missing path fails its source without throwing', async () => {
    const s = await readLocalLogs([join(tmp, 'nope'), GZ]);
    expect(s.sources.map((x) => x.status)).toEqual(['failed', 'ran']);
    expect(s.sources[0].errors[0]).toMatch(/nope: cannot read/);
    expect(s.complete).toBe(false);
  });

  test('top-level arrays, pretty-printed objects, and plain .json Records files are read', async () => {
    const ev = {
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/bob', accountId: '111122223333' },
      eventTime: '2024-05-02T00:00:00Z',
      eventSource: 'sqs.amazonaws.com',
      eventName: 'SendMessageBatch',
      awsRegion: 'eu-west-1',
      requestParameters: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/jobs' },
    };
    writeFileSync(join(tmp, 'array.json'), JSON.stringify([{ ...ev, eventID: 'a' }, { ...ev, eventID: 'b' }], null, 2));
    writeFileSync(join(tmp, 'pretty.json'), `${JSON.stringify({ ...ev, eventID: 'c' }, null, 2)}\n${JSON.stringify({ ...ev, eventID: 'd' }, null, 2)}`);
    writeFileSync(join(tmp, 'records.json'), JSON.stringify({ Records: [{ ...ev, eventID: 'e' }] }, null, 2));
    writeFileSync(join(tmp, 'records-later.jsonl'), JSON.stringify({ other: 1, Records: [{ ...ev, eventID: 'f' }] }) + '\n');
    writeFileSync(join(tmp, 'empty.json'), '');
    const problems: string[] = [];
    const s = await readLocalLogs([tmp], { onProblem: (m) => problems.push(m) });
    expect(problems).toEqual([]);
    expect(s.records).toEqual([
      expect.objectContaining({ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:111122223333:jobs', count: 6, principal: 'arn:aws:iam::111122223333:user/bob' }),
    ]);
  });

  test('strings with braces, escaped quotes and multi-byte characters across chunk borders', async () => {
    const ev = (i: number) => ({
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/bob', accountId: '111122223333' },
      eventTime: '2024-05-02T00:00:00Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventID: `id-${i}`,
      requestParameters: { bucketName: 'b', key: `k{[\\"]}\u00e9\u{1F600}"${'x'.repeat(i * 211)}\\` },
    });
    const records = Array.from({ length: 300 }, (_, i) => ev(i));
    writeFileSync(join(tmp, 'big.json.gz'), gzipSync(JSON.stringify({ Records: records })));
    const problems: string[] = [];
    const s = await readLocalLogs([tmp], { onProblem: (m) => problems.push(m) });
    expect(problems).toEqual([]);
    expect(s.totalEvents).toBe(300);
    expect(s.records).toHaveLength(300);
    expect(s.records.map((r) => r.resource).sort()).toEqual(records.map((r) => `arn:aws:s3:::b/${r.requestParameters.key}`).sort());
  });
});
