// Pure parts of the CloudTrail sources: source specs, the S3 layout and window, retries, the aggregate SQL and its
// rows, the Lake results-bucket policy check, Athena partition pruning and CSV; S3 errors through aws-sdk-client-mock.
import { GetBucketPolicyCommand, GetBucketRequestPaymentCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { UsageAggregator } from '../../src/usage/aggregator.js';
import { spawnSync } from 'node:child_process';
import { addRows, aggregateQuery, boundContextValues, DENIED_BY, eventFromRow, NOT_AUTHORIZED } from '../../src/usage/sources/aggregate-sql.js';
import { mapEvent } from '../../src/usage/map-event.js';
import { parseCsv, partitionFilter } from '../../src/usage/sources/athena.js';
import { makeContext } from '../../src/usage/sources/common.js';
import { parseSourceArg, specsFromConfig } from '../../src/usage/sources/index.js';
import { checkResultsBucket, judgeResultsPolicy } from '../../src/usage/sources/results-bucket.js';
import { isRetryable, withRetry } from '../../src/usage/sources/retry.js';
import { layoutOf, parseS3Uri, readS3Source, s3ErrorMessage } from '../../src/usage/sources/s3.js';
import { deliveryTime, mayHoldWindow, periodPrefixes } from '../../src/usage/sources/window.js';

const EDS = 'arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';

describe('source specs', () => {
  test('one string per source: paths, s3 with options, lookup-events, Lake ARNs, athena', () => {
    expect(parseSourceArg('logs/')).toEqual({ kind: 'file', path: 'logs/' });
    expect(parseSourceArg('s3://trail-bucket/org?accounts=111122223333,444455556666&regions=us-east-1&organization=o-abcdefghij')).toEqual({
      kind: 's3',
      uri: 's3://trail-bucket/org',
      accounts: ['111122223333', '444455556666'],
      regions: ['us-east-1'],
      organization: 'o-abcdefghij',
    });
    expect(parseSourceArg('s3://trail-bucket', { accounts: ['111122223333'], regions: ['eu-west-1'] })).toMatchObject({ accounts: ['111122223333'], regions: ['eu-west-1'] });
    expect(parseSourceArg('lookup-events')).toEqual({ kind: 'lookup-events', regions: undefined });
    expect(parseSourceArg('lookup-events:us-east-1,eu-west-1')).toEqual({ kind: 'lookup-events', regions: ['us-east-1', 'eu-west-1'] });
    expect(parseSourceArg(`${EDS}?results-bucket=s3://lake-results/q`)).toEqual({ kind: 'lake', eventDataStore: EDS, resultsBucket: 's3://lake-results/q' });
    expect(parseSourceArg(`lake:${EDS}`)).toMatchObject({ kind: 'lake', eventDataStore: EDS });
    expect(parseSourceArg('athena:AwsDataCatalog.security.cloudtrail_logs?workgroup=gate&output-location=s3://athena-out/')).toEqual({
      kind: 'athena',
      catalog: 'AwsDataCatalog',
      database: 'security',
      table: 'cloudtrail_logs',
      workgroup: 'gate',
      outputLocation: 's3://athena-out/',
    });
    expect(parseSourceArg('athena:cloudtrail_logs')).toMatchObject({ table: 'cloudtrail_logs', database: undefined });
  });

  test('bad values say what is wrong', () => {
    expect(parseSourceArg('s3://trail-bucket?acounts=1')).toEqual({ error: 's3://trail-bucket?acounts=1: unknown option "acounts" (known: accounts, regions, organization)' });
    expect(parseSourceArg('s3://trail-bucket?accounts=123')).toEqual({ error: 's3://trail-bucket?accounts=123: account "123" is not 12 digits' });
    expect(parseSourceArg('arn:aws:cloudtrail:us-east-1:111122223333:trail/x')).toEqual({ error: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/x: not an event data store ARN' });
    expect(parseSourceArg('athena:db.t; DROP TABLE x')).toHaveProperty('error');
    expect(parseSourceArg('athena:db.t?output-location=/tmp')).toEqual({ error: 'athena:db.t?output-location=/tmp: output-location must be an s3:// URI' });
  });

  test('config sources map one to one', () => {
    expect(
      specsFromConfig([
        { path: 'logs' },
        { s3: 's3://b/p', accounts: ['111122223333'], regions: ['us-east-1'], organization: 'o-abcdefghij' },
        { 'lookup-events': true },
        { 'lookup-events': { regions: ['eu-west-1'] } },
        { lake: EDS, 'results-bucket': 'r' },
        { athena: { table: 't', database: 'd', workgroup: 'w', 'output-location': 's3://o/', catalog: 'c' } },
      ]),
    ).toEqual([
      { kind: 'file', path: 'logs' },
      { kind: 's3', uri: 's3://b/p', accounts: ['111122223333'], regions: ['us-east-1'], organization: 'o-abcdefghij' },
      { kind: 'lookup-events', regions: undefined },
      { kind: 'lookup-events', regions: ['eu-west-1'] },
      { kind: 'lake', eventDataStore: EDS, resultsBucket: 'r' },
      { kind: 'athena', table: 't', database: 'd', workgroup: 'w', outputLocation: 's3://o/', catalog: 'c' },
    ]);
  });
});

describe('S3 layout and window', () => {
  test('URIs and prefixes that already go into AWSLogs/', () => {
    expect(parseS3Uri('s3://b')).toEqual({ bucket: 'b', prefix: '' });
    expect(parseS3Uri('s3://b/logs')).toEqual({ bucket: 'b', prefix: 'logs/' });
    expect(layoutOf('logs/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/')).toEqual({ base: 'logs/', org: 'o-abcdefghij', account: '111122223333', region: 'eu-west-1' });
    expect(layoutOf('AWSLogs/111122223333/')).toEqual({ base: '', account: '111122223333' });
  });

  test('day folders, whole months as one listing, the day after for late deliveries, nothing in the future', () => {
    expect(periodPrefixes(new Date('2024-04-29T10:00:00Z'), new Date('2024-06-02T00:00:00Z'), new Date('2024-07-01T00:00:00Z'))).toEqual([
      '2024/04/29/',
      '2024/04/30/',
      '2024/05/',
      '2024/06/01/',
      '2024/06/02/',
      '2024/06/03/',
    ]);
    expect(periodPrefixes(new Date('2024-05-01T00:00:00Z'), undefined, new Date('2024-05-02T08:00:00Z'))).toEqual(['2024/05/01/', '2024/05/02/']);
  });

  test('delivery time in the object name prunes objects outside the window', () => {
    const key = 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1005Z_Abc123.json.gz';
    expect(deliveryTime(key)).toBe(Date.UTC(2024, 4, 1, 10, 5));
    expect(mayHoldWindow(key, new Date('2024-05-01T11:00:00Z'), undefined)).toBe(false);
    expect(mayHoldWindow(key, new Date('2024-05-01T10:00:00Z'), new Date('2024-05-01T09:00:00Z'))).toBe(true); // late delivery
    expect(mayHoldWindow(key, new Date('2024-04-01T00:00:00Z'), new Date('2024-04-30T00:00:00Z'))).toBe(false);
    expect(mayHoldWindow('odd-name.json.gz', new Date('2030-01-01T00:00:00Z'), undefined)).toBe(true);
  });
});

describe('retry', () => {
  test('throttling and 5xx are retried with growing, jittered waits; other errors are not', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        if (++calls < 4) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
        return 'ok';
      },
      { sleep: async (ms) => void waits.push(ms), random: () => 1, baseDelayMs: 100 },
    );
    expect(result).toBe('ok');
    expect(waits).toEqual([100, 200, 400]);
    await expect(withRetry(async () => Promise.reject(Object.assign(new Error('no'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })), { sleep: async () => {} })).rejects.toThrow('no');
    expect(isRetryable({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetryable({ code: 'ECONNRESET' })).toBe(true);
  });
});

describe('aggregate SQL', () => {
  const since = new Date('2024-05-01T00:00:00Z');
  const until = new Date('2024-05-31T23:59:59Z');

  test('Lake: grouped in the Lake by principal, action, error and resource; counts and first/last seen; window in eventTime', () => {
    const { sql, uncarried } = aggregateQuery({ dialect: 'lake', from: 'EXAMPLE-eds', since, until, contextKeys: ['aws:SourceIp', 'aws:PrincipalArn', 'aws:CalledVia'] });
    expect(sql).toContain('FROM EXAMPLE-eds');
    expect(sql).toContain("eventTime >= '2024-05-01 00:00:00'");
    expect(sql).toContain("eventTime <= '2024-05-31 23:59:59'");
    expect(sql).toContain('userIdentity.sessionContext.sessionIssuer.arn AS ui_issuer');
    expect(sql).toContain("element_at(requestParameters, 'bucketName') AS rp_bucketname");
    expect(sql).toContain('sourceIPAddress AS ctx_sourceip');
    expect(sql).toMatch(/count\(\*\) AS event_count,\n {2}min\(eventTime\) AS first_seen,\n {2}max\(eventTime\) AS last_seen/);
    expect(sql).toMatch(/GROUP BY 1, 2, 3, .*, 25\n {2}\) AS g\n\) AS ranked\nGROUP BY 1, 2, .*, 25$/);
    // The condition-key column is bounded: 1,000 values per group of the other columns, the rest unknown.
    expect(sql).toContain('dense_rank() OVER (PARTITION BY ui_type, ui_arn, ui_account, ui_issuer, ui_invokedby, ui_provider, event_source,');
    expect(sql).toContain('ORDER BY ctx_sourceip NULLS LAST) AS r_ctx_sourceip');
    expect(sql).toContain('CASE WHEN r_ctx_sourceip <= 1000 THEN ctx_sourceip END AS ctx_sourceip');
    expect(sql).toContain('sum(CASE WHEN (ctx_sourceip IS NOT NULL AND r_ctx_sourceip > 1000) THEN event_count ELSE 0 END) AS values_not_kept');
    expect(sql).not.toMatch(/'key'/); // object keys would make it O(objects)
    // ... and so would the first resource of an S3 data event, which is its object.
    expect(sql).toContain(`CASE WHEN element_at(resources, 1).type LIKE 'AWS::S3%::Object' THEN NULL ELSE element_at(resources, 1).arn END AS resource_arn`);
    expect(sql).not.toMatch(/^\s*element_at\(resources, 1\)\.arn AS/m);
    expect(uncarried).toEqual(['aws:calledvia']);
  });

  test('condition-key values are bounded per group in the query (run in SQLite: the wrapper is plain SQL)', () => {
    const inner = 'SELECT * FROM agg';
    const sql = boundContextValues(inner, ['ui_issuer', 'event_name'], ['ctx_sourceip', 'rp_prefix'], 3);
    const rows = [
      // A role calling from six addresses, 2 events each, and 5 events with no address.
      ...[1, 2, 3, 4, 5, 6].map((i) => ({ ui_issuer: 'role/app', event_name: 'GetObject', ctx_sourceip: `10.0.0.${i}`, rp_prefix: null, event_count: 2, first_seen: `2024-05-0${i} 10:00:00.000`, last_seen: `2024-05-1${i} 10:00:00.000` })),
      { ui_issuer: 'role/app', event_name: 'GetObject', ctx_sourceip: null, rp_prefix: null, event_count: 5, first_seen: '2024-05-07 10:00:00.000', last_seen: '2024-05-08 10:00:00.000' },
      // Listing four prefixes from one address.
      ...[1, 2, 3, 4].map((i) => ({ ui_issuer: 'role/app', event_name: 'ListBucket', ctx_sourceip: '192.0.2.1', rp_prefix: `p${i}/`, event_count: 1, first_seen: '2024-05-01 10:00:00.000', last_seen: '2024-05-02 10:00:00.000' })),
    ];
    const script = [
      'import json, sqlite3, sys',
      'd = json.load(sys.stdin)',
      'db = sqlite3.connect(":memory:")',
      'cols = list(d["rows"][0].keys())',
      'db.execute("CREATE TABLE agg (%s)" % ", ".join(cols))',
      'db.executemany("INSERT INTO agg VALUES (%s)" % ", ".join("?" * len(cols)), [[r[c] for c in cols] for r in d["rows"]])',
      'cur = db.execute(d["sql"])',
      'names = [c[0] for c in cur.description]',
      'print(json.dumps([dict(zip(names, r)) for r in cur.fetchall()]))',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify({ sql, rows }), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = (JSON.parse(run.stdout) as Record<string, unknown>[]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const get = (name: string) => out.filter((r) => r.event_name === name);
    // The first three addresses kept; the other three and the address-less events in one row, the address unknown.
    expect(get('GetObject').map((r) => [r.ctx_sourceip, r.event_count, r.values_not_kept])).toEqual([
      ['10.0.0.1', 2, 0],
      ['10.0.0.2', 2, 0],
      ['10.0.0.3', 2, 0],
      [null, 11, 6],
    ]);
    expect(get('GetObject').find((r) => r.ctx_sourceip === null)).toMatchObject({ first_seen: '2024-05-04 10:00:00.000', last_seen: '2024-05-16 10:00:00.000' });
    expect(get('ListBucket').map((r) => [r.ctx_sourceip, r.rp_prefix, r.event_count, r.values_not_kept])).toEqual([
      ['192.0.2.1', 'p1/', 1, 0],
      ['192.0.2.1', 'p2/', 1, 0],
      ['192.0.2.1', 'p3/', 1, 0],
      ['192.0.2.1', null, 1, 1],
    ]);
    // Rows back into usage: the counts whole, the folded events reported.
    const agg = new UsageAggregator({ contextKeys: ['aws:sourceip', 's3:prefix'] });
    const added = addRows(
      agg,
      out.map((r) => ({
        ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? undefined : String(v)])),
        ui_type: 'AssumedRole',
        ui_issuer: 'arn:aws:iam::111122223333:role/app',
        ui_account: '111122223333',
        event_source: 's3.amazonaws.com',
        rp_bucketname: 'b',
      })),
      ['aws:sourceip', 's3:prefix'],
      'q',
    );
    expect(added.events).toBe(21);
    expect(added.valuesNotKept).toBe(7);
    expect(added.bad).toEqual([]);
  });

  test('Athena: lower-case columns, JSON request parameters, distinct event ids, partition conditions', () => {
    const { sql } = aggregateQuery({ dialect: 'athena', from: '"AwsDataCatalog"."db"."ct"', since, until, contextKeys: [], where: [`"timestamp" BETWEEN '2024/05/01' AND '2024/05/31'`] });
    expect(sql).toContain("json_extract_scalar(requestparameters, '$.bucketName') AS rp_bucketname");
    expect(sql).toContain('count(DISTINCT eventid) AS event_count');
    expect(sql).toContain("eventtime >= '2024-05-01T00:00:00Z'");
    expect(sql).toContain(`AND "timestamp" BETWEEN '2024/05/01' AND '2024/05/31'`);
  });

  const row = (over: Record<string, string>) => ({ event_count: '3', first_seen: '2024-05-01 10:00:00.000', last_seen: '2024-05-03 08:00:00.000', region: 'us-east-1', recipient_account: '111122223333', ...over });

  test('rows become usage records for every kind of principal', () => {
    const agg = new UsageAggregator();
    const out = addRows(
      agg,
      [
        row({ ui_type: 'AssumedRole', ui_issuer: 'arn:aws:iam::111122223333:role/app', ui_account: '111122223333', event_source: 's3.amazonaws.com', event_name: 'GetObject', rp_bucketname: 'b' }),
        // sessionIssuer missing: the query cut the session off; the role is recovered.
        row({ ui_type: 'AssumedRole', ui_arn: 'arn:aws:sts::111122223333:assumed-role/etl', ui_account: '111122223333', event_source: 's3.amazonaws.com', event_name: 'ListObjects', rp_bucketname: 'b' }),
        row({ ui_type: 'IAMUser', ui_arn: 'arn:aws:iam::111122223333:user/alice', ui_account: '111122223333', event_source: 'iam.amazonaws.com', event_name: 'DeleteRole', error_code: 'AccessDenied', error_message: 'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:DeleteRole on resource: arn:aws:iam::111122223333:role/x because no identity-based policy allows the iam:DeleteRole action' }),
        row({ ui_type: 'AWSService', ui_invokedby: 'lambda.amazonaws.com', event_source: 'kms.amazonaws.com', event_name: 'Decrypt', resource_arn: 'arn:aws:kms:us-east-1:111122223333:key/k' }),
        row({ ui_type: 'Root', ui_arn: 'arn:aws:iam::111122223333:root', ui_account: '111122223333', event_source: 'sts.amazonaws.com', event_name: 'GetCallerIdentity' }),
        row({ ui_type: 'AWSAccount', ui_account: '444455556666', event_source: 's3.amazonaws.com', event_name: 'GetBucketAcl', rp_bucketname: 'b' }),
        row({ ui_type: 'WebIdentityUser', ui_provider: 'token.actions.githubusercontent.com', event_source: 'sts.amazonaws.com', event_name: 'AssumeRoleWithWebIdentity', resource_arn: 'arn:aws:iam::111122223333:role/gha' }),
        row({ ui_type: 'IAMUser', ui_arn: 'arn:aws:iam::111122223333:user/bob', event_source: 'madeup.amazonaws.com', event_name: 'DoThing' }),
        row({ ui_type: 'AssumedRole', event_source: 's3.amazonaws.com', event_name: 'GetObject' }),
      ],
      [],
      'lake:x query q',
    );
    const s = agg.summary();
    const by = (p: string) => s.records.filter((r) => r.principal === p).map((r) => [r.action, r.resource ?? null, r.outcome, r.count, r.firstSeen, r.lastSeen]);
    expect(by('arn:aws:iam::111122223333:role/app')).toEqual([['s3:GetObject', null, 'allowed', 3, '2024-05-01T10:00:00.000Z', '2024-05-03T08:00:00.000Z']]);
    // An object call without its key (the query does not group by key) still names its bucket.
    expect(s.records.find((r) => r.principal === 'arn:aws:iam::111122223333:role/app')?.bucket).toBe('arn:aws:s3:::b');
    expect(s.records.find((r) => r.principal === 'arn:aws:iam::111122223333:role/etl')?.bucket).toBeUndefined();
    expect(by('arn:aws:iam::111122223333:role/etl')).toEqual([['s3:ListBucket', 'arn:aws:s3:::b', 'allowed', 3, expect.any(String), expect.any(String)]]);
    expect(by('arn:aws:iam::111122223333:user/alice')).toEqual([['iam:DeleteRole', 'arn:aws:iam::111122223333:role/x', 'denied', 3, expect.any(String), expect.any(String)]]);
    expect(by('lambda.amazonaws.com')).toEqual([['kms:Decrypt', 'arn:aws:kms:us-east-1:111122223333:key/k', 'allowed', 3, expect.any(String), expect.any(String)]]);
    expect(by('arn:aws:iam::444455556666:root')).toEqual([['s3:GetBucketAcl', 'arn:aws:s3:::b', 'allowed', 3, expect.any(String), expect.any(String)]]);
    expect(by('token.actions.githubusercontent.com')).toEqual([['sts:AssumeRoleWithWebIdentity', 'arn:aws:iam::111122223333:role/gha', 'allowed', 3, expect.any(String), expect.any(String)]]);
    expect(s.permissionless).toBe(3);
    expect(s.unmapped).toEqual([{ eventSource: 'madeup.amazonaws.com', eventName: 'DoThing', count: 3 }]);
    expect(s.badRecords).toBe(3);
    expect(out.bad).toEqual([expect.stringMatching(/^lake:x query q: row 9 \(3 events\): s3\.amazonaws\.com GetObject: userIdentity missing or without an identifiable principal/)]);
    expect(out.events).toBe(27);
  });

  test("a denial's message is grouped by what the mapping reads of it, not by the caller's session", () => {
    // The query's regexp_extract, run here by JavaScript's engine (the pattern uses only syntax Trino's shares).
    const extract = (m: string) => new RegExp(NOT_AUTHORIZED).exec(m)?.[0];
    const table = 'arn:aws:dynamodb:us-east-1:111122223333:table/orders';
    const cases: Array<[string, string]> = [
      ['AccessDeniedException', `User: arn:aws:sts::111122223333:assumed-role/app/i-0abc123 is not authorized to perform: dynamodb:GetItem on resource: ${table} because no identity-based policy allows the dynamodb:GetItem action`],
      ['AccessDeniedException', `User: arn:aws:sts::111122223333:assumed-role/app/ecs-task-9f8e is not authorized to perform: dynamodb:GetItem on resource: ${table} with an explicit deny in a service control policy`],
      ['AccessDenied', 'User: arn:aws:sts::111122223333:assumed-role/app/s1 is not authorized to perform: iam:DeleteRole on resource: role x because no identity-based policy allows the iam:DeleteRole action'],
      ['AccessDeniedException', 'User: arn:aws:sts::111122223333:assumed-role/app/s2 is not authorized to perform: kms:Decrypt on the resource associated with this ciphertext because the resource does not exist in this Region'],
      ['Client.UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: abc'],
      ['AccessDenied', 'Access Denied'],
      // Not a denial code, but the message says it is one (the mapping reads both).
      ['ForbiddenException', 'User: arn:aws:sts::111122223333:assumed-role/app/s3 is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:111122223333:abc/prod/GET/x'],
    ];
    const ui = { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/app/s', accountId: '111122223333', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/app' } } };
    const deniedBy = (m: string) => new RegExp(DENIED_BY).exec(m)?.[0];
    const pick = (m: ReturnType<typeof mapEvent>) => ('targets' in m ? { targets: m.targets, outcome: m.outcome, deniedBy: m.deniedBy } : m);
    for (const [code, message] of cases) {
      const ev = { eventSource: 'dynamodb.amazonaws.com', eventName: 'GetItem', eventTime: '2024-05-01T10:00:00Z', awsRegion: 'us-east-1', errorCode: code, errorMessage: message, userIdentity: ui, requestParameters: { tableName: 'orders' } };
      const columns = { error_message: extract(message), denied_by: deniedBy(message) };
      const fromRow = eventFromRow(row({ ui_type: 'AssumedRole', ui_issuer: 'arn:aws:iam::111122223333:role/app', ui_account: '111122223333', event_source: 'dynamodb.amazonaws.com', event_name: 'GetItem', error_code: code, ...(columns as Record<string, string>), rp_tablename: 'orders' }));
      expect(pick(mapEvent(fromRow))).toEqual(pick(mapEvent(ev)));
    }
    // Two sessions' denials of one call by one policy type are one row; the policy type is a column of its own.
    expect(extract(cases[0][1])).toBe(extract(cases[1][1]));
    expect(extract(cases[0][1])).toBe(`is not authorized to perform: dynamodb:GetItem on resource: ${table}`);
    expect(deniedBy(cases[0][1])).toBe('because no identity-based policy allows');
    expect(deniedBy(cases[1][1])).toBe('with an explicit deny in a service control policy');
    expect(deniedBy('... due to an explicit deny in a Service Control Policy')).toBe('due to an explicit deny in a Service Control Policy');
    expect(pick(mapEvent(eventFromRow(row({ ui_type: 'AssumedRole', ui_issuer: 'arn:aws:iam::111122223333:role/app', ui_account: '111122223333', event_source: 'dynamodb.amazonaws.com', event_name: 'GetItem', error_code: 'AccessDeniedException', denied_by: deniedBy(cases[1][1]) as string, rp_tablename: 'orders' }))))).toMatchObject({ outcome: 'denied', deniedBy: 'scp-explicit' });
    expect(pick(mapEvent(eventFromRow(row({ ui_type: 'AssumedRole', ui_issuer: 'arn:aws:iam::111122223333:role/app', ui_account: '111122223333', event_source: 'dynamodb.amazonaws.com', event_name: 'GetItem', error_code: 'ForbiddenException', error_message: extract(cases[6][1]) as string }))))).toMatchObject({ outcome: 'denied', targets: [{ action: 'execute-api:Invoke' }] });
  });

  test('a query on an index comes back on the index ARN (indexName is a column)', () => {
    const { sql } = aggregateQuery({ dialect: 'athena', from: 'x', since, contextKeys: [] });
    expect(sql).toContain("json_extract_scalar(requestparameters, '$.indexName') AS rp_indexname");
    const agg = new UsageAggregator();
    const ui = { ui_type: 'AssumedRole', ui_issuer: 'arn:aws:iam::111122223333:role/app', ui_account: '111122223333', event_source: 'dynamodb.amazonaws.com', event_name: 'Query', rp_tablename: 'orders' };
    addRows(agg, [row(ui), row({ ...ui, rp_indexname: 'by-date' })], [], 'q');
    expect(agg.summary().records.map((r) => r.resource)).toEqual(['arn:aws:dynamodb:us-east-1:111122223333:table/orders', 'arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/by-date']);
  });

  test('PartiQL rows carry only the statement verb, which decides the action', () => {
    const { sql } = aggregateQuery({ dialect: 'lake', from: 'x', since, contextKeys: [] });
    expect(sql).toContain(`regexp_extract(element_at(requestParameters, 'statement'), '^\\s*([A-Za-z]+)', 1) AS rp_statement`);
    const agg = new UsageAggregator();
    addRows(agg, [row({ ui_type: 'IAMUser', ui_arn: 'arn:aws:iam::111122223333:user/bob', ui_account: '111122223333', event_source: 'dynamodb.amazonaws.com', event_name: 'ExecuteStatement', rp_statement: 'SELECT' })], [], 'q');
    expect(agg.summary().records.map((r) => r.action)).toEqual(['dynamodb:PartiQLSelect']);
  });

  test('a row whose count is not a number is named', () => {
    const out = addRows(new UsageAggregator(), [row({ event_count: 'x', ui_type: 'Root' })], [], 'athena:db.t query 1');
    expect(out.bad).toEqual(['athena:db.t query 1: row 1: event_count "x" is not a positive number']);
  });

  test('context columns come back as condition-key values', () => {
    const ev = eventFromRow(row({ ui_type: 'AssumedRole', ui_issuer: 'arn:aws:iam::1:role/r', ctx_sourceip: '203.0.113.9', ctx_mfa: 'true', event_source: 's3.amazonaws.com', event_name: 'GetObject' }));
    expect(ev).toMatchObject({ sourceIPAddress: '203.0.113.9', userIdentity: { sessionContext: { attributes: { mfaAuthenticated: 'true' } } } });
  });
});

describe('Lake results bucket policy', () => {
  const good = (condition: unknown = { StringEquals: { 'aws:SourceArn': EDS } }) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'LakeWrite', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: ['s3:PutObject*', 's3:Abort*'], Resource: ['arn:aws:s3:::results', 'arn:aws:s3:::results/*'], Condition: condition },
        { Sid: 'LakeAcl', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: 'arn:aws:s3:::results', Condition: condition },
      ],
    });

  test('the documented policy passes', () => {
    expect(judgeResultsPolicy(good(), 'results', 'q/', EDS)).toEqual({ problems: [], notes: [] });
    expect(judgeResultsPolicy(good({ ArnLike: { 'AWS:SourceArn': 'arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/*' } }), 'results', '', EDS).problems).toEqual([]);
  });

  test('another data store in aws:SourceArn: says which and which it should be', () => {
    const other = EDS.replace('EXAMPLE-f852', 'OTHER-0000');
    const r = judgeResultsPolicy(good({ StringEquals: { 'aws:SourceArn': other } }), 'results', 'q/', EDS);
    expect(r.problems).toEqual([
      `s3://results: the statements that allow cloudtrail.amazonaws.com s3:PutObject on arn:aws:s3:::results/q/* require aws:SourceArn ${other}, not this event data store (${EDS})`,
      `s3://results: the statements that allow cloudtrail.amazonaws.com s3:GetBucketAcl on arn:aws:s3:::results require aws:SourceArn ${other}, not this event data store (${EDS})`,
    ]);
  });

  test('no statement for the service, a deny, and no SourceArn at all', () => {
    const none = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 's3:*', Resource: '*' }] });
    expect(judgeResultsPolicy(none, 'results', '', EDS).problems).toEqual([
      `s3://results: no statement allows the service principal cloudtrail.amazonaws.com s3:PutObject on arn:aws:s3:::results/* (add it with the condition aws:SourceArn = ${EDS})`,
      `s3://results: no statement allows the service principal cloudtrail.amazonaws.com s3:GetBucketAcl on arn:aws:s3:::results (add it with the condition aws:SourceArn = ${EDS})`,
    ]);
    const denied = JSON.parse(good());
    denied.Statement.push({ Sid: 'NoWrites', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::results/*' });
    expect(judgeResultsPolicy(JSON.stringify(denied), 'results', '', EDS).problems).toEqual(['s3://results: statement "NoWrites" denies cloudtrail.amazonaws.com s3:PutObject on arn:aws:s3:::results/*']);
    const open = judgeResultsPolicy(good(null), 'results', '', EDS);
    expect(open.problems).toEqual([]);
    expect(open.notes[0]).toMatch(/statement "LakeWrite" allows cloudtrail\.amazonaws\.com s3:PutObject without an aws:SourceArn condition/);
  });
});

describe('Lake results bucket settings (aws-sdk-client-mock)', () => {
  test('Requester Pays and a missing policy are said exactly', async () => {
    const s3 = mockClient(S3Client);
    s3.on(GetBucketRequestPaymentCommand).resolves({ Payer: 'Requester' });
    s3.on(GetBucketPolicyCommand).rejects(Object.assign(new Error('The bucket policy does not exist'), { name: 'NoSuchBucketPolicy', $metadata: { httpStatusCode: 404 } }));
    const check = await checkResultsBucket(new S3Client({ region: 'eu-west-1' }), 'lake-results', EDS);
    expect(check.problems).toEqual([
      's3://lake-results: Requester Pays is on; CloudTrail cannot deliver query results to a Requester Pays bucket (turn it off or choose another bucket)',
      `s3://lake-results: the bucket has no policy; CloudTrail Lake needs one that allows cloudtrail.amazonaws.com s3:PutObject on arn:aws:s3:::lake-results/* and s3:GetBucketAcl on arn:aws:s3:::lake-results, with aws:SourceArn = ${EDS}`,
    ]);
    s3.restore();
  });
});

describe('Athena partitions and CSV', () => {
  const since = new Date('2024-05-01T00:00:00Z');
  const until = new Date('2024-05-31T00:00:00Z');

  test('partition projection on a date key (AWS example: "timestamp" yyyy/MM/dd)', () => {
    const meta = { PartitionKeys: [{ Name: 'timestamp', Type: 'string' }], Parameters: { 'projection.enabled': 'true', 'projection.timestamp.type': 'date', 'projection.timestamp.format': 'yyyy/MM/dd' } };
    expect(partitionFilter(meta, since, until)).toEqual({ where: [`"timestamp" BETWEEN '2024/05/01' AND '2024/05/31'`] });
  });

  test('region/year/month/day partitions, a date column, and none', () => {
    expect(partitionFilter({ PartitionKeys: [{ Name: 'region', Type: 'string' }, { Name: 'year', Type: 'string' }, { Name: 'month', Type: 'string' }, { Name: 'day', Type: 'string' }] }, since, until).where[0]).toBe(
      `concat(lpad(CAST("year" AS varchar), 4, '0'), '/', lpad(CAST("month" AS varchar), 2, '0'), '/', lpad(CAST("day" AS varchar), 2, '0')) BETWEEN '2024/05/01' AND '2024/05/31'`,
    );
    expect(partitionFilter({ PartitionKeys: [{ Name: 'dt', Type: 'date' }] }, since, until).where).toEqual([`"dt" BETWEEN DATE '2024-05-01' AND DATE '2024-05-31'`]);
    expect(partitionFilter({ PartitionKeys: [] }, since, until)).toEqual({ where: [], note: expect.stringMatching(/no partitions: .*scans the whole table/) });
  });

  test('CSV as Athena writes it', () => {
    expect(parseCsv('"a","b"\n"1","x, ""y"""\n"2",""\n')).toEqual([
      { a: '1', b: 'x, "y"' },
      { a: '2', b: '' },
    ]);
  });
});

describe('S3 source errors (aws-sdk-client-mock)', () => {
  const since = new Date('2024-05-01T00:00:00Z');
  const now = new Date('2024-05-02T00:00:00Z');

  test('an access-denied bucket fails the source with the bucket and the permission it needs', async () => {
    const s3 = mockClient(S3Client);
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const ctx = makeContext({ since });
    const run = await readS3Source({ uri: 's3://locked-trail' }, ctx, { client: new S3Client({ region: 'us-east-1' }), now });
    await ctx.close();
    expect(run.report.status).toBe('failed');
    expect(run.report.errors).toEqual([
      's3://locked-trail/AWSLogs/: access denied (AccessDenied: Access Denied (HTTP 403)); the role needs s3:ListBucket on the bucket and s3:GetObject on its objects (and kms:Decrypt when the trail is KMS-encrypted)',
    ]);
    s3.restore();
  });

  test('a wrong region names the bucket region to use', () => {
    const e = Object.assign(new Error('moved'), { name: 'PermanentRedirect', $metadata: { httpStatusCode: 301 }, $response: { headers: { 'x-amz-bucket-region': 'eu-central-1' } } });
    expect(s3ErrorMessage(e, 's3://trail/AWSLogs/', 'us-east-1')).toBe('s3://trail/AWSLogs/: the bucket is in region eu-central-1, not us-east-1; set AWS_REGION=eu-central-1 (or the source\'s region) and run again');
  });

  test('an object that cannot be fetched is named; the others are read; throttled listings are retried', async () => {
    const s3 = mockClient(S3Client);
    const base = 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/';
    let listCalls = 0;
    s3.on(ListObjectsV2Command, { Prefix: 'AWSLogs/', Delimiter: '/' }).resolves({ CommonPrefixes: [{ Prefix: 'AWSLogs/111122223333/' }] });
    s3.on(ListObjectsV2Command, { Prefix: 'AWSLogs/111122223333/CloudTrail/', Delimiter: '/' }).resolves({ CommonPrefixes: [{ Prefix: 'AWSLogs/111122223333/CloudTrail/us-east-1/' }] });
    s3.on(ListObjectsV2Command, { Prefix: base }).callsFake(() => {
      if (++listCalls === 1) throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
      return { Contents: [{ Key: `${base}111122223333_CloudTrail_us-east-1_20240501T0105Z_a.json.gz`, Size: 10 }, { Key: `${base}111122223333_CloudTrail_us-east-1_20240501T0110Z_b.json.gz`, Size: 10 }] };
    });
    s3.on(ListObjectsV2Command, { Prefix: 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02/' }).resolves({ KeyCount: 0 });
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const ctx = makeContext({ since });
    const run = await readS3Source({ uri: 's3://trail' }, ctx, { client: new S3Client({ region: 'us-east-1' }), now, retry: { sleep: async () => {} } });
    await ctx.close();
    expect(listCalls).toBe(2);
    expect(run.report.status).toBe('partial');
    expect(run.report.errors).toHaveLength(2);
    expect(run.report.errors[0]).toMatch(/^s3:\/\/trail\/AWSLogs\/111122223333\/CloudTrail\/us-east-1\/2024\/05\/01\/111122223333_CloudTrail_us-east-1_20240501T01\d\dZ_[ab]\.json\.gz: access denied/);
    s3.restore();
  });
});
