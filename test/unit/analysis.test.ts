import { compileDocuments } from '../../src/analysis/compile.js';
import { classifyResource, concreteness } from '../../src/analysis/concreteness.js';
import { actionDelta } from '../../src/analysis/delta.js';
import { newAccess } from '../../src/analysis/new-access.js';
import { newEscalationCombos, riskChanges } from '../../src/analysis/risk.js';
import { recordsFor, replay } from '../../src/analysis/replay.js';
import { accessNotGranted, publicAccess } from '../../src/analysis/local-checks.js';
import { extractPolicies } from '../../src/policies/extract.js';
import type { PolicyDocument, UsageRecord } from '../../src/model.js';

function doc(statements: object[], file = 'p.json'): PolicyDocument {
  const text = JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
  const out = extractPolicies(file, new TextEncoder().encode(text), { maxBytes: 1e6 });
  expect(out.documents).toHaveLength(1);
  return out.documents[0];
}
const allow = (Action: unknown, Resource: unknown = '*', extra: object = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });
const deny = (Action: unknown, Resource: unknown = '*', extra: object = {}) => ({ Effect: 'Deny', Action, Resource, ...extra });
const c = (d: PolicyDocument) => compileDocuments([d]);

describe('allowed-action delta', () => {
  test('expands wildcards and reports added and removed actions with access levels', () => {
    const base = c(doc([allow(['s3:GetObject', 's3:PutObject'])]));
    const head = c(doc([allow(['s3:GetObject', 'dynamodb:Query'])]));
    const d = actionDelta(base, head);
    expect(d.baseCount).toBe(2);
    expect(d.headCount).toBe(2);
    expect(d.added.flatMap((a) => a.actions)).toEqual(['dynamodb:Query']);
    expect([d.addedCount, d.removedCount]).toEqual([1, 1]);
    expect(d.added[0].accessLevel).toBe('Read');
    expect(d.removed.flatMap((a) => a.actions)).toEqual(['s3:PutObject']);
    expect(d.removed[0].accessLevel).toBe('Write');
  });

  test('a wildcard counts every catalogue action it matches; a blanket Deny subtracts', () => {
    const star = c(doc([allow('s3:Get*')]));
    const withDeny = c(doc([allow('s3:Get*'), deny('s3:GetObject')]));
    const d = actionDelta(star, withDeny);
    expect(d.baseCount).toBeGreaterThan(30);
    expect(d.headCount).toBe(d.baseCount - 1);
    expect(d.removed.flatMap((a) => a.actions)).toEqual(['s3:GetObject']);
  });

  test('NotAction allows everything else; conditional grants are marked conditional', () => {
    const base = c(doc([]));
    const head = c(doc([{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }]));
    const d = actionDelta(base, head);
    expect(d.headCount).toBeGreaterThan(10000);
    expect(d.added.some((a) => a.actions.some((x) => x.startsWith('iam:')))).toBe(false);
    expect(d.added.length).toBeLessThan(10); // grouped by access level and granting statement, not one entry per action
    expect(d.added.every((a) => a.conditional)).toBe(true);
  });
});

describe('resource concreteness', () => {
  test.each([
    ['arn:aws:s3:::logs', 'concrete'],
    ['arn:aws:s3:::logs/*', 'scoped'],
    ['arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/*', 'scoped'],
    ['arn:aws:dynamodb:us-east-1:123456789012:table/*', 'wildcard'],
    ['arn:aws:iam::123456789012:role/app-*', 'wildcard'],
    ['arn:aws:s3:::*', 'wildcard'],
    ['arn:aws:lambda:*:123456789012:function:f', 'wildcard'],
    ['*', 'wildcard'],
  ])('%s is %s', (arn, cls) => expect(classifyResource(arn)).toBe(cls));

  test('counts allowed (action, resource) pairs; actions without resource-level permissions are apart', () => {
    const counts = concreteness(c(doc([allow(['s3:GetObject', 's3:PutObject'], ['arn:aws:s3:::b/*', 'arn:aws:s3:::b']), allow('s3:ListAllMyBuckets'), allow('sqs:SendMessage')])));
    expect(counts).toEqual({ concrete: 2, scoped: 2, wildcard: 1, noResourceLevel: 1, ratio: 4 / 5 });
  });
});

describe('high-risk changes', () => {
  test('added, removed, and narrowed from a wildcard to a concrete resource', () => {
    const base = c(doc([allow('iam:CreateAccessKey'), allow('iam:PassRole')]));
    const head = c(doc([allow('iam:PassRole', 'arn:aws:iam::123456789012:role/app'), allow('s3:PutBucketPolicy')]));
    const r = riskChanges(base, head);
    expect(r.added.map((x) => [x.action, x.direction])).toEqual([['s3:PutBucketPolicy', 'added']]);
    expect(r.added[0].categories).toContain('resource-exposure');
    const removed = Object.fromEntries(r.removed.map((x) => [x.action, x.direction]));
    expect(removed).toEqual({ 'iam:CreateAccessKey': 'removed', 'iam:PassRole': 'narrowed' });
  });

  test('a wildcard inside base\'s resource narrows; a wildcard outside it is added', () => {
    const stack = 'arn:aws:cloudformation:*:123456789012:stack/app-*';
    const narrowed = riskChanges(c(doc([allow('cloudformation:UpdateStack')])), c(doc([allow('cloudformation:UpdateStack', stack)])));
    expect(narrowed.added).toEqual([]);
    expect(narrowed.removed.map((x) => [x.action, x.direction, x.from, x.resource])).toEqual([['cloudformation:UpdateStack', 'narrowed', '*', stack]]);
    const roles = (r: string | string[]) => c(doc([allow('iam:PassRole', r)]));
    const wider = riskChanges(roles('arn:aws:iam::123456789012:role/app-*'), roles('arn:aws:iam::123456789012:role/*'));
    expect(wider.added.map((x) => x.resource)).toEqual(['arn:aws:iam::123456789012:role/*']);
    expect(wider.removed).toEqual([]);
    const beside = riskChanges(roles('arn:aws:iam::123456789012:role/a-*'), roles(['arn:aws:iam::123456789012:role/a-*', 'arn:aws:iam::123456789012:role/b-*']));
    expect(beside.added.map((x) => x.resource)).toEqual(['arn:aws:iam::123456789012:role/b-*']);
    expect(beside.removed).toEqual([]);
    // Narrower in one place, wider in another: an addition, not a reduction.
    const mixed = riskChanges(roles(['arn:aws:iam::123456789012:role/*']), roles(['arn:aws:iam::123456789012:role/app', 'arn:aws:iam::*:role/x-*']));
    expect(mixed.added.map((x) => x.resource)).toEqual(['arn:aws:iam::*:role/x-*']);
    expect(mixed.removed).toEqual([]);
    expect(riskChanges(roles('*'), roles('*'))).toEqual({ added: [], removed: [] });
  });

  test('granted where it was not: another concrete resource, or a condition dropped', () => {
    const role = (r: string, extra: object = {}) => c(doc([allow('iam:PassRole', r, extra)]));
    const app = 'arn:aws:iam::123456789012:role/app';
    const admin = 'arn:aws:iam::123456789012:role/admin';
    expect(riskChanges(role(app), role(admin)).added.map((x) => x.resource)).toEqual([admin]);
    const toEc2 = { Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } };
    expect(riskChanges(role(app, toEc2), role(app)).added.map((x) => x.resource)).toEqual([app]);
    // Keeping or adding a condition is no addition; an unconditional grant beside a conditional one covers it.
    expect(riskChanges(role(app, toEc2), role(app, toEc2)).added).toEqual([]);
    expect(riskChanges(role(app), role(app, toEc2)).added).toEqual([]);
    const both = c(doc([allow('iam:PassRole', app, toEc2), allow('iam:PassRole', app)]));
    expect(riskChanges(both, role(app)).added).toEqual([]);
  });

  test('a privilege-escalation combination completed by head is reported once', () => {
    const base = c(doc([allow('lambda:CreateFunction')]));
    const head = c(doc([allow(['lambda:CreateFunction', 'lambda:InvokeFunction', 'iam:PassRole'])]));
    const combos = newEscalationCombos(base, head);
    expect(combos.some((x) => x.actions.includes('iam:PassRole') && x.actions.includes('lambda:CreateFunction'))).toBe(true);
    expect(newEscalationCombos(head, head)).toEqual([]);
  });

  test('iam:PassRole limited by iam:PassedToService completes only the paths of the services it names', () => {
    const base = c(doc([allow('lambda:CreateFunction')]));
    const lambdaCombo = (combos: { id: string }[]) => combos.some((x) => x.id === 'lambda-001');
    const ec2Combo = (combos: { id: string }[]) => combos.some((x) => x.id === 'ec2-001');
    const head = (cond?: object, extra: string[] = []) =>
      c(doc([allow(['lambda:CreateFunction', 'lambda:InvokeFunction', ...extra]), allow('iam:PassRole', '*', cond ? { Condition: cond } : {})]));
    // Passing roles to EC2 only: the Lambda path is not complete, the EC2 one is (with ec2:RunInstances).
    const toEc2 = { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } };
    expect(lambdaCombo(newEscalationCombos(base, head(toEc2)))).toBe(false);
    expect(ec2Combo(newEscalationCombos(base, head(toEc2, ['ec2:RunInstances'])))).toBe(true);
    // Naming Lambda (exactly or by a pattern), or another operator the check does not read: still complete.
    expect(lambdaCombo(newEscalationCombos(base, head({ StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'lambda.amazonaws.com'] } })))).toBe(true);
    expect(lambdaCombo(newEscalationCombos(base, head({ StringLike: { 'iam:PassedToService': 'lambda.*' } })))).toBe(true);
    expect(lambdaCombo(newEscalationCombos(base, head({ StringNotEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } })))).toBe(true);
    expect(lambdaCombo(newEscalationCombos(base, head({ StringEquals: { 'iam:PassedToService': '${aws:PrincipalTag/svc}' } })))).toBe(true);
    // Another PassRole grant without the condition reaches every service.
    const mixed = c(doc([allow(['lambda:CreateFunction', 'lambda:InvokeFunction']), allow('iam:PassRole', '*', { Condition: toEc2 }), allow('iam:PassRole', 'arn:aws:iam::123456789012:role/x')]));
    expect(lambdaCombo(newEscalationCombos(base, mixed))).toBe(true);
    // Base already reached Lambda: dropping to EC2 only completes nothing new, and the reverse is new.
    expect(newEscalationCombos(head(), head(toEc2)).filter((x) => x.id.startsWith('lambda'))).toEqual([]);
    expect(lambdaCombo(newEscalationCombos(head(toEc2), head()))).toBe(true);
  });
});

describe('actions a resource cannot name grant nothing there (S3 buckets and objects)', () => {
  const list = 'arn:aws:s3:::acme-data';
  const objects = 'arn:aws:s3:::acme-data/*';
  const base = c(doc([allow('s3:ListBucket', list), allow('s3:GetObject', objects)]));

  test('merging the usual list and get statements is no new access and no high-risk grant', () => {
    const merged = c(doc([allow(['s3:ListBucket', 's3:GetObject'], [list, objects])]));
    expect(newAccess(base, merged)).toEqual([]);
    expect(riskChanges(base, merged).added).toEqual([]);
  });

  test('an object action on a bucket ARN (or a bucket action on objects) is inert; a pattern that may name either is not', () => {
    expect(newAccess(base, c(doc([allow('s3:ListBucket', list), allow('s3:GetObject', objects), allow('s3:DeleteObject', list)])))).toEqual([]);
    expect(newAccess(base, c(doc([allow('s3:ListBucket', list), allow(['s3:GetObject', 's3:PutBucketPolicy'], objects)])))).toEqual([]);
    expect(newAccess(base, c(doc([allow('s3:ListBucket', list), allow('s3:GetObject', objects), allow('s3:ListAllMyBuckets', list)])))).toEqual([]);
    // acme-data* names the bucket acme-data-2 and objects in it: new.
    const wide = newAccess(base, c(doc([allow(['s3:ListBucket', 's3:GetObject'], 'arn:aws:s3:::acme-data*')])));
    expect(wide.flatMap((i) => i.actions).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    // s3:* on the bucket: only bucket actions are new; on "*" everything.
    const star = newAccess(base, c(doc([allow('s3:*', list), allow('s3:GetObject', objects)])));
    expect(star.flatMap((i) => i.actions)).not.toContain('s3:GetObject');
    expect(star.flatMap((i) => i.actions)).toContain('s3:PutBucketPolicy');
    expect(star.flatMap((i) => i.actions)).not.toContain('s3:PutObjectAcl');
  });
});

describe('new access', () => {
  test('identical policies: nothing new', () => {
    const p = doc([allow('s3:Get*', 'arn:aws:s3:::b/*'), allow('sqs:SendMessage', 'arn:aws:sqs:us-east-1:1:q')]);
    expect(newAccess(c(p), c(doc([allow('s3:Get*', 'arn:aws:s3:::b/*'), allow('sqs:SendMessage', 'arn:aws:sqs:us-east-1:1:q')])))).toEqual([]);
  });

  test('a narrower resource is covered; a broader one is new', () => {
    const base = c(doc([allow('s3:GetObject', 'arn:aws:s3:::b/*')]));
    expect(newAccess(base, c(doc([allow('s3:GetObject', 'arn:aws:s3:::b/reports/*')])))).toEqual([]);
    const items = newAccess(base, c(doc([allow('s3:GetObject', 'arn:aws:s3:::*')])));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ actions: ['s3:GetObject'], resource: 'arn:aws:s3:::*', certainty: 'new' });
    expect(items[0].location.line).toBe(4); // the statement object opens on line 4
  });

  test('dropping a condition is new; adding one is not', () => {
    const cond = { Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } };
    const withCond = c(doc([allow('s3:GetObject', '*', cond)]));
    const without = c(doc([allow('s3:GetObject')]));
    expect(newAccess(without, withCond)).toEqual([]);
    expect(newAccess(withCond, without).map((i) => i.certainty)).toEqual(['new']);
  });

  test('conditions that differ in ways not compared are possibly new, never covered', () => {
    const base = c(doc([allow('s3:GetObject', '*', { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })]));
    const head = c(doc([allow('s3:GetObject', '*', { Condition: { NotIpAddress: { 'aws:SourceIp': '192.168.0.0/16' } } })]));
    expect(newAccess(base, head).map((i) => i.certainty)).toEqual(['possibly-new']);
  });

  test('removing a Deny reopens what it blocked', () => {
    const base = c(doc([allow('s3:*'), deny('s3:DeleteObject')]));
    const head = c(doc([allow('s3:*')]));
    const items = newAccess(base, head);
    expect(items).toHaveLength(1);
    expect(items[0].actions).toEqual(['s3:DeleteObject']);
    expect(items[0].reason).toMatch(/Deny/);
  });

  test('resource policies: a new principal is new access; a role of an account the root named is possibly new (same account?)', () => {
    const bucket = (principal: unknown) => doc([{ Effect: 'Allow', Principal: { AWS: principal }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }], 'b.json');
    expect(newAccess(c(bucket('111122223333')), c(bucket('arn:aws:iam::111122223333:role/r')))).toMatchObject([{ certainty: 'possibly-new' }]);
    const items = newAccess(c(bucket('111122223333')), c(bucket(['111122223333', '444455556666'])));
    expect(items.map((i) => i.principal)).toEqual(['AWS:444455556666']);
  });
});

describe('replay of CloudTrail usage', () => {
  const record = (action: string, resource: string | undefined, outcome: UsageRecord['outcome'], count = 1): UsageRecord => ({
    principal: 'arn:aws:iam::123456789012:role/app',
    principalType: 'AssumedRole',
    action,
    resource,
    account: '123456789012',
    outcome,
    count,
    firstSeen: '2026-10-01T00:00:00Z',
    lastSeen: '2026-11-01T00:00:00Z',
    context: {},
    eventSource: 'x',
    eventName: 'y',
  });
  const subject = { type: 'role' as const, arn: 'arn:aws:iam::123456789012:role/app', id: 'arn:aws:iam::123456789012:role/app' };

  test('predicts new denials, fixed denials, and groups calls by the deciding resource pattern', () => {
    const base = [doc([allow(['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::b/*')])];
    const head = [doc([allow(['s3:GetObject', 'dynamodb:Query'], ['arn:aws:s3:::b/*', 'arn:aws:dynamodb:us-east-1:123456789012:table/t'])])];
    const r = replay(subject, base, head, [
      record('s3:PutObject', 'arn:aws:s3:::b/k1', 'allowed', 5),
      record('s3:PutObject', 'arn:aws:s3:::b/k2', 'allowed', 7),
      record('s3:GetObject', 'arn:aws:s3:::b/k1', 'allowed', 3),
      record('dynamodb:Query', 'arn:aws:dynamodb:us-east-1:123456789012:table/t', 'denied', 2),
    ]);
    expect(r.eventsReplayed).toBe(17);
    expect(r.predicted).toHaveLength(1);
    expect(r.predicted[0]).toMatchObject({ action: 's3:PutObject', resource: 'arn:aws:s3:::b/*', count: 12, base: 'allow', head: 'implicit-deny' });
    expect(r.fixed).toHaveLength(1);
    expect(r.fixed[0]).toMatchObject({ action: 'dynamodb:Query', count: 2 });
  });

  test('a role is its name within its account: a session logged without its issuer (no path) is still the role\'s', () => {
    const withPath = { type: 'role' as const, arn: 'arn:aws:iam::123456789012:role/svc/app', id: 'arn:aws:iam::123456789012:role/svc/app' };
    const at = (principal: string): UsageRecord => ({ ...record('s3:GetObject', 'arn:aws:s3:::b/k', 'allowed'), principal });
    const records = [at('arn:aws:iam::123456789012:role/svc/app'), at('arn:aws:iam::123456789012:role/app'), at('arn:aws:iam::123456789012:role/other/app'), at('arn:aws:iam::999999999999:role/app'), at('arn:aws:iam::123456789012:role/app-2'), at('arn:aws:iam::123456789012:user/app')];
    expect(recordsFor(withPath, records).map((r) => r.principal)).toEqual(['arn:aws:iam::123456789012:role/svc/app', 'arn:aws:iam::123456789012:role/app', 'arn:aws:iam::123456789012:role/other/app']);
  });

  test('a call that failed after authorisation is replayed as allowed; one that failed before it is not', () => {
    const base = [doc([allow(['s3:GetObject', 'dynamodb:PutItem'], '*')])];
    const head = [doc([allow('sqs:SendMessage', '*')])];
    const failed = (action: string, errorCode: string): UsageRecord => ({ ...record(action, 'arn:aws:s3:::b/k', 'error', 4), errorCode });
    const r = replay(subject, base, head, [failed('s3:GetObject', 'NoSuchKey'), failed('dynamodb:PutItem', 'ConditionalCheckFailedException'), failed('s3:GetObject', 'ExpiredToken'), failed('s3:GetObject', 'ThrottlingException')]);
    expect(r.predicted.map((p) => [p.action, p.count, p.note])).toEqual([
      ['dynamodb:PutItem', 4, 'these calls failed with ConditionalCheckFailedException, after authorisation'],
      ['s3:GetObject', 4, 'these calls failed with NoSuchKey, after authorisation'],
    ]);
    expect(r.eventsReplayed).toBe(16);
  });

  test('a successful call base cannot decide and head denies is undecided, never dropped', () => {
    const tagged = { Condition: { StringEquals: { 'aws:PrincipalTag/team': 'data' } } };
    const base = [doc([allow('s3:GetObject', 'arn:aws:s3:::b/*', tagged)])];
    const r = replay(subject, base, [doc([allow('sqs:SendMessage', '*')])], [record('s3:GetObject', 'arn:aws:s3:::b/k', 'allowed', 6)]);
    expect(r.predicted).toEqual([]);
    expect(r.undecided).toEqual([expect.objectContaining({ action: 's3:GetObject', count: 6, base: 'undecided', head: 'implicit-deny', note: expect.stringMatching(/^base could not decide this call .*; head denies it$/) })]);
    // The same doubt on both sides (nothing changed for it): nothing to say, also when the statement moved.
    expect(replay(subject, base, base, [record('s3:GetObject', 'arn:aws:s3:::b/k', 'allowed', 6)]).undecided).toEqual([]);
    const moved = [doc([{ Effect: 'Deny', Action: 'sqs:DeleteQueue', Resource: '*' }, allow('s3:GetObject', 'arn:aws:s3:::b/*', tagged)], 'q.json')];
    expect(replay(subject, base, moved, [record('s3:GetObject', 'arn:aws:s3:::b/k', 'allowed', 6)]).undecided).toEqual([]);
  });

  test('rows are grouped by the base statement that allowed the calls, read in the base version', () => {
    // Same file on both sides (same document id): head's statement #0 is another one.
    const base = [doc([allow('s3:GetObject', 'arn:aws:s3:::bkt/*')])];
    const head = [doc([allow('s3:PutObject', 'arn:aws:s3:::bkt/a/*')])];
    const r = replay(subject, base, head, [record('s3:GetObject', 'arn:aws:s3:::bkt/a/1', 'allowed', 2), record('s3:GetObject', 'arn:aws:s3:::bkt/b/1', 'allowed', 1)]);
    expect(r.predicted.map((p) => [p.resource, p.count])).toEqual([['arn:aws:s3:::bkt/*', 3]]);
  });

  test('object calls counted for their bucket only belong to that bucket and are never decided as if their key were known', () => {
    const bucketSubject = { type: 'bucket' as const, arn: 'arn:aws:s3:::b', id: 'arn:aws:s3:::b' };
    const onBucket = (bucket: string, count: number): UsageRecord => ({ ...record('s3:GetObject', undefined, 'allowed', count), bucket });
    const exact = record('s3:GetObject', 'arn:aws:s3:::b/k1', 'allowed', 3);
    const records = [exact, onBucket('arn:aws:s3:::b', 40), onBucket('arn:aws:s3:::other', 9)];
    expect(recordsFor(bucketSubject, records)).toEqual([exact, records[1]]);
    // Identity policies narrowed from b/* to b/exports/*: the key-less calls are not predicted as certain denials.
    const base = [doc([allow('s3:GetObject', 'arn:aws:s3:::b/*')])];
    const head = [doc([allow('s3:GetObject', 'arn:aws:s3:::b/exports/*')])];
    const r = replay(subject, base, head, [records[1]]);
    expect(r.predicted).toEqual([]);
    expect(r.eventsReplayed).toBe(40);
    // ... but said: some of them may now be denied (which, the keys would tell).
    expect(r.undecided).toEqual([expect.objectContaining({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/*', count: 40, base: 'allow', note: expect.stringMatching(/object keys not known.*no longer allows every object of arn:aws:s3:::b/) })]);
    // Nothing changed for that bucket's objects, or the head allows them all: nothing to say.
    expect(replay(subject, base, base, [records[1]]).undecided).toEqual([]);
    expect(replay(subject, base, [doc([allow('s3:GetObject', 'arn:aws:s3:::*')])], [records[1]]).undecided).toEqual([]);
  });

  test('a past denial is fixed only when the policy type that denied it is the one this change edits', () => {
    const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/t';
    const base = [doc([allow('s3:GetObject', 'arn:aws:s3:::b/*')])];
    const head = [doc([allow(['s3:GetObject', 'dynamodb:Query'], ['arn:aws:s3:::b/*', table])])];
    const denied = (deniedBy: UsageRecord['deniedBy'], count: number): UsageRecord => ({ ...record('dynamodb:Query', table, 'denied', count), ...(deniedBy ? { deniedBy } : {}) });
    const r = replay(subject, base, head, [
      denied(undefined, 1),
      denied('identity', 2),
      denied('identity-explicit', 3),
      denied('scp', 4),
      denied('scp-explicit', 5),
      denied('rcp-explicit', 6),
      denied('boundary', 7),
      denied('session', 8),
      denied('vpce-explicit', 9),
      denied('resource', 10),
    ]);
    // An identity-policy change fixes what an identity policy denied (and, as before, a denial that does not say).
    expect(r.fixed.map((f) => [f.action, f.count])).toEqual([['dynamodb:Query', 6]]);
    // The others are denied still, whatever head allows: said, one row per policy type, with why.
    const notes = Object.fromEntries(r.undecided.map((u) => [u.count, u.note]));
    expect(Object.keys(notes).map(Number).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(notes[4]).toBe('denied because no service control policy allows it (its error message says so): a change to this identity policy cannot fix it');
    expect(notes[5]).toBe('denied with an explicit deny in a service control policy (its error message says so): a change to this identity policy cannot fix it');
    expect(notes[6]).toMatch(/^denied with an explicit deny in a resource control policy/);
    expect(notes[7]).toMatch(/^denied because no permissions boundary allows it/);
    expect(notes[8]).toMatch(/^denied because no session policy allows it/);
    expect(notes[9]).toMatch(/^denied with an explicit deny in a VPC endpoint policy/);
    expect(notes[10]).toMatch(/^denied because no resource-based policy allows it/);
    expect(r.undecided.every((u) => u.base === 'implicit-deny' && u.head === 'allow')).toBe(true);
    // When head still denies them, or base allowed them, nothing changed: nothing to say.
    expect(replay(subject, base, base, [denied('scp', 4)])).toMatchObject({ fixed: [], undecided: [] });
    expect(replay(subject, head, head, [denied('scp', 4)])).toMatchObject({ fixed: [], undecided: [] });
  });

  test("a bucket policy's change fixes denials by a resource-based policy (and a same-account caller's missing identity grant), not others", () => {
    const bucketSubject = { type: 'bucket' as const, arn: 'arn:aws:s3:::b', id: 'arn:aws:s3:::b' };
    const policy = (actions: string[]) => doc([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/app' }, Action: actions, Resource: 'arn:aws:s3:::b/*' }], 'b.json');
    const denied = (deniedBy: UsageRecord['deniedBy'], count: number): UsageRecord => ({ ...record('s3:GetObject', 'arn:aws:s3:::b/k', 'denied', count), ...(deniedBy ? { deniedBy } : {}) });
    const r = replay(bucketSubject, [policy(['s3:PutObject'])], [policy(['s3:GetObject', 's3:PutObject'])], [
      denied('resource', 1),
      denied('resource-explicit', 2),
      denied('identity', 4),
      denied('identity-explicit', 8),
      denied('scp', 16),
    ]);
    expect(r.fixed.map((f) => f.count)).toEqual([7]);
    expect(r.undecided.map((u) => [u.count, u.note])).toEqual([
      [16, 'denied because no service control policy allows it (its error message says so): a change to this resource policy cannot fix it'],
      [8, 'denied with an explicit deny in an identity-based policy (its error message says so): a change to this resource policy cannot fix it'],
    ]);
  });

  test('a condition the log cannot evaluate is undecided, not allowed', () => {
    const base = [doc([allow('s3:GetObject')])];
    const head = [doc([allow('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:PrincipalTag/team': 'a' } } })])];
    const r = replay(subject, base, head, [record('s3:GetObject', 'arn:aws:s3:::b/k', 'allowed', 4)]);
    expect(r.predicted).toEqual([]);
    expect(r.undecided.map((u) => u.count)).toEqual([4]);
  });
});

describe('local custom checks', () => {
  const subject = { type: 'role' as const, arn: 'arn:aws:iam::123456789012:role/app', id: 'arn:aws:iam::123456789012:role/app' };
  test('never-grant catches forbidden actions through wildcards and NotAction', () => {
    const rules = [{ actions: ['iam:CreateAccessKey'], resources: [] }];
    expect(accessNotGranted(subject, c(doc([allow('iam:Create*')])), rules)).toHaveLength(1);
    expect(accessNotGranted(subject, c(doc([{ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }])), rules)).toHaveLength(1);
    expect(accessNotGranted(subject, c(doc([allow('iam:Create*'), deny('iam:CreateAccessKey')])), rules)).toHaveLength(0);
    expect(accessNotGranted(subject, c(doc([allow('s3:*')])), rules)).toHaveLength(0);
  });

  test('public and cross-account bucket access without a restricting condition', () => {
    const bucketSubject = { type: 'bucket' as const, arn: 'arn:aws:s3:::b', id: 'arn:aws:s3:::b' };
    const stmt = (Principal: unknown, extra: object = {}) => doc([{ Effect: 'Allow', Principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', ...extra }], 'b.json');
    expect(publicAccess(bucketSubject, c(stmt('*')), [])).toHaveLength(1);
    expect(publicAccess(bucketSubject, c(stmt('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } } })), [])).toHaveLength(0);
    expect(publicAccess(bucketSubject, c(stmt({ AWS: '444455556666' })), [])).toHaveLength(1);
    expect(publicAccess(bucketSubject, c(stmt({ AWS: '444455556666' })), ['444455556666'])).toHaveLength(0);
  });

  test('an exposure base already granted is public-access-existing; a new principal is public-access', () => {
    const bucketSubject = { type: 'bucket' as const, arn: 'arn:aws:s3:::b', id: 'arn:aws:s3:::b' };
    const partner = { AWS: 'arn:aws:iam::444455556666:root' };
    const base = c(doc([{ Sid: 'Partner', Effect: 'Allow', Principal: partner, Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }], 'b.json'));
    // The same grant split in two statements: nothing new.
    const split = c(
      doc([
        { Sid: 'PartnerList', Effect: 'Allow', Principal: partner, Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b' },
        { Sid: 'PartnerGet', Effect: 'Allow', Principal: partner, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
      ], 'b.json'),
    );
    const found = publicAccess(bucketSubject, split, [], base);
    expect(found.map((f) => [f.ruleId, f.severity])).toEqual([['public-access-existing', 'medium'], ['public-access-existing', 'medium']]);
    expect(found[0].message).toMatch(/account 444455556666 \(not in trusted-accounts\) without a condition; base already allowed it/);
    // Another account, or anyone, is new.
    const wider = c(doc([{ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::444455556666:root', '777788889999'] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }], 'b.json'));
    expect(publicAccess(bucketSubject, wider, [], base).map((f) => f.ruleId)).toEqual(['public-access']);
    expect(publicAccess(bucketSubject, c(doc([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }], 'b.json')), [], base).map((f) => f.ruleId)).toEqual(['public-access']);
  });

  test('a resource policy statement trusts the account its own resource ARNs name', () => {
    const fn = { type: 'resource' as const, id: 'lambda/fn.json' };
    const grant = (account: string) =>
      c(doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:role/caller` }, Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:payments' }], 'fn.json'));
    expect(publicAccess(fn, grant('123456789012'), [])).toEqual([]);
    expect(publicAccess(fn, grant('999999999999'), []).map((f) => f.ruleId)).toEqual(['public-access']);
  });

  test('a GitHub OIDC trust policy without a sub condition is public', () => {
    const trust = (cond: object) =>
      doc([{ Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity', ...cond }], 'trust.json');
    expect(publicAccess(subject, c(trust({ Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } } })), [])).toHaveLength(1);
    expect(publicAccess(subject, c(trust({ Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } } })), [])).toHaveLength(0);
  });
});
