// The demo through the whole pipeline with Access Analyzer mocked: AWS answers beside the local ones
// in report.json and diff.md, and the degraded modes (no credentials, --offline, enabled: on).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessAnalyzerClient,
  CheckAccessNotGrantedCommand,
  CheckNoNewAccessCommand,
  CheckNoPublicAccessCommand,
  ValidatePolicyCommand,
} from '@aws-sdk/client-accessanalyzer';
import { mockClient } from 'aws-sdk-client-mock';
import { errorsText, reportValidator, sarifValidator } from '../../fixtures/report/validators.js';
import { runCheck, type CheckOptions } from '../../src/run.js';

const DEMO = join(process.cwd(), 'fixtures/demo');
const NOW = new Date('2026-11-24T12:00:00Z');
const APP = 'arn:aws:iam::123456789012:role/app-worker';
const BUCKET = 'arn:aws:s3:::acme-reports';
const CREDS = { AWS_ACCESS_KEY_ID: 'AKIDDEMO', AWS_SECRET_ACCESS_KEY: 'demo', AWS_REGION: 'eu-west-1' };
const recorded = JSON.parse(readFileSync(join(process.cwd(), 'fixtures/analyzer/recorded-responses.json'), 'utf8'));
const appText = readFileSync(join(DEMO, 'head/iam/roles/app-worker/policy.json'), 'utf8');
const passRoleLine = appText.split('\n').findIndex((l) => l.includes('"iam:PassRole"')) + 1;
const passRoleColumn = appText.split('\n')[passRoleLine - 1].indexOf('"iam:PassRole"');

const mock = mockClient(AccessAnalyzerClient);
afterAll(() => mock.restore());

function answerAsAws() {
  mock.reset();
  // New access where the local engine also finds it (app-worker's DeployWorkers, statement 4).
  mock.on(CheckNoNewAccessCommand).callsFake((input: { newPolicyDocument: string }) =>
    input.newPolicyDocument.includes('DeployWorkers')
      ? { ...recorded.checkNoNewAccessFail, reasons: [{ description: 'New access in the statement with index: 4.', statementIndex: 4 }] }
      : { result: 'PASS', message: 'The modified permissions do not grant new access compared to your existing policy.', reasons: [] },
  );
  mock.on(ValidatePolicyCommand).callsFake((input: { policyDocument: string }) => ({
    findings: input.policyDocument.includes('"iam:PassRole"')
      ? [
          {
            findingType: 'SECURITY_WARNING',
            issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
            findingDetails: 'Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources.',
            learnMoreLink: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource',
            locations: [
              {
                path: [{ value: 'Statement' }, { index: 4 }, { value: 'Action' }, { index: 2 }],
                span: { start: { line: passRoleLine, column: passRoleColumn, offset: 0 }, end: { line: passRoleLine, column: passRoleColumn + 14, offset: 0 } },
              },
            ],
          },
        ]
      : [],
  }));
  mock.on(CheckAccessNotGrantedCommand).resolves({ result: 'PASS', message: 'The policy document does not grant access to perform the listed actions.', reasons: [] });
  // AWS calls the bucket policy public where the local engine does not: shown both ways, gated on AWS.
  mock.on(CheckNoPublicAccessCommand).callsFake((input: { resourceType: string }) =>
    input.resourceType === 'AWS::S3::Bucket' ? recorded.checkNoPublicAccessFail : { result: 'PASS', message: 'The resource policy does not grant public access for the given resource type.', reasons: [] },
  );
}

async function demo(extra: Partial<CheckOptions>) {
  const out = mkdtempSync(join(tmpdir(), 'aa-demo-'));
  const log: string[] = [];
  try {
    const result = await runCheck({
      base: join(DEMO, 'base'),
      head: join(DEMO, 'head'),
      cloudtrail: [join(DEMO, 'cloudtrail')],
      outDir: out,
      formats: ['md', 'sarif', 'json'],
      now: NOW,
      log: (l) => log.push(l),
      ...extra,
    });
    const md = readFileSync(join(out, 'diff.md'), 'utf8');
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const sarif = JSON.parse(readFileSync(join(out, 'results.sarif'), 'utf8'));
    return { ...result, md, json, sarif, log };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe('the demo with AWS credentials (Access Analyzer mocked)', () => {
  let run: Awaited<ReturnType<typeof demo>>;
  beforeAll(async () => {
    answerAsAws();
    run = await demo({ analyzer: { env: CREDS } });
  });

  test('every changed policy was asked, in the region of the environment', async () => {
    expect(mock.commandCalls(ValidatePolicyCommand).length).toBeGreaterThanOrEqual(3);
    expect(mock.commandCalls(CheckNoNewAccessCommand).length).toBeGreaterThanOrEqual(3);
    expect(await mock.call(0).thisValue.config.region()).toBe('eu-west-1');
    expect(run.report.checks.find((c) => c.id === 'access-analyzer')).toMatchObject({ status: 'ran' });
  });

  test('report.json shows AWS and the local engine side by side per subject, and stays valid', () => {
    const validate = reportValidator();
    expect(validate(run.json) ? '' : errorsText(validate.errors)).toBe('');
    const app = run.report.subjects.find((s) => s.subject.id === APP)!;
    expect(app.accessAnalyzer?.find((c) => c.check === 'CheckNoNewAccess')).toMatchObject({ result: 'FAIL', local: 'FAIL' });
    expect(app.accessAnalyzer?.find((c) => c.check === 'CheckNoNewAccess')!.reasons![0].location).toMatchObject({ line: 28 });
    const bucket = run.report.subjects.find((s) => s.subject.id === BUCKET)!;
    expect(bucket.accessAnalyzer?.find((c) => c.check === 'CheckNoPublicAccess')).toMatchObject({ result: 'FAIL', local: 'PASS', disagreement: true });
  });

  test('ValidatePolicy findings are located at the exact line and become SARIF results', () => {
    const f = run.report.findings.find((x) => x.ruleId === 'validate/PASS_ROLE_WITH_STAR_IN_RESOURCE')!;
    expect(f).toMatchObject({ severity: 'high', origin: 'access-analyzer', location: { file: 'iam/roles/app-worker/policy.json', line: passRoleLine, column: passRoleColumn + 1 } });
    const result = run.sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'validate/PASS_ROLE_WITH_STAR_IN_RESOURCE');
    expect(result.locations[0].physicalLocation.region.startLine).toBe(passRoleLine);
    const validate = sarifValidator();
    expect(validate(run.sarif) ? '' : errorsText(validate.errors)).toBe('');
  });

  test('a disagreement is said, and the verdict takes the stricter answer', () => {
    const pub = run.report.findings.filter((f) => f.ruleId === 'access-analyzer/public-access' && f.subject === BUCKET);
    expect(pub).toHaveLength(1);
    expect(pub[0].message).toMatch(/local engine found no public access here; the gate keeps the stricter answer/);
    expect(run.report.verdict.status).toBe('fail');
    expect(run.report.verdict.reasons.map((r) => r.ruleId)).toEqual(expect.arrayContaining(['access-analyzer/public-access', 'validate/PASS_ROLE_WITH_STAR_IN_RESOURCE', 'access-analyzer/no-new-access']));
  });

  test('diff.md has an Access Analyzer table per subject: AWS beside local', () => {
    expect(run.md).toContain('| Access Analyzer | policy | AWS | local | details |');
    expect(run.md).toMatch(/\| CheckNoPublicAccess \| `buckets\/acme-reports\.bucket-policy\.json` \| \*\*FAIL\*\* \| PASS \| \*\*disagrees with the local engine/);
    expect(run.md).toMatch(/`PASS_ROLE_WITH_STAR_IN_RESOURCE` SECURITY\\_WARNING `iam\/roles\/app-worker\/policy\.json:31`/);
    expect(run.md).toMatch(/\| CheckNoNewAccess \| `iam\/roles\/app-worker\/policy\.json` \| \*\*FAIL\*\* \| \*\*FAIL\*\* \| The modified permissions grant new access compared to your existing policy\. \(`iam\/roles\/app-worker\/policy\.json:28`\) \|/);
    expect(run.md).toMatch(/`access-analyzer` ran/);
  });
});

describe('degraded modes', () => {
  beforeEach(() => answerAsAws());

  test('no credentials: local checks only, one notice, no crash, no call', async () => {
    const run = await demo({ analyzer: { env: {} } });
    expect(mock.calls()).toHaveLength(0);
    expect(run.report.checks.find((c) => c.id === 'access-analyzer')).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/no AWS credentials/) });
    expect(run.log.filter((l) => /Access Analyzer/.test(l))).toHaveLength(1);
    expect(run.report.subjects.every((s) => s.accessAnalyzer === undefined)).toBe(true);
    expect(run.report.findings.some((f) => f.origin === 'access-analyzer')).toBe(false);
    expect(run.md).toMatch(/`access-analyzer` skipped/);
  });

  test('--offline wins over credentials', async () => {
    const run = await demo({ offline: true, analyzer: { env: CREDS } });
    expect(mock.calls()).toHaveLength(0);
    expect(run.report.checks.find((c) => c.id === 'access-analyzer')).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/offline/) });
  });

  test('enabled: on without credentials fails closed with check-not-run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-config-'));
    try {
      const config = readFileSync(join(DEMO, 'base/.iam-policy-gate.yml'), 'utf8') + '\naccess-analyzer:\n  enabled: "on"\n';
      writeFileSync(join(dir, 'gate.yml'), config);
      const run = await demo({ config: join(dir, 'gate.yml'), analyzer: { env: {} } });
      expect(mock.calls()).toHaveLength(0);
      expect(run.report.checks.find((c) => c.id === 'access-analyzer')).toMatchObject({ status: 'not-run' });
      const notRun = run.report.findings.find((f) => f.ruleId === 'check-not-run' && f.origin === 'access-analyzer')!;
      expect(notRun.message).toMatch(/enabled is on but no AWS credentials/);
      expect(run.report.verdict.reasons.find((r) => r.ruleId === 'check-not-run')).toMatchObject({ action: 'fail' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('credentials that lack a permission: a clear message naming the IAM action, the rest still answered', async () => {
    mock.on(CheckNoNewAccessCommand).rejects(Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/gate/ci is not authorized to perform: access-analyzer:CheckNoNewAccess'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    const run = await demo({ analyzer: { env: CREDS } });
    const notRun = run.report.findings.filter((f) => f.ruleId === 'check-not-run' && f.origin === 'access-analyzer');
    expect(notRun).toHaveLength(1);
    expect(notRun[0].message).toMatch(/not allowed access-analyzer:CheckNoNewAccess/);
    expect(run.report.subjects.find((s) => s.subject.id === APP)!.accessAnalyzer!.find((c) => c.check === 'ValidatePolicy')).toMatchObject({ result: 'FAIL' });
    expect(run.md).toMatch(/\*\*`access-analyzer` not run\*\*/);
  });
});
