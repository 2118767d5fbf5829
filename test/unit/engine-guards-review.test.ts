// Silent passes found in review: guards that hid new access (Deny-only RCPs and SCPs, a guard the
// change itself weakens) and actions the catalogue does not know (covered whenever base named them).
import { compileDocuments } from '../../src/analysis/compile.js';
import { compareAccess, compileGuards } from '../../src/analysis/new-access.js';
import { replay } from '../../src/analysis/replay.js';
import { analyseSubject } from '../../src/analysis/subject.js';
import { guardsForSubject, guardsForSubjectSides, loadGuardDocuments } from '../../src/config/guards.js';
import { defaultConfig } from '../../src/config/types.js';
import type { NewAccessItem, PolicyDocument, PolicyKind, UsageRecord } from '../../src/model.js';
import { doc, policy } from './engine-helpers.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2));
const allow = (Action: unknown, Resource: unknown = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });
const deny = (Action: unknown, Resource: unknown = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Deny', Action, Resource, ...extra });
const docs = (statements: unknown[], kind: PolicyKind, file: string) => [doc(policy(statements), kind, file)];
const actionsOf = (items: NewAccessItem[]) => items.flatMap((i) => i.actions).sort();

describe('RCPs: every level holds RCPFullAWSAccess', () => {
  const bucketBase = compileDocuments(docs([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/reader' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::mybucket/*' }], 'bucket', 'base.json'));
  const bucketHead = compileDocuments(
    docs(
      [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/reader' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::mybucket/*' },
        { Effect: 'Allow', Principal: { AWS: '222222222222' }, Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::mybucket/*' },
      ],
      'bucket',
      'head.json',
    ),
  );

  test('a Deny-only RCP (no Allow statement) does not hide a new principal', () => {
    const rcp = doc(policy([{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }]), 'rcp', 'org/rcp.json');
    const r = compareAccess(bucketBase, bucketHead, { guards: compileGuards([rcp]) });
    expect(actionsOf(r.items)).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(r.items[0].principal).toBe('AWS:222222222222');
    expect(r.notes.join()).not.toMatch(/context denies them/);
  });

  test('an unconditional RCP Deny still narrows', () => {
    const rcp = doc(policy([{ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: '*' }]), 'rcp', 'org/rcp.json');
    const r = compareAccess(bucketBase, bucketHead, { guards: compileGuards([rcp]) });
    expect(actionsOf(r.items)).toEqual(['s3:GetObject']);
    expect(r.notes.join()).toMatch(/context denies them \(s3:PutObject\)/);
  });

  test('replay: a Deny-only RCP does not deny every call to the bucket', () => {
    const subject = { type: 'bucket' as const, id: 'arn:aws:s3:::mybucket', arn: 'arn:aws:s3:::mybucket' };
    const record: UsageRecord = {
      principal: 'arn:aws:iam::111111111111:role/reader',
      principalType: 'AssumedRole',
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::mybucket/k',
      account: '111111111111',
      outcome: 'allowed',
      count: 3,
      firstSeen: '2026-11-01T00:00:00Z',
      lastSeen: '2026-11-20T00:00:00Z',
      context: {},
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
    };
    const base = docs([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/reader' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::mybucket/*' }], 'bucket', 'b.json');
    const head = docs([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/other' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::mybucket/*' }], 'bucket', 'b.json');
    const rcp = doc(policy([{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: '*' }]), 'rcp', 'org/rcp.json');
    const summary = replay(subject, base, head, [record], { base: [rcp], head: [rcp] });
    expect(summary.predicted.map((p) => p.action)).toEqual(['s3:GetObject']);
  });
});

describe('SCPs: a level without Allow reads as holding FullAWSAccess', () => {
  const base = compileDocuments(docs([allow('s3:GetObject', 'arn:aws:s3:::b/*')], 'identity', 'base.json'));
  const head = compileDocuments(docs([allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], 'arn:aws:s3:::b/*')], 'identity', 'head.json'));

  test('a Deny-only SCP does not hide new identity access, and the notes say how it was read', () => {
    const scp = doc(policy([{ Sid: 'DenyBucketDelete', ...deny('s3:DeleteBucket') }]), 'scp', 'org/deny-s3-delete.json');
    const r = compareAccess(base, head, { guards: compileGuards([scp]) });
    expect(actionsOf(r.items)).toEqual(['s3:DeleteObject', 's3:PutObject']);
    expect(r.notes.join()).toMatch(/no Allow statement: read as also holding FullAWSAccess/);
  });

  test('its Deny statements still narrow', () => {
    const scp = doc(policy([deny('s3:DeleteObject')]), 'scp', 'org/scp.json');
    const r = compareAccess(base, head, { guards: compileGuards([scp]) });
    expect(actionsOf(r.items)).toEqual(['s3:PutObject']);
  });

  test('an SCP level with Allow statements (an allow-list) keeps its own', () => {
    const scp = doc(policy([allow(['s3:Get*', 's3:Put*'])]), 'scp', 'org/allow-list.json');
    const r = compareAccess(base, head, { guards: compileGuards([scp]) });
    expect(actionsOf(r.items)).toEqual(['s3:PutObject']);
    expect(r.notes.join()).not.toMatch(/FullAWSAccess/);
  });
});

describe("a guard weakened in the same change: only what both versions deny is left out", () => {
  const base = compileDocuments(docs([allow('s3:GetObject', 'arn:aws:s3:::b/*')], 'identity', 'base.json'));
  const head = compileDocuments(docs([allow(['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::b/*')], 'identity', 'head.json'));
  const full = doc(policy([allow('*')]), 'scp', 'org/full-access.json');
  const baseDeny = doc(policy([deny(['s3:DeleteBucket', 's3:PutObject'])]), 'scp', 'org/deny-guardrails.json');
  const headDeny = doc(policy([deny(['s3:DeleteBucket'])]), 'scp', 'org/deny-guardrails.json');

  test("head's weaker version lets the access through", () => {
    expect(actionsOf(compareAccess(base, head, { guards: compileGuards([full, baseDeny]) }).items)).toEqual([]);
    const r = compareAccess(base, head, { guards: compileGuards([full, baseDeny]), headGuards: compileGuards([full, headDeny]) });
    expect(actionsOf(r.items)).toEqual(['s3:PutObject']);
  });

  test('a guard only head adds hides nothing', () => {
    const r = compareAccess(base, head, { guards: compileGuards([full, headDeny]), headGuards: compileGuards([full, baseDeny]) });
    expect(actionsOf(r.items)).toEqual(['s3:PutObject']);
  });

  test('both versions denying it: left out', () => {
    const r = compareAccess(base, head, { guards: compileGuards([full, baseDeny]), headGuards: compileGuards([full, baseDeny, headDeny]) });
    expect(actionsOf(r.items)).toEqual([]);
  });

  test('analyseSubject compares with both versions of the context', () => {
    const subject = { type: 'unbound' as const, id: 'role.json' };
    const s = {
      subject,
      files: ['role.json'],
      base: docs([allow('s3:GetObject', 'arn:aws:s3:::b/*')], 'identity', 'role.json'),
      head: docs([allow(['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::b/*')], 'identity', 'role.json'),
    };
    const same = analyseSubject({ ...s, guards: { base: [full, baseDeny], head: [full, baseDeny] } }, defaultConfig());
    expect(same.analysis.newAccess).toEqual([]);
    const weakened = analyseSubject({ ...s, guards: { base: [full, baseDeny], head: [full, headDeny] } }, defaultConfig());
    expect(actionsOf(weakened.analysis.newAccess)).toEqual(['s3:PutObject']);
    expect(weakened.findings.map((f) => f.ruleId)).toContain('new-access');
    expect(weakened.analysis.limits.join()).toMatch(/only what both versions deny is left out/);
  });

  test("loadGuardDocuments reads head's version with a head reader; guardsForSubjectSides hands both out", async () => {
    const baseFiles: Record<string, unknown> = { 'org/scp.json': policy([deny(['s3:DeleteBucket', 's3:PutObject'])]) };
    const headFiles: Record<string, unknown> = { 'org/scp.json': policy([deny('s3:DeleteBucket')]) };
    const ctx = { scps: ['org/scp.json'], rcps: [], boundaries: [] };
    const reader = (files: Record<string, unknown>) => async (f: string) => (files[f] ? enc(files[f]) : undefined);
    const only = await loadGuardDocuments(ctx, reader(baseFiles), 1 << 20);
    expect(only.guards.head).toBeUndefined();
    const subject = { type: 'unbound' as const, id: 'role.json' };
    const sidesOnly = guardsForSubjectSides(subject, only.guards);
    expect(sidesOnly.head).toBe(sidesOnly.base);

    const both = await loadGuardDocuments(ctx, reader(baseFiles), 1 << 20, reader(headFiles));
    const sides = guardsForSubjectSides(subject, both.guards);
    expect(sides.base).toEqual(guardsForSubject(subject, both.guards));
    expect(sides.head.flatMap((d: PolicyDocument) => d.statements.flatMap((st) => st.actions?.map((a) => a.value) ?? []))).toEqual(['s3:DeleteBucket']);
    expect(sides.head[0].kind).toBe('scp');

    const gone = await loadGuardDocuments(ctx, reader(baseFiles), 1 << 20, reader({}));
    expect(gone.problems).toEqual([expect.stringMatching(/org\/scp.json could not be read on the head side/)]);
    expect(guardsForSubjectSides(subject, gone.guards).head).toEqual([]);
  });
});

describe('actions the catalogue does not know', () => {
  const run = (base: unknown[], head: unknown[], kind: PolicyKind = 'identity') =>
    compareAccess(compileDocuments(docs(base, kind, 'base.json')), compileDocuments(docs(head, kind, 'head.json'))).items;
  const FROB = 's3:FrobnicateObject';

  test('a widened resource is possibly new', () => {
    const items = run([allow(FROB, 'arn:aws:s3:::b/*')], [allow(FROB)]);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ actions: [FROB], resource: '*', certainty: 'possibly-new' });
    expect(items[0].reason).toMatch(/does not know these actions; base statement #0 .* names them but not on this resource/);
  });

  test('a dropped condition is possibly new', () => {
    const items = run([allow(FROB, '*', { Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } })], [allow(FROB)]);
    expect(items.map((i) => i.actions)).toEqual([[FROB]]);
  });

  test('a base Deny on it removed in head is possibly new', () => {
    const items = run([allow(FROB), deny(FROB, 'arn:aws:s3:::prod/*')], [allow(FROB)]);
    expect(items).toHaveLength(1);
    expect(items[0].reason).toMatch(/base grants them only with base statement #1 .* \(a Deny\) in force/);
  });

  test("added to a Deny's NotAction, under Allow *: possibly new", () => {
    const items = run([allow('*'), { Effect: 'Deny', NotAction: 's3:GetObject', Resource: '*' }], [allow('*'), { Effect: 'Deny', NotAction: ['s3:GetObject', FROB], Resource: '*' }]);
    expect(items.map((i) => i.actions)).toEqual([[FROB]]);
    expect(items[0].certainty).toBe('possibly-new');
  });

  test('unnamed in base: possibly new, as before', () => {
    const items = run([allow('s3:GetObject')], [allow(['s3:GetObject', 'newsvc:DoThing'])]);
    expect(items).toEqual([expect.objectContaining({ actions: ['newsvc:DoThing'], certainty: 'possibly-new', reason: 'the action catalogue does not know these actions and base does not name them' })]);
  });

  test('covered when base grants it as widely: same statement, narrower head, a wildcard naming it, a kept Deny', () => {
    const p = [allow([FROB, 's3:Frobnicate*'], 'arn:aws:s3:::b/*', { Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } }), deny(FROB, 'arn:aws:s3:::b/secret/*')];
    expect(run(p, p)).toEqual([]);
    expect(run([allow(FROB, 'arn:aws:s3:::b/*')], [allow(FROB, 'arn:aws:s3:::b/x/*', { Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } })])).toEqual([]);
    expect(run([allow('s3:*', 'arn:aws:s3:::b/*')], [allow(FROB, 'arn:aws:s3:::b/*')])).toEqual([]);
    expect(run([allow(FROB), deny(FROB, 'arn:aws:s3:::prod/*')], [allow(FROB), deny('s3:Frob*', 'arn:aws:s3:::prod/*')])).toEqual([]);
    const np = [allow('*'), { Effect: 'Deny', NotAction: ['s3:GetObject', FROB], Resource: '*' }];
    expect(run(np, np)).toEqual([]);
  });

  test('a head Deny covering the whole grant drops it', () => {
    expect(run([allow('s3:GetObject')], [allow(['s3:GetObject', FROB]), deny(FROB)])).toEqual([]);
  });

  test('their comparisons count towards the bound', () => {
    const b = compileDocuments(docs([allow(['s3:GetObject', FROB], 'arn:aws:s3:::b/*')], 'identity', 'base.json'));
    const plain = compileDocuments(docs([allow('s3:GetObject', 'arn:aws:s3:::b/*')], 'identity', 'head.json'));
    const h = compileDocuments(docs([allow(['s3:GetObject', FROB, 's3:TwiddleObject'], 'arn:aws:s3:::b/*')], 'identity', 'head.json'));
    expect(compareAccess(b, plain, { maxComparisons: 2 }).notes).toEqual([]);
    expect(compareAccess(b, h, { maxComparisons: 2 }).notes.join()).toMatch(/undecided, treated as new access/);
  });

  test('resource policies: a new principal for an uncatalogued action is possibly new', () => {
    const stmt = (p: unknown) => ({ Effect: 'Allow', Principal: { AWS: p }, Action: FROB, Resource: 'arn:aws:s3:::b/*' });
    const items = run([stmt('111111111111')], [stmt(['111111111111', '222222222222'])], 'bucket');
    expect(items).toEqual([expect.objectContaining({ actions: [FROB], principal: 'AWS:222222222222' })]);
  });
});
