import { readFileSync } from 'node:fs';
import {
  AccessAnalyzerClient,
  AccessDeniedException,
  CheckAccessNotGrantedCommand,
  CheckNoNewAccessCommand,
  CheckNoPublicAccessCommand,
  GetFindingV2Command,
  ListFindingsV2Command,
  ThrottlingException,
  ValidatePolicyCommand,
} from '@aws-sdk/client-accessanalyzer';
import { mockClient } from 'aws-sdk-client-mock';
import { collectAnswers } from '../../src/analyzer/answers.js';
import { classifyError, iamActionFor, runAccessAnalyzer, type AnalyzerClientLike } from '../../src/analyzer/client.js';
import { planAnalyzerCalls } from '../../src/analyzer/plan.js';
import { defaultConfig, type GateConfig } from '../../src/config/types.js';
import type { PolicyDocument, SubjectPolicies, SubjectRef, UsageSummary } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';

const recorded = JSON.parse(readFileSync(new URL('../../fixtures/analyzer/recorded-responses.json', import.meta.url), 'utf8'));
const PASS = { result: 'PASS' as const, message: 'The modified permissions do not grant new access compared to your existing policy.', reasons: [] };

const enc = (s: string) => new TextEncoder().encode(s);
const role: SubjectRef = { type: 'role', id: 'arn:aws:iam::123456789012:role/app', arn: 'arn:aws:iam::123456789012:role/app' };
const HEAD_TEXT = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
      { Sid: 'Pass', Effect: 'Allow', Action: ['iam:PassRole', 's3:ListBucket'], Resource: '*' },
    ],
  },
  null,
  2,
);

function doc(file: string, text: string): PolicyDocument {
  return extractPolicies(file, enc(text), { maxBytes: 1 << 20 }).documents[0];
}

function plan(config: GateConfig = defaultConfig(), subjects?: SubjectPolicies[]) {
  const head = doc('iam/app.json', HEAD_TEXT);
  const s = subjects ?? [{ subject: role, base: [], head: [head], files: ['iam/app.json'] }];
  return planAnalyzerCalls(s, config, { text: (side, p) => (side === 'head' && p === 'iam/app.json' ? HEAD_TEXT : undefined) });
}

const mock = mockClient(AccessAnalyzerClient);
const client = () => new AccessAnalyzerClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
beforeEach(() => mock.reset());
afterAll(() => mock.restore());

describe('runAccessAnalyzer with recorded responses', () => {
  test('FAIL answers are located at the statement AWS names', async () => {
    const config = { ...defaultConfig(), neverGrant: [{ actions: ['s3:ListBucket'], resources: [] }] };
    mock.on(CheckNoNewAccessCommand).resolves(recorded.checkNoNewAccessFail);
    mock.on(CheckAccessNotGrantedCommand).resolves({ ...recorded.checkAccessNotGrantedFail, reasons: [{ ...recorded.checkAccessNotGrantedFail.reasons[0], statementIndex: 1 }] });
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    const p = plan(config);
    const run = await runAccessAnalyzer(p, client());
    const outcome = collectAnswers(p, run);
    expect(outcome.status).toBe('ran');
    const answers = outcome.bySubject[role.id];
    const cnna = answers.find((a) => a.check === 'CheckNoNewAccess')!;
    expect(cnna).toMatchObject({ result: 'FAIL', message: recorded.checkNoNewAccessFail.message, document: 'iam/app.json' });
    expect(cnna.reasons![0]).toMatchObject({ statementIndex: 0, location: { file: 'iam/app.json', line: 4 } });
    const cang = answers.find((a) => a.check === 'CheckAccessNotGranted')!;
    expect(cang.reasons![0]).toMatchObject({ statementIndex: 1, location: { line: 10 }, access: [{ actions: ['s3:ListBucket'] }] });
    expect(answers.find((a) => a.check === 'ValidatePolicy')).toMatchObject({ result: 'PASS', message: 'no findings' });
    // The new document was compared with a policy that grants nothing.
    const sent = mock.commandCalls(CheckNoNewAccessCommand)[0].args[0].input;
    expect(JSON.parse(sent.existingPolicyDocument!).Statement[0].Effect).toBe('Deny');
    expect(sent.newPolicyDocument).toBe(HEAD_TEXT);
  });

  test('ValidatePolicy findings come back located through their span (file sent verbatim), all pages read', async () => {
    const [first, second] = recorded.validatePolicyFindings;
    // The span is a position in the text sent (here the file itself): 0-based columns become 1-based.
    const located = { ...first, locations: [{ path: [{ value: 'Statement' }, { index: 1 }, { value: 'Action' }, { index: 0 }], span: { start: { line: 10, column: 17, offset: 0 }, end: { line: 10, column: 31, offset: 0 } } }] };
    mock.on(ValidatePolicyCommand).resolvesOnce({ findings: [located], nextToken: 'page-2' }).resolvesOnce({ findings: [second] });
    mock.on(CheckNoNewAccessCommand).resolves(PASS);
    const p = plan();
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, client()));
    const vp = outcome.bySubject[role.id].find((a) => a.check === 'ValidatePolicy')!;
    expect(mock.commandCalls(ValidatePolicyCommand).map((c) => c.args[0].input.nextToken)).toEqual([undefined, 'page-2']);
    expect(vp.result).toBe('FAIL');
    expect(vp.findings).toHaveLength(2);
    expect(vp.findings![0]).toMatchObject({ issueCode: 'INVALID_POLICY_ELEMENT', findingType: 'ERROR', location: { file: 'iam/app.json', line: 10, column: 18, endLine: 10, endColumn: 32 } });
    expect(vp.findings![0].learnMoreLink).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  test('identical calls are made once and shared by every question that needs them', async () => {
    const other: SubjectRef = { type: 'role', id: 'arn:aws:iam::123456789012:role/other', arn: 'arn:aws:iam::123456789012:role/other' };
    const a = doc('iam/app.json', HEAD_TEXT);
    const b = doc('iam/other.json', HEAD_TEXT);
    mock.on(CheckNoNewAccessCommand).resolves(PASS);
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    const p = planAnalyzerCalls([{ subject: role, base: [], head: [a], files: [] }, { subject: other, base: [], head: [b], files: [] }], defaultConfig());
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, client()));
    expect(mock.commandCalls(CheckNoNewAccessCommand)).toHaveLength(1);
    expect(mock.commandCalls(ValidatePolicyCommand)).toHaveLength(1);
    expect(outcome.callsMade).toBe(2);
    expect(outcome.deduplicated).toBe(2);
    expect(Object.keys(outcome.bySubject).sort()).toEqual([role.id, other.id].sort());
  });

  test('batched CheckAccessNotGranted: 250 forbidden actions, 3 calls of ≤100, FAIL when any batch fails', async () => {
    const actions = Array.from({ length: 250 }, (_, i) => `svc:Action${i}`);
    const config = { ...defaultConfig(), neverGrant: [{ actions, resources: [] }] };
    mock.on(CheckNoNewAccessCommand).resolves(PASS);
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    mock.on(CheckAccessNotGrantedCommand).resolves({ result: 'PASS', message: 'The policy document does not grant access to perform the listed actions.', reasons: [] });
    mock.on(CheckAccessNotGrantedCommand, { access: [{ actions: actions.slice(200) }] }).resolves(recorded.checkAccessNotGrantedFail);
    const p = plan(config);
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, client()));
    const calls = mock.commandCalls(CheckAccessNotGrantedCommand).map((c) => c.args[0].input.access![0].actions!);
    expect(calls.map((a) => a.length).sort()).toEqual([100, 100, 50]);
    expect(new Set(calls.flat())).toEqual(new Set(actions));
    const cang = outcome.bySubject[role.id].find((a) => a.check === 'CheckAccessNotGranted')!;
    expect(cang).toMatchObject({ result: 'FAIL', calls: 3 });
  });

  test('calls run with bounded concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const fake: AnalyzerClientLike = {
      async send(command: { constructor: { name: string } }) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return command.constructor.name === 'ValidatePolicyCommand' ? { findings: [] } : PASS;
      },
    };
    const docs = Array.from({ length: 12 }, (_, i) => doc(`iam/p${i}.json`, HEAD_TEXT.replace('b/*', `b${i}/*`)));
    const p = planAnalyzerCalls([{ subject: role, base: [], head: docs, files: [] }], defaultConfig());
    const run = await runAccessAnalyzer(p, fake, { concurrency: 3 });
    expect(run.callsMade).toBe(24);
    expect(peak).toBe(3);
  });
});

describe('when AWS cannot answer', () => {
  test('throttling that outlasts the SDK retries: not run, says throttled', async () => {
    mock.on(CheckNoNewAccessCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    const p = plan();
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, client()));
    expect(outcome.status).toBe('not-run');
    expect(outcome.bySubject[role.id].find((a) => a.check === 'CheckNoNewAccess')).toMatchObject({ result: 'not-run' });
    expect(outcome.errors).toEqual([expect.objectContaining({ kind: 'throttled', message: expect.stringMatching(/throttled.*Rate exceeded/) })]);
    expect(outcome.bySubject[role.id].find((a) => a.check === 'ValidatePolicy')).toMatchObject({ result: 'PASS' });
  });

  test('a call that does not answer in time is abandoned (and its request aborted)', async () => {
    const signals: AbortSignal[] = [];
    const hanging: AnalyzerClientLike = {
      send(_c, options) {
        if (options?.abortSignal) signals.push(options.abortSignal);
        return new Promise(() => {});
      },
    };
    const p = plan();
    const started = Date.now();
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, hanging, { timeoutMs: 40 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(outcome.errors[0]).toMatchObject({ kind: 'timeout' });
    expect(outcome.errors[0].message).toMatch(/no answer within 40 ms/);
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  test('access denied names the missing IAM action and stops asking that operation', async () => {
    mock.on(CheckNoNewAccessCommand).rejects(new AccessDeniedException({ message: 'User: arn:aws:sts::123456789012:assumed-role/gate/ci is not authorized to perform: access-analyzer:CheckNoNewAccess', $metadata: { httpStatusCode: 403 } }));
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    const docs = Array.from({ length: 5 }, (_, i) => doc(`iam/p${i}.json`, HEAD_TEXT.replace('b/*', `b${i}/*`)));
    const p = planAnalyzerCalls([{ subject: role, base: [], head: docs, files: [] }], defaultConfig());
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, client(), { concurrency: 1 }));
    expect(mock.commandCalls(CheckNoNewAccessCommand)).toHaveLength(1);
    expect(mock.commandCalls(ValidatePolicyCommand)).toHaveLength(5);
    expect(outcome.errors).toEqual([expect.objectContaining({ kind: 'access-denied', action: 'access-analyzer:CheckNoNewAccess' })]);
    expect(outcome.errors[0].message).toMatch(/not allowed access-analyzer:CheckNoNewAccess/);
    expect(outcome.bySubject[role.id].filter((a) => a.result === 'not-run')).toHaveLength(5);
  });

  test('rejected credentials stop every call', async () => {
    mock.on(ValidatePolicyCommand).rejects(Object.assign(new Error('The security token included in the request is invalid.'), { name: 'UnrecognizedClientException' }));
    mock.on(CheckNoNewAccessCommand).resolves(PASS);
    const p = plan();
    const run = await runAccessAnalyzer(p, client(), { concurrency: 1 });
    expect(run.callsMade).toBe(1);
    expect(collectAnswers(p, run).errors).toEqual([expect.objectContaining({ kind: 'credentials' })]);
  });

  test.each([
    ['no result', {}],
    ['an unknown result', { result: 'MAYBE', message: 'x' }],
    ['reasons that are not a list', { result: 'FAIL', reasons: 'statement 0' }],
  ])('a malformed response (%s) is not taken as an answer', async (_what, response) => {
    mock.on(CheckNoNewAccessCommand).resolves(response as never);
    mock.on(ValidatePolicyCommand).resolves({ findings: [{ findingType: 'ERROR' }] } as never);
    const p = plan();
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, client()));
    expect(outcome.bySubject[role.id].map((a) => a.result)).toEqual(['not-run', 'not-run']);
    expect(outcome.errors.every((e) => e.kind === 'malformed')).toBe(true);
  });

  test('the call budget bounds the cost of one run', async () => {
    mock.on(CheckNoNewAccessCommand).resolves(PASS);
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    const docs = Array.from({ length: 5 }, (_, i) => doc(`iam/p${i}.json`, HEAD_TEXT.replace('b/*', `b${i}/*`)));
    const p = planAnalyzerCalls([{ subject: role, base: [], head: docs, files: [] }], defaultConfig());
    const run = await runAccessAnalyzer(p, client(), { maxCalls: 4, concurrency: 1 });
    expect(run.callsMade).toBe(4);
    const outcome = collectAnswers(p, run);
    expect(outcome.errors).toEqual([expect.objectContaining({ kind: 'budget' })]);
  });

  test('error classification', () => {
    expect(classifyError(Object.assign(new Error('x'), { name: 'ValidationException' }), 'CheckAccessNotGranted')).toMatchObject({ kind: 'invalid-input' });
    expect(classifyError(Object.assign(new Error('Unexpected token < in JSON'), { name: 'SyntaxError' }), 'ValidatePolicy')).toMatchObject({ kind: 'malformed' });
    expect(classifyError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'ValidatePolicy')).toMatchObject({ kind: 'credentials' });
    expect(classifyError('weird', 'ValidatePolicy')).toMatchObject({ kind: 'other' });
    expect(iamActionFor('ListFindingsV2')).toBe('access-analyzer:ListFindings');
    expect(iamActionFor('GetFindingV2')).toBe('access-analyzer:GetFinding');
  });
});

describe('unused access', () => {
  const analyzerArn = 'arn:aws:access-analyzer:us-east-1:123456789012:analyzer/unused';

  test('unused roles and permissions with last-accessed dates, beside the CloudTrail evidence', async () => {
    const config = defaultConfig();
    config.accessAnalyzer.unusedAccessAnalyzer = analyzerArn;
    const summary = (id: string, findingType: 'UnusedPermission' | 'ExternalAccess') => ({
      id,
      findingType,
      resource: role.arn,
      resourceType: 'AWS::IAM::Role' as const,
      resourceOwnerAccount: '123456789012',
      status: 'ACTIVE' as const,
      analyzedAt: new Date('2026-11-20T00:00:00Z'),
      createdAt: new Date('2026-11-01T00:00:00Z'),
      updatedAt: new Date('2026-11-20T00:00:00Z'),
    });
    mock.on(ListFindingsV2Command).resolvesOnce({ findings: [summary('f-perm', 'UnusedPermission')], nextToken: 't2' }).resolvesOnce({ findings: [summary('f-ext', 'ExternalAccess')] });
    mock.on(GetFindingV2Command, { id: 'f-perm' }).resolves({
      ...summary('f-perm', 'UnusedPermission'),
      findingDetails: [
        { unusedPermissionDetails: { serviceNamespace: 's3', lastAccessed: new Date('2026-06-01T10:00:00Z'), actions: [{ action: 's3:PutObject', lastAccessed: new Date('2026-06-01T10:00:00Z') }, { action: 's3:DeleteObject' }] } },
        { unusedPermissionDetails: { serviceNamespace: 'sqs' } },
      ],
    });
    mock.on(CheckNoNewAccessCommand).resolves(PASS);
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    const usage = {
      records: [{ principal: role.arn, action: 's3:GetObject', count: 7, lastSeen: '2026-11-10T00:00:00Z' }],
    } as unknown as UsageSummary;
    const p = plan(config);
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, client()), usage);
    expect(mock.commandCalls(ListFindingsV2Command)[0].args[0].input).toMatchObject({ analyzerArn, filter: { resource: { eq: [role.arn] }, status: { eq: ['ACTIVE'] } } });
    expect(mock.commandCalls(GetFindingV2Command)).toHaveLength(1);
    const unused = outcome.bySubject[role.id].find((a) => a.check === 'UnusedAccess')!;
    expect(unused.result).toBe('FAIL');
    expect(unused.unused).toEqual([
      {
        findingId: 'f-perm',
        kind: 'UnusedPermission',
        service: 's3',
        lastAccessed: '2026-06-01T10:00:00.000Z',
        actions: [{ action: 's3:PutObject', lastAccessed: '2026-06-01T10:00:00.000Z' }, { action: 's3:DeleteObject' }],
        cloudTrail: { calls: 7, lastSeen: '2026-11-10T00:00:00Z' },
      },
      { findingId: 'f-perm', kind: 'UnusedPermission', service: 'sqs', actions: [], cloudTrail: { calls: 0 } },
    ]);
  });

  test('a denied ListFindings names access-analyzer:ListFindings', async () => {
    const config = defaultConfig();
    config.accessAnalyzer.unusedAccessAnalyzer = analyzerArn;
    mock.on(ListFindingsV2Command).rejects(new AccessDeniedException({ message: 'not authorized', $metadata: {} }));
    mock.on(CheckNoNewAccessCommand).resolves(PASS);
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    const p = plan(config);
    const outcome = collectAnswers(p, await runAccessAnalyzer(p, client()));
    expect(outcome.bySubject[role.id].find((a) => a.check === 'UnusedAccess')).toMatchObject({ result: 'not-run' });
    expect(outcome.errors).toEqual([expect.objectContaining({ action: 'access-analyzer:ListFindings' })]);
  });
});

test('CheckNoPublicAccess is asked with the bucket resource type', async () => {
  const text = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pub/*' }] });
  const bucket = doc('buckets/pub.bucket-policy.json', text);
  mock.on(CheckNoPublicAccessCommand).resolves(recorded.checkNoPublicAccessFail);
  mock.on(CheckNoNewAccessCommand).resolves(PASS);
  mock.on(ValidatePolicyCommand).resolves({ findings: [] });
  const ref: SubjectRef = { type: 'bucket', id: 'arn:aws:s3:::pub', arn: 'arn:aws:s3:::pub' };
  const p = planAnalyzerCalls([{ subject: ref, base: [], head: [bucket], files: [] }], defaultConfig());
  const outcome = collectAnswers(p, await runAccessAnalyzer(p, client()));
  expect(mock.commandCalls(CheckNoPublicAccessCommand)[0].args[0].input.resourceType).toBe('AWS::S3::Bucket');
  expect(outcome.bySubject[ref.id].find((a) => a.check === 'CheckNoPublicAccess')).toMatchObject({ result: 'FAIL', reasons: [{ statementIndex: 0 }] });
});

describe('policy generation (optional)', () => {
  const settings = { trailArn: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/org', accessRoleArn: 'arn:aws:iam::123456789012:role/aa-trail-reader', since: new Date('2026-08-26T00:00:00Z'), sleep: async () => {} };

  test('starts a job on the trail, polls until it succeeds, returns the generated policy', async () => {
    const { generatePolicy } = await import('../../src/analyzer/generation.js');
    const { StartPolicyGenerationCommand, GetGeneratedPolicyCommand } = await import('@aws-sdk/client-accessanalyzer');
    const policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-reports/${ObjectName}"}]}';
    mock.on(StartPolicyGenerationCommand).resolves({ jobId: 'job-1' });
    mock
      .on(GetGeneratedPolicyCommand)
      .resolvesOnce({ jobDetails: { jobId: 'job-1', status: 'IN_PROGRESS', startedOn: new Date() }, generatedPolicyResult: { properties: { principalArn: role.arn } } as never })
      .resolvesOnce({ jobDetails: { jobId: 'job-1', status: 'SUCCEEDED', startedOn: new Date() }, generatedPolicyResult: { properties: { principalArn: role.arn } as never, generatedPolicies: [{ policy }] } });
    const r = await generatePolicy(client(), role.id, role.arn!, settings);
    expect(r).toMatchObject({ check: 'PolicyGeneration', result: 'PASS', generatedPolicy: policy, calls: 3 });
    expect(mock.commandCalls(StartPolicyGenerationCommand)[0].args[0].input).toMatchObject({
      policyGenerationDetails: { principalArn: role.arn },
      cloudTrailDetails: { trails: [{ cloudTrailArn: settings.trailArn, allRegions: true }], accessRole: settings.accessRoleArn, startTime: settings.since },
    });
  });

  test('a failed job or a denied start is not run, with the reason', async () => {
    const { generatePolicy } = await import('../../src/analyzer/generation.js');
    const { StartPolicyGenerationCommand, GetGeneratedPolicyCommand } = await import('@aws-sdk/client-accessanalyzer');
    mock.on(StartPolicyGenerationCommand).resolves({ jobId: 'job-2' });
    mock.on(GetGeneratedPolicyCommand).resolves({ jobDetails: { jobId: 'job-2', status: 'FAILED', startedOn: new Date(), jobError: { code: 'TRAIL_NOT_FOUND' as never, message: 'trail not found' } }, generatedPolicyResult: undefined as never });
    expect(await generatePolicy(client(), role.id, role.arn!, settings)).toMatchObject({ result: 'not-run', message: 'policy generation failed: trail not found' });
    mock.reset();
    mock.on(StartPolicyGenerationCommand).rejects(new AccessDeniedException({ message: 'no', $metadata: {} }));
    expect((await generatePolicy(client(), role.id, role.arn!, settings)).message).toMatch(/access-analyzer:StartPolicyGeneration/);
  });
});
