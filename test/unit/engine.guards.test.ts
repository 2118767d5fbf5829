import { compileDocuments } from '../../src/analysis/compile.js';
import { compareAccess, compileGuards } from '../../src/analysis/new-access.js';
import { guardsForSubject, loadGuardDocuments } from '../../src/config/guards.js';
import { defaultConfig } from '../../src/config/types.js';
import type { ChangeSet } from '../../src/model.js';
import { runGate } from '../../src/pipeline.js';
import { doc, policy } from './engine-helpers.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2));
const allow = (Action: unknown, Resource: unknown = '*') => ({ Effect: 'Allow', Action, Resource });

describe('guards narrow new access, soundly', () => {
  const base = compileDocuments([doc(policy([allow('s3:GetObject')]), 'identity', 'base.json')]);
  const head = compileDocuments([doc(policy([allow(['s3:GetObject', 's3:DeleteObject', 'sqs:SendMessage'])]), 'identity', 'head.json')]);

  test('without guards both added actions are new', () => {
    expect(compareAccess(base, head).items.flatMap((i) => i.actions).sort()).toEqual(['s3:DeleteObject', 'sqs:SendMessage']);
  });

  test('an SCP Deny covering an action drops it, with a note', () => {
    const scp = doc(policy([allow('*'), { Effect: 'Deny', Action: 's3:Delete*', Resource: '*' }]), 'scp', 'scp.json');
    const r = compareAccess(base, head, { guards: compileGuards([scp]) });
    expect(r.items.flatMap((i) => i.actions)).toEqual(['sqs:SendMessage']);
    expect(r.notes.join()).toMatch(/SCP\/RCP\/permissions-boundary context denies them/);
  });

  test('an allow-list boundary denies what it does not allow', () => {
    const boundary = doc(policy([allow('s3:*')]), 'boundary', 'boundary.json');
    expect(compareAccess(base, head, { guards: compileGuards([boundary]) }).items.flatMap((i) => i.actions)).toEqual(['s3:DeleteObject']);
  });

  test('a conditional or partial guard Deny drops nothing', () => {
    const scp = doc(
      policy([allow('*'), { Effect: 'Deny', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::prod/*' }, { Effect: 'Deny', Action: 'sqs:*', Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } } }]),
      'scp',
      'scp.json',
    );
    expect(compareAccess(base, head, { guards: compileGuards([scp]) }).items.flatMap((i) => i.actions).sort()).toEqual(['s3:DeleteObject', 'sqs:SendMessage']);
  });

  test('RCPs do not narrow grants that may reach AWS service principals', () => {
    const b = compileDocuments([doc(policy([{ Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::d/*' }]), 'bucket', 'b.json')]);
    const h = compileDocuments([doc(policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::d/*' }]), 'bucket', 'h.json')]);
    const rcp = doc(policy([allow('*'), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' }]), 'rcp', 'rcp.json');
    expect(compareAccess(b, h, { guards: compileGuards([rcp]) }).items).toHaveLength(1);
  });

  // AWS Organizations User Guide, "List of AWS services that support RCPs": an RCP has no effect elsewhere.
  test('an RCP Deny hides nothing on a service RCPs do not govern (Lambda, SNS), only on those they do', () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:payments';
    const grant = (Action: string[], Resource: string[]) => [{ Sid: 'Partner', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action, Resource }];
    const b = compileDocuments([doc(policy([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'lambda:InvokeFunction', Resource: fn }]), 'resource', 'b.json')]);
    const h = compileDocuments([doc(policy(grant(['lambda:InvokeFunction', 'sns:Publish', 'sqs:SendMessage'], [fn, 'arn:aws:sns:us-east-1:123456789012:t', 'arn:aws:sqs:us-east-1:123456789012:q'])), 'resource', 'h.json')]);
    const rcp = doc(policy([{ Sid: 'OnlyOurAccount', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }]), 'rcp', 'rcp.json');
    const r = compareAccess(b, h, { guards: compileGuards([rcp]) });
    const actions = [...new Set(r.items.flatMap((i) => i.actions))].sort();
    expect(actions).toEqual(['lambda:InvokeFunction', 'sns:Publish']);
    expect(r.notes.join()).toMatch(/sqs:SendMessage/);
    // The same RCP in base only (removed by the change): what it denied on SQS is new; Lambda and SNS were never hidden.
    const removed = compareAccess(h, h, { guards: compileGuards([rcp]), headGuards: compileGuards([]) });
    expect([...new Set(removed.items.flatMap((i) => i.actions))]).toEqual(['sqs:SendMessage']);
  });
});

describe('a guard the change removes or widens lets through what it denied', () => {
  const admin = compileDocuments([doc(policy([allow('*')]), 'identity', 'admin.json')]);
  const boundary = (actions: string[]) => compileGuards([doc(policy([allow(actions)]), 'boundary', 'boundary.json')]);
  const newActions = (r: ReturnType<typeof compareAccess>) => r.items.flatMap((i) => i.actions);

  test('the boundary removed: everything it denied is new, certainly', () => {
    const r = compareAccess(admin, admin, { guards: boundary(['s3:*']), headGuards: compileGuards([]) });
    expect(r.items).toHaveLength(1);
    expect(r.items[0].certainty).toBe('new');
    expect(r.items[0].reason).toMatch(/base's permissions boundary, SCP or RCP denied it and the change removes that guard/);
    expect(newActions(r)).toContain('iam:*');
    expect(newActions(r)).not.toContain('s3:*');
  });

  test('the boundary widened: only what it newly allows; narrowed or unchanged: nothing', () => {
    const widened = compareAccess(admin, admin, { guards: boundary(['s3:*']), headGuards: boundary(['s3:*', 'sqs:*']) });
    expect(newActions(widened)).toEqual(['sqs:*']);
    expect(compareAccess(admin, admin, { guards: boundary(['s3:*', 'sqs:*']), headGuards: boundary(['s3:*']) }).items).toEqual([]);
    expect(compareAccess(admin, admin, { guards: boundary(['s3:*']) }).items).toEqual([]);
  });

  test('an SCP Deny dropped in head: the denied actions are new even though base granted them', () => {
    const scp = (deny: string[]) => compileGuards([doc(policy([allow('*'), { Effect: 'Deny', Action: deny, Resource: '*' }]), 'scp', 'scp.json')]);
    const r = compareAccess(admin, admin, { guards: scp(['iam:*', 'organizations:*']), headGuards: scp(['organizations:*']) });
    expect(newActions(r)).toEqual(['iam:*']);
  });
});

describe('context files through the pipeline', () => {
  test('loadGuardDocuments reads, tags and reports what it could not read', async () => {
    const files: Record<string, unknown> = { 'org/scp.json': policy([allow('*'), { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }]) };
    const ctx = { scps: ['org/scp.json', 'org/missing.json'], rcps: [], boundaries: [{ subject: 'iam/*', file: 'org/scp.json' }] };
    const { guards, problems } = await loadGuardDocuments(ctx, async (f) => (files[f] ? enc(files[f]) : undefined), 1 << 20);
    expect(guards.scps.map((d) => d.kind)).toEqual(['scp']);
    expect(guards.boundaries[0].documents.map((d) => d.kind)).toEqual(['boundary']);
    expect(problems).toEqual([expect.stringMatching(/org\/missing.json could not be read/)]);
    expect(guardsForSubject({ type: 'unbound', id: 'iam/app.json' }, guards)).toHaveLength(2);
    expect(guardsForSubject({ type: 'unbound', id: 'other/app.json' }, guards)).toHaveLength(1);
  });

  test('runGate drops new access that the SCP denies and says so in the subject limits', async () => {
    const changes: ChangeSet = {
      baseLabel: 'base',
      headLabel: 'head',
      notes: [],
      files: [{ path: 'iam/app.json', status: 'modified', base: enc(policy([allow('s3:GetObject')])), head: enc(policy([allow(['s3:GetObject', 's3:DeleteObject'])])) }],
    };
    const config = defaultConfig();
    const without = runGate({ changes, config, toolVersion: 't', now: new Date(0) });
    expect(without.totals.newAccess).toBe(1);
    const { guards } = await loadGuardDocuments({ scps: ['scp.json'], rcps: [], boundaries: [] }, async () => enc(policy([allow('*'), { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }])), 1 << 20);
    const withScp = runGate({ changes, config, guards, toolVersion: 't', now: new Date(0) });
    expect(withScp.totals.newAccess).toBe(0);
    expect(withScp.subjects[0].limits.join()).toMatch(/context denies them/);
    expect(withScp.findings.filter((f) => f.ruleId === 'new-access')).toHaveLength(0);
  });
});

describe('a head version that does not parse, its Deny statements', () => {
  test('do not hide what another file grants (the Deny may be gone in head)', () => {
    const config = defaultConfig();
    config.rules = { 'parse-error': 'warn' };
    config.subjects = [{ files: 'iam/{role}/*.json', principal: 'arn:aws:iam::123456789012:role/{role}' }];
    const guard = policy([{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }]);
    const changes: ChangeSet = {
      baseLabel: 'base',
      headLabel: 'head',
      notes: [],
      files: [
        { path: 'iam/app/guardrail.json', status: 'modified', base: enc(guard), head: new TextEncoder().encode('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["ec2:*",], "Resource": "*"}]}') },
        { path: 'iam/app/policy.json', status: 'modified', base: enc(policy([allow('s3:GetObject')])), head: enc(policy([allow(['s3:GetObject', 'iam:*'])])) },
      ],
    };
    const report = runGate({ changes, config, toolVersion: 't', now: new Date(0) });
    expect(report.findings.filter((f) => f.ruleId === 'new-access').flatMap((f) => f.evidence?.actions as string[])).toContain('iam:*');
    expect(report.verdict.status).toBe('fail');
  });
});

describe('a head version that does not parse', () => {
  test('is compared as its base version: no phantom removals, the parse error fails the run', () => {
    const config = defaultConfig();
    config.subjects = [{ files: 'iam/{role}.json', principal: 'arn:aws:iam::123456789012:role/{role}' }];
    const changes: ChangeSet = {
      baseLabel: 'base',
      headLabel: 'head',
      notes: [],
      files: [{ path: 'iam/app.json', status: 'modified', base: enc(policy([allow(['sqs:SendMessage', 'sqs:ReceiveMessage'])])), head: new TextEncoder().encode('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage",], "Resource": "*"}]}') }],
    };
    const report = runGate({ changes, config, toolVersion: 't', now: new Date(0) });
    expect(report.verdict.status).toBe('fail');
    expect(report.findings.map((f) => f.ruleId)).toEqual(['parse-error']);
    const s = report.subjects[0];
    expect(s.delta.removedCount).toBe(0);
    expect(s.delta.addedCount).toBe(0);
    expect(s.limits.join('\n')).toMatch(/iam\/app.json: the head version could not be read; compared as its base version/);
  });
});

describe('resource-policy findings say who gains access', () => {
  test('"account N can now call … on <resource>", not "<bucket> gains … for AWS:…"', () => {
    const bucket = (principal: unknown) => enc({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::logs/*' }] });
    const changes: ChangeSet = {
      baseLabel: 'base',
      headLabel: 'head',
      notes: [],
      files: [{ path: 'buckets/logs.json', status: 'modified', base: bucket({ AWS: 'arn:aws:iam::111122223333:root' }), head: bucket({ AWS: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:root'] }) }],
    };
    const report = runGate({ changes, config: defaultConfig(), toolVersion: 't', now: new Date(0) });
    const f = report.findings.find((x) => x.ruleId === 'new-access')!;
    expect(f.message).toMatch(/^account 444455556666 can now call s3:GetObject on arn:aws:s3:::logs\/\* \(arn:aws:s3:::logs\): /);
  });
});

describe('group subjects and CloudTrail', () => {
  test('replay is not run for a group (its members call), and the subject says so instead of "0 predicted"', async () => {
    const { usageOf, record } = await import('../../fixtures/leastpriv/build.js');
    const config = defaultConfig();
    config.subjects = [{ files: 'groups/{g}.json', principal: 'arn:aws:iam::123456789012:group/{g}' }];
    const changes: ChangeSet = {
      baseLabel: 'base',
      headLabel: 'head',
      notes: [],
      files: [{ path: 'groups/devs.json', status: 'modified', base: enc(policy([allow(['ec2:DescribeInstances', 'cloudwatch:GetMetricData'])])), head: enc(policy([allow('ec2:DescribeInstances')])) }],
    };
    const usage = usageOf([record('cloudwatch:GetMetricData', undefined, { principal: 'arn:aws:iam::123456789012:user/alice', principalType: 'IAMUser' })]);
    const report = runGate({ changes, config, usage, toolVersion: 't', now: new Date(0) });
    const s = report.subjects[0];
    expect(s.subject.type).toBe('group');
    expect(s.replay).toBeUndefined();
    expect(s.limits.join('\n')).toMatch(/CloudTrail replay not run: a group's calls are made by its members/);
  });
});

describe('new-access messages keep the resource in view', () => {
  test('more than four actions: their number and the three most dangerous first', () => {
    const changes = (head: unknown): ChangeSet => ({ baseLabel: 'b', headLabel: 'h', notes: [], files: [{ path: 'iam/app.json', status: 'modified', base: enc(policy([allow('sqs:SendMessage')])), head: enc(head) }] });
    const many = runGate({ changes: changes(policy([allow(['sqs:SendMessage', 'ec2:DescribeInstances', 'ec2:DescribeVolumes', 's3:GetObject', 's3:ListBucket', 'iam:PassRole'])])), config: defaultConfig(), toolVersion: 't', now: new Date(0) });
    const m = many.findings.find((f) => f.ruleId === 'new-access')!.message;
    expect(m).toMatch(/ gains 5 actions \(iam:PassRole, .*…\) on \*: /);
    const few = runGate({ changes: changes(policy([allow(['sqs:SendMessage', 's3:GetObject', 's3:ListBucket'])])), config: defaultConfig(), toolVersion: 't', now: new Date(0) });
    expect(few.findings.find((f) => f.ruleId === 'new-access')!.message).toMatch(/ gains s3:GetObject, s3:ListBucket on \*: /);
  });
});

describe('guard files changed on their own (no subject touched)', () => {
  test('an SCP Deny dropped, an RCP Deny dropped, a boundary widened: new access at the guard file; a narrowing or a reformat: nothing', async () => {
    const { guardChanges } = await import('../../src/analysis/guard-change.js');
    const scp = (stmts: object[]) => [doc(policy([allow('*'), ...stmts]), 'scp', 'org/scp.json')];
    const denyIam = { Sid: 'NoIam', Effect: 'Deny', Action: 'iam:*', Resource: '*' };
    const denySecrets = { Sid: 'Secrets', Effect: 'Deny', Action: 's3:*', Resource: ['arn:aws:s3:::secrets', 'arn:aws:s3:::secrets/*'] };
    const g = (base: object[], head: object[]) => ({ scps: scp(base), rcps: [], boundaries: [], head: { scps: scp(head), rcps: [], boundaries: [] } });
    const dropped = guardChanges(g([denyIam, denySecrets], [denySecrets]));
    expect(dropped.map((f) => [f.ruleId, f.evidence?.actions])).toEqual([['new-access', ['iam:*']]]);
    expect(dropped[0].location?.file).toBe('org/scp.json');
    // A resource-scoped Deny dropped: possibly new.
    expect(guardChanges(g([denySecrets], [])).map((f) => f.severity)).toEqual(['medium']);
    // Narrowed (a Deny added) or only reformatted: nothing.
    expect(guardChanges(g([denySecrets], [denySecrets, denyIam]))).toEqual([]);
    expect(guardChanges(g([denySecrets], [{ ...denySecrets }]))).toEqual([]);
    // An RCP Deny dropped, and a boundary widened.
    const rcp = (stmts: object[]) => [doc(policy([allow('*'), ...stmts]), 'rcp', 'org/rcp.json')];
    const rcpDeny = { Effect: 'Deny', Principal: '*', Action: ['s3:DeleteObject'], Resource: '*' };
    expect(guardChanges({ scps: [], rcps: rcp([rcpDeny]), boundaries: [], head: { scps: [], rcps: rcp([]), boundaries: [] } }).flatMap((f) => f.evidence?.actions as string[])).toEqual(['s3:DeleteObject']);
    const boundary = (actions: string[]) => [doc(policy([allow(actions)]), 'boundary', 'b/app.json')];
    const widened = guardChanges({ scps: [], rcps: [], boundaries: [{ subject: 'arn:aws:iam::1:role/app', documents: boundary(['s3:*']) }], head: { scps: [], rcps: [], boundaries: [{ subject: 'arn:aws:iam::1:role/app', documents: boundary(['s3:*', 'sqs:*']) }] } });
    expect(widened.flatMap((f) => f.evidence?.actions as string[])).toEqual(['sqs:*']);
  });

  test('a mapped file with kind: boundary is read as a boundary (a widened boundary is new access)', () => {
    const config = defaultConfig();
    config.subjects = [
      { files: 'iam/{role}/*.json', principal: 'arn:aws:iam::123456789012:role/{role}' },
      { files: 'boundaries/{role}.json', principal: 'arn:aws:iam::123456789012:role/{role}', kind: 'boundary' },
    ];
    const changes: ChangeSet = {
      baseLabel: 'b',
      headLabel: 'h',
      notes: [],
      files: [
        { path: 'boundaries/app.json', status: 'modified', base: enc(policy([allow('s3:*', 'arn:aws:s3:::app-data/*')])), head: enc(policy([allow('s3:*', '*')])) },
        { path: 'iam/app/policy.json', status: 'unchanged', base: enc(policy([allow('s3:*', '*')])), head: enc(policy([allow('s3:*', '*')])) },
      ],
    };
    const report = runGate({ changes, config, toolVersion: 't', now: new Date(0) });
    expect(report.verdict.status).toBe('fail');
    expect(report.findings.filter((f) => f.ruleId === 'new-access').flatMap((f) => f.evidence?.actions as string[])).toContain('s3:*');
  });
});
