// The real AccessAnalyzerClient against a local endpoint: wire shapes, adaptive retries on throttling,
// time-outs, access denied, invalid input and malformed answers, end to end through the SDK.
import { readFileSync } from 'node:fs';
import { AccessAnalyzerClient } from '@aws-sdk/client-accessanalyzer';
import { collectAnswers } from '../../src/analyzer/answers.js';
import { runAccessAnalyzer } from '../../src/analyzer/client.js';
import { planAnalyzerCalls } from '../../src/analyzer/plan.js';
import { defaultConfig } from '../../src/config/types.js';
import type { SubjectRef } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';
import { startAccessAnalyzerFake, type AccessAnalyzerFake, type FakeHandler } from '../support/aws-fake/access-analyzer-fake.js';

const recorded = JSON.parse(readFileSync(new URL('../../fixtures/analyzer/recorded-responses.json', import.meta.url), 'utf8'));
const PASS = { result: 'PASS' as const, message: 'The modified permissions do not grant new access compared to your existing policy.', reasons: [] };
const role: SubjectRef = { type: 'role', id: 'arn:aws:iam::123456789012:role/app', arn: 'arn:aws:iam::123456789012:role/app' };
const TEXT = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'All', Effect: 'Allow', Action: 's3:*', Resource: '*' }] }, null, 2);

function plan(neverGrant = defaultConfig().neverGrant) {
  const head = extractPolicies('iam/app.json', new TextEncoder().encode(TEXT), { maxBytes: 1 << 20 }).documents[0];
  return planAnalyzerCalls([{ subject: role, base: [], head: [head], files: ['iam/app.json'] }], { ...defaultConfig(), neverGrant }, { text: () => TEXT });
}

let fake: AccessAnalyzerFake | undefined;
let clients: AccessAnalyzerClient[] = [];
afterEach(async () => {
  for (const c of clients) c.destroy();
  clients = [];
  await fake?.close();
  fake = undefined;
});

async function start(handlers: Record<string, FakeHandler>) {
  fake = await startAccessAnalyzerFake(handlers);
  const client = new AccessAnalyzerClient({
    region: 'us-east-1',
    endpoint: fake.endpoint,
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
    retryMode: 'adaptive',
    maxAttempts: 3,
  });
  clients.push(client);
  return client;
}

test('requests match the service model and signed for access-analyzer; recorded answers come back through the deserializer', async () => {
  const client = await start({
    CheckNoNewAccess: () => ({ body: recorded.checkNoNewAccessFail }),
    ValidatePolicy: () => ({ body: { findings: recorded.validatePolicyFindings } }),
    CheckAccessNotGranted: () => ({ body: recorded.checkAccessNotGrantedFail }),
  });
  const p = plan([{ actions: ['s3:ListBucket'], resources: [] }]);
  const outcome = collectAnswers(p, await runAccessAnalyzer(p, client));
  expect(fake!.requests.map((r) => r.problems)).toEqual([[], [], []]);
  expect(fake!.requests.every((r) => r.signingService === 'access-analyzer')).toBe(true);
  const cnna = fake!.requests.find((r) => r.operation === 'CheckNoNewAccess')!;
  expect(cnna).toMatchObject({ method: 'POST', path: '/policy/check-no-new-access', input: { newPolicyDocument: TEXT, policyType: 'IDENTITY_POLICY' } });
  expect(fake!.requests.find((r) => r.operation === 'ValidatePolicy')).toMatchObject({ path: '/policy/validation', input: { policyType: 'IDENTITY_POLICY', locale: 'EN' } });
  const answers = outcome.bySubject[role.id];
  expect(answers.map((a) => [a.check, a.result])).toEqual([
    ['ValidatePolicy', 'FAIL'],
    ['CheckNoNewAccess', 'FAIL'],
    ['CheckAccessNotGranted', 'FAIL'],
  ]);
  const vp = answers[0];
  // The recorded spans point at column 39 and 12 of a one-line policy; here they are read as file positions.
  expect(vp.findings!.map((f) => [f.issueCode, f.location!.line, f.location!.column])).toEqual([
    ['INVALID_POLICY_ELEMENT', 1, 40],
    ['INVALID_POLICY_ELEMENT', 1, 13],
  ]);
});

test('the fake itself rejects what the model forbids (an enum value the API does not have)', async () => {
  const client = await start({ CheckNoPublicAccess: () => ({ body: PASS }) });
  await expect(client.send(new (await import('@aws-sdk/client-accessanalyzer')).CheckNoPublicAccessCommand({ policyDocument: '{}', resourceType: 'AWS::EC2::Instance' as never }))).rejects.toMatchObject({
    name: 'ValidationException',
  });
  expect(fake!.requests[0].problems).toEqual(['resourceType "AWS::EC2::Instance" is not one of the model\'s values']);
});

test('throttling: the SDK adaptive retry mode retries and the answer arrives', async () => {
  const client = await start({
    CheckNoNewAccess: (_r, attempt) => (attempt === 1 ? { status: 429, errorType: 'ThrottlingException', body: { message: 'Rate exceeded' } } : { body: PASS }),
    ValidatePolicy: () => ({ body: { findings: [] } }),
  });
  const p = plan();
  const outcome = collectAnswers(p, await runAccessAnalyzer(p, client));
  expect(fake!.requests.filter((r) => r.operation === 'CheckNoNewAccess')).toHaveLength(2);
  expect(outcome.status).toBe('ran');
  expect(outcome.bySubject[role.id].find((a) => a.check === 'CheckNoNewAccess')).toMatchObject({ result: 'PASS' });
});

test('throttling that never ends: not run after the retries, no crash', async () => {
  const client = await start({
    CheckNoNewAccess: () => ({ status: 429, errorType: 'ThrottlingException', body: { message: 'Rate exceeded' } }),
    ValidatePolicy: () => ({ body: { findings: [] } }),
  });
  const p = plan();
  const outcome = collectAnswers(p, await runAccessAnalyzer(p, client));
  expect(fake!.requests.filter((r) => r.operation === 'CheckNoNewAccess')).toHaveLength(3);
  expect(outcome.errors).toEqual([expect.objectContaining({ kind: 'throttled' })]);
});

test('a slow answer hits the per-call time-out and the request is aborted', async () => {
  const client = await start({
    CheckNoNewAccess: () => ({ body: PASS, delayMs: 3000 }),
    ValidatePolicy: () => ({ body: { findings: [] } }),
  });
  const p = plan();
  const started = Date.now();
  const outcome = collectAnswers(p, await runAccessAnalyzer(p, client, { timeoutMs: 300 }));
  expect(Date.now() - started).toBeLessThan(2500);
  expect(outcome.errors).toEqual([expect.objectContaining({ kind: 'timeout' })]);
  expect(outcome.bySubject[role.id].find((a) => a.check === 'ValidatePolicy')).toMatchObject({ result: 'PASS' });
});

test('access denied (HTTP 403) names the IAM action to add', async () => {
  const client = await start({
    CheckNoNewAccess: () => ({ status: 403, errorType: 'AccessDeniedException', body: { message: 'User is not authorized to perform: access-analyzer:CheckNoNewAccess' } }),
    ValidatePolicy: () => ({ body: { findings: [] } }),
  });
  const p = plan();
  const outcome = collectAnswers(p, await runAccessAnalyzer(p, client));
  expect(outcome.errors).toEqual([expect.objectContaining({ kind: 'access-denied', action: 'access-analyzer:CheckNoNewAccess' })]);
});

test('the recorded "Invalid ARN" ValidationException is an invalid-input error, not an answer', async () => {
  const err = recorded.checkAccessNotGrantedInvalidArnError;
  const client = await start({
    CheckNoNewAccess: () => ({ body: PASS }),
    ValidatePolicy: () => ({ body: { findings: [] } }),
    CheckAccessNotGranted: () => ({ status: 400, errorType: err.Error.Code, body: { message: err.message, reason: err.reason } }),
  });
  const p = plan([{ actions: ['s3:GetObject'], resources: ['example'] }]);
  const outcome = collectAnswers(p, await runAccessAnalyzer(p, client));
  expect(fake!.requests.find((r) => r.operation === 'CheckAccessNotGranted')!.input.access).toEqual([{ actions: ['s3:GetObject'], resources: ['example'] }]);
  expect(outcome.errors).toEqual([expect.objectContaining({ kind: 'invalid-input', message: expect.stringMatching(/Invalid ARN/) })]);
});

test.each([
  ['a body that is not JSON', { raw: '<html>502 Bad Gateway</html>' }],
  ['JSON without the result', { body: { message: 'ok' } }],
])('a malformed answer (%s) is not taken as PASS', async (_what, reply) => {
  const client = await start({ CheckNoNewAccess: () => reply, ValidatePolicy: () => ({ body: { findings: [] } }) });
  const p = plan();
  const outcome = collectAnswers(p, await runAccessAnalyzer(p, client));
  expect(outcome.bySubject[role.id].find((a) => a.check === 'CheckNoNewAccess')).toMatchObject({ result: 'not-run' });
  expect(outcome.errors.map((e) => e.kind)).toEqual(['malformed']);
});
