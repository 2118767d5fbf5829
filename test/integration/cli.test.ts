import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../src/cli.js';
import type { Report } from '../../src/model.js';

const DEMO = path.resolve('fixtures/demo');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'gate-cli-'));
}

function write(root: string, rel: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), content);
}

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
const readReport = (dir: string): Report => JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8'));

describe('check on the demo change', () => {
  let out: string;
  let result: { code: number; out: string; err: string };
  beforeAll(async () => {
    out = tmp();
    result = await cli(['check', '--base', `${DEMO}/base`, '--head', `${DEMO}/head`, '--cloudtrail', `${DEMO}/cloudtrail`, '--out', out]);
  });

  test('fails the gate (exit 1) and writes diff.md, SARIF and JSON', () => {
    expect(result.code).toBe(1);
    for (const f of ['diff.md', 'results.sarif', 'report.json']) expect(existsSync(path.join(out, f))).toBe(true);
    expect(result.out).toMatch(/FAILED/);
  });

  test('every metric is non-trivial', () => {
    const r = readReport(out);
    expect(r.totals.actions.added).toBeGreaterThan(0);
    expect(r.totals.actions.removed).toBeGreaterThan(0);
    expect(r.totals.predictedDenied).toEqual({ actions: 1, calls: 1180 });
    expect(r.totals.fixedDenied).toEqual({ actions: 1, denials: 17 });
    expect(r.totals.risk.added).toBeGreaterThan(0);
    expect(r.totals.risk.removed).toBeGreaterThan(0);
    expect(r.totals.concreteness.head.ratio).toBeLessThan(r.totals.concreteness.base.ratio!);
    const ids = r.verdict.reasons.map((x) => x.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['new-access', 'high-risk-added', 'privilege-escalation-path', 'access-denied-predicted']));
    expect(r.checks.find((c) => c.id === 'cloudtrail')?.status).toBe('ran');
    expect(r.usage?.unmapped.length).toBeGreaterThan(0);
  });

  test('diff.md leads with the verdict and links findings to lines', () => {
    const md = readFileSync(path.join(out, 'diff.md'), 'utf8');
    expect(md.split('\n').find((l) => l.startsWith('###'))).toMatch(/❌ IAM policy gate failed/);
    expect(md).toMatch(/iam\/roles\/app-worker\/policy\.json:\d+/);
    expect(md.length).toBeLessThan(60000);
  });

  test('the same input gives the same report (deterministic)', async () => {
    const again = tmp();
    await cli(['check', '--base', `${DEMO}/base`, '--head', `${DEMO}/head`, '--cloudtrail', `${DEMO}/cloudtrail`, '--out', again]);
    const strip = (r: Report) => ({ ...r, generatedAt: '' });
    expect(strip(readReport(again))).toEqual(strip(readReport(out)));
    expect(readFileSync(path.join(again, 'diff.md'), 'utf8')).toEqual(readFileSync(path.join(out, 'diff.md'), 'utf8'));
  });
});

describe('subjects: all policies of a principal are analysed together', () => {
  test('a grant already given by an unchanged file of the same role is not new access', async () => {
    const [base, head, out] = [tmp(), tmp(), tmp()];
    const config = 'subjects:\n  - files: "roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n';
    for (const root of [base, head]) {
      write(root, '.iam-policy-gate.yml', config);
      write(root, 'roles/app/s3.json', policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }));
    }
    write(base, 'roles/app/sqs.json', policy({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }));
    write(head, 'roles/app/sqs.json', policy({ Effect: 'Allow', Action: ['sqs:SendMessage', 's3:GetObject'], Resource: '*' }, { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/x/*' }));
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    const report = readReport(out);
    expect(report.subjects.map((s) => s.subject.id)).toEqual(['arn:aws:iam::123456789012:role/app']);
    expect(report.subjects[0].files).toEqual(['roles/app/s3.json', 'roles/app/sqs.json']);
    // s3:GetObject on "*" is new (the other file grants it only on b/*); on b/x/* it is covered.
    expect(report.subjects[0].newAccess.map((i) => i.resource)).toEqual(['*']);
    expect(report.subjects[0].delta.added).toEqual([]);
    expect(r.code).toBe(1);
  });
});

describe('git refs', () => {
  test('compares the merge base of two refs with the head, reading git objects only', async () => {
    const repo = tmp();
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: repo });
    git('init', '-q', '-b', 'main');
    write(repo, 'iam/p.json', policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }));
    git('add', '-A');
    git('commit', '-qm', 'base');
    git('checkout', '-qb', 'feature');
    write(repo, 'iam/p.json', policy({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }));
    git('commit', '-qam', 'head');
    git('checkout', '-q', 'main');
    write(repo, 'iam/other.json', policy({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }));
    git('add', '-A');
    git('commit', '-qm', 'main moved on');
    const out = tmp();
    const r = await cli(['check', '--repo', repo, '--base', 'main', '--head', 'feature', '--out', out]);
    const report = readReport(out);
    expect(report.change.files.map((f) => f.path)).toEqual(['iam/p.json']);
    expect(report.totals.actions.added).toBe(1);
    expect(r.code).toBe(1);
    const bad = await cli(['check', '--repo', repo, '--base', 'main', '--head', 'no-such-branch', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/no-such-branch/);
  });
});

describe('bad input: a clear message naming the file, the rest goes on, never a silent pass', () => {
  let base: string;
  let head: string;
  beforeEach(() => {
    [base, head] = [tmp(), tmp()];
    write(base, 'ok.json', policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }));
    write(head, 'ok.json', policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }));
  });

  test('malformed JSON policy: located parse error, other files analysed, gate fails closed', async () => {
    write(head, 'broken.json', '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:*" "Resource": "*"}\n  ]\n}\n');
    const out = tmp();
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    const report = readReport(out);
    const parse = report.findings.find((f) => f.ruleId === 'parse-error');
    expect(parse?.location).toMatchObject({ file: 'broken.json', line: 4 });
    expect(report.subjects.map((s) => s.subject.id)).toContain('ok.json');
    expect(report.checks.find((c) => c.id === 'policy-parse')?.status).toBe('not-run');
    expect(r.code).toBe(1);
  });

  test('unknown action and wrong grammar are located findings', async () => {
    write(head, 'typo.json', policy({ Effect: 'Allow', Action: 's3:GetObjekt', Resource: '*' }, { Effect: 'Permit', Action: 's3:GetObject', Resource: '*' }));
    const out = tmp();
    await cli(['check', '--base', base, '--head', head, '--out', out]);
    const report = readReport(out);
    const unknown = report.findings.find((f) => f.ruleId === 'unknown-action');
    expect(unknown?.message).toMatch(/s3:GetObjekt/);
    expect(unknown?.location?.line).toBe(6);
    expect(report.findings.some((f) => f.ruleId === 'invalid-grammar' && f.location?.file === 'typo.json')).toBe(true);
  });

  test('binary file and symlink out of the workspace are reported, not read', async () => {
    write(head, 'blob.json', new Uint8Array([0x7b, 0x00, 0x01, 0x02, 0xff, 0xfe]));
    const outside = tmp();
    write(outside, 'secret.json', policy({ Effect: 'Allow', Action: '*', Resource: '*' }));
    symlinkSync(path.join(outside, 'secret.json'), path.join(head, 'link.json'));
    const out = tmp();
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    const report = readReport(out);
    const files = report.findings.filter((f) => f.ruleId === 'unsupported-file' || f.ruleId === 'parse-error').map((f) => f.location?.file);
    expect(files).toEqual(expect.arrayContaining(['link.json']));
    expect(JSON.stringify(report)).not.toMatch(/"Action":\s*"\*"/);
    expect(r.code).toBe(1);
  });

  test('a corrupt .gz CloudTrail file: the source is partial, the check is not run, the gate fails closed', async () => {
    const logs = tmp();
    write(logs, 'bad.json.gz', gzipSync('{"Records": [').subarray(0, 10));
    const out = tmp();
    const r = await cli(['check', '--base', base, '--head', head, '--cloudtrail', logs, '--out', out]);
    const report = readReport(out);
    expect(report.checks.find((c) => c.id === 'cloudtrail')?.status).toBe('not-run');
    expect(report.verdict.reasons.find((x) => x.ruleId === 'check-not-run')?.message).toMatch(/bad\.json\.gz|cloudtrail/i);
    expect(r.code).toBe(1);
  });

  test('a missing or invalid config is a usage error (exit 2) with file and line', async () => {
    const out = tmp();
    const missing = await cli(['check', '--base', base, '--head', head, '--config', path.join(base, 'nope.yml'), '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.yml/);
    write(base, '.iam-policy-gate.yml', 'rules:\n  new-access: maybe\nsubjects: []\n');
    const invalid = await cli(['check', '--base', base, '--head', head, '--out', out]);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/\.iam-policy-gate\.yml:2:\d+: \/rules\/new-access must be one of fail, warn, off/);
  });

  test('a pull request cannot loosen its own gate: the config comes from the base side', async () => {
    write(base, '.iam-policy-gate.yml', 'rules:\n  new-access: fail\n');
    write(head, '.iam-policy-gate.yml', 'rules:\n  new-access: "off"\n');
    const out = tmp();
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    expect(r.code).toBe(1);
    expect(readReport(out).checks.find((c) => c.id === 'config')?.detail).toMatch(/base version/);
  });

  test('unknown flags and commands are usage errors', async () => {
    expect((await cli(['check', '--bogus'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['check', '--base', base])).code).toBe(2);
  });
});

describe('rules command', () => {
  test('lists every rule with default action and severity, as a table and as JSON', async () => {
    const table = await cli(['rules']);
    expect(table.out).toMatch(/new-access\s+fail\s+high/);
    const json = JSON.parse((await cli(['rules', '--format', 'json'])).out);
    expect(json.find((r: { id: string }) => r.id === 'access-denied-predicted').defaultAction).toBe('warn');
  });
});
