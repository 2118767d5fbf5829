// Property-based soundness of the new-access engine against the request evaluator.
// Soundness: every concrete request that head allows and base does not lies inside a reported item.
// False alarms: head equal to base, or a strict narrowing of it, reports nothing.
// Seeded (FC_SEED overrides); run counts are printed by the summary test at the end.
import fc from 'fast-check';
import { lookupAction } from '../../src/catalog/catalog.js';
import { compileDocuments } from '../../src/analysis/compile.js';
import { evaluate, evaluatePolicies } from '../../src/analysis/evaluate/evaluate.js';
import type { RequestPrincipal } from '../../src/analysis/evaluate/principal.js';
import { compareAccess } from '../../src/analysis/new-access.js';
import type { PolicyDocument, PolicyKind } from '../../src/model.js';
import { doc, itemCovers, type ConcreteRequest } from './engine-helpers.js';

const SEED = Number(process.env.FC_SEED ?? 20240611);
const RUNS = Number(process.env.FC_RUNS ?? 120);
const runs: Record<string, { runs: number; requests: number; newRequests: number }> = {};

// ---------- grammar ----------

const ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:Get*', 's3:*Object', 's3:*', 'sqs:SendMessage', 'sqs:Get*', 'sqs:*'];
/** Concrete actions the requests use: every literal above plus some that only wildcards or NotAction reach. */
const REQUEST_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:GetObjectAcl', 's3:DeleteBucket', 'sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:DeleteQueue', 'kms:Decrypt'];
const RESOURCES = [
  '*',
  'arn:aws:s3:::*',
  'arn:aws:s3:::b1/*',
  'arn:aws:s3:::b1/a*',
  'arn:aws:s3:::b1/a/x',
  'arn:aws:s3:::b?/a*',
  'arn:aws:s3:::b2/*',
  'arn:aws:s3:::b1/${aws:username}/*',
  'arn:aws:sqs:us-east-1:111122223333:q1',
  'arn:aws:sqs:*:111122223333:*',
];
/** Narrowing map: each resource to one it contains. */
const NARROWER: Record<string, string> = {
  '*': 'arn:aws:s3:::b1/*',
  'arn:aws:s3:::*': 'arn:aws:s3:::b2/*',
  'arn:aws:s3:::b1/*': 'arn:aws:s3:::b1/a*',
  'arn:aws:s3:::b1/a*': 'arn:aws:s3:::b1/a/x',
  'arn:aws:s3:::b?/a*': 'arn:aws:s3:::b1/a*',
  'arn:aws:sqs:*:111122223333:*': 'arn:aws:sqs:us-east-1:111122223333:q1',
};
const PRINCIPALS: unknown[] = [
  '*',
  { AWS: '111122223333' },
  { AWS: 'arn:aws:iam::111122223333:root' },
  { AWS: 'arn:aws:iam::111122223333:role/r1' },
  { AWS: ['arn:aws:iam::444455556666:role/r2', '111122223333'] },
  { Service: 's3.amazonaws.com' },
];
const NOT_PRINCIPALS: unknown[] = [
  { AWS: 'arn:aws:iam::111122223333:role/r1' },
  { AWS: '444455556666' },
  // NotPrincipal spares only the caller's own ARN, with its account (and role): evaluate/principal.ts.
  { AWS: ['arn:aws:iam::111122223333:role/r1', '111122223333'] },
  { AWS: ['arn:aws:sts::111122223333:assumed-role/r1/s', 'arn:aws:iam::111122223333:role/r1', '111122223333'] },
  { AWS: ['arn:aws:sts::111122223333:assumed-role/r1/s', '111122223333'] },
];
const CONDITIONS: Array<[string, string, string[]]> = [
  ['StringEquals', 'aws:username', ['alice']],
  ['StringEquals', 'aws:username', ['alice', 'bob']],
  ['StringLike', 'aws:username', ['a*']],
  ['StringNotEquals', 'aws:username', ['bob']],
  ['StringEqualsIfExists', 'aws:username', ['alice']],
  ['StringNotLike', 'aws:username', ['b*', 'c*']],
  ['Bool', 'aws:SecureTransport', ['true']],
  ['IpAddress', 'aws:SourceIp', ['10.0.0.0/8']],
  ['IpAddress', 'aws:SourceIp', ['10.1.0.0/16']],
  ['NotIpAddress', 'aws:SourceIp', ['10.1.0.0/16']],
  ['NumericLessThan', 's3:max-keys', ['10']],
  ['NumericLessThanEquals', 's3:max-keys', ['100']],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['a']],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['a', 'b']],
  ['Null', 'aws:username', ['false']],
  ['StringLike', 's3:prefix', ['${aws:username}/*']],
];
const CONTEXT_VALUES: Record<string, Array<string | string[] | undefined>> = {
  'aws:username': [undefined, 'alice', 'bob', 'ann', 'carol'],
  'aws:securetransport': [undefined, 'true', 'false'],
  'aws:sourceip': [undefined, '10.1.2.3', '10.2.0.1', '8.8.8.8'],
  's3:max-keys': [undefined, '5', '50', '500'],
  'aws:tagkeys': [undefined, ['a'], ['a', 'b'], ['c'], ['a', 'c']],
  's3:prefix': [undefined, 'alice/x', 'bob/x'],
};
const REQUEST_PRINCIPALS: RequestPrincipal[] = [
  { arn: 'arn:aws:iam::111122223333:role/r1', type: 'AWS' },
  { arn: 'arn:aws:sts::111122223333:assumed-role/r1/s', type: 'AWS' },
  { arn: 'arn:aws:iam::444455556666:role/r2', type: 'AWS' },
  { arn: 's3.amazonaws.com', type: 'Service' },
  { arn: 'arn:aws:iam::111122223333:root', type: 'AWS' },
];

type Raw = Record<string, unknown>;
type Mode = 'identity' | 'bucket';

const pick = <T,>(xs: T[]) => fc.constantFrom(...xs);
const some = <T,>(xs: T[], max = 2) => fc.uniqueArray(pick(xs), { minLength: 1, maxLength: max });

function statementArb(mode: Mode): fc.Arbitrary<Raw> {
  const actionPart = fc.oneof(
    { weight: 4, arbitrary: some(ACTIONS).map((a) => ({ Action: a.length === 1 ? a[0] : a })) },
    { weight: 1, arbitrary: some(ACTIONS, 1).map((a) => ({ NotAction: a })) },
  );
  const resourcePart = fc.oneof(
    { weight: 5, arbitrary: some(RESOURCES).map((r) => ({ Resource: r.length === 1 ? r[0] : r })) },
    { weight: 1, arbitrary: some(RESOURCES.filter((r) => r !== '*'), 1).map((r) => ({ NotResource: r })) },
  );
  const principalPart: fc.Arbitrary<Raw> =
    mode === 'identity'
      ? fc.constant({})
      : fc.oneof({ weight: 5, arbitrary: pick(PRINCIPALS).map((p) => ({ Principal: p })) }, { weight: 1, arbitrary: pick(NOT_PRINCIPALS).map((p) => ({ NotPrincipal: p })) });
  const conditionPart = fc.uniqueArray(pick(CONDITIONS), { maxLength: 2, selector: (c) => `${c[0]}|${c[1]}` }).map((cs) => {
    if (!cs.length) return {};
    const cond: Record<string, Record<string, string[]>> = {};
    for (const [op, key, values] of cs) (cond[op] ??= {})[key] = values;
    return { Condition: cond };
  });
  const effect = fc.oneof({ weight: 3, arbitrary: fc.constant('Allow') }, { weight: 1, arbitrary: fc.constant('Deny') });
  return fc.tuple(effect, actionPart, resourcePart, principalPart, conditionPart).map(([Effect, a, r, p, c]) => ({ Effect, ...a, ...r, ...p, ...c }));
}

const versionArb = fc.oneof({ weight: 5, arbitrary: fc.constant('2012-10-17') }, { weight: 1, arbitrary: fc.constant('2008-10-17') });
const policyArb = (mode: Mode) => fc.record({ version: versionArb, statements: fc.array(statementArb(mode), { minLength: 1, maxLength: 4 }) });
type Gen = { version: string; statements: Raw[] };

// ---------- concrete requests ----------

function concreteResources(patterns: string[]): string[] {
  const out = new Set<string>(['arn:aws:s3:::b1/a/x', 'arn:aws:s3:::b1/alice/x', 'arn:aws:s3:::b3/q', 'arn:aws:sqs:eu-west-1:111122223333:q9']);
  for (const p of patterns) {
    for (const user of ['alice', 'bob']) {
      const v = p.replace(/\$\{[^}]*\}/g, user);
      for (const fill of ['Z', '', 'a/x']) out.add(v.replace(/\*/g, fill).replace(/\?/g, fill.slice(0, 1) || 'Q'));
      out.add(p.replace(/\*/g, 'Z')); // the variable text itself, as written (2008-10-17 takes it literally)
    }
  }
  return [...out].filter((r) => r.startsWith('arn:'));
}

function contexts(keys: string[], rnd: () => number): Array<Record<string, string | string[]>> {
  let out: Array<Record<string, string | string[]>> = [{}];
  for (const k of keys) {
    const next: typeof out = [];
    for (const c of out) for (const v of CONTEXT_VALUES[k] ?? [undefined]) next.push(v === undefined ? c : { ...c, [k]: v });
    out = next;
  }
  if (out.length <= 24) return out;
  // Deterministic subset (from the fast-check random stream): the empty context always stays.
  const keep = [out[0]];
  while (keep.length < 24) keep.push(out[Math.floor(rnd() * out.length)]);
  return keep;
}

function requestsFor(docs: PolicyDocument[], mode: Mode, rnd: () => number): ConcreteRequest[] {
  const patterns = docs.flatMap((d) => d.statements.flatMap((s) => [...(s.resources ?? []), ...(s.notResources ?? [])].map((r) => r.value)));
  const keys = [...new Set(docs.flatMap((d) => d.statements.flatMap((s) => s.conditions.map((c) => c.key.toLowerCase()))))];
  if (keys.includes('s3:prefix')) keys.push('aws:username');
  const ctxs = contexts([...new Set(keys)], rnd);
  const principals = mode === 'identity' ? [REQUEST_PRINCIPALS[0]] : REQUEST_PRINCIPALS;
  const out: ConcreteRequest[] = [];
  for (const action of REQUEST_ACTIONS)
    for (const resource of concreteResources(patterns))
      if (feasible(action, resource)) for (const principal of principals) for (const context of ctxs) out.push({ action, resource, principal, context });
  return out;
}

/**
 * A request AWS can make: an S3 action's resource is of one of its resource types (GetObject names an object,
 * `bucket/key`; ListBucket a bucket). The engine grants nothing for the other pairs (src/analysis/applicable.ts).
 */
function feasible(action: string, resource: string): boolean {
  const m = /^arn:[^:]*:s3:::(.*)$/.exec(resource);
  if (!m || !action.toLowerCase().startsWith('s3:')) return true;
  const formats = (lookupAction(action)?.resourceTypes ?? []).flatMap((t) => t.arnFormats);
  const wanted = m[1].includes('/') ? 'arn:${Partition}:s3:::${BucketName}/${ObjectName}' : 'arn:${Partition}:s3:::${BucketName}';
  return formats.includes(wanted);
}

// ---------- checking ----------

function docsOf(g: Gen, mode: Mode, file: string): PolicyDocument[] {
  return [doc({ Version: g.version, Statement: g.statements }, mode as PolicyKind, file)];
}

interface Guards {
  scps: PolicyDocument[];
  boundary: PolicyDocument[];
}

function allows(req: ConcreteRequest, docs: PolicyDocument[], guards?: Guards): boolean {
  if (guards) return evaluate(req, { identity: docs, scps: guards.scps.length ? [guards.scps] : undefined, boundary: guards.boundary }).decision === 'allow';
  return evaluatePolicies(req, docs).decision === 'allow';
}

function checkSound(name: string, mode: Mode, base: Gen, head: Gen, rnd: () => number, guards?: Guards): void {
  const b = docsOf(base, mode, 'base.json');
  const h = docsOf(head, mode, 'head.json');
  const g = guards ? { scps: compileDocuments(guards.scps), rcps: [], boundary: compileDocuments(guards.boundary) } : undefined;
  const { items } = compareAccess(compileDocuments(b), compileDocuments(h), { guards: g, maxMilliseconds: 60_000 });
  const stats = (runs[name] ??= { runs: 0, requests: 0, newRequests: 0 });
  stats.runs++;
  for (const req of requestsFor([...b, ...h], mode, rnd)) {
    stats.requests++;
    if (!allows(req, h, guards) || allows(req, b, guards)) continue;
    stats.newRequests++;
    if (!items.some((it) => itemCovers(it, req))) {
      throw new Error(`unreported new access: ${JSON.stringify(req)}\nbase ${JSON.stringify(base)}\nhead ${JSON.stringify(head)}\nitems ${JSON.stringify(items, null, 1)}`);
    }
  }
}

const random = fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }));
const rndFrom = (s: fc.Stream<number>) => {
  const it = s[Symbol.iterator]();
  return () => it.next().value as number;
};

describe.each(['identity', 'bucket'] as Mode[])('soundness (%s policies)', (mode) => {
  test('every request head allows and base does not lies inside a reported item', () => {
    fc.assert(
      fc.property(policyArb(mode), policyArb(mode), random, (base, head, r) => checkSound(`sound-${mode}`, mode, base, head, rndFrom(r))),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test('head built from base by edits that widen (the usual pull request) is still covered', () => {
    const widened = fc.tuple(policyArb(mode), statementArb(mode), fc.nat()).map(([base, extra, n]) => {
      const statements = base.statements.map((s) => ({ ...s }));
      const i = n % statements.length;
      // Widen one statement: drop its conditions, or a Deny, or add a statement.
      if (n % 3 === 0) delete statements[i].Condition;
      else if (n % 3 === 1 && statements[i].Effect === 'Deny') statements.splice(i, 1);
      else statements.push(extra);
      return [base, { version: base.version, statements: statements.length ? statements : [extra] }] as const;
    });
    fc.assert(
      fc.property(widened, random, ([base, head], r) => checkSound(`widen-${mode}`, mode, base, head, rndFrom(r))),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });
});

describe('soundness with guards (SCP and permissions boundary)', () => {
  const guardArb = fc.record({
    scps: fc.array(statementArb('identity'), { maxLength: 2 }),
    boundary: fc.array(statementArb('identity'), { maxLength: 2 }),
  });
  test('what head allows past the guards and base does not is reported', () => {
    fc.assert(
      fc.property(policyArb('identity'), policyArb('identity'), guardArb, random, (base, head, gs, r) => {
        const guards: Guards = {
          scps: gs.scps.length ? [doc({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }, ...gs.scps] }, 'scp', 'scp.json')] : [],
          boundary: gs.boundary.length ? [doc({ Version: '2012-10-17', Statement: gs.boundary }, 'boundary', 'boundary.json')] : [],
        };
        checkSound('guards', 'identity', base, head, rndFrom(r), guards);
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });
});

// ---------- false alarms ----------

type Narrowing = (s: Raw, n: number) => Raw | undefined;
const NARROWINGS: Array<[string, Narrowing]> = [
  ['drop an Allow statement', (s) => (s.Effect === 'Allow' ? undefined : s)],
  [
    'narrow a Resource',
    (s) => {
      if (s.Effect !== 'Allow' || s.Resource === undefined) return s;
      const list = ([] as string[]).concat(s.Resource as string | string[]);
      return { ...s, Resource: list.map((r) => NARROWER[r] ?? r) };
    },
  ],
  [
    'add a condition to an Allow',
    (s, n) => {
      if (s.Effect !== 'Allow') return s;
      const [op, key, values] = CONDITIONS[n % CONDITIONS.length];
      const cond = { ...((s.Condition as Record<string, Record<string, string[]>>) ?? {}) };
      if (cond[op]?.[key]) return s; // replacing the values could widen
      cond[op] = { ...(cond[op] ?? {}), [key]: values };
      return { ...s, Condition: cond };
    },
  ],
  [
    'drop an action from an Allow',
    (s) => (s.Effect === 'Allow' && Array.isArray(s.Action) && s.Action.length > 1 ? { ...s, Action: s.Action.slice(1) } : s),
  ],
  ['add to an Allow NotAction', (s) => (s.Effect === 'Allow' && Array.isArray(s.NotAction) ? { ...s, NotAction: [...s.NotAction, 'sqs:*'] } : s.Effect === 'Allow' && typeof s.NotAction === 'string' ? { ...s, NotAction: [s.NotAction, 'sqs:*'] } : s)],
];

describe.each(['identity', 'bucket'] as Mode[])('false alarms (%s policies)', (mode) => {
  const run = (base: Gen, head: Gen) => compareAccess(compileDocuments(docsOf(base, mode, 'base.json')), compileDocuments(docsOf(head, mode, 'head.json'))).items;

  test('head equal to base: nothing reported', () => {
    fc.assert(
      fc.property(policyArb(mode), (p) => {
        (runs[`equal-${mode}`] ??= { runs: 0, requests: 0, newRequests: 0 }).runs++;
        expect(run(p, { version: p.version, statements: p.statements.map((s) => structuredClone(s)) })).toEqual([]);
      }),
      { seed: SEED + 3, numRuns: RUNS * 2 },
    );
  });

  test('head a narrowing of base (statements dropped, resources narrowed, conditions added, actions removed, a Deny added): nothing reported', () => {
    fc.assert(
      fc.property(policyArb(mode), fc.array(fc.tuple(fc.nat(NARROWINGS.length - 1), fc.nat()), { minLength: 1, maxLength: 3 }), fc.option(statementArb(mode)), (p, edits, extraDeny) => {
        let statements: Raw[] = p.statements.map((s) => structuredClone(s));
        for (const [which, n] of edits) {
          const i = n % statements.length;
          const edited = NARROWINGS[which][1](statements[i], n);
          statements = edited ? statements.map((s, j) => (j === i ? edited : s)) : statements.filter((_, j) => j !== i);
          if (!statements.length) return;
        }
        if (extraDeny) statements.push({ ...extraDeny, Effect: 'Deny' });
        (runs[`narrow-${mode}`] ??= { runs: 0, requests: 0, newRequests: 0 }).runs++;
        expect(run(p, { version: p.version, statements })).toEqual([]);
      }),
      { seed: SEED + 4, numRuns: RUNS * 2 },
    );
  });
});

afterAll(() => {
  // The numbers behind the claims, for the CI log.
  console.log(`engine properties (seed ${SEED}): ${JSON.stringify(runs)}`);
});
