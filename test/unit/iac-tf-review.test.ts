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
