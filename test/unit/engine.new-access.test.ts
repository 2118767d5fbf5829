import { compareAccess, newAccess } from '../../src/analysis/new-access.js';
import { clauseImplies, conditionsImply } from '../../src/analysis/new-access-conditions.js';
import { resourceCovers, resourcesDisjoint } from '../../src/analysis/new-access-scope.js';
import type { ConditionClause, NewAccessItem, PolicyKind } from '../../src/model.js';
import { compiled, doc, policy } from './engine-helpers.js';

const S3 = 'arn:aws:s3:::b';
const allow = (Action: unknown, Resource: unknown = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });
const deny = (Action: unknown, Resource: unknown = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Deny', Action, Resource, ...extra });

function run(base: unknown[], head: unknown[], kind: PolicyKind = 'identity', versions: [string, string] = ['2012-10-17', '2012-10-17']): NewAccessItem[] {
  const b = base.length ? [doc(policy(base, versions[0]), kind, 'base.json')] : [];
  const h = [doc(policy(head, versions[1]), kind, 'head.json')];
  return newAccess(compiled(b), compiled(h));
}
const certain = (items: NewAccessItem[]) => items.filter((i) => i.certainty === 'new');

describe('new access: actions and resources', () => {
  test('identical policies: nothing new', () => {
    const p = [allow(['s3:Get*', 'sqs:SendMessage'], [`${S3}/*`]), deny('s3:GetObjectAcl')];
    expect(run(p, p)).toEqual([]);
  });

  test('a wider action wildcard is new, listing exactly the added actions', () => {
    const items = run([allow('s3:GetObject', `${S3}/*`)], [allow(['s3:GetObject', 's3:PutObject'], `${S3}/*`)]);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ actions: ['s3:PutObject'], resource: `${S3}/*`, certainty: 'new' });
    expect(items[0].location.file).toBe('head.json');
  });

  test('resource glob containment: narrower head is covered, wider head is new', () => {
    expect(run([allow('s3:GetObject', `${S3}/*`)], [allow('s3:GetObject', `${S3}/logs/?/x*`)])).toEqual([]);
    const items = run([allow('s3:GetObject', `${S3}/logs/*`)], [allow('s3:GetObject', `${S3}/*`)]);
    expect(items.map((i) => [i.resource, i.certainty])).toEqual([[`${S3}/*`, 'new']]);
    expect(items[0].reason).toMatch(/on arn:aws:s3:::b\/other-1, for example/);
  });

  test('NotAction in head is compared as the complement of the catalogue', () => {
    const items = run([allow('s3:*')], [allow('s3:*'), { Effect: 'Allow', NotAction: 's3:*', Resource: '*' }]);
    expect(items).toHaveLength(1);
    expect(items[0].actions).toContain('iam:*');
    expect(items[0].actions.some((a) => a.startsWith('s3:'))).toBe(false);
  });

  test('head NotResource: covered only by a base statement on every resource, else reported on "*"', () => {
    const head = [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: `${S3}/secret/*` }];
    expect(run([allow('s3:GetObject', '*')], head)).toEqual([]);
    const items = run([allow('s3:GetObject', `${S3}/*`)], head);
    expect(items[0]).toMatchObject({ resource: '*' });
    expect(items[0].reason).toMatch(/NotResource/);
  });

  test('base NotResource covers a head resource it provably excludes nothing of', () => {
    const base = [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: `${S3}/secret/*` }];
    expect(run(base, [allow('s3:GetObject', `${S3}/public/*`)])).toEqual([]);
    expect(run(base, [allow('s3:GetObject', `${S3}/*`)])).toHaveLength(1);
  });

  test('a union of base statements is not compared: reported as possibly new, never covered', () => {
    const items = run([allow('s3:GetObject', [`${S3}/a*`]), allow('s3:GetObject', `${S3}/?*`)], [allow('s3:GetObject', `${S3}/*`)]);
    expect(items).toHaveLength(1);
    expect(items[0].certainty).toBe('possibly-new');
    expect(items[0].reason).toMatch(/unions of base statements/);
  });

  test('unknown action names are possibly new unless base names them', () => {
    const items = run([allow('s3:GetObject')], [allow(['s3:GetObject', 's3:MadeUpAction'])]);
    expect(items).toEqual([expect.objectContaining({ actions: ['s3:MadeUpAction'], certainty: 'possibly-new' })]);
    expect(run([allow(['s3:MadeUpAction'])], [allow(['s3:MadeUpAction'])])).toEqual([]);
  });
});

describe('new access: Deny statements', () => {
  test('removing a base Deny reopens what it blocked', () => {
    const items = run([allow('s3:*'), deny('s3:Delete*')], [allow('s3:*')]);
    expect(items).toHaveLength(1);
    expect(items[0].actions).toContain('s3:DeleteObject');
    expect(items[0].actions).not.toContain('s3:GetObject');
    expect(items[0].certainty).toBe('new');
  });

  test('a resource-scoped base Deny that head drops: new on that part', () => {
    const items = run([allow('s3:GetObject', `${S3}/*`), deny('s3:GetObject', `${S3}/secret/*`)], [allow('s3:GetObject', `${S3}/*`)]);
    expect(items).toHaveLength(1);
    expect(items[0].reason).toMatch(/Deny/);
  });

  test('a conditional base Deny that head drops: possibly new', () => {
    const d = deny('s3:DeleteObject', '*', { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } });
    const items = run([allow('s3:*'), d], [allow('s3:*')]);
    expect(items).toEqual([expect.objectContaining({ actions: ['s3:DeleteObject'], certainty: 'possibly-new' })]);
  });

  test('a base Deny kept in head, or replaced by a wider one, reopens nothing', () => {
    const d = deny('s3:DeleteObject', `${S3}/x/*`, { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } });
    expect(run([allow('s3:*'), d], [allow('s3:*'), d])).toEqual([]);
    expect(run([allow('s3:*'), d], [allow('s3:*'), deny('s3:Delete*', `${S3}/*`)])).toEqual([]);
  });

  test('a head Deny that covers a head grant removes it; a partial one does not', () => {
    expect(run([allow('s3:GetObject')], [allow(['s3:GetObject', 's3:PutObject']), deny('s3:PutObject', '*')])).toEqual([]);
    expect(run([allow('s3:GetObject')], [allow(['s3:GetObject', 's3:PutObject']), deny('s3:PutObject', `${S3}/*`)])).toHaveLength(1);
  });
});

describe('new access: conditions', () => {
  test('head conditions that imply the base ones are covered', () => {
    const base = [allow('s3:GetObject', '*', { Condition: { StringLike: { 'aws:username': 'a*' } } })];
    expect(run(base, [allow('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:username': ['ann', 'al'] } } })])).toEqual([]);
    expect(run(base, [allow('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:username': 'bob' } } })])).toHaveLength(1);
  });

  test('dropping a base condition is new', () => {
    const base = [allow('s3:GetObject', '*', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } })];
    expect(certain(run(base, [allow('s3:GetObject')]))).toHaveLength(1);
  });

  test('conditions on different keys: possibly new with the reason', () => {
    const base = [allow('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:username': 'ann' } } })];
    const items = run(base, [allow('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:username': ['ann', 'bob'] }, Bool: { 'aws:SecureTransport': 'true' } } })]);
    expect(items).toEqual([expect.objectContaining({ certainty: 'possibly-new' })]);
    expect(items[0].reason).toMatch(/could not be decided/);
  });

  const c = (operator: string, key: string, values: string[]): ConditionClause => ({ operator, key, values, loc: { file: 'x', line: 1, column: 1 } });
  test.each([
    [c('StringEquals', 'k', ['a']), c('StringEqualsIfExists', 'k', ['a', 'b']), true],
    [c('StringEqualsIfExists', 'k', ['a']), c('StringEquals', 'k', ['a']), false], // absent key passes head only
    [c('StringNotEquals', 'k', ['a', 'b']), c('StringNotEquals', 'k', ['a']), true],
    [c('StringNotEquals', 'k', ['a']), c('StringNotEquals', 'k', ['a', 'b']), false],
    [c('StringNotLike', 'k', ['a*']), c('StringNotLike', 'k', ['ab*']), true],
    [c('ForAllValues:StringEquals', 'k', ['a']), c('ForAllValues:StringEquals', 'k', ['a', 'b']), true],
    [c('ForAllValues:StringEquals', 'k', ['a']), c('StringEquals', 'k', ['a']), false], // ForAllValues passes an absent key
    [c('ForAnyValue:StringEquals', 'k', ['a']), c('StringEquals', 'k', ['a', 'b']), true],
    [c('NumericLessThan', 'k', ['5']), c('NumericLessThanEquals', 'k', ['5']), true],
    [c('NumericLessThanEquals', 'k', ['5']), c('NumericLessThan', 'k', ['5']), false],
    [c('NumericEquals', 'k', ['3']), c('NumericGreaterThan', 'k', ['2']), true],
    [c('DateGreaterThan', 'k', ['2024-01-02T00:00:00Z']), c('DateGreaterThan', 'k', ['2024-01-01T00:00:00Z']), true],
    [c('IpAddress', 'k', ['10.1.0.0/16']), c('IpAddress', 'k', ['10.0.0.0/8']), true],
    [c('IpAddress', 'k', ['10.0.0.0/8']), c('IpAddress', 'k', ['10.1.0.0/16']), false],
    [c('NotIpAddress', 'k', ['10.0.0.0/8']), c('NotIpAddress', 'k', ['10.1.0.0/16']), true],
    [c('ArnLike', 'k', ['arn:aws:iam::111122223333:role/a']), c('ArnLike', 'k', ['arn:aws:iam::*:role/*']), true],
    [c('Bool', 'k', ['true']), c('Bool', 'k', ['TRUE']), true],
    [c('StringEquals', 'k', ['a']), c('Null', 'k', ['false']), true],
    [c('StringEqualsIfExists', 'k', ['a']), c('Null', 'k', ['false']), false],
    [c('StringEquals', 'k', ['${aws:username}']), c('StringEquals', 'k', ['${aws:username}', 'x']), true],
    [c('StringEquals', 'k', ['x']), c('StringEquals', 'k', ['${aws:username}', 'x']), false], // base may be invalid without the key
    [c('StringLike', 'k', ['${aws:username}*']), c('StringLike', 'k', ['*']), false],
  ])('%j implies %j: %s', (h, b, expected) => {
    expect(clauseImplies(h, b)).toBe(expected);
  });

  test('variables compare as text only under the same version', () => {
    const h = [c('StringEquals', 'k', ['${aws:username}'])];
    expect(conditionsImply(h, h, true)).toBe(true);
    expect(conditionsImply(h, h, false)).toBeUndefined(); // under 2008-10-17 the text is literal
    expect(clauseImplies(h[0], c('StringEquals', 'k', ['${aws:username}', 'y']), false)).toBe(false);
  });
});

describe('new access: policy variables in resources', () => {
  const res = `${S3}/home/\${aws:username}/*`;
  test('identical text under the same version is covered', () => {
    expect(run([allow('s3:GetObject', res)], [allow('s3:GetObject', res)])).toEqual([]);
  });
  test('a variable in base never covers a different head pattern; in head it is widened', () => {
    expect(run([allow('s3:GetObject', res)], [allow('s3:GetObject', `${S3}/home/ann/*`)])).toHaveLength(1);
    expect(run([allow('s3:GetObject', `${S3}/home/*`)], [allow('s3:GetObject', res)])).toEqual([]);
  });
  test('different versions: the same text means different things', () => {
    expect(run([allow('s3:GetObject', res)], [allow('s3:GetObject', res)], 'identity', ['2008-10-17', '2012-10-17'])).toHaveLength(1);
  });
});

describe('new access: principals in resource policies', () => {
  const p = (Principal: unknown, Resource = `${S3}/*`) => allow('s3:GetObject', Resource, { Principal });
  test.each([
    // A bucket's account is not known: the account may be the bucket's own, where naming a role grants it directly.
    [{ AWS: '111122223333' }, { AWS: 'arn:aws:iam::111122223333:role/r' }, 1],
    [{ AWS: 'arn:aws:iam::111122223333:root' }, { AWS: 'arn:aws:sts::111122223333:assumed-role/r/s' }, 1],
    [{ AWS: 'arn:aws:iam::111122223333:role/r' }, { AWS: '111122223333' }, 1],
    [{ AWS: '111122223333' }, { AWS: '444455556666' }, 1],
    [{ AWS: '111122223333' }, '*', 1],
    ['*', { AWS: '444455556666' }, 0],
    [{ Service: 'cloudtrail.amazonaws.com' }, { Service: 'CloudTrail.amazonaws.com' }, 0],
    [{ AWS: '111122223333' }, { Service: 'cloudtrail.amazonaws.com' }, 1],
    [{ Federated: 'cognito-identity.amazonaws.com' }, { Federated: 'accounts.google.com' }, 1],
  ])('base %j, head %j: %d item(s)', (bp, hp, n) => {
    const items = run([p(bp)], [p(hp)], 'bucket');
    expect(items).toHaveLength(n);
    if (n) expect(items[0].principal).toBeDefined();
  });

  test('NotPrincipal: covered by "*" or by a NotPrincipal that excludes no more', () => {
    const np = (v: unknown) => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${S3}/*`, NotPrincipal: v });
    expect(run([p('*')], [np({ AWS: '111122223333' })], 'bucket')).toEqual([]);
    expect(run([np({ AWS: '111122223333' })], [np({ AWS: '111122223333' })], 'bucket')).toEqual([]);
    expect(run([np({ AWS: '111122223333' })], [p({ AWS: '444455556666' })], 'bucket')).toEqual([]);
    expect(run([np({ AWS: 'arn:aws:iam::111122223333:role/r' })], [np({ AWS: '111122223333' })], 'bucket')).toEqual([]);
    expect(run([np({ AWS: '111122223333' })], [np({ AWS: 'arn:aws:iam::111122223333:role/r' })], 'bucket')).toHaveLength(1);
  });

  // NotPrincipal spares only the callers it names themselves: an account only its root user, a role none of its
  // sessions (evaluate/principal.ts). An account in one NotPrincipal does not contain a user or session in another.
  test('NotPrincipal: an account does not stand for the users and sessions it holds', () => {
    const ACCT = '111122223333';
    const USER = `arn:aws:iam::${ACCT}:user/alice`;
    const SESSION = `arn:aws:sts::${ACCT}:assumed-role/r/s`;
    const ROLE = `arn:aws:iam::${ACCT}:role/r`;
    const np = (v: unknown, Effect = 'Allow') => ({ Effect, Action: 's3:GetObject', Resource: `${S3}/*`, NotPrincipal: v });
    // Head's Allow reaches alice (not named), base's spares her.
    expect(run([np({ AWS: [USER, ACCT] })], [np({ AWS: ACCT })], 'bucket')).toHaveLength(1);
    // Base's Deny denied every session but the account's root; head's spares session s: s gains GetObject.
    const items = run([p('*'), np({ AWS: ACCT }, 'Deny')], [p('*'), np({ AWS: [SESSION, ROLE, ACCT] }, 'Deny')], 'bucket');
    expect(items.length).toBeGreaterThan(0);
    expect(items.map((i) => i.actions)).toContainEqual(['s3:GetObject']);
    // Naming more in a head Deny's NotPrincipal than base's is new; naming the same, nothing.
    expect(run([p('*'), np({ AWS: [ROLE, ACCT] }, 'Deny')], [p('*'), np({ AWS: [ROLE, ACCT] }, 'Deny')], 'bucket')).toEqual([]);
  });
});

describe('new access: bound', () => {
  test('a subject over the comparison bound is undecided, reported per head statement', () => {
    const base = Array.from({ length: 30 }, (_, i) => allow('s3:GetObject', `${S3}/${i}/*`));
    const head = Array.from({ length: 30 }, (_, i) => allow('s3:GetObject', [`${S3}/${i}/*`, `${S3}/x${i}/*`]));
    const b = compiled([doc(policy(base), 'identity', 'base.json')]);
    const h = compiled([doc(policy(head), 'identity', 'head.json')]);
    expect(compareAccess(b, h).items.filter((i) => i.certainty === 'new')).toHaveLength(30);
    const r = compareAccess(b, h, { maxComparisons: 500 });
    expect(r.items).toHaveLength(30);
    expect(r.items.every((i) => i.certainty === 'possibly-new' && i.reason.startsWith('undecided, treated as new access'))).toBe(true);
    expect(r.notes[0]).toMatch(/over the bound of 500/);
  });

  test('a time bound also yields undecided, never covered', () => {
    const b = compiled([doc(policy([allow('s3:GetObject', `${S3}/*`)]), 'identity', 'base.json')]);
    const h = compiled([doc(policy([allow('s3:GetObject', `${S3}/a*`)]), 'identity', 'head.json')]);
    const r = compareAccess(b, h, { maxMilliseconds: -1 });
    expect(r.items).toEqual([expect.objectContaining({ certainty: 'possibly-new' })]);
  });

  test('pathological patterns finish quickly', () => {
    const star = 'arn:aws:s3:::' + 'a*'.repeat(200);
    const b = compiled([doc(policy([allow('s3:GetObject', star)]), 'identity', 'base.json')]);
    const h = compiled([doc(policy([allow('s3:GetObject', star + 'b' + '?*'.repeat(200))]), 'identity', 'head.json')]);
    const t = Date.now();
    const r = compareAccess(b, h);
    expect(Date.now() - t).toBeLessThan(3000);
    expect(r.items.length).toBeGreaterThan(0);
  });
});

describe('scope helpers', () => {
  test('disjointness is only claimed when literal prefixes, suffixes or ARN parts differ', () => {
    expect(resourcesDisjoint('arn:aws:s3:::a/*', 'arn:aws:s3:::b/*')).toBe(true);
    expect(resourcesDisjoint('arn:aws:s3:::*.txt', 'arn:aws:s3:::*.csv')).toBe(true);
    expect(resourcesDisjoint('arn:aws:sqs:us-east-1:*:q', 'arn:aws:sqs:eu-west-1:*:q')).toBe(true);
    expect(resourcesDisjoint('arn:aws:s3:::a*', 'arn:aws:s3:::*b')).toBe(false);
  });
  test('NotResource containment', () => {
    expect(resourceCovers({ kind: 'not-in', patterns: ['arn:aws:s3:::a/x*'] }, { kind: 'not-in', patterns: ['arn:aws:s3:::a/*'] }, true)).toBe(true);
    expect(resourceCovers({ kind: 'not-in', patterns: ['arn:aws:s3:::a/*'] }, { kind: 'not-in', patterns: ['arn:aws:s3:::a/x*'] }, true)).toBe(false);
  });
});
