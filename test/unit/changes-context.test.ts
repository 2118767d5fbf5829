import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defaultConfig } from '../../src/config/types.js';
import { loadChanges } from '../../src/run.js';

const policy = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'changes-context-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

const unchanged = { 'roles/app/a.json': policy('s3:GetObject'), 'roles/app/b.json': policy('sqs:SendMessage'), 'roles/app/c.json': policy('sns:Publish') };

function config(maxChangedFiles: number) {
  const c = defaultConfig();
  c.subjects = [{ files: 'roles/{role}/*.json', principal: 'arn:aws:iam::123456789012:role/{role}' }];
  c.limits.maxChangedFiles = maxChangedFiles;
  return c;
}

describe('unchanged files of mapped subjects (context)', () => {
  test('directories: files over limits.max-changed-files are left out with a note, never silently', async () => {
    write(join(tmp, 'base'), { ...unchanged, 'roles/app/d.json': policy('s3:PutObject') });
    write(join(tmp, 'head'), { ...unchanged, 'roles/app/d.json': policy('s3:*') });
    const opts = { base: join(tmp, 'base'), head: join(tmp, 'head'), cloudtrail: [], outDir: tmp, formats: [] };
    const all = await loadChanges(opts, config(10));
    expect(all.files.filter((f) => f.status === 'unchanged').map((f) => f.path)).toEqual(['roles/app/a.json', 'roles/app/b.json', 'roles/app/c.json']);
    expect(all.notes.join('\n')).not.toMatch(/not read as context/);
    const cut = await loadChanges(opts, config(1));
    expect(cut.files.filter((f) => f.status === 'unchanged')).toHaveLength(1);
    expect(cut.notes.join('\n')).toMatch(/2 unchanged file\(s\) of mapped subjects not read as context: over limits.max-changed-files \(1\)/);
  });

  test('git refs: the same note', async () => {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: tmp, stdio: 'pipe' });
    git('init', '-q');
    write(tmp, { ...unchanged, 'roles/app/d.json': policy('s3:PutObject') });
    git('add', '-A');
    git('commit', '-qm', 'base');
    write(tmp, { 'roles/app/d.json': policy('s3:*') });
    git('commit', '-qam', 'head');
    const cut = await loadChanges({ base: 'HEAD~1', head: 'HEAD', repo: tmp, cloudtrail: [], outDir: tmp, formats: [] }, config(2));
    expect(cut.files.filter((f) => f.status === 'unchanged').map((f) => f.path)).toEqual(['roles/app/a.json', 'roles/app/b.json']);
    expect(cut.notes.join('\n')).toMatch(/1 unchanged file\(s\) of mapped subjects not read as context/);
  });
});

describe('Terraform sources without a plan', () => {
  test('changed .tf files are listed, and the gate warns that they were not analysed (not a silent pass)', async () => {
    const { runGate } = await import('../../src/pipeline.js');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: tmp, stdio: 'pipe' });
    git('init', '-q');
    write(tmp, { 'infra/main.tf': 'resource "aws_iam_role_policy" "p" {}\n', 'README.md': 'a\n' });
    git('add', '-A');
    git('commit', '-qm', 'base');
    write(tmp, { 'infra/main.tf': 'resource "aws_iam_role_policy" "p" { policy = "…" }\n', 'infra/prod.tfvars': 'x = 1\n', 'README.md': 'b\n' });
    git('add', '-A');
    git('commit', '-qm', 'head');
    const changes = await loadChanges({ base: 'HEAD~1', head: 'HEAD', repo: tmp, cloudtrail: [], outDir: tmp, formats: [] }, defaultConfig());
    expect(changes.terraformSources).toEqual(['infra/main.tf', 'infra/prod.tfvars']);
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 't', now: new Date(0) });
    expect(report.verdict.status).toBe('warn');
    expect(report.verdict.headline).toBe('Terraform plan missing');
    const f = report.findings.find((x) => x.ruleId === 'iac-plan-missing')!;
    expect(f.location).toMatchObject({ file: 'infra/main.tf', line: 1 });
    expect(f.message).toMatch(/Terraform sources changed \(infra\/main.tf, infra\/prod.tfvars\) but no plan was given/);
  });
});

describe('Terraform sources without a plan: what counts', () => {
  test('.tf.json sources count; a plan the pull request commits does not stand in for one the workflow gives', async () => {
    const { runGate } = await import('../../src/pipeline.js');
    const changes = {
      baseLabel: 'b',
      headLabel: 'h',
      notes: [],
      files: [
        { path: 'infra/main.tf.json', status: 'modified' as const, base: new TextEncoder().encode('{}'), head: new TextEncoder().encode('{"resource": {}}') },
        { path: 'docs/example-plan.json', status: 'added' as const, head: new TextEncoder().encode('{"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": []}') },
      ],
    };
    const flagged = runGate({ changes, config: defaultConfig(), toolVersion: 't', now: new Date(0) });
    expect(flagged.findings.find((f) => f.ruleId === 'iac-plan-missing')?.message).toMatch(/\(infra\/main.tf.json\)/);
    const given = runGate({ changes: { ...changes, plansGiven: 1 }, config: defaultConfig(), toolVersion: 't', now: new Date(0) });
    expect(given.findings.filter((f) => f.ruleId === 'iac-plan-missing')).toEqual([]);
  });
});
