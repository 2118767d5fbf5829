import { join } from 'node:path';
import { recordsFor, replay } from '../../src/analysis/replay.js';
import { main } from '../../src/cli.js';
import { CaseFileError, parseCaseFile } from '../../src/explain/cases.js';
import { explainCase } from '../../src/explain/explain.js';
import { loadWorld } from '../../src/explain/load.js';
import type { ExplainCase, ExplainWorld } from '../../src/explain/types.js';
import type { PolicyDocument, ReplayItem } from '../../src/model.js';
import { readLocalLogs } from '../../src/usage/read-local.js';
import { repoRoot } from '../../fixtures/report/validators.js';
import { doc } from './engine-helpers.js';

const dir = join(repoRoot, 'fixtures', 'review', 'explain');
const APP = 'arn:aws:iam::123456789012:role/app';
let world: ExplainWorld;

beforeAll(async () => {
  world = (await loadWorld({ base: join(dir, 'base'), head: join(dir, 'head') })).world;
});

const ask = (c: Partial<ExplainCase>) => explainCase({ subject: APP, action: 's3:GetObject', resource: 'arn:aws:s3:::data/a.csv', context: {}, ...c }, world);

describe('explain: one request against base and head', () => {
  test('allow on both sides names the deciding statement with file:line', () => {
    const o = ask({});
    expect(o.base.decision).toBe('allow');
    expect(o.head.decision).toBe('allow');
    expect(o.head.deciding).toEqual([expect.objectContaining({ sid: 'Read', effect: 'Allow', layer: 'identity', loc: expect.objectContaining({ file: 'iam/roles/app/policy.json', line: 4 }) })]);
    expect(o.change).toBe('unchanged: allow on both sides');
  });

  test('an explicit deny in head, allowed in base, in one line', () => {
    const o = ask({ action: 's3:DeleteObject' });
    expect(o.base.decision).toBe('allow');
    expect(o.head.decision).toBe('explicit-deny');
    expect(o.head.deciding[0]).toMatchObject({ sid: 'NoDelete', effect: 'Deny' });
    expect(o.change).toMatch(/^allow → explicit-deny: no longer allowed/);
  });

  test('implicit deny when nothing allows', () => {
    const o = ask({ action: 's3:ListBucket', resource: 'arn:aws:s3:::data' });
    expect(o.base.decision).toBe('implicit-deny');
    expect(o.head.decision).toBe('implicit-deny');
    expect(o.head.deciding).toEqual([]);
  });

  test('a condition key the request does not give is unknown: undecided, and the condition says so', () => {
    const o = ask({ action: 's3:PutObject' });
    expect(o.head.decision).toBe('undecided');
    expect(o.head.conditions).toEqual([expect.objectContaining({ key: 'aws:SourceVpce', result: 'unknown', sid: 'WriteFromVpc' })]);
    expect(o.change).toMatch(/implicit-deny → undecided/);
  });

  test('with the key given the condition matches or fails, and is listed either way', () => {
    const ok = ask({ action: 's3:PutObject', context: { 'aws:SourceVpce': 'vpce-1234' } });
    expect(ok.head.decision).toBe('allow');
    expect(ok.head.conditions[0]).toMatchObject({ result: 'match', operator: 'StringEquals' });
    const other = ask({ action: 's3:PutObject', context: { 'aws:SourceVpce': 'vpce-9999' } });
    expect(other.head.decision).toBe('implicit-deny');
    expect(other.head.conditions[0]).toMatchObject({ result: 'no-match' });
    const absent = ask({ action: 's3:PutObject', absent: ['aws:SourceVpce'] });
    expect(absent.head.decision).toBe('implicit-deny');
  });

  test('expectations: deny accepts either deny; a wrong one is a mismatch', () => {
    expect(ask({ action: 's3:DeleteObject', expect: { head: 'deny' } }).mismatches).toEqual([]);
    expect(ask({ action: 's3:DeleteObject', expect: { base: 'implicit-deny' } }).mismatches).toEqual(['base: expected implicit-deny, got allow']);
  });
});

describe('explain: case files', () => {
  test('parses YAML cases with their lines', () => {
    const cases = parseCaseFile('cases:\n  - subject: arn:aws:iam::1:role/x\n    action: s3:GetObject\n    context: { aws:SourceIp: 10.0.0.1, aws:SourceVpce: null }\n    expect: allow\n', 't.yaml');
    expect(cases).toEqual([
      { subject: 'arn:aws:iam::1:role/x', action: 's3:GetObject', context: { 'aws:SourceIp': '10.0.0.1', 'aws:SourceVpce': null }, expect: { head: 'allow' }, loc: { file: 't.yaml', line: 2, column: 1 } },
    ]);
  });

  test('bad cases are located errors', () => {
    expect(() => parseCaseFile('- action: nope\n  expect: maybe\n', 'bad.yaml')).toThrow(CaseFileError);
    let problems: string[] = [];
    try {
      parseCaseFile('- subject: arn:aws:iam::1:role/x\n  action: s3:GetObject\n- action: nope\n  expect: maybe\n', 'bad.yaml');
    } catch (e) {
      problems = (e as CaseFileError).problems;
    }
    expect(problems).toEqual([
        'bad.yaml:3: case 2: action "nope" is not service:Action',
        'bad.yaml:3: case 2: give subject or principal (an ARN)',
        'bad.yaml:3: case 2: expect must be one of allow, deny, explicit-deny, implicit-deny, undecided',
    ]);
  });

  test('the CLI runs an access-test file: exit 0 when all hold, 1 on a mismatch, 2 on a bad file', async () => {
    const out: string[] = [];
    const run = (args: string[]) => main(['explain', '--base', join(dir, 'base'), '--head', join(dir, 'head'), ...args], (s) => out.push(s), (s) => out.push(s));
    expect(await run(['--cases', join(dir, 'access-tests.yaml')])).toBe(0);
    expect(out.join('\n')).toMatch(/4 cases, 4 with expectations, 0 mismatched/);
    out.length = 0;
    expect(await run(['--subject', APP, '--action', 's3:DeleteObject', '--resource', 'arn:aws:s3:::data/x', '--expect', 'allow', '--format', 'json'])).toBe(1);
    const json = JSON.parse(out.join('\n'));
    expect(json.mismatches).toBe(1);
    expect(json.cases[0].head.decision).toBe('explicit-deny');
    expect(await run(['--cases', join(dir, 'base', '.iam-policy-gate.yml')])).toBe(2);
    expect(await run(['--subject', APP, '--action', 's3:GetObject', '--context', 'novalue'])).toBe(2);
  });

  test('a Deny-only SCP or RCP file narrows; it does not deny everything (implicit FullAWSAccess / RCPFullAWSAccess)', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'explain-guards-'));
    const pol = (st: object) => JSON.stringify({ Version: '2012-10-17', Statement: [st] });
    for (const side of ['base', 'head']) {
      mkdirSync(join(root, side, 'iam', 'roles', 'app'), { recursive: true });
      mkdirSync(join(root, side, 'org'), { recursive: true });
      writeFileSync(join(root, side, '.iam-policy-gate.yml'), 'subjects:\n  - files: "iam/roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\ncontext:\n  scps: [org/scp.json]\n  rcps: [org/rcp.json]\n');
      writeFileSync(join(root, side, 'iam', 'roles', 'app', 'p.json'), pol({ Effect: 'Allow', Action: 's3:*', Resource: '*' }));
      writeFileSync(join(root, side, 'org', 'scp.json'), pol({ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }));
      writeFileSync(join(root, side, 'org', 'rcp.json'), pol({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    }
    const out: string[] = [];
    const run = (action: string, expect: string) => main(['explain', '--base', join(root, 'base'), '--head', join(root, 'head'), '--subject', APP, '--action', action, '--resource', 'arn:aws:s3:::data', '--context', 'aws:SecureTransport=true', '--expect', expect], (s) => out.push(s), (s) => out.push(s));
    expect(await run('s3:ListBucket', 'allow')).toBe(0);
    expect(await run('s3:DeleteBucket', 'explicit-deny')).toBe(0);
  });

  test('a subject with no policies in base or head is a usage error, not a deny on both sides', async () => {
    const out: string[] = [];
    const run = (args: string[]) => main(['explain', '--base', join(dir, 'base'), '--head', join(dir, 'head'), ...args], (s) => out.push(s), (s) => out.push(s));
    const typo = 'arn:aws:iam::123456789012:role/ap';
    expect(await run(['--subject', typo, '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::data/a.csv', '--expect', 'deny'])).toBe(2);
    expect(out.join('\n')).toContain(`no policies in base or head for ${typo}; subjects found: ${APP}`);
    out.length = 0;
    expect(await run(['--subject', APP, '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::data/a.csv', '--expect', 'allow'])).toBe(0);
  });
});

describe('explain uses the gate evaluator: the demo CloudTrail replayed both ways agrees', () => {
  const demo = join(repoRoot, 'fixtures', 'demo');
  test('predicted, fixed and undecided calls per subject are the same', async () => {
    const { world: demoWorld } = await loadWorld({ base: join(demo, 'base'), head: join(demo, 'head') });
    const keys = new Set<string>();
    for (const s of demoWorld.subjects) for (const d of [...s.base, ...s.head]) for (const st of d.statements) for (const c of st.conditions) keys.add(c.key.toLowerCase());
    const usage = await readLocalLogs([join(demo, 'cloudtrail')], { contextKeys: [...keys], since: new Date('2026-08-26'), until: new Date('2026-11-24') });
    const grants = (docs: PolicyDocument[]) => docs.filter((d) => d.kind === 'identity' || d.kind === 'bucket' || d.kind === 'resource');
    let compared = 0;
    let gateItems = 0;
    for (const s of demoWorld.subjects.filter((x) => x.subject.arn && x.subject.type !== 'bucket')) {
      const records = recordsFor(s.subject, usage.records);
      const gate = replay(s.subject, grants(s.base), grants(s.head), records);
      gateItems += gate.predicted.length + gate.fixed.length + gate.undecided.length;
      const tally = (items: ReplayItem[]) => items.map((i) => `${i.kind}|${i.action}|${i.base}|${i.head}`).reduce<Record<string, number>>((m, k, j) => ((m[k] = (m[k] ?? 0) + items[j].count), m), {});
      const viaExplain: ReplayItem[] = [];
      for (const r of records) {
        if (r.outcome === 'error') continue;
        const o = explainCase({ subject: s.subject.arn, principal: r.principal, action: r.action, resource: r.resource, context: { ...r.context } }, demoWorld, { repoResourcePolicies: false });
        compared++;
        const [b, h] = [o.base.decision, o.head.decision];
        const item = (kind: ReplayItem['kind']) => viaExplain.push({ kind, principal: r.principal, action: r.action, count: r.count, firstSeen: r.firstSeen, lastSeen: r.lastSeen, base: b, head: h });
        if (r.outcome === 'allowed' && b === 'allow' && h !== 'allow') item(h === 'undecided' ? 'undecided' : 'predicted-denied');
        if (r.outcome === 'denied' && b !== 'allow' && (h === 'allow' || h === 'undecided')) item(h === 'allow' ? 'fixed-denied' : 'undecided');
      }
      expect(tally(viaExplain)).toEqual(tally([...gate.predicted, ...gate.fixed, ...gate.undecided]));
    }
    expect(compared).toBeGreaterThan(10);
    // The demo has a predicted denial (s3:PutObject) and a fixed one (dynamodb:Query); undecided calls are
    // compared the same way when there are any.
    expect(gateItems).toBeGreaterThanOrEqual(2);
  });
});

describe('explain: RCPs govern only the services that support them', () => {
  // AWS Organizations User Guide, "List of AWS services that support RCPs": S3, STS, KMS, SQS, Secrets Manager (at launch).
  let rcpWorld: ExplainWorld;
  const FN = 'arn:aws:lambda:us-east-1:123456789012:function:payments';
  const PARTNER = 'arn:aws:iam::999999999999:role/partner';
  beforeAll(async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'explain-rcp-'));
    const pol = (...st: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: st });
    for (const side of ['base', 'head']) {
      mkdirSync(join(root, side, 'iam', 'roles', 'partner'), { recursive: true });
      mkdirSync(join(root, side, 'org'), { recursive: true });
      writeFileSync(join(root, side, '.iam-policy-gate.yml'), 'subjects:\n  - files: "iam/roles/{name}/*.json"\n    principal: "arn:aws:iam::999999999999:role/{name}"\ncontext:\n  rcps: [org/rcp.json]\n');
      writeFileSync(join(root, side, 'iam', 'roles', 'partner', 'p.json'), pol({ Effect: 'Allow', Action: ['lambda:InvokeFunction', 'sqs:SendMessage'], Resource: '*' }));
      writeFileSync(join(root, side, 'org', 'rcp.json'), pol({ Sid: 'OnlyOurAccount', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalAccount': '123456789012' } } }));
    }
    rcpWorld = (await loadWorld({ base: join(root, 'base'), head: join(root, 'head') })).world;
  });
  const ask = (action: string, resource: string) =>
    explainCase({ subject: PARTNER, action, resource, context: { 'aws:PrincipalAccount': '999999999999' } }, rcpWorld);

  test('an RCP is not applied to lambda:InvokeFunction, and the explanation says so', () => {
    const o = ask('lambda:InvokeFunction', FN);
    expect(o.head.decision).toBe('allow');
    expect(o.head.layers).toContain('rcp:0 (2, not applied)');
    expect(o.head.notes).toEqual([expect.stringMatching(/^RCPs not applied: lambda is not among the services RCPs apply to \(s3, sts, kms, sqs, secretsmanager\)/)]);
    expect(o.head.conditions).toEqual([]);
  });

  test('an RCP still denies sqs:SendMessage, with no such note', () => {
    const o = ask('sqs:SendMessage', 'arn:aws:sqs:us-east-1:123456789012:q');
    expect(o.head.decision).toBe('explicit-deny');
    expect(o.head.deciding[0]).toMatchObject({ sid: 'OnlyOurAccount', layer: 'rcp:0' });
    expect(o.head.notes).toBeUndefined();
  });
});

describe('explain and replay: a Deny with NotPrincipal', () => {
  // IAM User Guide, "AWS JSON policy elements: NotPrincipal": the caller of a role's calls is its session, which
  // must itself be named; and a Deny with NotPrincipal always denies a caller with a permissions boundary.
  const APP_ROLE = 'arn:aws:iam::123456789012:role/app';
  const SESSION = 'arn:aws:sts::123456789012:assumed-role/app/i-0abc';
  const ROOT = 'arn:aws:iam::123456789012:root';
  const bucketPolicy = (spared: string[]) => ({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AllowApp', Effect: 'Allow', Principal: { AWS: APP_ROLE }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::vault/*' },
      { Sid: 'OnlyApp', Effect: 'Deny', NotPrincipal: { AWS: spared }, Action: 's3:*', Resource: ['arn:aws:s3:::vault', 'arn:aws:s3:::vault/*'] },
    ],
  });
  async function worldWith(spared: string[], boundary: boolean): Promise<ExplainWorld> {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'explain-notprincipal-'));
    for (const side of ['base', 'head']) {
      for (const d of ['buckets', 'guards', 'roles/app']) mkdirSync(join(root, side, d), { recursive: true });
      const config = 'subjects:\n  - files: "roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n  - files: "buckets/{name}.json"\n    bucket: "arn:aws:s3:::{name}"\n';
      writeFileSync(join(root, side, '.iam-policy-gate.yml'), config + (boundary ? 'context:\n  boundaries:\n    - subject: "arn:aws:iam::123456789012:role/app"\n      file: guards/boundary.json\n' : ''));
      writeFileSync(join(root, side, 'roles', 'app', 'policy.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::vault/*' }] }));
      writeFileSync(join(root, side, 'guards', 'boundary.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }));
      const policyNow = side === 'base' ? { Version: '2012-10-17', Statement: [bucketPolicy(spared).Statement[0]] } : bucketPolicy(spared);
      writeFileSync(join(root, side, 'buckets', 'vault.json'), JSON.stringify(policyNow));
    }
    return (await loadWorld({ base: join(root, 'base'), head: join(root, 'head') })).world;
  }
  const askBucket = (w: ExplainWorld, principal: string) =>
    explainCase({ subject: 'arn:aws:s3:::vault', principal, action: 's3:GetObject', resource: 'arn:aws:s3:::vault/x.csv', context: {} }, w);

  test('naming the role and the account does not spare the role’s sessions: explicit deny', async () => {
    const w = await worldWith([APP_ROLE, ROOT], false);
    for (const who of [SESSION, APP_ROLE]) {
      const o = askBucket(w, who);
      expect(o.base.decision).toBe('allow');
      expect(o.head.decision).toBe('explicit-deny');
      expect(o.head.deciding[0]).toMatchObject({ sid: 'OnlyApp', effect: 'Deny' });
    }
  });

  test('naming the session, its role and the account spares it; unless the role has a permissions boundary', async () => {
    expect(askBucket(await worldWith([SESSION, APP_ROLE, ROOT], false), SESSION).head.decision).toBe('allow');
    const bounded = askBucket(await worldWith([SESSION, APP_ROLE, ROOT], true), SESSION);
    expect(bounded.head.decision).toBe('explicit-deny');
    expect(bounded.head.reason).toMatch(/permissions boundary/);
    expect(bounded.head.layers).toContain('boundary (1)');
  });

  test('replay: an assumed-role call is a session of the role, which naming the role does not spare', () => {
    const subject = { type: 'bucket' as const, id: 'arn:aws:s3:::vault', arn: 'arn:aws:s3:::vault' };
    const parse = (v: unknown): PolicyDocument[] => [doc(v, 'bucket', 'buckets/vault.json')];
    const record = (principalType: string) => ({
      principal: APP_ROLE,
      principalType,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::vault/x.csv',
      account: '123456789012',
      outcome: 'allowed' as const,
      count: 1,
      firstSeen: '2026-11-10T10:00:00Z',
      lastSeen: '2026-11-10T10:00:00Z',
      context: {},
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
    });
    const base = parse({ Version: '2012-10-17', Statement: [bucketPolicy([]).Statement[0]] });
    const spareRole = parse(bucketPolicy([APP_ROLE, ROOT]));
    const session = replay(subject, base, spareRole, [record('AssumedRole')]);
    expect(session.predicted).toEqual([expect.objectContaining({ action: 's3:GetObject', base: 'allow', head: 'explicit-deny' })]);
    // A record that does not say it was a session (or which one): undecided, never spared.
    const unknown = replay(subject, base, spareRole, [record('Unknown')]);
    expect(unknown.predicted).toEqual([]);
    expect(unknown.undecided).toEqual([expect.objectContaining({ action: 's3:GetObject', head: 'undecided' })]);
    const namedSession = replay(subject, base, parse(bucketPolicy([SESSION, APP_ROLE, ROOT])), [record('AssumedRole')]);
    expect(namedSession.predicted).toEqual([]);
    expect(namedSession.undecided).toEqual([expect.objectContaining({ head: 'undecided' })]);
  });
});
