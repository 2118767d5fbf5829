// An account principal (id or :root) in a resource or trust policy covers a role, user or session of
// that account only across accounts. Within the resource's own account a resource policy naming a
// role or user grants it directly, while naming the account grants nothing until an identity policy
// does: a change from the root to a named principal of the same account (or of an account when the
// resource's account is unknown) is possibly new access.
import { compareAccess } from '../../src/analysis/new-access.js';
import type { NewAccessItem, PolicyKind, SubjectRef } from '../../src/model.js';
import { compiled, doc, policy } from './engine-helpers.js';

const OWN = '123456789012';
const OTHER = '999999999999';
const ROOT = `arn:aws:iam::${OWN}:root`;
const KEY = `arn:aws:kms:us-east-1:${OWN}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const stmt = (principal: unknown, action: string | string[], resource?: string, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: { AWS: principal },
  Action: action,
  ...(resource ? { Resource: resource } : {}),
  ...extra,
});

function run(base: unknown[], head: unknown[], kind: PolicyKind, subject?: SubjectRef): NewAccessItem[] {
  return compareAccess(compiled([doc(policy(base), kind, 'base.json')]), compiled([doc(policy(head), kind, 'head.json')]), { subject }).items;
}

const role = (arn: string): SubjectRef => ({ type: 'role', arn, id: arn });
const bucket = (arn: string): SubjectRef => ({ type: 'bucket', arn, id: arn });

describe('same-account principals: KMS key policy', () => {
  const rootStmt = stmt(ROOT, 'kms:*', '*');

  test('the standard root statement does not cover a role of the account (repro p1)', () => {
    const items = run([rootStmt], [rootStmt, stmt(`arn:aws:iam::${OWN}:role/intern`, 'kms:Decrypt', '*')], 'resource');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ certainty: 'possibly-new', actions: ['kms:Decrypt'], principal: `AWS:arn:aws:iam::${OWN}:role/intern` });
    expect(items[0].reason).toContain('which base granted only through the account root');
    expect(items[0].reason).toContain('within an account a resource policy naming a role grants it without an identity policy');
    expect(items[0].reason).toContain("the resource's account is not known");
  });

  test('a key ARN in Resource tells the account: same account says "of the account itself"', () => {
    const items = run([stmt(ROOT, 'kms:*', KEY)], [stmt(ROOT, 'kms:*', KEY), stmt(`arn:aws:iam::${OWN}:role/intern`, 'kms:Decrypt', KEY)], 'resource');
    expect(items).toHaveLength(1);
    expect(items[0].certainty).toBe('possibly-new');
    expect(items[0].reason).toContain(`names a role of the account itself (${OWN}), which base granted only through the account root`);
  });

  test('across accounts the root still covers its roles when the key is known to be elsewhere', () => {
    const other = stmt(`arn:aws:iam::${OTHER}:root`, 'kms:Decrypt', KEY);
    expect(run([other], [stmt(`arn:aws:iam::${OTHER}:role/app`, 'kms:Decrypt', KEY)], 'resource')).toEqual([]);
    // The key's account unknown (Resource "*", no subject): not covered.
    const items = run([stmt(OTHER, 'kms:Decrypt', '*')], [stmt(`arn:aws:iam::${OTHER}:role/app`, 'kms:Decrypt', '*')], 'resource');
    expect(items).toHaveLength(1);
    expect(items[0].certainty).toBe('possibly-new');
    expect(items[0].reason).toContain(`names a role of account ${OTHER}`);
  });

  test('a subject bound to the key ARN gives the account', () => {
    const key = { type: 'resource' as const, arn: KEY, id: KEY };
    const items = run([stmt(ROOT, 'kms:*', '*')], [stmt(`arn:aws:iam::${OWN}:user/intern`, 'kms:Decrypt', '*')], 'resource', key);
    expect(items).toHaveLength(1);
    expect(items[0].reason).toContain(`names a user of the account itself (${OWN})`);
    expect(run([stmt(OTHER, 'kms:*', '*')], [stmt(`arn:aws:iam::${OTHER}:user/x`, 'kms:Decrypt', '*')], 'resource', key)).toEqual([]);
  });
});

describe('same-account principals: trust policies', () => {
  const assume = (p: unknown) => stmt(p, 'sts:AssumeRole');
  const app = role(`arn:aws:iam::${OWN}:role/app`);

  test('root of the own account does not cover a user of it (repro p2)', () => {
    const items = run([assume(ROOT)], [assume(ROOT), assume(`arn:aws:iam::${OWN}:user/intern`)], 'trust');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ certainty: 'possibly-new', principal: `AWS:arn:aws:iam::${OWN}:user/intern` });
    expect(items[0].reason).toContain('within an account a trust policy naming a user lets it assume the role without an identity policy');
  });

  test("with the role as subject: its own account is not covered, another account's role is", () => {
    const same = run([assume(ROOT)], [assume(`arn:aws:iam::${OWN}:role/dev`)], 'trust', app);
    expect(same).toHaveLength(1);
    expect(same[0].reason).toContain(`names a role of the account itself (${OWN})`);
    expect(run([assume(OTHER)], [assume(`arn:aws:iam::${OTHER}:role/ci`)], 'trust', app)).toEqual([]);
    expect(run([assume(`arn:aws:iam::${OTHER}:root`)], [assume(`arn:aws:sts::${OTHER}:assumed-role/ci/s`)], 'trust', app)).toEqual([]);
  });

  test('sessions and federated users of the own account are not covered either', () => {
    for (const p of [`arn:aws:sts::${OWN}:assumed-role/dev/s`, `arn:aws:sts::${OWN}:federated-user/bob`]) {
      const items = run([assume(ROOT)], [assume(p)], 'trust', app);
      expect(items).toHaveLength(1);
      expect(items[0].certainty).toBe('possibly-new');
    }
  });

  test('naming the account in head (id or :root) stays covered by the account in base', () => {
    expect(run([assume(ROOT)], [assume(OWN)], 'trust', app)).toEqual([]);
    expect(run([assume(OWN)], [assume(ROOT)], 'trust')).toEqual([]);
    expect(run([assume(`arn:aws:iam::${OWN}:role/dev`)], [assume(`arn:aws:iam::${OWN}:role/dev`)], 'trust', app)).toEqual([]);
  });
});

describe('same-account principals: bucket policies', () => {
  const B = 'arn:aws:s3:::secrets';
  const all = stmt(OWN, 's3:*', `${B}/*`);

  test('account id does not cover a role when the bucket account is unknown (repro p3)', () => {
    const items = run([all], [all, stmt(`arn:aws:iam::${OWN}:role/intern`, 's3:GetObject', `${B}/*`)], 'bucket', bucket(B));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ certainty: 'possibly-new', actions: ['s3:GetObject'] });
    expect(items[0].reason).toContain("the bucket's account is not known");
    expect(items[0].reason).toContain('within an account a bucket policy naming a role grants it without an identity policy');
  });

  test('a Deny naming the account still removes access of its roles', () => {
    const deny = { Effect: 'Deny', Principal: { AWS: OWN }, Action: 's3:GetObject', Resource: `${B}/*` };
    expect(run([], [stmt(`arn:aws:iam::${OWN}:role/intern`, 's3:GetObject', `${B}/*`), deny], 'bucket')).toEqual([]);
  });

  test('never more covered: a base naming the role itself, or "*", still covers', () => {
    const r = `arn:aws:iam::${OWN}:role/intern`;
    expect(run([stmt(r, 's3:GetObject', `${B}/*`)], [stmt(r, 's3:GetObject', `${B}/*`)], 'bucket')).toEqual([]);
    expect(run([stmt('*', 's3:GetObject', `${B}/*`)], [stmt(r, 's3:GetObject', `${B}/*`)], 'bucket')).toEqual([]);
  });

  test('uncatalogued actions get the same reason', () => {
    const items = run([stmt(OWN, 's3:NotAnAction2099', `${B}/*`)], [stmt(`arn:aws:iam::${OWN}:role/intern`, 's3:NotAnAction2099', `${B}/*`)], 'bucket');
    expect(items).toHaveLength(1);
    expect(items[0].reason).toContain('the action catalogue does not know these actions');
    expect(items[0].reason).toContain('which base granted only through the account root');
  });
});
