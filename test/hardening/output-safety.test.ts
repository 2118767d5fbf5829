// [hardening] Everything from a pull request or a log that reaches Markdown, annotations, SARIF or logs
// is inert: HTML, links, images, mentions, references, workflow commands and ANSI sequences in file
// names, Sids, ARNs and CloudTrail fields. And no secret reaches any output.
import * as core from '@actions/core';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli.js';
import type { Report } from '../../src/model.js';
import { pickAnnotations } from '../../src/publish/annotations.js';
import { commentBody } from '../../src/publish/comment.js';
import { runnerSafe } from '../../src/util/runner-safe.js';
import { disposeBundle, eventPayload, prepareBundle, runAction, TempRepo } from '../support/github-fake/harness.js';
import { startFakeGitHub } from '../support/github-fake/server.js';
import { startAccessAnalyzerFake } from '../support/aws-fake/access-analyzer-fake.js';
import { HOSTILE, logProblems, markdownProblems } from './support/hostile.js';

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:jobs';
const CONFIG = 'subjects:\n  - files: "iam/roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n';
// A file name may hold anything but a slash and NUL; this one even holds a line break.
const FILE_NAME = `x <img src=x> [l](https://evil.example) @octocat #12 ##[set-output name=verdict;]pass \u001b[31m\n::add-mask::hunter2.json`;
const policy = (sid: string, actions: string[], resource = QUEUE) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: sid, Effect: 'Allow', Action: actions, Resource: resource }] }, null, 2);

function hostileEvent(i: number, fields: Record<string, unknown>) {
  return {
    eventVersion: '1.08', eventTime: '2026-11-20T10:00:00Z', awsRegion: 'us-east-1', eventID: `e${i}`, eventType: 'AwsApiCall', recipientAccountId: '123456789012',
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::123456789012:assumed-role/app/${HOSTILE}`, accountId: '123456789012', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::123456789012:role/app' } } },
    eventSource: 'sqs.amazonaws.com', eventName: 'ReceiveMessage', userAgent: HOSTILE, ...fields,
  };
}

describe('a hostile change through the CLI', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  let report: Report;
  let diffMd: string;
  let sarifText: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ipg-hostile-'));
    const write = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };
    for (const side of ['base', 'head']) write(`${side}/.iam-policy-gate.yml`, CONFIG);
    write('base/iam/roles/app/policy.json', policy('Jobs', ['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    // Head drops DeleteMessage (used in CloudTrail: a predicted denial) and adds new access with hostile text everywhere.
    write('head/iam/roles/app/policy.json', policy(HOSTILE, ['sqs:ReceiveMessage']));
    write(`head/iam/roles/app/${FILE_NAME}`, policy(HOSTILE, ['iam:PassRole', 'sqs:SendMessage'], `arn:aws:sqs:us-east-1:123456789012:${HOSTILE}`));
    write(`head/buckets/b/${FILE_NAME}`, JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: HOSTILE, Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::b/${HOSTILE}` }] }));
    write(
      `ct/${FILE_NAME.replace('.json', '')}.json`,
      JSON.stringify({ Records: [hostileEvent(1, { eventName: 'DeleteMessage' }), hostileEvent(2, { eventSource: `evil.amazonaws.com ${HOSTILE}`, eventName: HOSTILE }), { eventName: HOSTILE }] }),
    );
    out = [];
    err = [];
    const code = await main(['check', '--base', `${dir}/base`, '--head', `${dir}/head`, '--cloudtrail', `${dir}/ct`, '--out', `${dir}/out`, '--offline', '--now', '2026-11-24T00:00:00Z'], (s) => out.push(s), (s) => err.push(s));
    expect(code).toBe(1);
    report = JSON.parse(readFileSync(`${dir}/out/report.json`, 'utf8'));
    diffMd = readFileSync(`${dir}/out/diff.md`, 'utf8');
    sarifText = readFileSync(`${dir}/out/results.sarif`, 'utf8');
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the hostile text did reach the report (the test exercises something)', () => {
    const all = JSON.stringify(report);
    expect(all).toContain('onerror=alert(1)');
    expect(all).toContain('::set-output');
    expect(report.findings.some((f) => f.location?.file.includes('@octocat'))).toBe(true);
    expect(report.usage?.unmapped.some((u) => u.eventName.includes('<script>'))).toBe(true);
    expect(err.join('\n')).toContain('add-mask');
  });

  test('diff.md and the PR comment: no live HTML, link, image, mention, reference, escape or command', () => {
    expect(markdownProblems(diffMd)).toEqual([]);
    const body = commentBody(report, { marker: '<!-- iam-policy-gate -->', linkBase: 'https://github.com/acme/infra/blob/0123456789abcdef0123456789abcdef01234567/', footer: '<sub>x</sub>' });
    expect(markdownProblems(body)).toEqual([]);
  });

  test('SARIF: valid JSON, messages without control characters or escapes', () => {
    const sarif = JSON.parse(sarifText);
    const texts: string[] = [];
    for (const run of sarif.runs) for (const r of run.results) texts.push(r.message.text, ...(r.locations ?? []).map((l: any) => l.physicalLocation?.artifactLocation?.uri ?? ''));
    expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) expect(t).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e]/);
  });

  test('console summary and log lines: no workflow command can start, no terminal escape', () => {
    expect(logProblems(out.join('\n'))).toEqual([]);
    expect(logProblems(err.join('\n'))).toEqual([]);
  });

  test('annotations as @actions/core prints them: one line each, no command of their own', () => {
    const written: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: unknown) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      for (const a of pickAnnotations(report).annotations) {
        const props = { title: a.title, file: a.file, startLine: a.startLine, endLine: a.endLine, startColumn: a.startColumn, endColumn: a.endColumn };
        if (a.level === 'error') core.error(a.message, props);
        else if (a.level === 'warning') core.warning(a.message, props);
        else core.notice(a.message, props);
      }
    } finally {
      process.stdout.write = original;
    }
    const lines = written.join('').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^::(error|warning|notice) [^\n]*::/);
    expect(logProblems(lines.join('\n'), /^::(error|warning|notice) /)).toEqual([]);
  });
});

describe('runnerSafe', () => {
  test('breaks commands at any line start and ##[ anywhere, leaves ARNs and text alone', () => {
    expect(logProblems(runnerSafe('a\n::set-output name=x::y\n  ::add-mask::z\nq ##[group]g'))).toEqual([]);
    expect(runnerSafe('arn:aws:s3:::bucket/key and a::b')).toBe('arn:aws:s3:::bucket/key and a::b');
  });
});

describe('the action end to end: hostile names, and secrets in the environment', () => {
  const TOKEN = 'ghs_outputSafetyToken0123456789abcdefABCDEF';
  const AWS = { AWS_ACCESS_KEY_ID: 'AKIAHARDENINGSECRET7', AWS_SECRET_ACCESS_KEY: 'hardeningSecretKey/+0123456789abcdefghijklmn', AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEHardeningSessionToken0123456789' };
  beforeAll(() => {
    prepareBundle();
  }, 300_000);
  afterAll(() => disposeBundle());

  test('no secret anywhere in the output; no workflow command but ours; Access Analyzer failure fails closed', async () => {
    const repo = new TempRepo();
    const aa = await startAccessAnalyzerFake({
      ValidatePolicy: () => ({ status: 403, errorType: 'ExpiredTokenException', body: { message: 'The security token included in the request is expired' } }),
      CheckNoNewAccess: () => ({ status: 403, errorType: 'ExpiredTokenException', body: { message: 'The security token included in the request is expired' } }),
    });
    const gh = await startFakeGitHub({ owner: 'acme', repo: 'infra', token: TOKEN, prFiles: { 42: ['iam/roles/app/policy.json'] } });
    try {
      const name = FILE_NAME.replace('\n', ' ');
      const base = repo.commit('base', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy('Jobs', ['sqs:ReceiveMessage']) });
      const head = repo.commit('head', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(HOSTILE, ['sqs:ReceiveMessage']), [`iam/roles/app/${name}`]: policy(HOSTILE, ['sqs:DeleteMessage']) });
      const run = await runAction({
        repo, apiUrl: gh.url, token: TOKEN, eventName: 'pull_request',
        payload: eventPayload('pull_request.synchronize.json', { base, head }),
        env: { ...AWS, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: aa.endpoint, AWS_EC2_METADATA_DISABLED: 'true' },
        timeoutMs: 60_000,
      });
      expect(run.code).toBe(1);
      expect(run.outputs.verdict).toBe('fail');
      // Access Analyzer was asked (through the fake) and its failure is a check that did not run.
      expect(aa.requests.length).toBeGreaterThan(0);
      const report = JSON.parse(readFileSync(run.outputs['report-json'], 'utf8')) as Report;
      expect(report.checks.find((c) => c.id === 'access-analyzer')?.status).toBe('not-run');
      expect(report.findings.some((f) => f.ruleId === 'check-not-run' && /expired/i.test(f.message))).toBe(true);

      const files = readdirSync(path.dirname(run.outputs['report-json'])).map((f) => readFileSync(path.join(path.dirname(run.outputs['report-json']), f), 'utf8'));
      const everything = [run.stdout.replace(`::add-mask::${TOKEN}\n`, ''), run.stderr, run.summary, JSON.stringify(run.outputs), ...gh.comments.map((c) => c.body), ...files].join('\n');
      for (const secret of [TOKEN, ...Object.values(AWS)]) expect(everything.includes(secret)).toBe(false);

      expect(logProblems(run.stdout + run.stderr, new RegExp(`^::(error|warning|notice|debug)( |::)|^::add-mask::${TOKEN}$`))).toEqual([]);
      for (const c of gh.comments) expect(markdownProblems(c.body)).toEqual([]);
      expect(markdownProblems(run.summary)).toEqual([]);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      await aa.close();
      repo.remove();
    }
  }, 120_000);
});
