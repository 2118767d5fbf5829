// [iac] Terraform plan JSON: before = base, after = head; modules, for_each keys with dots, unknown values, .tf lines.
import { readFileSync } from 'node:fs';
import type { ExtractedFile, PolicyDocument } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';
import { TfSourceIndex, withPlanFiles } from '../../src/iac/index.js';
import { scanTf } from '../../src/iac/load.js';
import { keyValue, parseModulePath } from '../../src/iac/tf-address.js';

const MOD = 'fixtures/iac/tf/module-for-each';
const UNK = 'fixtures/iac/tf/unknown';

async function sourcesOf(dir: string) {
  return new TfSourceIndex((await scanTf(dir)).map((f) => ({ path: `${dir}/${f.path}`, text: f.text })));
}
function extract(path: string, side: 'base' | 'head', sources?: TfSourceIndex): ExtractedFile {
  return extractPolicies(path, new Uint8Array(readFileSync(path)), { maxBytes: 2 << 20, side, iac: sources ? { terraformSources: sources } : {} });
}
const doc = (r: ExtractedFile, id: string): PolicyDocument | undefined => r.documents.find((d) => d.id === id);
const actions = (d?: PolicyDocument) => d?.statements.flatMap((s) => (s.actions ?? []).map((a) => a.value));
const where = (d?: PolicyDocument) => d?.statements.map((s) => `${s.loc.file}:${s.loc.line}`);

describe('plan with a module for_each whose keys contain dots', () => {
  let sources: TfSourceIndex;
  let base: ExtractedFile;
  let head: ExtractedFile;
  beforeAll(async () => {
    sources = await sourcesOf(MOD);
    base = extract(`${MOD}/tfplan.json`, 'base', sources);
    head = extract(`${MOD}/tfplan.json`, 'head', sources);
  });
  const P = `${MOD}/tfplan.json#`;

  test('one plan file is both sides: before on base, after on head', () => {
    expect(base.format).toBe('terraform-plan');
    const ci = `${P}aws_iam_role.ci.inline_policy.0.policy`;
    expect(actions(doc(base, ci))).toEqual(['s3:PutObject']);
    expect(actions(doc(head, ci))).toEqual(['s3:PutObject', 'lambda:UpdateFunctionCode']);
    // created resources exist on head only
    expect(base.documents.some((d) => d.id.includes('aws_iam_policy.orphan'))).toBe(false);
    expect(head.documents.some((d) => d.id.includes('aws_iam_policy.orphan'))).toBe(true);
  });

  test('module instances with dotted keys are all read, bound to their role ARN, kind identity (not resource)', () => {
    const a = doc(head, `${P}module.team["team.a"].aws_iam_role_policy.this.policy`);
    const b = doc(head, `${P}module.team["team.b"].aws_iam_role_policy.this.policy`);
    expect(a?.kind).toBe('identity');
    expect(a?.subjectHint).toEqual({ type: 'role', arn: 'arn:aws:iam::123456789012:role/team-team-a', id: 'arn:aws:iam::123456789012:role/team-team-a' });
    expect(b?.subjectHint?.arn).toBe('arn:aws:iam::123456789012:role/team-team-b');
    expect(actions(a)).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(actions(doc(base, `${P}module.team["team.a"].aws_iam_role_policy.this.policy`))).toEqual(['s3:GetObject', 's3:ListBucket']);
  });

  test('statements point at the .tf line in the module source, the address is in the label', () => {
    const a = doc(head, `${P}module.team["team.a"].aws_iam_role_policy.this.policy`);
    expect(where(a)).toEqual([`${MOD}/modules/team/main.tf:18`]);
    expect(a?.label).toBe('module.team["team.a"].aws_iam_role_policy.this policy');
    expect(where(doc(head, `${P}aws_iam_role.ci.inline_policy.0.policy`))).toEqual([`${MOD}/main.tf:27`, `${MOD}/main.tf:33`]);
    expect(where(doc(head, `${P}aws_iam_role.ci.assume_role_policy`))).toEqual([`${MOD}/main.tf:16`]);
  });

  test('an attachment whose policy_arn is unknown until apply binds through the configuration references, per instance', () => {
    const extraA = doc(head, `${P}module.team["team.a"].aws_iam_policy.extra.policy`);
    const extraB = doc(head, `${P}module.team["team.b"].aws_iam_policy.extra.policy`);
    expect(extraA?.subjectHint?.arn).toBe('arn:aws:iam::123456789012:role/team-team-a');
    expect(extraB?.subjectHint?.arn).toBe('arn:aws:iam::123456789012:role/team-team-b');
    expect(where(extraA)).toEqual([`${MOD}/modules/team/main.tf:31`]);
  });

  test('an aws_iam_policy attached to nothing is analysed and reported as unattached', () => {
    const orphan = doc(head, `${P}aws_iam_policy.orphan.policy`);
    expect(orphan?.subjectHint).toEqual({ type: 'unbound', id: `${MOD}/tfplan.json#aws_iam_policy.orphan (unattached)` });
    const f = head.findings.find((x) => x.ruleId === 'iac-unattached');
    expect(f?.location).toEqual({ file: `${MOD}/main.tf`, line: 43, column: 1 });
  });

  test('the bucket policy is bound to the bucket ARN', () => {
    const bp = doc(head, `${P}aws_s3_bucket_policy.logs.policy`);
    expect(bp?.kind).toBe('bucket');
    expect(bp?.subjectHint?.id).toBe('arn:aws:s3:::acme-logs');
    expect(where(bp)).toEqual([`${MOD}/main.tf:60`]);
  });

  test('without the sources, locations are the plan itself (line and column of the policy string)', () => {
    const r = extract(`${MOD}/tfplan.json`, 'head');
    const ci = doc(r, `${P}aws_iam_role.ci.inline_policy.0.policy`);
    expect(ci?.statements[0].loc.file).toBe(`${MOD}/tfplan.json`);
    expect(ci?.statements[0].loc.line).toBe(1);
    const text = readFileSync(`${MOD}/tfplan.json`, 'utf8');
    expect(ci!.statements[0].loc.column).toBeGreaterThan(text.indexOf('aws_iam_role.ci'));
  });
});

describe('plan with values unknown until apply', () => {
  let head: ExtractedFile;
  beforeAll(async () => {
    head = extract(`${UNK}/tfplan.json`, 'head', await sourcesOf(UNK));
  });

  test('a policy from an aws_iam_policy_document data source is rendered, its unknown resource analysed as "*" and said so', () => {
    const d = doc(head, `${UNK}/tfplan.json#aws_iam_role_policy.uploader.policy`);
    expect(d?.subjectHint).toEqual({ type: 'role', id: `${UNK}/tfplan.json#aws_iam_role.uploader` });
    expect(d?.statements[0].sid).toBe('WriteUploads');
    expect(d?.statements[0].resources?.map((r) => r.value)).toEqual(['*']);
    expect(where(d)).toEqual([`${UNK}/main.tf:7`]);
    const f = head.findings.find((x) => x.ruleId === 'iac-unresolved');
    expect(f?.message).toContain('data.aws_iam_policy_document.uploader statement[0].resources[0]');
    expect(f?.location?.line).toBe(21);
  });

  test('a policy wholly unknown until apply fails closed with a located check-not-run', () => {
    const f = head.findings.find((x) => x.ruleId === 'check-not-run');
    expect(f?.severity).toBe('high');
    expect(f?.location).toEqual({ file: `${UNK}/main.tf`, line: 26, column: 1 });
    expect(f?.message).toContain('aws_iam_policy.opaque');
    expect(head.documents.some((d) => d.id.includes('aws_iam_policy.opaque'))).toBe(false);
  });

  test('the base side (nothing exists yet) has no documents and no findings', () => {
    const base = extract(`${UNK}/tfplan.json`, 'base');
    expect(base.documents).toEqual([]);
    expect(base.findings).toEqual([]);
  });
});

describe('shared recorded plans (awslabs/terraform-iam-policy-validator)', () => {
  const dir = '../shared/data/awslabs_terraform-iam-policy-validator_tests/iam_check/test';
  let exists = false;
  try {
    exists = readFileSync(`${dir}/role_inline_assume_policy/test_plan.json`).length > 0;
  } catch {
    exists = false;
  }
  (exists ? test : test.skip)('every identity and bucket policy of the recorded plans is extracted', () => {
    const counts: Record<string, number> = {};
    for (const name of ['role_inline_assume_policy', 'identity_policies', 'multiple_policies', 'iam_policy']) {
      const r = extract(`${dir}/${name}/test_plan.json`, 'head');
      counts[name] = r.documents.length;
      expect(r.findings.filter((f) => f.ruleId === 'parse-error')).toEqual([]);
    }
    expect(counts.role_inline_assume_policy).toBe(2);
    expect(counts.iam_policy).toBe(1);
    expect(counts.multiple_policies).toBe(2);
    expect(counts.identity_policies).toBeGreaterThanOrEqual(5);
  });
});

describe('addresses and plan pairing', () => {
  test('module paths with quoted keys holding dots, quotes and brackets', () => {
    expect(parseModulePath('module.a["x.y"].module.b[0]')).toEqual([{ name: 'a', key: '"x.y"' }, { name: 'b', key: '0' }]);
    expect(parseModulePath('module.a["we\\"ird]."]')).toEqual([{ name: 'a', key: '"we\\"ird]."' }]);
    expect(keyValue('"we\\"ird]."')).toBe('we"ird].');
    expect(parseModulePath('module.a["open')).toBeUndefined();
  });

  test('a --plan file becomes a modified pair with the same bytes; a plan in the change set is replaced and said so', () => {
    const bytes = new Uint8Array(readFileSync(`${MOD}/tfplan.json`));
    const changes = withPlanFiles(
      { baseLabel: 'b', headLabel: 'h', notes: [], files: [{ path: 'infra/tfplan.json', status: 'modified', base: new Uint8Array([123, 125]), head: bytes }] },
      [{ path: 'infra/tfplan.json', bytes }],
    );
    expect(changes.files).toHaveLength(1);
    expect(changes.files[0].base).toBe(bytes);
    expect(changes.files[0].head).toBe(bytes);
    expect(changes.notes[0]).toContain('before/after');
  });

  test('a committed plan (no --plan) is still read as its own before/after pair', () => {
    const bytes = new Uint8Array(readFileSync(`${MOD}/tfplan.json`));
    // Its previous version, an older plan, is not what is compared: the head plan's before and after are.
    const older = new TextEncoder().encode('{"format_version":"1.2","terraform_version":"1.9.0","resource_changes":[]}');
    const changes = withPlanFiles({ baseLabel: 'b', headLabel: 'h', notes: [], files: [{ path: 'p.json', status: 'modified', base: older, head: bytes }] }, []);
    expect(changes.files[0].base).toBe(bytes);
    expect(changes.notes).toHaveLength(1);
    // A new plan file has no base of its own either.
    expect(withPlanFiles({ baseLabel: 'b', headLabel: 'h', notes: [], files: [{ path: 'p.json', status: 'added', head: bytes }] }, []).files[0].base).toBe(bytes);
    // Anything else before it (a policy, here `{}`) keeps its version: the change is compared as it is.
    const base = new Uint8Array([123, 125]);
    expect(withPlanFiles({ baseLabel: 'b', headLabel: 'h', notes: [], files: [{ path: 'p.json', status: 'modified', base, head: bytes }] }, []).files[0].base).toBe(base);
    // A "format_version" key alone does not make a plan.
    const fake = new TextEncoder().encode('{"format_version":"1","PolicyDocument":{}}');
    expect(withPlanFiles({ baseLabel: 'b', headLabel: 'h', notes: [], files: [{ path: 'p.json', status: 'modified', base: older, head: fake }] }, []).files[0].base).toBe(older);
  });
});
