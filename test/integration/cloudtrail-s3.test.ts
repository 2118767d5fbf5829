// The S3 source against a real S3 server (moto_server on a free loopback port) through the real SDK client.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { ACCOUNTS, trailObject } from '../../bench/cloudtrail-gen.js';
import { makeContext } from '../../src/usage/sources/common.js';
import { readS3Source } from '../../src/usage/sources/s3.js';
import { startMoto, type Moto } from '../support/moto.js';

let moto: Moto;
let s3: S3Client;
const BUCKET = 'org-trail';
const ORG = 'o-abcdefghij';
const DAY = Date.UTC(2024, 4, 1);

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

const put = (Key: string, Body: Uint8Array | string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
const folder = (account: string, region: string, day: number) => {
  const d = new Date(day);
  return `AWSLogs/${ORG}/${account}/CloudTrail/${region}/${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/`;
};

/** A realistic org trail: 2 accounts x 2 regions x 2 days in the window, one day outside, a digest, a corrupt object. */
async function seed(): Promise<{ inWindow: number; ids: Set<string>; duplicatedId: string }> {
  await moto.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const ids = new Set<string>();
  let seedNo = 1;
  let duplicatedId = '';
  for (const account of ACCOUNTS.slice(0, 2)) {
    for (const region of ['us-east-1', 'eu-west-1']) {
      for (const day of [DAY, DAY + 86_400_000]) {
        for (const hour of [1, 13]) {
          const o = trailObject(seedNo++, account, region, day + hour * 3_600_000, 40);
          o.eventIds.forEach((id) => ids.add(id));
          duplicatedId ||= o.eventIds[0];
          await put(folder(account, region, day) + o.name, gzipSync(o.json));
        }
      }
      // Outside the window (April): its folder is never listed.
      const old = trailObject(seedNo++, account, region, Date.UTC(2024, 3, 1, 5), 40);
      await put(folder(account, region, Date.UTC(2024, 3, 1)) + old.name, gzipSync(old.json));
    }
  }
  // The same object delivered twice (an account trail next to the org trail): every event is a duplicate.
  const again = trailObject(1, ACCOUNTS[0], 'us-east-1', DAY + 3_600_000, 40);
  await put(`AWSLogs/${ACCOUNTS[0]}/CloudTrail/us-east-1/2024/05/01/${again.name}`, gzipSync(again.json));
  await put(`${folder(ACCOUNTS[0], 'us-east-1', DAY)}${ACCOUNTS[0]}_CloudTrail-Digest_us-east-1_20240501T0105Z.json.gz`, gzipSync('{"digestStartTime":"x"}'));
  return { inWindow: ids.size, ids, duplicatedId };
}

const window = { since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-02T23:59:59Z') };
const now = new Date('2024-05-03T12:00:00Z');

describe('S3 trail bucket source (moto)', () => {
  test('reads an organization trail: only the window, every account and region, dedupes a second delivery, skips the digest', async () => {
    const { inWindow } = await seed();
    const notes: string[] = [];
    const ctx = makeContext({ ...window, onNote: (m) => notes.push(m) });
    try {
      const run = await readS3Source({ uri: `s3://${BUCKET}` }, ctx, { client: s3, now });
      const s = run.fold().summary([run.report]);
      expect(run.report).toMatchObject({
        id: `s3://${BUCKET}`,
        kind: 's3',
        status: 'ran',
        errors: [],
        accounts: [ACCOUNTS[0], ACCOUNTS[1]],
        regions: ['eu-west-1', 'us-east-1'],
        // 2 accounts x 2 regions x 2 days x 2 objects, plus the account trail's copy
        objects: 17,
      });
      expect(run.report.bytes).toBeGreaterThan(0);
      expect(s.totalEvents + s.badRecords).toBe(inWindow);
      expect(s.duplicateEvents).toBe(40);
      expect(notes).toEqual([expect.stringMatching(/CloudTrail-Digest.*digest file.*skipped/)]);
      expect(s.records.length).toBeGreaterThan(20);
      expect(s.records.some((r) => r.principal === `arn:aws:iam::${ACCOUNTS[0]}:role/app-worker`)).toBe(true);
    } finally {
      await ctx.close();
    }
  });

  test('accounts, regions and the organization narrow what is listed', async () => {
    await seed();
    const ctx = makeContext(window);
    try {
      const run = await readS3Source({ uri: `s3://${BUCKET}/`, organization: ORG, accounts: [ACCOUNTS[1]], regions: ['eu-west-1'] }, ctx, { client: s3, now });
      expect(run.report).toMatchObject({ status: 'ran', accounts: [ACCOUNTS[1]], regions: ['eu-west-1'], objects: 4 });
      expect(run.report.events).toBe(160);
    } finally {
      await ctx.close();
    }
  });

  test('a prefix that already names the account and region is honoured', async () => {
    await seed();
    const ctx = makeContext(window);
    try {
      const run = await readS3Source({ uri: `s3://${BUCKET}/AWSLogs/${ORG}/${ACCOUNTS[0]}/CloudTrail/us-east-1/` }, ctx, { client: s3, now });
      expect(run.report).toMatchObject({ status: 'ran', accounts: [ACCOUNTS[0]], regions: ['us-east-1'], objects: 4 });
    } finally {
      await ctx.close();
    }
  });

  test('a truncated .gz and a record that is not an event are named; nothing else is lost', async () => {
    await seed();
    const good = trailObject(99, ACCOUNTS[0], 'us-east-1', DAY + 20 * 3_600_000, 30);
    const gz = gzipSync(good.json);
    const cut = folder(ACCOUNTS[0], 'us-east-1', DAY) + '111122223333_CloudTrail_us-east-1_20240501T2005Z_TRUNCATED.json.gz';
    await put(cut, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const odd = folder(ACCOUNTS[1], 'us-east-1', DAY) + '444455556666_CloudTrail_us-east-1_20240501T2005Z_NOTEVENT.json.gz';
    await put(odd, gzipSync(JSON.stringify({ Records: [{ hello: 'world' }, 42] })));
    const problems: string[] = [];
    const ctx = makeContext({ ...window, onProblem: (m) => problems.push(m) });
    try {
      const run = await readS3Source({ uri: `s3://${BUCKET}` }, ctx, { client: s3, now });
      expect(run.report.status).toBe('partial');
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`s3://${BUCKET}/${cut}: corrupt gzip .*records before the damage were kept`)),
          expect.stringMatching(new RegExp(`${odd}: record has no eventSource/eventName`)),
          expect.stringMatching(new RegExp(`${odd}: record 1: not a JSON object`)),
        ]),
      );
      expect(problems).toHaveLength(3);
      // The other 17 objects were read in full.
      expect(run.report.objects).toBe(19);
      const s = run.fold().summary([run.report]);
      expect(s.totalEvents).toBeGreaterThanOrEqual(16 * 40);
    } finally {
      await ctx.close();
    }
  });

  test('an empty window is a clear problem that names what was listed', async () => {
    await seed();
    const ctx = makeContext({ since: new Date('2024-06-01T00:00:00Z'), until: new Date('2024-06-02T00:00:00Z') });
    try {
      const run = await readS3Source({ uri: `s3://${BUCKET}` }, ctx, { client: s3, now: new Date('2024-06-03T00:00:00Z') });
      expect(run.report.status).toBe('partial');
      expect(run.report.errors).toEqual([expect.stringMatching(/no log objects in the window 2024-06-01 to 2024-06-02 \(3 account folder\(s\), 2 region\(s\), 3 folder\(s\) each\)/)]);
    } finally {
      await ctx.close();
    }
  });

  test('a bucket that does not exist fails the source with its name', async () => {
    const ctx = makeContext(window);
    try {
      const run = await readS3Source({ uri: 's3://no-such-trail-bucket/logs' }, ctx, { client: s3, now });
      expect(run.report.status).toBe('failed');
      expect(run.report.errors).toEqual(['s3://no-such-trail-bucket/logs/AWSLogs/: the bucket does not exist']);
    } finally {
      await ctx.close();
    }
  });
});
