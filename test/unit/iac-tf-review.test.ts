// [iac] Terraform plan JSON, review fixes: unknown managed_policy_arns / inline_policy / legacy bucket policy fail
// closed, role policies moved into inline_policy, one data source per inline_policy block, merged source and
// override documents, unknown principal and condition elements, registry modules' lines, look-alike statements.
import type { ExtractedFile, PolicyDocument } from '../../src/model.js';
import { extractPolicies } from '../../src/policies/extract.js';
import { TfSourceIndex } from '../../src/iac/index.js';

const FILE = 'infra/tfplan.json';
type Plain = Record<string, unknown>;

function extract(plan: Plain, side: 'base' | 'head', sources?: TfSourceIndex, path = FILE): ExtractedFile {
  const bytes = new TextEncoder().encode(JSON.stringify(plan, null, 2));
  return extractPolicies(path, bytes, { maxBytes: 2 << 20, side, iac: sources ? { terraformSources: sources } : {} });
}
function plan(resourceChanges: Plain[], rootModule?: Plain): Plain {
  return { format_version: '1.2', terraform_version: '1.9.0', resource_changes: resourceChanges, ...(rootModule ? { configuration: { root_module: rootModule } } : {}) };
}
function rc(address: string, type: string, before: Plain | null, after: Plain | null, afterUnknown: Plain = {}, extra: Plain = {}): Plain {
  const mode = address.startsWith('data.') || address.includes('.data.') ? 'data' : 'managed';
  const name = address.split('.').slice(-1)[0].replace(/\[.*$/, '');
  return { address, mode, type, name, change: { actions: [before ? 'update' : 'create'], before, after, after_unknown: afterUnknown }, ...extra };
}
const policy = (...statements: Plain[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (action: string, resource = '*', sid?: string): Plain => ({ ...(sid ? { Sid: sid } : {}), Effect: 'Allow', Action: action, Resource: resource });
const TRUST = policy({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' });
const ROLE = { name: 'app', path: '/', arn: 'arn:aws:iam::123456789012:role/app', id: 'app', assume_role_policy: TRUST, managed_policy_arns: [], inline_policy: [] };
const ROLE_ARN = 'arn:aws:iam::123456789012:role/app';
const rules = (r: ExtractedFile, id: string) => r.findings.filter((f) => f.ruleId === id);
const actions = (d?: PolicyDocument) => d?.statements.flatMap((s) => (s.actions ?? []).map((a) => a.value));
const docsOf = (r: ExtractedFile, subject: string) => r.documents.filter((d) => d.subjectHint?.id === subject && d.kind === 'identity');
const dsStatement = (s: Plain): Plain => ({ actions: null, not_actions: null, resources: null, not_resources: null, principals: [], not_principals: [], condition: [], effect: null, sid: null, ...s });
const dsAfter = (statement: Plain[], extra: Plain = {}): Plain => ({ override_json: null, override_policy_documents: null, policy_id: null, source_json: null, source_policy_documents: null, version: null, statement, ...extra });
const dsUnknown = { id: true, json: true, minified_json: true };

describe('unknown managed_policy_arns and inline_policy on a role fail closed', () => {
  test('managed_policy_arns set by reference and unknown at plan time: check-not-run, and the referenced policy is analysed for the role', () => {
    const p = plan(
      [
        rc('aws_iam_policy.p', 'aws_iam_policy', null, { name: 'p', path: '/', policy: policy(allow('sqs:SendMessage', 'arn:aws:sqs:us-east-1:123456789012:q')) }, { arn: true, id: true }),
        rc('aws_iam_role.app', 'aws_iam_role', null, { name: 'app', path: '/', assume_role_policy: TRUST }, { arn: true, id: true, inline_policy: true, managed_policy_arns: true }),
      ],
      {
        resources: [
          { address: 'aws_iam_policy.p', mode: 'managed', type: 'aws_iam_policy', name: 'p', expressions: { name: { constant_value: 'p' }, policy: {} } },
          { address: 'aws_iam_role.app', mode: 'managed', type: 'aws_iam_role', name: 'app', expressions: { assume_role_policy: {}, managed_policy_arns: { references: ['aws_iam_policy.p.arn', 'aws_iam_policy.p'] } } },
        ],
      },
    );
    const head = extract(p, 'head');
    const f = rules(head, 'check-not-run');
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('aws_iam_role.app: managed_policy_arns is known only after apply');
    expect(f[0].subject).toBe(`${FILE}#aws_iam_role.app`);
    // a created role's computed inline_policy (not configured) is no finding
    expect(f[0].message).not.toContain('inline_policy');
    expect(actions(docsOf(head, `${FILE}#aws_iam_role.app`)[0])).toEqual(['sqs:SendMessage']);
    expect(rules(head, 'iac-unattached')).toEqual([]);
    expect(rules(extract(p, 'base'), 'check-not-run')).toEqual([]);
  });

  test('managed_policy_arns unknown on an update without configuration fails closed; constant ARNs in the configuration are expanded', () => {
    const unknown = plan([rc('aws_iam_role.app', 'aws_iam_role', ROLE, { ...ROLE, managed_policy_arns: undefined }, { managed_policy_arns: true })]);
    expect(rules(extract(unknown, 'head'), 'check-not-run').map((f) => f.subject)).toEqual([ROLE_ARN]);
    const constant = plan([rc('aws_iam_role.app', 'aws_iam_role', ROLE, { ...ROLE, managed_policy_arns: undefined }, { managed_policy_arns: true })], {
      resources: [{ address: 'aws_iam_role.app', mode: 'managed', type: 'aws_iam_role', name: 'app', expressions: { managed_policy_arns: { constant_value: ['arn:aws:iam::aws:policy/AdministratorAccess'] } } }],
    });
    const head = extract(constant, 'head');
    expect(rules(head, 'check-not-run')).toEqual([]);
    expect(head.documents.some((d) => d.subjectHint?.id === ROLE_ARN && d.label.includes('AdministratorAccess'))).toBe(true);
  });

  test('a created role whose managed_policy_arns is only computed (not configured) is no finding', () => {
    const p = plan([rc('aws_iam_role.app', 'aws_iam_role', null, { name: 'app', path: '/', assume_role_policy: TRUST }, { arn: true, inline_policy: true, managed_policy_arns: true })], {
      resources: [{ address: 'aws_iam_role.app', mode: 'managed', type: 'aws_iam_role', name: 'app', expressions: { assume_role_policy: {}, name: { constant_value: 'app' } } }],
    });
    expect(rules(extract(p, 'head'), 'check-not-run')).toEqual([]);
  });

  test('a replaced role (delete, create) whose computed inline_policy and managed_policy_arns are unknown is no finding', () => {
    const p = plan([rc('aws_iam_role.app', 'aws_iam_role', ROLE, { name: 'app', path: '/', assume_role_policy: TRUST }, { arn: true, inline_policy: true, managed_policy_arns: true })]);
    ((p.resource_changes as Plain[])[0].change as Plain).actions = ['delete', 'create'];
    expect(rules(extract(p, 'head'), 'check-not-run')).toEqual([]);
  });

  test('inline_policy wholly unknown on an update fails closed', () => {
    const before = { ...ROLE, inline_policy: [{ name: 'x', policy: policy(allow('s3:GetObject', 'arn:aws:s3:::b/*')) }] };
    const p = plan([rc('aws_iam_role.app', 'aws_iam_role', before, { ...ROLE, inline_policy: undefined }, { inline_policy: true })]);
    const f = rules(extract(p, 'head'), 'check-not-run');
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('inline_policy is known only after apply');
    expect(f[0].subject).toBe(ROLE_ARN);
    expect(rules(extract(p, 'base'), 'check-not-run')).toEqual([]);
  });
});

describe('legacy aws_s3_bucket.policy', () => {
  const BEFORE = { bucket: 'bkt', id: 'bkt', arn: 'arn:aws:s3:::bkt', policy: policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/*' }) };

  test('unknown until apply fails closed like aws_s3_bucket_policy', () => {
    const head = extract(plan([rc('aws_s3_bucket.b', 'aws_s3_bucket', BEFORE, { bucket: 'bkt', id: 'bkt', arn: 'arn:aws:s3:::bkt' }, { policy: true })]), 'head');
    const f = rules(head, 'check-not-run');
    expect(f).toHaveLength(1);
    expect(f[0].subject).toBe('arn:aws:s3:::bkt');
    expect(f[0].message).toContain('aws_s3_bucket.b: policy is known only after apply');
  });

  test('a created bucket whose policy is only computed is no finding', () => {
    const p = plan([rc('aws_s3_bucket.b', 'aws_s3_bucket', null, { bucket: 'bkt' }, { policy: true, arn: true, id: true })], {
      resources: [{ address: 'aws_s3_bucket.b', mode: 'managed', type: 'aws_s3_bucket', name: 'b', expressions: { bucket: { constant_value: 'bkt' } } }],
    });
    expect(rules(extract(p, 'head'), 'check-not-run')).toEqual([]);
  });
});

describe('role policies and inline_policy blocks', () => {
  test('an aws_iam_role_policy moved into the role inline_policy: the head reads the role block (the resource is deleted)', () => {
    const read = allow('s3:GetObject', 'arn:aws:s3:::b/*', 'Read');
    const role = (stmts: Plain[]) => ({ ...ROLE, inline_policy: [{ name: 'x', policy: policy(...stmts) }] });
    const p = plan([
      rc('aws_iam_role.app', 'aws_iam_role', role([read]), role([read, allow('iam:PassRole', '*', 'Pass')])),
      rc('aws_iam_role_policy.x', 'aws_iam_role_policy', { id: 'app:x', name: 'x', role: 'app', policy: policy(read) }, null),
    ]);
    const base = extract(p, 'base');
    const head = extract(p, 'head');
    // base: counted once, from the role policy resource
    expect(docsOf(base, ROLE_ARN).map(actions)).toEqual([['s3:GetObject']]);
    expect(docsOf(head, ROLE_ARN).map(actions)).toEqual([['s3:GetObject', 'iam:PassRole']]);
  });

  test('two inline_policy blocks rendered from different data sources each use their own', () => {
    const p = plan(
      [
        rc('data.aws_iam_policy_document.one', 'aws_iam_policy_document', null, dsAfter([dsStatement({ actions: ['sqs:SendMessage'], resources: [null], sid: 'Send' })]), { ...dsUnknown, statement: [{ resources: [true] }] }),
        rc('data.aws_iam_policy_document.two', 'aws_iam_policy_document', null, dsAfter([dsStatement({ actions: ['iam:PassRole'], resources: ['*'], sid: 'Pass' })]), dsUnknown),
        // set order in the plan differs from the configuration's block order
        rc('aws_iam_role.app', 'aws_iam_role', null, { name: 'app', path: '/', assume_role_policy: TRUST, inline_policy: [{ name: 'two' }, { name: 'one' }] }, { arn: true, inline_policy: [{ policy: true }, { policy: true }] }),
      ],
      {
        resources: [
          {
            address: 'aws_iam_role.app',
            mode: 'managed',
            type: 'aws_iam_role',
            name: 'app',
            expressions: {
              inline_policy: [
                { name: { constant_value: 'one' }, policy: { references: ['data.aws_iam_policy_document.one.json', 'data.aws_iam_policy_document.one'] } },
                { name: { constant_value: 'two' }, policy: { references: ['data.aws_iam_policy_document.two.json', 'data.aws_iam_policy_document.two'] } },
              ],
            },
          },
        ],
      },
    );
    const head = extract(p, 'head');
    const byLabel = (name: string) => head.documents.find((d) => d.label === `aws_iam_role.app inline_policy ${name}`);
    expect(actions(byLabel('one'))).toEqual(['sqs:SendMessage']);
    expect(actions(byLabel('two'))).toEqual(['iam:PassRole']);
    expect(rules(head, 'iac-unresolved').map((f) => f.message)).toEqual([expect.stringContaining('data.aws_iam_policy_document.one statement[0].resources[0] in aws_iam_role.app inline_policy one')]);
  });
});

describe('aws_iam_policy_document source and override documents', () => {
  const cfg = {
    resources: [{ address: 'aws_iam_role_policy.app', mode: 'managed', type: 'aws_iam_role_policy', name: 'app', expressions: { policy: { references: ['data.aws_iam_policy_document.app.json', 'data.aws_iam_policy_document.app'] } } }],
  };
  const rolePolicy = rc('aws_iam_role_policy.app', 'aws_iam_role_policy', { id: 'app:app', name: 'app', role: 'app', policy: policy(allow('s3:GetObject', '*', 'ReadOwn')) }, { id: 'app:app', name: 'app', role: 'app' }, { policy: true });
  const own = [dsStatement({ actions: ['s3:GetObject'], resources: [null], sid: 'ReadOwn' }), dsStatement({ actions: ['s3:ListBucket'], resources: ['*'], sid: 'List' })];
  const ownUnknown = { ...dsUnknown, statement: [{ resources: [true] }, {}] };
  const identity = (r: ExtractedFile) => r.documents.filter((d) => d.kind === 'identity');
  const headDoc = (ds: Plain) => identity(extract(plan([ds, rolePolicy], cfg), 'head'));

  test('source documents come first, the document replaces same-sid statements, overrides replace by sid', () => {
    const ds = rc(
      'data.aws_iam_policy_document.app',
      'aws_iam_policy_document',
      null,
      dsAfter(own, {
        source_policy_documents: [policy(allow('iam:PassRole', '*', 'PassAny'), allow('s3:DeleteObject', '*', 'List'))],
        override_policy_documents: [policy(allow('s3:ListAllMyBuckets', '*', 'List'), allow('kms:Decrypt', '*'))],
      }),
      { ...ownUnknown, source_policy_documents: [false], override_policy_documents: [false] },
    );
    const docs = headDoc(ds);
    expect(docs).toHaveLength(1);
    expect(docs[0].statements.map((s) => `${s.sid ?? ''}:${actions({ ...docs[0], statements: [s] })}`)).toEqual(['PassAny:iam:PassRole', 'List:s3:ListAllMyBuckets', 'ReadOwn:s3:GetObject', ':kms:Decrypt']);
  });

  test('a source document unknown at plan time fails closed', () => {
    const ds = rc('data.aws_iam_policy_document.app', 'aws_iam_policy_document', null, dsAfter(own, { source_policy_documents: [null] }), { ...ownUnknown, source_policy_documents: [true] });
    const head = extract(plan([ds, rolePolicy], cfg), 'head');
    expect(rules(head, 'check-not-run').map((f) => f.message)).toEqual([expect.stringContaining('data.aws_iam_policy_document.app source_policy_documents is known only after apply')]);
    expect(identity(head)).toEqual([]);
    expect(identity(extract(plan([ds, rolePolicy], cfg), 'base'))).toHaveLength(1);
  });
});

describe('unknown elements of data-source principals and condition values', () => {
  test('become "*" with iac-unresolved, not invalid-grammar', () => {
    const ds = rc(
      'data.aws_iam_policy_document.trust',
      'aws_iam_policy_document',
      null,
      dsAfter([
        dsStatement({
          actions: ['sts:AssumeRole'],
          sid: 'Trust',
          principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::999988887777:root', null] }],
          condition: [{ test: 'StringEquals', variable: 'sts:ExternalId', values: ['abc', null] }],
        }),
      ]),
      { ...dsUnknown, statement: [{ condition: [{ values: [false, true] }], principals: [{ identifiers: [false, true] }] }] },
    );
    const role = rc('aws_iam_role.app', 'aws_iam_role', null, { name: 'app', path: '/' }, { arn: true, assume_role_policy: true });
    const head = extract(plan([ds, role], { resources: [{ address: 'aws_iam_role.app', mode: 'managed', type: 'aws_iam_role', name: 'app', expressions: { assume_role_policy: { references: ['data.aws_iam_policy_document.trust.json', 'data.aws_iam_policy_document.trust'] } } }] }), 'head');
    expect(rules(head, 'invalid-grammar')).toEqual([]);
    const trust = head.documents.find((d) => d.kind === 'trust');
    expect(trust?.statements[0].principal?.entries.map((e) => e.value)).toEqual(['arn:aws:iam::999988887777:root', '*']);
    expect(trust?.statements[0].conditions[0].values).toEqual(['abc', '*']);
    expect(rules(head, 'iac-unresolved').map((f) => f.message.split(' in ')[0])).toEqual([
      'aws_iam_role.app: data.aws_iam_policy_document.trust statement[0].principals[0].identifiers[1]',
      'aws_iam_role.app: data.aws_iam_policy_document.trust statement[0].condition[0].values[1]',
    ]);
  });
});

describe('source lines', () => {
  test('a resource in a registry module points at the module call, not a same-named root resource', () => {
    const root = [
      'resource "aws_iam_role_policy" "this" {', // 1
      '  name = "root"',
      '  role = "root"',
      '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Action = "s3:GetObject", Effect = "Allow", Resource = "*" }] })',
      '}',
      '',
      'module "team" {', // 7
      '  source = "terraform-aws-modules/team/aws"',
      '}',
    ].join('\n');
    const sources = new TfSourceIndex([{ path: 'infra/main.tf', text: root }]);
    const p = plan(
      [
        rc('aws_iam_role_policy.this', 'aws_iam_role_policy', null, { name: 'root', role: 'root', policy: policy(allow('s3:GetObject')) }),
        rc('module.team.aws_iam_role_policy.this', 'aws_iam_role_policy', null, { name: 'team', role: 'team', policy: policy(allow('iam:PassRole')) }, {}, { module_address: 'module.team' }),
      ],
      { resources: [], module_calls: { team: { source: 'terraform-aws-modules/team/aws', module: { resources: [] } } } },
    );
    const head = extract(p, 'head', sources);
    const inModule = head.documents.find((d) => d.id.includes('module.team.'));
    expect(inModule?.statements.map((s) => `${s.loc.file}:${s.loc.line}`)).toEqual(['infra/main.tf:7']);
    const inRoot = head.documents.find((d) => d.id === `${FILE}#aws_iam_role_policy.this.policy`);
    expect(inRoot?.statements.map((s) => `${s.loc.file}:${s.loc.line}`)).toEqual(['infra/main.tf:4']);
  });

  test('statements without a Sid sharing a first action point at their own lines', () => {
    const tf = [
      'resource "aws_iam_role_policy" "p" {', // 1
      '  name = "p"',
      '  role = "r"',
      '  policy = jsonencode({',
      '    Version = "2012-10-17"',
      '    Statement = [',
      '      {',
      '        Effect   = "Allow"',
      '        Action   = ["s3:GetObject"]', // 9
      '        Resource = ["arn:aws:s3:::public-assets/*"]',
      '      },',
      '      {',
      '        Effect   = "Allow"',
      '        Action   = ["s3:GetObject"]', // 14
      '        Resource = ["*"]',
      '      },',
      '    ]',
      '  })',
      '}',
    ].join('\n');
    const sources = new TfSourceIndex([{ path: 'infra/main.tf', text: tf }]);
    const s1 = { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::public-assets/*'] };
    const s2 = { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] };
    const p = plan([rc('aws_iam_role_policy.p', 'aws_iam_role_policy', { id: 'r:p', name: 'p', role: 'r', policy: policy(s1) }, { id: 'r:p', name: 'p', role: 'r', policy: policy(s1, s2) })]);
    const head = extract(p, 'head', sources);
    expect(head.documents[0].statements.map((s) => s.loc.line)).toEqual([9, 14]);
  });
});

describe('review round 2 (Terraform): unknown principals, shadowed documents, unknown ARNs, membership, SSO and SCPs', () => {
  const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
  const noop = (r: Plain): Plain => ({ ...r, change: { ...(r.change as Plain), actions: ['no-op'] } });

  test('an attachment whose role is unknown until apply, or one of whose roles is, fails closed naming what it attaches', () => {
    const one = plan([rc('aws_iam_role_policy_attachment.admin', 'aws_iam_role_policy_attachment', null, { policy_arn: ADMIN, role: null }, { id: true, role: true })]);
    const f = rules(extract(one, 'head'), 'check-not-run');
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('aws_iam_role_policy_attachment.admin: role is known only after apply');
    expect(f[0].message).toContain(ADMIN);
    expect(rules(extract(one, 'base'), 'check-not-run')).toEqual([]);
    const list = plan([rc('aws_iam_policy_attachment.admins', 'aws_iam_policy_attachment', null, { name: 'admins', policy_arn: ADMIN, roles: ['breakglass', null], users: [], groups: [] }, { id: true, roles: [false, true] })]);
    const g = rules(extract(list, 'head'), 'check-not-run');
    expect(g.map((x) => x.message.split(' is known')[0])).toEqual(['aws_iam_policy_attachment.admins: roles[1]']);
    // a reference to a role of the plan is bound as before: no finding
    const ref = plan(
      [rc('aws_iam_role.app', 'aws_iam_role', ROLE, ROLE), rc('aws_iam_role_policy_attachment.a', 'aws_iam_role_policy_attachment', null, { policy_arn: ADMIN, role: null }, { id: true, role: true })],
      { resources: [{ address: 'aws_iam_role_policy_attachment.a', mode: 'managed', type: 'aws_iam_role_policy_attachment', name: 'a', expressions: { role: { references: ['aws_iam_role.app.name', 'aws_iam_role.app'] } } }] },
    );
    expect(rules(extract(ref, 'head'), 'check-not-run')).toEqual([]);
  });

  test('a changed inline_policy block or resource policy attribute is analysed when its twin policy resource holds another document', () => {
    const old = policy(allow('s3:GetObject', 'arn:aws:s3:::b/*'));
    const p = plan([
      rc('aws_iam_role.app', 'aws_iam_role', { ...ROLE, inline_policy: [{ name: 'admin', policy: old }] }, { ...ROLE, inline_policy: [{ name: 'admin', policy: policy(allow('*')) }] }),
      noop(rc('aws_iam_role_policy.admin', 'aws_iam_role_policy', { name: 'admin', role: 'app', policy: old }, { name: 'admin', role: 'app', policy: old })),
    ]);
    const head = extract(p, 'head');
    expect(docsOf(head, ROLE_ARN).flatMap((d) => actions(d))).toEqual(expect.arrayContaining(['*', 's3:GetObject']));
    // the same document on both: counted once
    expect(docsOf(extract(p, 'base'), ROLE_ARN)).toHaveLength(1);
    const q = 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs';
    const qp = policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sqs:SendMessage', Resource: '*' });
    const open = policy({ Effect: 'Allow', Principal: '*', Action: 'sqs:*', Resource: '*' });
    const sq = plan([
      rc('aws_sqs_queue.jobs', 'aws_sqs_queue', { arn: 'arn:aws:sqs:us-east-1:123456789012:jobs', url: q, id: q, name: 'jobs', policy: qp }, { arn: 'arn:aws:sqs:us-east-1:123456789012:jobs', url: q, id: q, name: 'jobs', policy: open }),
      noop(rc('aws_sqs_queue_policy.jobs', 'aws_sqs_queue_policy', { queue_url: q, policy: qp }, { queue_url: q, policy: qp })),
    ]);
    const h = extract(sq, 'head');
    expect(h.documents.some((d) => d.id.endsWith('aws_sqs_queue.jobs.policy') && d.statements[0].principal?.any)).toBe(true);
  });

  test('a new attachment whose policy_arn is unknown until apply fails closed (iac-external-policy-added, never matched to base)', () => {
    const p = plan([rc('aws_iam_role_policy_attachment.x', 'aws_iam_role_policy_attachment', null, { role: 'app', policy_arn: null }, { id: true, policy_arn: true })]);
    const head = extract(p, 'head');
    expect(rules(head, 'iac-unresolved')).toEqual([]);
    const f = rules(head, 'iac-external-policy-added');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('high');
    expect(String(f[0].evidence?.arn)).toContain('known only after apply');
  });

  test('users joining a group are reported as iac-not-analysed; removals and no-ops are not', () => {
    const p = plan([
      rc('aws_iam_user_group_membership.dev', 'aws_iam_user_group_membership', null, { user: 'dev', groups: ['admins'] }, { id: true }),
      rc('aws_iam_group_membership.admins', 'aws_iam_group_membership', { name: 'm', group: 'admins', users: ['alice'] }, { name: 'm', group: 'admins', users: ['alice', 'mallory'] }),
      rc('aws_iam_group_membership.gone', 'aws_iam_group_membership', { name: 'g', group: 'ops', users: ['bob'] }, null),
      noop(rc('aws_iam_group_membership.same', 'aws_iam_group_membership', { name: 's', group: 'ops', users: ['bob'] }, { name: 's', group: 'ops', users: ['bob'] })),
    ]);
    const f = rules(extract(p, 'head'), 'iac-not-analysed');
    expect(f.map((x) => x.message.split(' and gains')[0])).toEqual(['aws_iam_user_group_membership.dev: user dev joins group admins', 'aws_iam_group_membership.admins: user mallory joins group admins']);
    expect(rules(extract(p, 'base'), 'iac-not-analysed')).toEqual([]);
  });

  test('a user joining a group this plan manages gets the group\'s policies (each labelled with the group); only groups managed elsewhere are iac-not-analysed', () => {
    const GROUP = { name: 'admins', path: '/', arn: 'arn:aws:iam::123456789012:group/admins', id: 'admins' };
    const p = plan([
      rc('aws_iam_group.admins', 'aws_iam_group', GROUP, GROUP),
      rc('aws_iam_group_policy.admins', 'aws_iam_group_policy', { name: 'admin', group: 'admins', policy: policy(allow('sqs:*')) }, { name: 'admin', group: 'admins', policy: policy(allow('sqs:*')) }),
      rc('aws_iam_group_policy_attachment.custom', 'aws_iam_group_policy_attachment', { group: 'admins', policy_arn: 'arn:aws:iam::123456789012:policy/custom' }, { group: 'admins', policy_arn: 'arn:aws:iam::123456789012:policy/custom' }),
      rc('aws_iam_user_group_membership.dev', 'aws_iam_user_group_membership', null, { user: 'dev', groups: ['admins', 'platform'] }, { id: true }),
      rc('aws_iam_group_membership.admins', 'aws_iam_group_membership', { name: 'm', group: 'admins', users: ['alice'] }, { name: 'm', group: 'admins', users: ['alice', 'ops'] }),
    ]);
    const head = extract(p, 'head');
    const base = extract(p, 'base');
    const bySubject = (r: ExtractedFile, id: string) => r.documents.filter((d) => d.subjectHint?.id === id).map((d) => d.label);
    const via = 'aws_iam_group_policy.admins policy (via group arn:aws:iam::123456789012:group/admins)';
    expect(bySubject(head, 'arn:aws:iam::123456789012:user/dev')).toEqual([via]);
    expect(bySubject(head, 'arn:aws:iam::123456789012:user/ops')).toEqual([via]);
    expect(bySubject(head, 'arn:aws:iam::123456789012:user/alice')).toEqual([via]);
    expect(bySubject(base, 'arn:aws:iam::123456789012:user/alice')).toEqual([via]);
    expect(bySubject(base, 'arn:aws:iam::123456789012:user/dev')).toEqual([]);
    expect(new Set(head.documents.map((d) => d.id)).size).toBe(head.documents.length);
    // The group's external policy is each member's too; "platform" is not this plan's group: fails closed.
    expect(rules(head, 'iac-external-policy').map((f) => f.subject).sort()).toEqual(['arn:aws:iam::123456789012:group/admins', 'arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:user/dev', 'arn:aws:iam::123456789012:user/ops']);
    expect(rules(head, 'iac-not-analysed').map((x) => x.message.split(' and gains')[0])).toEqual(['aws_iam_user_group_membership.dev: user dev joins group platform']);
  });

  test('permission set inline policies and managed attachments are read for the permission set; SCP changes are iac-not-analysed', () => {
    const PS = 'arn:aws:sso:::permissionSet/ssoins-1/ps-1';
    const p = plan([
      rc('aws_ssoadmin_permission_set_inline_policy.p', 'aws_ssoadmin_permission_set_inline_policy', { instance_arn: 'i', permission_set_arn: PS, inline_policy: policy(allow('s3:GetObject')) }, { instance_arn: 'i', permission_set_arn: PS, inline_policy: policy(allow('*')) }),
      rc('aws_ssoadmin_managed_policy_attachment.a', 'aws_ssoadmin_managed_policy_attachment', null, { instance_arn: 'i', permission_set_arn: PS, managed_policy_arn: ADMIN }, { id: true }),
      rc('aws_ssoadmin_customer_managed_policy_attachment.c', 'aws_ssoadmin_customer_managed_policy_attachment', null, { instance_arn: 'i', permission_set_arn: PS, customer_managed_policy_reference: [{ name: 'x', path: '/' }] }, { id: true }),
      rc('aws_organizations_policy.guard', 'aws_organizations_policy', { name: 'guard', type: 'SERVICE_CONTROL_POLICY', content: '{}' }, { name: 'guard', type: 'SERVICE_CONTROL_POLICY', content: '{"x":1}' }),
      rc('aws_organizations_policy.tags', 'aws_organizations_policy', { name: 'tags', type: 'TAG_POLICY', content: '{}' }, { name: 'tags', type: 'TAG_POLICY', content: '{"x":1}' }),
    ]);
    const head = extract(p, 'head');
    const docs = head.documents.filter((d) => d.subjectHint?.id === PS && d.kind === 'identity');
    expect(docs.map((d) => d.label)).toEqual(expect.arrayContaining(['aws_ssoadmin_permission_set_inline_policy.p inline_policy', 'aws_ssoadmin_managed_policy_attachment.a AdministratorAccess (AWS managed)']));
    expect(rules(head, 'iac-not-analysed').map((f) => f.message.split(':')[0])).toEqual(['aws_ssoadmin_customer_managed_policy_attachment.c', 'aws_organizations_policy.guard']);
  });
});
