// cloudtrail.scope: subjects. The reader maps only records whose text names something in scope; what every
// consumer reads (records of the subjects and of the data resources they grant) must be the same as without it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ACCOUNTS, trailObject } from '../../bench/cloudtrail-gen.js';
import { parseConfig } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/types.js';
import type { PolicyDocument, SubjectPolicies, UsageRecord } from '../../src/model.js';
import { readLocalLogs } from '../../src/usage/read-local.js';
import { dataResourceNames, MAX_SCOPE_NAMES, readerScope, subjectName, usageScope } from '../../src/usage/scope.js';
import { runCheck } from '../../src/run.js';
import { checksLine } from '../../src/report/diff-md-sections.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'usage-scope-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const KEYS = ['aws:sourceip', 'aws:securetransport'];

/** A CloudTrail record of `role` in account 111122223333 (CloudTrail's field order: eventVersion first). */
function event(i: number, role: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:s',
      arn: `arn:aws:sts::111122223333:assumed-role/${role}/s`,
      accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: `arn:aws:iam::111122223333:role/${role}`, accountId: '111122223333', userName: role } },
    },
    eventTime: '2024-05-01T10:00:00Z',
    eventSource: 'sqs.amazonaws.com',
    eventName: 'ListQueues',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.1',
    requestParameters: null,
    responseElements: null,
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    ...extra,
  };
}

/** Writes records as CloudTrail writes an object: `{"Records":[...]}`, no whitespace, gzip. */
function writeObject(name: string, recordTexts: string[]): string {
  const file = join(tmp, name);
  writeFileSync(file, gzipSync(`{"Records":[${recordTexts.join(',')}]}`));
  return file;
}

const callsOf = (records: UsageRecord[], role: string) =>
  records.filter((r) => r.principal === `arn:aws:iam::111122223333:role/${role}`).reduce((n, r) => n + r.count, 0);

describe('the reader with a scope', () => {
  test('maps the records that name something in scope, counts the others as read, and says how many', async () => {
    const texts = Array.from({ length: 30 }, (_, i) => JSON.stringify(event(i, i % 2 ? 'other-role' : 'app-worker')));
    const file = writeObject('a.json.gz', texts);
    const all = await readLocalLogs([file], { workers: 0, contextKeys: KEYS });
    const scoped = await readLocalLogs([file], { workers: 0, contextKeys: KEYS, scope: ['app-worker'] });
    expect(all.totalEvents).toBe(30);
    expect(all.sources[0].skipped).toBeUndefined();
    expect(all.scope).toBeUndefined();
    expect(scoped.totalEvents).toBe(15);
    expect(scoped.sources[0]).toMatchObject({ events: 30, skipped: 15, status: 'ran', accounts: ['111122223333'], regions: ['us-east-1'] });
    expect(scoped.scope).toEqual(['app-worker']);
    expect(callsOf(scoped.records, 'app-worker')).toBe(15);
    expect(callsOf(scoped.records, 'other-role')).toBe(0);
    expect(scoped.records).toEqual(all.records.filter((r) => r.principal.endsWith('role/app-worker')));
  });

  test('names are found literally, also with characters that are special in a regular expression (IAM allows +=,.@-)', async () => {
    const roles = ['svc+ops=1', 'a.b@c', 'plain'];
    const texts = Array.from({ length: 30 }, (_, i) => JSON.stringify(event(i, roles[i % 3])));
    const file = writeObject('special.json.gz', texts);
    const scoped = await readLocalLogs([file], { workers: 0, contextKeys: KEYS, scope: ['svc+ops=1', 'a.b@c'] });
    expect(callsOf(scoped.records, 'svc+ops=1')).toBe(10);
    expect(callsOf(scoped.records, 'a.b@c')).toBe(10);
    expect(scoped.sources[0].skipped).toBe(10);
    // 'a.b@c' must not match 'aXb@c' as a pattern would.
    const near = await readLocalLogs([writeObject('near.json.gz', [JSON.stringify(event(0, 'aXb@c'))])], { workers: 0, contextKeys: KEYS, scope: ['a.b@c'] });
    expect(near.sources[0].skipped).toBe(1);
  });

  test('a record that spells a name with a JSON escape is still mapped (any backslash maps the record)', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => JSON.stringify(event(i, 'other-role')));
    // app-worker's call, every occurrence of its name written as app\u002dworker: no byte sequence "app-worker".
    texts[4] = JSON.stringify(event(4, 'app-worker')).replaceAll('app-worker', 'app\\u002dworker');
    expect(texts[4]).not.toContain('app-worker');
    const scoped = await readLocalLogs([writeObject('esc.json.gz', texts)], { workers: 0, contextKeys: KEYS, scope: ['app-worker'] });
    expect(callsOf(scoped.records, 'app-worker')).toBe(1);
    expect(scoped.sources[0].skipped).toBe(9);
  });

  test('a record separator nested in a record does not blur the scope: the scan tells records apart', async () => {
    const texts = Array.from({ length: 8 }, (_, i) => JSON.stringify(event(i, i === 5 ? 'app-worker' : 'other-role')));
    // An array of objects whose first key is eventVersion, inside requestParameters: "},{"eventVersion":" appears
    // within a record, so separators alone would not tell records apart (they cut the object into chunks only).
    texts[3] = JSON.stringify(event(3, 'other-role', { requestParameters: { items: [{ eventVersion: 'x' }, { eventVersion: 'y' }, { eventVersion: 'z' }] } }));
    expect(texts[3]).toContain('},{"eventVersion":');
    const file = writeObject('nested.json.gz', texts);
    const all = await readLocalLogs([file], { workers: 0, contextKeys: KEYS });
    const scoped = await readLocalLogs([file], { workers: 0, contextKeys: KEYS, scope: ['app-worker'] });
    expect(all.totalEvents).toBe(8);
    expect(scoped.sources[0].skipped).toBe(7);
    expect(scoped.totalEvents).toBe(1);
    expect(scoped.records).toEqual(all.records.filter((r) => r.principal.includes('app-worker')));
  });

  test('an empty scope maps nothing from CloudTrail objects; other layouts (JSON lines) are mapped in full', async () => {
    const texts = Array.from({ length: 5 }, (_, i) => JSON.stringify(event(i, 'app-worker')));
    const gz = writeObject('b.json.gz', texts);
    const lines = join(tmp, 'c.jsonl');
    writeFileSync(lines, Array.from({ length: 3 }, (_, i) => JSON.stringify(event(100 + i, 'app-worker'))).join('\n'));
    const s = await readLocalLogs([gz, lines], { workers: 0, contextKeys: KEYS, scope: [] });
    expect(s.sources[0]).toMatchObject({ events: 5, skipped: 5 });
    expect(s.sources[1].skipped).toBeUndefined();
    expect(s.totalEvents).toBe(3);
  });

  test('on realistic logs the records of the subjects and of their data resources are exactly those of a full read', async () => {
    for (let i = 0; i < 3; i++) {
      const o = trailObject(70 + i, ACCOUNTS[i], 'us-east-1', Date.UTC(2024, 4, 1, i), 1500);
      writeFileSync(join(tmp, o.name), gzipSync(o.json));
    }
    const all = await readLocalLogs([tmp], { workers: 0, contextKeys: KEYS });
    const scoped = await readLocalLogs([tmp], { workers: 0, contextKeys: KEYS, scope: ['app-worker', 'app-data', 'bob'] });
    const relevant = (r: UsageRecord) => /:role\/app-worker$|:user\/bob$/.test(r.principal) || (r.resource ?? '').startsWith('arn:aws:s3:::app-data');
    const want = all.records.filter(relevant);
    expect(want.length).toBeGreaterThan(100);
    expect(scoped.records.filter(relevant)).toEqual(want);
    expect(scoped.sources[0].events).toBe(4500);
    expect(scoped.sources[0].skipped).toBeGreaterThan(1500);
    expect(scoped.totalEvents + scoped.sources[0].skipped! + scoped.duplicateEvents).toBe(all.totalEvents + all.duplicateEvents);
    expect(scoped.sources[0].accounts).toEqual(all.sources[0].accounts);
  });
});

const doc = (statements: Array<{ effect: 'Allow' | 'Deny'; resources: string[] }>): PolicyDocument =>
  ({
    id: 'p.json',
    file: 'p.json',
    pointer: '',
    kind: 'identity',
    statements: statements.map((s, index) => ({
      index,
      effect: s.effect,
      actions: [{ value: '*', loc: { file: 'p.json', line: 1, column: 1 } }],
      resources: s.resources.map((value) => ({ value, loc: { file: 'p.json', line: 1, column: 1 } })),
      conditions: [],
      loc: { file: 'p.json', line: 1, column: 1 },
    })),
    loc: { file: 'p.json', line: 1, column: 1 },
  }) as unknown as PolicyDocument;

const subject = (type: SubjectPolicies['subject']['type'], arn: string | undefined, docs: PolicyDocument[] = []): SubjectPolicies => ({
  subject: { type, arn, id: arn ?? 'file' },
  base: [],
  head: docs,
  files: [],
});

describe('usageScope', () => {
  test('names subjects as their records carry them: role and user without path, bucket, a resource ARN\'s last part', () => {
    expect(subjectName('role', 'arn:aws:iam::123456789012:role/service-role/app-worker')).toBe('app-worker');
    expect(subjectName('user', 'arn:aws:iam::123456789012:user/bob')).toBe('bob');
    expect(subjectName('bucket', 'arn:aws:s3:::acme-reports')).toBe('acme-reports');
    expect(subjectName('resource', 'arn:aws:sqs:us-east-1:123456789012:orders')).toBe('orders');
    expect(subjectName('role', 'arn:aws:iam::123456789012:role/app-*')).toBeUndefined();
    expect(subjectName('role', 'not-an-arn')).toBeUndefined();
    // A CloudFormation name left unresolved: the records carry the real name, which is not known.
    expect(subjectName('role', 'arn:aws:iam::123456789012:role/{StackName}-worker')).toBeUndefined();
  });

  test('adds the data resources that Allow statements name without a wildcard; groups and unbound files add no name', () => {
    const d = doc([
      { effect: 'Allow', resources: ['arn:aws:s3:::acme-reports/*', 'arn:aws:lambda:us-east-1:123456789012:function:resize:live', 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/x'] },
      { effect: 'Allow', resources: ['arn:aws:sqs:us-east-1:123456789012:events', 'arn:aws:sns:us-east-1:123456789012:alerts', 'arn:aws:s3:::logs-*', '*', 'arn:aws:iam::123456789012:role/x'] },
      { effect: 'Deny', resources: ['arn:aws:s3:::secret-bucket'] },
    ]);
    expect(dataResourceNames(d)).toEqual(['acme-reports', 'resize', 'orders', 'events', 'alerts']);
    const scope = usageScope([
      subject('role', 'arn:aws:iam::123456789012:role/app-worker', [d]),
      subject('group', 'arn:aws:iam::123456789012:group/devs'),
      subject('unbound', undefined),
    ]);
    expect(scope).toEqual(['acme-reports', 'alerts', 'app-worker', 'events', 'orders', 'resize']);
  });

  test('a subject whose name cannot be told, or more names than a search pays for, reads every record (and says why)', () => {
    expect(usageScope([subject('role', 'arn:aws:iam::123456789012:role/app-worker'), subject('role', 'arn:aws:iam::123456789012:role/*')])).toBeUndefined();
    expect(readerScope([subject('role', 'arn:aws:iam::123456789012:role/*')])).toEqual({ note: expect.stringMatching(/not known.*every log record is mapped/) });
    const many = Array.from({ length: MAX_SCOPE_NAMES + 1 }, (_, i) => subject('role', `arn:aws:iam::123456789012:role/r${i}`));
    expect(readerScope(many.slice(0, MAX_SCOPE_NAMES))).toEqual({ scope: expect.any(Array) });
    expect(readerScope(many)).toEqual({ note: expect.stringMatching(/1,?001 subjects and data resources \(more than 1,?000\): every log record is mapped/) });
    // A name with a quote or brace could straddle two records: not searched, every record is mapped.
    const odd = doc([{ effect: 'Allow', resources: ['arn:aws:sqs:us-east-1:123456789012:q"x'] }]);
    expect(usageScope([subject('role', 'arn:aws:iam::123456789012:role/app-worker', [odd])])).toBeUndefined();
  });
});

describe('cloudtrail.scope in the config and the gate', () => {
  test('defaults to subjects; all is accepted; anything else is a located error', () => {
    expect(defaultConfig().cloudtrail.scope).toBe('subjects');
    expect(parseConfig('cloudtrail:\n  scope: all\n', 'c.yml').cloudtrail.scope).toBe('all');
    expect(() => parseConfig('cloudtrail:\n  scope: some\n', 'c.yml')).toThrow(/c\.yml:2.*scope/s);
  });

  test('the demo gate, its logs plus another trail\'s: per subject the same replay, unused access and suggestion as a full read', async () => {
    // Another account's trail beside the demo's logs: its records name none of the demo's subjects.
    const noise = join(tmp, 'noise');
    mkdirSync(noise);
    const o = trailObject(90, ACCOUNTS[0], 'us-east-1', Date.parse('2026-11-20T00:00:00Z'), 2000);
    writeFileSync(join(noise, o.name), gzipSync(o.json));
    const opts = { base: 'fixtures/demo/base', head: 'fixtures/demo/head', cloudtrail: ['fixtures/demo/cloudtrail', noise], formats: [], now: new Date('2026-11-24T00:00:00Z'), workers: 0 };
    const scoped = await runCheck({ ...opts, outDir: join(tmp, 's') });
    const cfg = join(tmp, 'all.yml');
    writeFileSync(cfg, readFileSync('fixtures/demo/base/.iam-policy-gate.yml', 'utf8').replace('cloudtrail:\n', 'cloudtrail:\n  scope: all\n'));
    const all = await runCheck({ ...opts, config: cfg, outDir: join(tmp, 'a') });
    expect(scoped.report.usage?.scope).toEqual(expect.arrayContaining(['app-worker', 'acme-reports']));
    expect(all.report.usage?.scope).toBeUndefined();
    expect(scoped.report.usage?.sources[1].skipped).toBeGreaterThan(1000);
    expect(all.report.usage!.totalEvents).toBeGreaterThan(scoped.report.usage!.totalEvents);
    // What the reviewer reads: the totals are the subjects', and what was left unmapped is said.
    expect(scoped.report.checks.find((c) => c.id === 'cloudtrail')?.detail).toMatch(/events about the change's subjects \(\d+ other records read, not mapped\)/);
    expect(checksLine(scoped.report)).toMatch(/CloudTrail: 2 sources, [\d,]+ events about the change's subjects \([\d,]+ other records read, not mapped\)/);
    expect(checksLine(all.report)).not.toMatch(/about the change's subjects/);
    expect(checksLine(all.report)).not.toMatch(/keys were not kept/);
    // Events counted for their bucket only (a writer of too many distinct keys) are said too.
    const folded = { ...all.report, usage: { ...all.report.usage!, sources: all.report.usage!.sources.map((x, i) => (i === 0 ? { ...x, keysNotKept: 1234 } : x)) } };
    expect(checksLine(folded)).toMatch(/1,234 events on S3 objects whose keys were not kept \(over 1,000 per principal and action: counted for the bucket\)/);
    // The claims must be the same; what differs is what the logs showed of other resources: the data events listed
    // as seen, and how an "unknown" explains itself.
    const perSubject = (r: typeof scoped.report) =>
      JSON.stringify(r.subjects.map((s) => ({ id: s.subject.id, replay: s.replay, unused: s.unused && { ...s.unused, coverage: undefined }, suggestion: s.suggestion }))).replace(
        /"why":"[^"]*"/g,
        '"why":""',
      );
    const coverage = scoped.report.subjects.find((s) => s.unused)!.unused!.coverage;
    expect(coverage.trails.join(' ')).toMatch(/not mapped \(cloudtrail\.scope: subjects\)/);
    expect(coverage.dataEvents.find((d) => d.family === 's3-object')?.resources).toEqual(['acme-reports', 'app-data']);
    expect(perSubject(scoped.report)).toEqual(perSubject(all.report));
    expect(scoped.report.subjects.some((s) => s.replay && s.unused)).toBe(true);
    // The same verdict and findings (the config file's own path differs between the two runs).
    expect(scoped.report.verdict.status).toBe(all.report.verdict.status);
    const findings = (r: typeof scoped.report) => r.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).sort();
    expect(findings(scoped.report)).toEqual(findings(all.report));
  });
});
