// Faults injected into every AWS call the gate makes: the CloudTrail sources (S3 trail bucket,
// LookupEvents) through aws-sdk-client-mock, IAM Access Analyzer through the local fake. Each scenario
// says what it injected and whether the gate survived it: bounded calls, a clear "not run" with the
// reason, the source or check never reported as complete.
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AccessAnalyzerClient } from '@aws-sdk/client-accessanalyzer';
import { mockClient } from 'aws-sdk-client-mock';
import { collectAnswers } from '../../../src/analyzer/answers.js';
import { runAccessAnalyzer } from '../../../src/analyzer/client.js';
import { planAnalyzerCalls } from '../../../src/analyzer/plan.js';
import { defaultConfig } from '../../../src/config/types.js';
import type { SubjectRef, UsageSourceReport } from '../../../src/model.js';
import { extractPolicies } from '../../../src/policies/extract.js';
import { makeContext } from '../../../src/usage/sources/common.js';
import { readLookupEventsSource } from '../../../src/usage/sources/lookup-events.js';
import { readS3Source } from '../../../src/usage/sources/s3.js';
import { startAccessAnalyzerFake, type FakeReply } from '../../support/aws-fake/access-analyzer-fake.js';

export interface FaultResult {
  name: string;
  /** Calls the client saw (attempts included). */
  calls: number;
  /** The gate stopped by itself, said why, and did not claim completeness. */
  survived: boolean;
  detail: string;
  /** A bug this scenario shows, left to its owner. */
  knownIssue?: string;
}

/** A stand-in for an SDK error as the SDK throws it. */
export function awsError(name: string, status: number | undefined, message = name): Error {
  return Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}), ...(name.startsWith('E') ? { code: name } : {}) });
}

const noSleep = async () => {};
/** Past this many calls the mock refuses: a scenario that gets there did not stop by itself. */
const RUNAWAY = 200;
const WINDOW = { since: new Date('2026-11-20T00:00:00Z'), until: new Date('2026-11-20T23:59:59Z') };
const NOW = new Date('2026-11-21T12:00:00Z');
const EVENT = JSON.stringify({
  eventVersion: '1.08', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/ci', accountId: '123456789012' },
  eventTime: '2026-11-20T10:00:00Z', eventSource: 'sqs.amazonaws.com', eventName: 'ReceiveMessage', awsRegion: 'us-east-1', eventID: 'e1',
});

function verdictOf(report: UsageSourceReport, calls: number, limit: number): { survived: boolean; detail: string } {
  const stopped = calls <= limit;
  const said = report.status !== 'ran' && report.errors.length > 0;
  return { survived: stopped && said, detail: `${calls} call(s) (bound ${limit}), status ${report.status}: ${report.errors[0] ?? 'no error reported'}` };
}

type S3Answer = { list?: (n: number) => unknown; get?: (n: number) => unknown };

async function s3Scenario(name: string, answer: S3Answer, limit: number, knownIssue?: string): Promise<FaultResult> {
  const s3 = mockClient(S3Client);
  let calls = 0;
  const step = (fn: ((n: number) => unknown) | undefined, fallback: () => unknown) => async () => {
    calls++;
    if (calls > RUNAWAY) throw awsError('AccessDenied', 403, 'runaway: the hardening mock stopped answering');
    const out = fn ? fn(calls) : fallback();
    if (out instanceof Error) throw out;
    return out;
  };
  const day = 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/';
  s3.on(ListObjectsV2Command).callsFake(
    step(answer.list, () => ({ IsTruncated: false, Contents: [{ Key: `${day}123456789012_CloudTrail_us-east-1_20261120T1000Z_x.json.gz`, Size: 100 }] })),
  );
  s3.on(GetObjectCommand).callsFake(step(answer.get, () => ({ Body: { transformToByteArray: async () => new TextEncoder().encode(`{"Records":[${EVENT}]}`) } })));
  const ctx = makeContext({ ...WINDOW, workers: 0 });
  try {
    const client = new S3Client({ region: 'us-east-1' });
    const run = await readS3Source({ uri: 's3://org-trail/AWSLogs/123456789012/CloudTrail/us-east-1/' }, ctx, { client, now: NOW, retry: { sleep: noSleep } });
    return { name: `s3: ${name}`, calls, ...verdictOf(run.report, calls, limit), ...(knownIssue ? { knownIssue } : {}) };
  } finally {
    s3.restore();
    await ctx.close();
  }
}

async function lookupScenario(name: string, answer: (n: number) => unknown, limit: number, knownIssue?: string): Promise<FaultResult> {
  const ct = mockClient(CloudTrailClient);
  let calls = 0;
  ct.on(LookupEventsCommand).callsFake(async () => {
    calls++;
    if (calls > RUNAWAY) throw awsError('AccessDeniedException', 403, 'runaway: the hardening mock stopped answering');
    const out = answer(calls);
    if (out instanceof Error) throw out;
    return out;
  });
  const ctx = makeContext({ ...WINDOW, workers: 0 });
  try {
    const client = new CloudTrailClient({ region: 'us-east-1' });
    const run = await readLookupEventsSource({ regions: ['us-east-1'] }, ctx, { clientFor: () => client, now: NOW, sleep: noSleep, rate: 1000 });
    return { name: `lookup-events: ${name}`, calls, ...verdictOf(run.report, calls, limit), ...(knownIssue ? { knownIssue } : {}) };
  } finally {
    ct.restore();
    await ctx.close();
  }
}

const role: SubjectRef = { type: 'role', id: 'arn:aws:iam::123456789012:role/app', arn: 'arn:aws:iam::123456789012:role/app' };
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] });

/** Access Analyzer through the real SDK client and the local fake, with adaptive retries (3 attempts). */
async function analyzerScenario(name: string, reply: (attempt: number) => FakeReply, limit: number, timeoutMs = 2000): Promise<FaultResult> {
  const fake = await startAccessAnalyzerFake({ CheckNoNewAccess: (_r, attempt) => reply(attempt), ValidatePolicy: () => ({ body: { findings: [] } }) });
  const client = new AccessAnalyzerClient({ region: 'us-east-1', endpoint: fake.endpoint, credentials: { accessKeyId: 'AKIDFAULTS', secretAccessKey: 'faults' }, retryMode: 'adaptive', maxAttempts: 3 });
  try {
    const head = extractPolicies('iam/app.json', new TextEncoder().encode(POLICY), { maxBytes: 1 << 20 }).documents[0];
    const plan = planAnalyzerCalls([{ subject: role, base: [], head: [head], files: ['iam/app.json'] }], defaultConfig(), { text: () => POLICY });
    const outcome = collectAnswers(plan, await runAccessAnalyzer(plan, client, { timeoutMs }));
    const calls = fake.requests.filter((r) => r.operation === 'CheckNoNewAccess').length;
    const survived = calls <= limit && outcome.status === 'not-run' && outcome.errors.length > 0;
    return { name: `access-analyzer: ${name}`, calls, survived, detail: `${calls} call(s) (bound ${limit}), ${outcome.status}: ${outcome.errors[0]?.message ?? outcome.detail}` };
  } finally {
    client.destroy();
    await fake.close();
  }
}

export async function runAwsFaults(): Promise<FaultResult[]> {
  const out: FaultResult[] = [];
  // S3 trail bucket: withRetry makes 5 attempts per call; the window is one day, listed as 2 day folders
  // (the next day's folder holds late deliveries), each with one object.
  const F = 2;
  out.push(await s3Scenario('throttled on every listing (SlowDown 503)', { list: () => awsError('SlowDown', 503) }, F * 5));
  out.push(await s3Scenario('5xx on every listing (InternalError 500)', { list: () => awsError('InternalError', 500) }, F * 5));
  out.push(await s3Scenario('connection reset on every listing', { list: () => awsError('ECONNRESET', undefined, 'socket hang up') }, F * 5));
  out.push(await s3Scenario('time-out on every listing', { list: () => awsError('TimeoutError', undefined, 'Connection timed out after 5000 ms') }, F * 5));
  out.push(await s3Scenario('expired credentials', { list: () => awsError('ExpiredToken', 400, 'The provided token has expired.') }, F));
  out.push(await s3Scenario('access denied', { list: () => awsError('AccessDenied', 403, 'Access Denied') }, F));
  out.push(await s3Scenario('object body is not gzip or JSON', { get: () => ({ Body: { transformToByteArray: async () => new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]) } }) }, F + F));
  out.push(await s3Scenario('object read resets every time', { get: () => awsError('ECONNRESET', undefined, 'socket hang up') }, F + F * 5));
  out.push(await s3Scenario('object body missing', { get: () => ({}) }, F + F * 5));
  out.push(
    await s3Scenario(
      'a listing that repeats its continuation token forever (partial pages)',
      { list: () => ({ IsTruncated: true, NextContinuationToken: 'same-token', Contents: [] }) },
      20,
    ),
  );
  // LookupEvents: 6 attempts per page.
  out.push(await lookupScenario('throttled on every page', () => awsError('ThrottlingException', 400, 'Rate exceeded'), 6));
  out.push(await lookupScenario('5xx on every page', () => awsError('InternalServerException', 500), 6));
  out.push(await lookupScenario('connection reset on every page', () => awsError('ECONNRESET', undefined, 'socket hang up'), 6));
  out.push(await lookupScenario('expired credentials', () => awsError('ExpiredTokenException', 400, 'The security token included in the request is expired'), 1));
  out.push(await lookupScenario('malformed CloudTrailEvent bodies', () => ({ Events: [{ EventId: 'x', CloudTrailEvent: '{"eventName": ' }] }), 1));
  out.push(await lookupScenario('a second page that fails after a good first page', (n) => (n === 1 ? { Events: [{ EventId: 'e1', CloudTrailEvent: EVENT }], NextToken: 't2' } : awsError('InternalServerException', 500)), 1 + 6));
  out.push(
    await lookupScenario(
      'pages that repeat their NextToken forever with no events',
      () => ({ Events: [], NextToken: 'same-token' }),
      20,
    ),
  );
  // Access Analyzer: the SDK's adaptive retry, 3 attempts.
  out.push(await analyzerScenario('throttled on every try', () => ({ status: 429, errorType: 'ThrottlingException', body: { message: 'Rate exceeded' } }), 3));
  out.push(await analyzerScenario('5xx on every try', () => ({ status: 500, errorType: 'InternalServerException', body: { message: 'oops' } }), 3));
  out.push(await analyzerScenario('expired credentials', () => ({ status: 403, errorType: 'ExpiredTokenException', body: { message: 'The security token included in the request is expired' } }), 1));
  out.push(await analyzerScenario('malformed body', () => ({ raw: '{"result": tru' }), 3));
  out.push(await analyzerScenario('no answer within the time-out', () => ({ delayMs: 30_000, body: { result: 'PASS', message: 'late', reasons: [] } }), 3, 1500));
  return out;
}
