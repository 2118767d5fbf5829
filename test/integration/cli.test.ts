import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../src/cli.js';
import { defaultConfig } from '../../src/config/types.js';
import { windowOf } from '../../src/run.js';
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

/** An empty git repository and a git runner for it. */
function gitRepo(): { repo: string; git: (...args: string[]) => string } {
  const repo = tmp();
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 't');
  return { repo, git };
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
    // What reading the change noted reaches the report (and the log).
    expect(report.change.notes).toEqual(expect.arrayContaining([expect.stringMatching(/unchanged/)]));
    expect(r.err).toMatch(/note: .*unchanged/);
    // s3:GetObject on "*" is new (the other file grants it only on b/*); on b/x/* it is covered.
    expect(report.subjects[0].newAccess.map((i) => i.resource)).toEqual(['*']);
    expect(report.subjects[0].delta.added).toEqual([]);
    expect(r.code).toBe(1);
  });

  test('a policy file moved to another role grants that role what it holds (directories and git)', async () => {
    const config = 'subjects:\n  - files: "roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n';
    const admin = policy({ Effect: 'Allow', Action: 'iam:*', Resource: '*' });
    const [base, head] = [tmp(), tmp()];
    for (const root of [base, head]) write(root, '.iam-policy-gate.yml', config);
    write(base, 'roles/app/policy.json', admin);
    write(head, 'roles/other/policy.json', admin);
    const { repo, git } = gitRepo();
    write(repo, '.iam-policy-gate.yml', config);
    write(repo, 'roles/app/policy.json', admin);
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    const baseRef = git('rev-parse', 'HEAD');
    mkdirSync(path.join(repo, 'roles/other'));
    git('mv', 'roles/app/policy.json', 'roles/other/policy.json');
    git('commit', '-q', '-m', 'move');
    for (const args of [['--base', base, '--head', head], ['--repo', repo, '--base', baseRef, '--head', 'HEAD']]) {
      const out = tmp();
      const r = await cli(['check', ...args, '--out', out]);
      const report = readReport(out);
      const other = report.subjects.find((s) => s.subject.id === 'arn:aws:iam::123456789012:role/other');
      expect(other?.delta.addedCount).toBeGreaterThan(100);
      expect(report.subjects.find((s) => s.subject.id === 'arn:aws:iam::123456789012:role/app')?.delta.removedCount).toBeGreaterThan(100);
      expect(r.code).toBe(1);
    }
  });

  test('a changed file a mapping claims is part of the change whatever its name, never unchanged context', async () => {
    const [base, head, out] = [tmp(), tmp(), tmp()];
    const config = 'subjects:\n  - files: "roles/{name}/*"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n';
    for (const root of [base, head]) write(root, '.iam-policy-gate.yml', config);
    write(base, 'roles/app/policy.json', policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }));
    write(head, 'roles/app/policy.json', policy({ Effect: 'Allow', Action: ['s3:GetObject', 'iam:PassRole'], Resource: '*' }));
    write(head, 'roles/app/extra', policy({ Effect: 'Allow', Action: ['s3:GetObject', 'iam:PassRole'], Resource: '*' }));
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    const report = readReport(out);
    expect(report.change.files.map((f) => [f.path, f.status])).toEqual([['roles/app/extra', 'added'], ['roles/app/policy.json', 'modified']]);
    expect(report.subjects[0].newAccess.length).toBeGreaterThan(0);
    expect(r.code).toBe(1);
  });

  test('without a mapping, a rename is the same policy, and a bucket policy narrowed to one bucket is no new access', async () => {
    const [base, head, out] = [tmp(), tmp(), tmp()];
    const get = (...buckets: string[]) => policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/app' }, Action: 's3:GetObject', Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`) });
    write(base, '.iam-policy-gate.yml', 'trusted-accounts: ["123456789012"]\n');
    write(base, 'p.json', get('b1', 'b2'));
    write(head, 'p.json', get('b1'));
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    const report = readReport(out);
    expect(report.subjects.map((s) => s.subject.id)).toEqual(['arn:aws:s3:::b1']);
    expect(report.subjects[0].newAccess).toEqual([]);
    expect(r.code).toBe(0);
  });
});

describe('committed Terraform plans', () => {
  test('a policy whose head starts with "format_version" keeps its base version (not compared with itself)', async () => {
    const [base, head, out] = [tmp(), tmp(), tmp()];
    const doc = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
    write(base, 'p.json', JSON.stringify({ PolicyDocument: doc('s3:GetObject') }));
    write(head, 'p.json', JSON.stringify({ format_version: '1', PolicyDocument: doc('*') }));
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    expect(r.code).toBe(1);
    expect(readReport(out).totals.actions.added).toBeGreaterThan(1000);
  });
});

test('a CloudFormation template in YAML flow style (starting with "{") is read as YAML, not dropped as bad JSON', async () => {
  const [base, head, out] = [tmp(), tmp(), tmp()];
  write(base, 'stack.yaml', 'Resources: {}\n');
  write(head, 'stack.yaml', '{Resources: {Admin: {Type: "AWS::IAM::ManagedPolicy", Properties: {PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}}}}}\n');
  const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
  expect(r.code).toBe(1);
  expect(readReport(out).totals.actions.added).toBeGreaterThan(1000);
});

test('a managed policy of unknown content: attached in the change fails closed, already attached warns', async () => {
  const stack = (arns: string[]) =>
    [
      'Resources:',
      '  App:',
      '    Type: AWS::IAM::Role',
      '    Properties:',
      '      RoleName: app',
      '      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}',
      '      Policies: [{PolicyName: p, PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*"}]}}]',
      ...(arns.length ? ['      ManagedPolicyArns:', ...arns.map((a) => `        - ${a}`)] : []),
      '',
    ].join('\n');
  const custom = 'arn:aws:iam::123456789012:policy/team-custom';
  const run = async (base: string[], head: string[]) => {
    const [b, h, out] = [tmp(), tmp(), tmp()];
    write(b, 'stack.yaml', stack(base));
    write(h, 'stack.yaml', stack(head) + '# edited\n');
    const r = await cli(['check', '--base', b, '--head', h, '--out', out]);
    return { code: r.code, rules: readReport(out).findings.map((f) => f.ruleId) };
  };
  const added = await run([], [custom]);
  expect(added.rules).toContain('iac-external-policy-added');
  expect(added.code).toBe(1);
  const kept = await run([custom], [custom]);
  expect(kept.rules).toContain('iac-external-policy');
  expect(kept.rules).not.toContain('iac-external-policy-added');
  expect(kept.code).toBe(0);
});

test('the CloudTrail window ends now (--now) unless cloudtrail.until says otherwise', () => {
  const now = new Date('2026-11-24T00:00:00Z');
  const config = defaultConfig();
  expect(windowOf(config, now)).toEqual({ since: new Date('2026-08-26T00:00:00Z'), until: now });
  config.cloudtrail.until = '2026-10-01';
  expect(windowOf(config, now).until).toEqual(new Date('2026-10-01T00:00:00Z'));
});

test('a waiver by fingerprint stops applying when the waived grant\'s conditions change', async () => {
  const { createHash } = await import('node:crypto');
  const trust = (sub: string, op = 'StringEquals') =>
    policy({ Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { [op]: { 'token.actions.githubusercontent.com:sub': sub } } });
  const run = async (headSub: string, op: string, config = '') => {
    const [base, head, out] = [tmp(), tmp(), tmp()];
    write(base, '.iam-policy-gate.yml', 'subjects:\n  - files: "roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n' + config);
    write(base, 'roles/deploy/trust.json', policy({ Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Resource: '*' }));
    write(head, 'roles/deploy/trust.json', trust(headSub, op));
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    return { code: r.code, report: readReport(out) };
  };
  const first = await run('repo:acme/deploy:ref:refs/heads/main', 'StringEquals');
  const f = first.report.findings.find((x) => x.ruleId === 'new-access')!;
  const fp = createHash('sha256').update(f.identity).digest('hex').slice(0, 32);
  const waiver = `waivers:\n  - rule: new-access\n    subject: "arn:aws:iam::123456789012:role/deploy"\n    fingerprint: "${fp}"\n    reason: "Deploys from main only (OPS-7)."\n    expires: "2027-02-28"\n`;
  expect((await run('repo:acme/deploy:ref:refs/heads/main', 'StringEquals', waiver)).report.findings.find((x) => x.ruleId === 'new-access')?.evidence?.waiver).toBeDefined();
  const widened = await run('repo:acme/*', 'StringLike', waiver);
  expect(widened.report.findings.find((x) => x.ruleId === 'new-access')?.evidence?.waiver).toBeUndefined();
  expect(widened.code).toBe(1);
});

test('an explicit --config inside the repository is read from the base commit: the change cannot loosen it', async () => {
  const { repo, git } = gitRepo();
  write(repo, 'ci/gate.yml', 'rules:\n  new-access: fail\n');
  write(repo, 'p.json', policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }));
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  const baseRef = git('rev-parse', 'HEAD');
  write(repo, 'ci/gate.yml', 'rules:\n  new-access: "off"\n  high-risk-added: "off"\n');
  write(repo, 'p.json', policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' }));
  git('add', '-A');
  git('commit', '-q', '-m', 'loosen');
  const r = await cli(['check', '--repo', repo, '--base', baseRef, '--head', 'HEAD', '--config', path.join(repo, 'ci/gate.yml'), '--out', tmp()]);
  expect(r.code).toBe(1);
  // Not in the base commit: the defaults apply, and the log says why.
  const added = await cli(['check', '--repo', repo, '--base', baseRef, '--head', 'HEAD', '--config', path.join(repo, 'ci/new.yml'), '--out', tmp()]);
  expect(added.code).toBe(1);
  expect(added.err).toMatch(/ci\/new\.yml is not in the base commit/);
});

describe('policy-files.exclude', () => {
  test('excluded files are not read and are listed; a rename out of a checked path is still checked', async () => {
    const { repo, git } = gitRepo();
    write(repo, '.iam-policy-gate.yml', 'policy-files:\n  exclude: ["test/fixtures/**"]\n');
    write(repo, 'iam/app.json', policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }));
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    const baseRef = git('rev-parse', 'HEAD');
    // A broad fixture (excluded) and the real policy moved under the excluded folder, widened.
    write(repo, 'test/fixtures/admin.json', policy({ Effect: 'Allow', Action: '*', Resource: '*' }));
    git('mv', 'iam/app.json', 'test/fixtures/app.json');
    write(repo, 'test/fixtures/app.json', policy({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' }));
    git('add', '-A');
    git('commit', '-q', '-m', 'head');
    const out = tmp();
    const r = await cli(['check', '--repo', repo, '--base', baseRef, '--head', 'HEAD', '--out', out]);
    const report = readReport(out);
    expect(report.change.excludedFiles).toEqual(['test/fixtures/admin.json']);
    expect(report.change.files.map((f) => f.path)).toEqual(['test/fixtures/app.json']);
    expect(report.findings.some((f) => f.ruleId === 'new-access' && f.location?.file === 'test/fixtures/app.json')).toBe(true);
    expect(r.code).toBe(1);
    expect(readFileSync(path.join(out, 'diff.md'), 'utf8')).toContain('not read: 1 changed file in `policy-files.exclude` (`test/fixtures/admin.json`)');
  });

  test('an excluded file alone passes, and says so', async () => {
    const [base, head, out] = [tmp(), tmp(), tmp()];
    write(base, '.iam-policy-gate.yml', 'policy-files:\n  exclude: ["fixtures/*.json"]\n');
    write(base, 'fixtures/a.json', policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }));
    write(head, 'fixtures/a.json', policy({ Effect: 'Allow', Action: '*', Resource: '*' }));
    const r = await cli(['check', '--base', base, '--head', head, '--out', out]);
    expect(r.code).toBe(0);
    expect(readReport(out).change).toMatchObject({ policyFiles: 0, excludedFiles: ['fixtures/a.json'] });
    write(base, '.iam-policy-gate.yml', 'policy-files:\n  exclude: ["fixtures/{x"]\n');
    const bad = await cli(['check', '--base', base, '--head', head, '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/\.iam-policy-gate\.yml:2:\d+: \/policy-files\/exclude\/0 is not a usable glob/);
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

  test('--since is checked as the config\'s cloudtrail.since is: a usage error naming the value, no stack trace', async () => {
    for (const since of ['garbage', '2026-02-30', '12', '2026-08-01T10:00:00+02:00']) {
      const r = await cli(['check', '--base', base, '--head', head, '--out', tmp(), '--since', since]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--since: ${JSON.stringify(since)} is not a real date (YYYY-MM-DD) or a number of days (90d)`);
      expect(r.err).not.toMatch(/internal error|RangeError|    at /);
    }
    for (const since of ['30d', '2026-08-01', '2026-08-01T10:00:00Z']) expect((await cli(['check', '--base', base, '--head', head, '--out', tmp(), '--since', since])).code).not.toBe(2);
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
