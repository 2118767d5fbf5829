// [hardening] Faults in every AWS call (CloudTrail S3 and LookupEvents sources, IAM Access Analyzer):
// throttling, 5xx, time-outs, resets, expired credentials, malformed bodies, partial pages.
// Each must end in bounded calls and a source or check that says it did not finish, and why.
import { runAwsFaults, type FaultResult } from './support/aws-faults.js';

let results: FaultResult[] = [];
beforeAll(async () => {
  results = await runAwsFaults();
}, 120_000);

const names = [
  's3: throttled on every listing (SlowDown 503)', 's3: 5xx on every listing (InternalError 500)', 's3: connection reset on every listing', 's3: time-out on every listing',
  's3: expired credentials', 's3: access denied', 's3: object body is not gzip or JSON', 's3: object read resets every time', 's3: object body missing',
  'lookup-events: throttled on every page', 'lookup-events: 5xx on every page', 'lookup-events: connection reset on every page', 'lookup-events: expired credentials',
  'lookup-events: malformed CloudTrailEvent bodies', 'lookup-events: a second page that fails after a good first page',
  'access-analyzer: throttled on every try', 'access-analyzer: 5xx on every try', 'access-analyzer: expired credentials', 'access-analyzer: malformed body', 'access-analyzer: no answer within the time-out',
];
// Found by this suite and fixed: a repeated page token stops the listing and the source says so.
const loops = ['s3: a listing that repeats its continuation token forever (partial pages)', 'lookup-events: pages that repeat their NextToken forever with no events'];

const result = (name: string) => {
  const r = results.find((x) => x.name === name);
  if (!r) throw new Error(`no scenario ${name}`);
  return r;
};

test('every scenario ran', () => {
  expect(results.map((r) => r.name).sort()).toEqual([...names, ...loops].sort());
});

test.each(names)('%s: bounded, reported, never complete', (name) => {
  const r = result(name);
  expect({ name, survived: r.survived, detail: r.detail }).toEqual({ name, survived: true, detail: r.detail });
  // The reason names what failed (the service's error or the time-out), not just "error".
  expect(r.detail).toMatch(/SlowDown|InternalError|ECONNRESET|Timeout|timed out|ExpiredToken|expired|AccessDenied|access denied|gzip|empty response body|Throttling|InternalServer|not JSON|could not be read|no answer within/);
});

test.each(loops)('%s: stopped and reported', (name) => {
  const r = result(name);
  expect({ name, survived: r.survived, detail: r.detail }).toEqual({ name, survived: true, detail: r.detail });
  expect(r.detail).toMatch(/same continuation token|NextToken already seen/);
});
