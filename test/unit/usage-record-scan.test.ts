// The record scanner (record-scan.ts) against JSON.parse, and the processor's text path (recordText) against its
// object path (record): same validity, same values, same usage summary, on generated events and on every odd shape
// the mapping guards against.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { ACCOUNTS, prng, trailEvent, uuid } from '../../bench/cloudtrail-gen.js';
import { UsageAggregator } from '../../src/usage/aggregator.js';
import { BatchBuilder, EventProcessor } from '../../src/usage/event-batch.js';
import { EventLedger } from '../../src/usage/event-ledger.js';
import * as F from '../../src/usage/record-scan.js';
import { ScannedRecord, scanRecords } from '../../src/usage/record-scan.js';
import { SigRegistry, SourceTally } from '../../src/usage/tally.js';
import { closeBatch } from '../../src/usage/worker-entry.js';
import { isObj, SLOT_PATHS, valueAt } from '../support/record-slots.js';

type Obj = Record<string, unknown>;


/** Every record `scanRecords` visits, as what its slots say (parsed), with its text and escaped flag. */
function scanAll(text: string): { ok: boolean; records: { text: string; escaped: boolean; slots: Map<number, unknown> }[] } {
  const records: { text: string; escaped: boolean; slots: Map<number, unknown> }[] = [];
  const ok = scanRecords(text, new ScannedRecord(), (r) => {
    const slots = new Map<number, unknown>();
    for (const [slot] of SLOT_PATHS) if (r.has(slot)) slots.set(slot, r.parse(slot));
    records.push({ text: r.source(), escaped: r.escaped, slots });
  });
  return { ok, records };
}

function jsonArrayOfObjects(text: string): unknown[] | undefined {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) && v.every(isObj) ? v : undefined;
  } catch {
    return undefined;
  }
}

// ---------- random JSON ----------

const KEYS = [
  ...F.FIELD_NAMES, 'type', 'arn', 'accountId', 'sessionContext', 'sessionIssuer', 'invokedBy', 'identityProvider', 'bucketName', 'key', 'versionId', 'userAgent', 'x', 'eventVersion',
  'x-amz-acl', 'x-amz-grant-read', 'x-amz-tagging',
];
const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '/', '{', '}', '[', ']', ':', ',', 'é', '\u2028', '\n', '\u0001'];

function randomString(rand: () => number): string {
  let s = '';
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) s += CHARS[Math.floor(rand() * CHARS.length)];
  return s;
}

function randomValue(rand: () => number, depth: number): unknown {
  const k = rand();
  if (depth > 3 || k < 0.35) return randomString(rand);
  if (k < 0.45) return [true, false, null][Math.floor(rand() * 3)];
  if (k < 0.55) return [0, -1, 1.5, -2.5e-3, 1e21, 123456789][Math.floor(rand() * 6)];
  if (k < 0.7) return Array.from({ length: Math.floor(rand() * 3) }, () => randomValue(rand, depth + 1));
  return randomObject(rand, depth + 1);
}

function randomObject(rand: () => number, depth: number): Obj {
  const o: Obj = {};
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) o[KEYS[Math.floor(rand() * KEYS.length)]] = randomValue(rand, depth);
  return o;
}

/** An array of records as text: compact, pretty, with duplicate keys spliced in, sometimes with escapes in keys. */
function randomRecordsText(rand: () => number): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    let t = JSON.stringify(randomObject(rand, 0), null, rand() < 0.2 ? 1 : undefined);
    // A duplicate key before the record's own fields (JSON.parse keeps the last).
    if (rand() < 0.3 && t.length > 2) t = `{${JSON.stringify(KEYS[Math.floor(rand() * KEYS.length)])}:${JSON.stringify(randomValue(rand, 1))},${t.slice(1)}`;
    // A key spelt with an escape: the record must be taken as escaped.
    if (rand() < 0.1) t = t.replace('"eventName"', '"event\\u004eame"');
    parts.push(t);
  }
  return rand() < 0.2 ? `[ ${parts.join(' ,\n')} ]` : `[${parts.join(',')}]`;
}

describe('scanRecords against JSON.parse', () => {
  test('on 3,000 random arrays of records: every slot holds what JSON.parse gives at its path, and nothing else', () => {
    const rand = prng(11);
    let slotsSeen = 0;
    for (let i = 0; i < 3000; i++) {
      const text = randomRecordsText(rand);
      const parsed = jsonArrayOfObjects(text)!;
      expect(parsed).toBeDefined();
      const { ok, records } = scanAll(text);
      expect(ok).toBe(true);
      expect(records).toHaveLength(parsed.length);
      records.forEach((r, k) => {
        expect(JSON.parse(r.text)).toEqual(parsed[k]);
        expect(r.escaped).toBe(r.text.includes('\\'));
        if (r.escaped) return; // its slots are not read: the processor parses the record
        for (const [slot, path] of SLOT_PATHS) {
          const want = valueAt(parsed[k], path);
          expect({ slot, found: r.slots.has(slot) }).toEqual({ slot, found: want.found });
          if (want.found) {
            expect(r.slots.get(slot)).toEqual(want.value);
            slotsSeen++;
          }
        }
      });
    }
    expect(slotsSeen).toBeGreaterThan(2000);
  });

  test('on 20,000 one-character edits: the scan accepts exactly what JSON.parse accepts as an array of objects', () => {
    const rand = prng(12);
    const alphabet = ['{', '}', '[', ']', '"', ':', ',', '\\', 'a', '1', '-', '.', 'e', 't', 'n', ' ', 'u', '0'];
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = randomRecordsText(rand);
      const p = Math.floor(rand() * text.length);
      const c = alphabet[Math.floor(rand() * alphabet.length)];
      const k = rand();
      const edited = k < 0.33 ? text.slice(0, p) + text.slice(p + 1) : k < 0.66 ? text.slice(0, p) + c + text.slice(p) : text.slice(0, p) + c + text.slice(p + 1);
      // Raw control characters inside skipped strings are not looked for (record-scan.ts): leave them out here.
      if (/[\u0000-\u001f]/.test(edited.replace(/[ \n]/g, ''))) continue;
      const want = jsonArrayOfObjects(edited) !== undefined;
      if (!want) rejected++;
      expect({ edited, ok: scanAll(edited).ok }).toEqual({ edited, ok: want });
    }
    expect(rejected).toBeGreaterThan(5000);
  });

  test("the S3 ACL and tagging headers of requestParameters each have a slot (theirs only, the last duplicate's value)", () => {
    const headers = { 'x-amz-acl': 'private', 'x-amz-grant-full-control': 'id="f"', 'x-amz-grant-read': 'id="r"', 'x-amz-grant-read-acp': 'id="ra"', 'x-amz-grant-write-acp': 'id="wa"', 'x-amz-tagging': 'a=b' };
    const rp = { bucketName: 'b', ...headers, 'x-amz-grant-write': 'id="w"', 'x-amz-copy-source': 'src/k', nested: headers };
    // Duplicates before the last: JSON.parse keeps the last.
    const text = JSON.stringify([{ eventName: 'PutObject', requestParameters: rp, responseElements: headers }]).replace('"bucketName":"b"', '"bucketName":"b","x-amz-tagging":"first","x-amz-acl":""');
    const { ok, records } = scanAll(text);
    expect(ok).toBe(true);
    const slots = records[0].slots;
    expect([F.RP_ACL, F.RP_GRANT_FULL_CONTROL, F.RP_GRANT_READ, F.RP_GRANT_READ_ACP, F.RP_GRANT_WRITE_ACP, F.RP_TAGGING].map((s) => slots.get(s))).toEqual(Object.values(headers));
    // Not at the top level, nor in another object; a later requestParameters replaces them all.
    const other = scanAll(JSON.stringify([{ 'x-amz-acl': 'private', requestParameters: rp }]).replace(/}]$/, ',"requestParameters":{"key":"k"}}]'));
    expect(other.records[0].slots.has(F.RP_ACL)).toBe(false);
    expect(other.records[0].slots.get(F.RP_KEY)).toBe('k');
  });

  test('numbers, literals and whitespace as JSON has them; too deep a nesting is refused, not thrown', () => {
    const ok = (s: string) => scanRecords(s, new ScannedRecord(), () => {});
    expect(ok('[{"a":-0.5e+10,"b":[true,false,null],"c":{}}]')).toBe(true);
    expect(ok(' \t\n[ ]\r\n')).toBe(true);
    for (const bad of ['[{"a":01}]', '[{"a":.5}]', '[{"a":1.}]', '[{"a":tru}]', '[{"a":nul}]', '[{"a":+1}]', '[{"a":1},]', '[{"a" 1}]', '[{a:1}]', '[{"a":"\\x"}]', '[{"a":"\\u12g4"}]', '[1]', '[{}] x', '[{}', '{}']) {
      expect({ bad, ok: ok(bad) }).toEqual({ bad, ok: false });
    }
    expect(ok(`[{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}]`)).toBe(false);
  });
});

// ---------- the processor's two paths ----------

/** Records through one EventProcessor, by text (scanned: recordText) or parsed (record); the tallied summary. */
function summaryOf(texts: string[], contextKeys: string[], byText: boolean, opts: { since?: string; until?: string } = {}) {
  const proc = new EventProcessor({ contextKeys, ...opts });
  const registry = new SigRegistry();
  const tally = new SourceTally(new EventLedger());
  const scanned = new ScannedRecord();
  let problems: string[] = [];
  let folded = 0;
  let contextNotKept = 0;
  // Batches of 50, each a chunk, as the reader cuts them.
  for (let i = 0; i < texts.length; i += 50) {
    const b = new BatchBuilder(`batch ${i}`);
    const chunk = `[${texts.slice(i, i + 50).join(',')}]`;
    if (byText) expect(scanRecords(chunk, scanned, (r) => proc.recordText(r, b))).toBe(true);
    else for (const t of texts.slice(i, i + 50)) proc.record(JSON.parse(t) as Obj, b);
    const batch = closeBatch(proc, b);
    problems = problems.concat(batch.problems);
    folded += batch.folded;
    contextNotKept += batch.contextNotKept;
    registry.register(batch);
    tally.add(batch, registry);
  }
  return { summary: tally.into(new UsageAggregator({ contextKeys })).summary(), problems, folded, contextNotKept };
}

/** Odd shapes of each field the text path reads, applied to generated events. */
const EDITS: ((e: Obj) => void)[] = [
  (e) => (e.eventSource = 123),
  (e) => (e.eventSource = ''),
  (e) => delete e.eventName,
  (e) => (e.eventName = null),
  (e) => (e.eventType = 'AwsConsoleSignIn'),
  (e) => (e.eventType = 'AwsCloudTrailInsight'),
  (e) => (e.eventType = 5),
  (e) => delete e.eventTime,
  (e) => (e.eventTime = '2024-05-01 10:00:00'),
  (e) => (e.eventTime = 12345),
  (e) => {
    e['@timestamp'] = e.eventTime;
    delete e.eventTime;
  },
  (e) => (e.eventTime = '2024-13-01T10:00:00Z'),
  (e) => (e.errorCode = ''),
  (e) => {
    e.errorCode = 'AccessDenied';
    e.errorMessage = `User: x is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k`;
  },
  (e) => (e.errorCode = 'ThrottlingException'),
  (e) => (e.errorCode = 5),
  (e) => (e.errorCode = null),
  (e) => {
    e.errorCode = 'NoSuchKey';
    e.errorMessage = 7;
  },
  (e) => (e.awsRegion = ''),
  (e) => (e.awsRegion = 5),
  (e) => delete e.awsRegion,
  (e) => (e.awsRegion = 'cn-north-1'),
  (e) => (e.userIdentity = null),
  (e) => (e.userIdentity = []),
  (e) => (e.userIdentity = 'x'),
  (e) => (e.userIdentity = { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }),
  (e) => (e.userIdentity = { type: 'AWSService', invokedBy: 5 }),
  (e) => (e.userIdentity = { type: 'AWSAccount', accountId: '444455556666', principalId: 'AROAX:s' }),
  (e) => (e.userIdentity = { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/s', accountId: '111122223333' }),
  (e) => (e.userIdentity = { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/', accountId: '111122223333' }),
  (e) => (e.userIdentity = { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/s', accountId: '111122223333', sessionContext: { sessionIssuer: { arn: '' } } }),
  (e) => (e.userIdentity = { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/s', accountId: '111122223333', sessionContext: { sessionIssuer: { arn: 5 } } }),
  (e) => (e.userIdentity = { type: 'AssumedRole', accountId: '111122223333', sessionContext: [] }),
  (e) => (e.userIdentity = { type: 'AssumedRole', accountId: '111122223333', sessionContext: { sessionIssuer: 'x' } }),
  (e) => (e.userIdentity = { type: 'AssumedRole', accountId: '', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/r' } } }),
  (e) => (e.userIdentity = { type: 'AssumedRole', accountId: 5, arn: 'arn:aws-cn:sts::111122223333:assumed-role/r/s', sessionContext: { sessionIssuer: { arn: 'arn:aws-cn:iam::111122223333:role/r' } } }),
  (e) => (e.userIdentity = { type: 'IAMUser', accountId: '111122223333' }),
  (e) => (e.userIdentity = { type: 'IAMUser', accountId: '111122223333', arn: 'arn:aws-us-gov:iam::111122223333:user/u' }),
  (e) => (e.userIdentity = { type: 5, arn: 'arn:aws:iam::111122223333:user/u' }),
  (e) => (e.userIdentity = { type: 'SAMLUser', principalId: 'p', identityProvider: 'idp', accountId: '111122223333' }),
  (e) => (e.userIdentity = { type: 'WebIdentityUser', principalId: 'p', accountId: '111122223333' }),
  (e) => (e.userIdentity = { type: 'IdentityCenterUser', onBehalfOf: { userId: 'u-1' }, accountId: '111122223333' }),
  (e) => (e.userIdentity = { type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' }),
  (e) => (e.userIdentity = { type: 'FederatedUser', arn: 'arn:aws:sts::111122223333:federated-user/f', accountId: '111122223333' }),
  (e) => (e.userIdentity = { type: 'Odd', arn: 'arn:aws:iam::111122223333:user/odd' }),
  (e) => (e.requestParameters = null),
  (e) => (e.requestParameters = []),
  (e) => (e.requestParameters = 'x'),
  (e) => (e.requestParameters = { bucketName: 'a/b', key: 'k' }),
  (e) => (e.requestParameters = { bucketName: 'arn:aws:s3:::b', key: 'k' }),
  (e) => (e.requestParameters = { bucketName: 5, key: 'k' }),
  (e) => (e.requestParameters = { bucketName: 'b', key: 5 }),
  (e) => (e.requestParameters = { bucketName: 'b', key: '' }),
  (e) => (e.requestParameters = { bucketName: 'b' }),
  (e) => (e.requestParameters = { bucketName: 'b', key: 'ké/ü', prefix: 'p/' }),
  (e) => (e.resources = 'x'),
  (e) => (e.resources = []),
  (e) => (e.resources = [{ ARN: 'arn:aws:s3:::other/o', type: 'AWS::S3::Object' }]),
  (e) => (e.sourceIPAddress = 'ec2.amazonaws.com'),
  (e) => (e.sourceIPAddress = 5),
  (e) => (e.sourceIPAddress = ''),
  (e) => (e.sourceIPAddress = '2001:db8::1'),
  (e) => (e.tlsDetails = 'x'),
  (e) => (e.tlsDetails = []),
  (e) => (e.tlsDetails = {}),
  (e) => (e.tlsDetails = null),
  (e) => delete e.tlsDetails,
  (e) => (e.vpcEndpointId = 'vpce-0123'),
  (e) => (e.vpcEndpointId = 5),
  (e) => (e.eventID = 5),
  (e) => (e.eventID = ''),
  (e) => (e.eventID = 'not-a-uuid'),
  (e) => (e.sharedEventID = '11111111-2222-4333-a444-555555555555'),
  (e) => {
    e.eventSource = 's3.amazonaws.com';
    e.eventName = 'CopyObject';
    e.requestParameters = { bucketName: 'dst', key: 'd', copySource: 'src/s' };
  },
  (e) => {
    e.eventSource = 's3.amazonaws.com';
    e.eventName = 'UploadPartCopy';
    e.requestParameters = { bucketName: 'dst', key: 'd', copySource: 'src/s' };
  },
  (e) => {
    e.eventSource = 'sts.amazonaws.com';
    e.eventName = 'GetCallerIdentity';
  },
  (e) => {
    e.eventSource = 'madeup.amazonaws.com';
    e.eventName = 'DoThing';
  },
  (e) => {
    e.eventSource = 'dynamodb.amazonaws.com';
    e.eventName = 'ExecuteStatement';
    e.requestParameters = { statement: 'SELECT * FROM "t"' };
  },
  (e) => (e.responseElements = { deep: [[[{ a: [1, -2.5e3, true, null] }]]] }),
  // S3 writes with ACL and tagging headers (s3:PutObjectAcl, s3:PutObjectTagging), in every shape a header may take.
  ...[
    { 'x-amz-acl': 'bucket-owner-full-control' },
    { 'x-amz-acl': '' },
    { 'x-amz-acl': null },
    { 'x-amz-acl': ['private'] },
    { 'x-amz-acl': [] },
    { 'x-amz-acl': 5 },
    { 'x-amz-grant-read': 'id="a"', 'x-amz-acl': '' },
    { 'x-amz-grant-full-control': 'id="a"' },
    { 'x-amz-grant-read-acp': 'id="a"' },
    { 'x-amz-grant-write-acp': 'id="a"' },
    { 'x-amz-grant-write': 'id="a"' },
    { 'x-amz-tagging': 'a=b' },
    { 'x-amz-tagging': '' },
    { 'x-amz-tagging': { a: 'b' } },
    { 'x-amz-tagging': 'a=b', 'x-amz-grant-read': 'id="a"' },
    { 'X-Amz-Acl': 'private' },
  ].flatMap((headers): ((e: Obj) => void)[] =>
    ['PutObject', 'CreateMultipartUpload', 'CopyObject', 'UploadPart'].map((eventName) => (e: Obj) => {
      e.eventSource = 's3.amazonaws.com';
      e.eventName = eventName;
      e.requestParameters = { bucketName: 'b', key: 'k', ...(eventName === 'CopyObject' ? { 'x-amz-copy-source': 'src/s' } : {}), ...headers };
    }),
  ),
  (e) => {
    e.eventSource = 's3.amazonaws.com';
    e.eventName = 'PutBucketAcl';
    e.requestParameters = { bucketName: 'b', acl: '', 'x-amz-acl': 'private' };
  },
  // DynamoDB calls on an index; SQS queue URLs of every form.
  ...[
    { tableName: 'orders', indexName: 'by-date' },
    { tableName: 'orders', indexName: 'a/b' },
    { tableName: 'orders', indexName: null },
    { tableName: 'orders', indexName: 5 },
  ].flatMap((rp): ((e: Obj) => void)[] =>
    ['Query', 'Scan', 'GetItem'].map((eventName) => (e: Obj) => {
      e.eventSource = 'dynamodb.amazonaws.com';
      e.eventName = eventName;
      e.requestParameters = rp;
    }),
  ),
  ...[
    'https://queue.amazonaws.com/111122223333/q',
    'https://eu-west-1.queue.amazonaws.com/111122223333/q',
    'https://vpce-0abc-defg.sqs.eu-west-1.vpce.amazonaws.com/111122223333/q',
    'https://sqs.eu-west-1.amazonaws.com/111122223333/q.fifo',
    'http://localhost:9324/111122223333/q',
  ].map((queueUrl) => (e: Obj) => {
    e.eventSource = 'sqs.amazonaws.com';
    e.eventName = 'SendMessage';
    e.requestParameters = { queueUrl };
  }),
  // Denials naming the policy type that denied them.
  ...['because no identity-based policy allows the s3:GetObject action', 'with an explicit deny in a service control policy', 'because no VPC endpoint policy allows the s3:GetObject action'].map(
    (why) => (e: Obj) => {
      e.errorCode = 'AccessDenied';
      e.errorMessage = `User: x is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k ${why}`;
    },
  ),
];

/** Text-level edits: duplicate keys (the last wins), escapes, whitespace. */
const TEXT_EDITS: ((t: string, e: Obj) => string)[] = [
  (t) => `{"eventSource":"iam.amazonaws.com",${t.slice(1)}`,
  (t) => `{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/early","accountId":"111122223333"},${t.slice(1)}`,
  (t, e) => `${t.slice(0, -1)},"userIdentity":${JSON.stringify({ ...(e.userIdentity as Obj), sessionContext: 'gone' })}}`,
  (t, e) => (isObj(e.userIdentity) ? `${t.slice(0, -1)},"userIdentity":${JSON.stringify({ ...e.userIdentity, accountId: '444455556666' })}}` : t),
  (t) => `${t.slice(0, -1)},"requestParameters":"replaced"}`,
  (t) => `${t.slice(0, -1)},"requestParameters":{"bucketName":"late","key":"k2"}}`,
  (t) => `${t.slice(0, -1)},"awsRegion":"ap-southeast-2","recipientAccountId":"777788889999"}`,
  (t) => t.replace('"eventName":"', '"eventName":"\\u0047'),
  (t) => t.replace('"eventName"', '"event\\u004eame"'),
  (t) => `${t.slice(0, -1)},"userAgent":"a \\"quoted\\" agent"}`,
  (t, e) => JSON.stringify(e, null, 2),
  // Inside userIdentity: a later sessionContext that is not an object (no issuer then).
  // (Another role's session ARN: misread, the issuer of the first sessionContext would name a known principal.)
  (t, e) =>
    isObj(e.userIdentity)
      ? `${t.slice(0, -1)},"userIdentity":${JSON.stringify({ ...e.userIdentity, arn: 'arn:aws:sts::111122223333:assumed-role/other/s' }).slice(0, -1)},"sessionContext":"gone"}}`
      : t,
  (t, e) => (isObj(e.userIdentity) ? `${t.slice(0, -1)},"userIdentity":${JSON.stringify(e.userIdentity).slice(0, -1)},"sessionContext":{"sessionIssuer":null}}}` : t),
  // A later userIdentity without sessionContext replaces the first whole: its issuer is gone too.
  (t) => `${t.slice(0, -1)},"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/other/s","accountId":"111122223333"}}`,
];

function corpus(seed: number): string[] {
  const rand = prng(seed);
  const base = Array.from({ length: 600 }, (_, i) =>
    trailEvent(rand, ACCOUNTS[i % 3], i % 4 === 0 ? 'eu-west-1' : 'us-east-1', new Date(Date.UTC(2024, 4, 1) + i * 7_000).toISOString().replace('.000', '')),
  );
  const texts: string[] = [];
  base.forEach((e, i) => {
    texts.push(JSON.stringify(e));
    // The same event with one field changed, under an id of its own (else it would count as a duplicate): a text
    // path that misread that field would find the original's signature and count the copy as the original.
    const odd = structuredClone(e) as Obj;
    odd.eventID = uuid(rand);
    delete odd.sharedEventID;
    EDITS[i % EDITS.length](odd);
    const t = JSON.stringify(odd);
    texts.push(i % 3 === 0 ? TEXT_EDITS[(i / 3) % TEXT_EDITS.length](t, odd) : t);
  });
  // Everything twice: the second time, the text path meets actions, principals and signatures it knows.
  return [...texts, ...texts.map((t) => t)];
}

describe('recordText (the scanned record) gives what record (the parsed record) gives', () => {
  const texts = corpus(21);
  const keySets: [string, string[]][] = [
    ['no condition keys', []],
    ['the keys read from the text', ['aws:sourceip', 'aws:securetransport', 'aws:sourcevpce', 'aws:requestedregion', 'aws:principalarn', 'aws:principalaccount', 'aws:principaltype', 'aws:principalservicename']],
    ['keys that need the parsed record', ['aws:sourceip', 'aws:userid', 's3:prefix', 'aws:multifactorauthpresent']],
  ];
  for (const [name, keys] of keySets) {
    test(`${texts.length} events and odd shapes, ${name}`, () => {
      const slow = jest.spyOn(EventProcessor.prototype, 'record');
      const byText = summaryOf(texts, keys, true);
      const parsedCalls = slow.mock.calls.length;
      slow.mockRestore();
      const byObject = summaryOf(texts, keys, false);
      expect(byText.summary).toEqual(byObject.summary);
      expect(byText.problems).toEqual(byObject.problems);
      expect(byObject.summary.badRecords).toBeGreaterThan(0);
      expect(byObject.summary.permissionless).toBeGreaterThan(0);
      // The text path did the work for most records, except when a key needs the parsed record.
      if (name === 'keys that need the parsed record') expect(parsedCalls).toBe(texts.length);
      else expect(parsedCalls).toBeLessThan(texts.length * 0.6);
    });
  }

  test('past the limits (object keys, condition-key values) the text path folds as defineFast does', () => {
    // One role writing a new key with every call, from new addresses for a while, then from known ones: the keys fold
    // after MAX_OBJECT_KEYS, the addresses after MAX_CONTEXT_VALUES (both 1,000).
    const texts = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({
        eventVersion: '1.09',
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::111122223333:assumed-role/pipeline/s',
          accountId: '111122223333',
          sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/pipeline', accountId: '111122223333' } },
        },
        eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
        eventSource: 's3.amazonaws.com',
        eventName: 'PutObject',
        awsRegion: 'us-east-1',
        sourceIPAddress: i < 1500 ? `10.0.${i >> 8}.${i & 255}` : `10.0.0.${i % 7}`,
        requestParameters: { bucketName: 'lake', key: `raw/part-${i}.parquet` },
        eventID: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
        eventType: 'AwsApiCall',
        recipientAccountId: '111122223333',
        ...(i % 2 ? { tlsDetails: { tlsVersion: 'TLSv1.3' } } : {}),
      }),
    );
    const keys = ['aws:sourceip', 'aws:securetransport'];
    const slow = jest.spyOn(EventProcessor.prototype, 'record');
    const byText = summaryOf(texts, keys, true);
    const parsedCalls = slow.mock.calls.length;
    slow.mockRestore();
    const byObject = summaryOf(texts, keys, false);
    expect(byText).toEqual(byObject);
    expect(byText.folded).toBe(2000);
    expect(byText.contextNotKept).toBeGreaterThan(0);
    // Once folded signatures exist, later events are counted from their text.
    expect(parsedCalls).toBeLessThan(1500);
  });

  test('real records (../shared: Stratus Red Team detonations, Panther test events) give the same summary on both paths', () => {
    const shared = join(process.cwd(), '../shared/data');
    const stratus = join(shared, 'DataDog_stratus-red-team_detonation-logs/docs/detonation-logs');
    const records: unknown[] = readdirSync(stratus)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => JSON.parse(readFileSync(join(stratus, f), 'utf8')) as unknown[]);
    const panther = JSON.parse(readFileSync(join(shared, 'panther-labs_panther-analysis/cloudtrail_test_events_deduped.Records.json'), 'utf8')) as { Records: unknown[] };
    records.push(...panther.Records);
    // Records as CloudTrail writes them (compact), each twice: the second time the text path knows them.
    const texts = records.filter(isObj).map((r) => JSON.stringify(r));
    expect(texts.length).toBeGreaterThan(600);
    const all = [...texts, ...texts];
    for (const keys of [[], ['aws:sourceip', 'aws:securetransport', 'aws:sourcevpce', 'aws:principalarn']]) {
      const slow = jest.spyOn(EventProcessor.prototype, 'record');
      const byText = summaryOf(all, keys, true);
      const parsedCalls = slow.mock.calls.length;
      slow.mockRestore();
      expect(byText).toEqual(summaryOf(all, keys, false));
      expect(byText.summary.records.length).toBeGreaterThan(100);
      expect(parsedCalls).toBeLessThan(all.length * 0.75);
    }
  });

  test('S3 write headers, DynamoDB indexes and SQS URL forms: the text path answers as the parsed path, once it knows the call', () => {
    const event = (i: number, eventSource: string, eventName: string, rp: Obj) =>
      JSON.stringify({
        eventVersion: '1.09',
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/app/s', accountId: '111122223333', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app', accountId: '111122223333' } } },
        eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
        eventSource,
        eventName,
        awsRegion: 'us-east-1',
        sourceIPAddress: '10.0.0.1',
        requestParameters: rp,
        eventID: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
        eventType: 'AwsApiCall',
        recipientAccountId: '111122223333',
      });
    const shapes: [string, string, Obj][] = [
      ['s3.amazonaws.com', 'PutObject', { bucketName: 'b', key: 'k', 'x-amz-server-side-encryption': 'AES256' }],
      ['s3.amazonaws.com', 'PutObject', { bucketName: 'b', key: 'k', 'x-amz-server-side-encryption': 'AES256', 'x-amz-acl': 'bucket-owner-full-control' }],
      ['s3.amazonaws.com', 'PutObject', { bucketName: 'b', key: 'k', 'x-amz-grant-read-acp': 'id="a"', 'x-amz-tagging': 'a=b' }],
      ['s3.amazonaws.com', 'PutObject', { bucketName: 'b', key: 'k', 'x-amz-tagging': ['a=b'] }],
      ['s3.amazonaws.com', 'CreateMultipartUpload', { bucketName: 'b', key: 'k', 'x-amz-tagging': 'a=b' }],
      ['s3.amazonaws.com', 'CopyObject', { bucketName: 'b', key: 'k', 'x-amz-copy-source': 'src/s', 'x-amz-grant-full-control': 'id="a"' }],
      ['dynamodb.amazonaws.com', 'Query', { tableName: 'orders' }],
      ['dynamodb.amazonaws.com', 'Query', { tableName: 'orders', indexName: 'by-date' }],
      ['sqs.amazonaws.com', 'SendMessage', { queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/q' }],
      ['sqs.amazonaws.com', 'SendMessage', { queueUrl: 'https://eu-west-1.queue.amazonaws.com/111122223333/q' }],
    ];
    // Each shape 20 times, interleaved: after the first of each, the text path meets known calls.
    const texts = Array.from({ length: 20 * shapes.length }, (_, i) => event(i, ...shapes[i % shapes.length]));
    const slow = jest.spyOn(EventProcessor.prototype, 'record');
    const byText = summaryOf(texts, [], true);
    const parsedCalls = slow.mock.calls.length;
    slow.mockRestore();
    const byObject = summaryOf(texts, [], false);
    expect(byText).toEqual(byObject);
    expect(parsedCalls).toBeLessThan(texts.length / 2);
    const counts = Object.fromEntries(byText.summary.records.map((r) => [`${r.action} ${r.resource}`, r.count]));
    expect(counts).toEqual({
      's3:PutObject arn:aws:s3:::b/k': 120,
      's3:PutObjectAcl arn:aws:s3:::b/k': 60,
      's3:PutObjectTagging arn:aws:s3:::b/k': 60,
      's3:GetObject arn:aws:s3:::src/s': 20,
      'dynamodb:Query arn:aws:dynamodb:us-east-1:111122223333:table/orders': 20,
      'dynamodb:Query arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/by-date': 20,
      'sqs:SendMessage arn:aws:sqs:us-east-1:111122223333:q': 20,
      'sqs:SendMessage arn:aws:sqs:eu-west-1:111122223333:q': 20,
    });
  });

  test('a window: records outside it are read, not counted, on both paths', () => {
    const window = { since: '2024-05-01T00:20:00Z', until: '2024-05-01T00:40:00Z' };
    const byText = summaryOf(texts, [], true, window);
    const byObject = summaryOf(texts, [], false, window);
    expect(byText.summary).toEqual(byObject.summary);
    expect(byText.summary.totalEvents).toBeGreaterThan(0);
    expect(byText.summary.totalEvents).toBeLessThan(texts.length / 4);
  });
});
