// Properties of suggested policies ([least-privilege]):
// 1. replaying the usage against the suggestion gives no AccessDenied the current policy did not give;
// 2. the suggestion grants nothing outside the usage beyond the documented generalisations (and, for a call that
//    succeeded although the current policy as evaluated denies it, the current statements kept as written);
// 3. the suggestion allows nothing the current policy does not allow.
import fc from 'fast-check';
import { evaluate, type RequestContext } from '../../src/analysis/evaluate/evaluate.js';
import { lookupAction } from '../../src/catalog/catalog.js';
import { suggestPolicy } from '../../src/leastpriv/suggest.js';
import type { PolicyDocument, UsageRecord } from '../../src/model.js';
import { ACCOUNT, ROLE, policy, policyFromJson, record } from '../../fixtures/leastpriv/build.js';

const TABLE = (t: string) => `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${t}`;
const ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 'dynamodb:GetItem', 'dynamodb:Query', 'ec2:DescribeInstances', 'sqs:SendMessage', 'kms:Decrypt'];
const ACTION_PATTERNS = [...ACTIONS, 's3:*', 's3:Get*', 'dynamodb:*', '*', 'ec2:Describe*'];
const RESOURCES = [
  'arn:aws:s3:::b1',
  'arn:aws:s3:::b1/a/1.txt',
  'arn:aws:s3:::b1/a/2.txt',
  'arn:aws:s3:::b1/a/b/3.txt',
  'arn:aws:s3:::b1/root.txt',
  'arn:aws:s3:::b2/x/9.txt',
  TABLE('orders'),
  `${TABLE('orders')}/index/byDay`,
  TABLE('users'),
  `arn:aws:sqs:us-east-1:${ACCOUNT}:q1`,
  `arn:aws:kms:us-east-1:${ACCOUNT}:key/k1`,
];
const RESOURCE_PATTERNS = ['*', 'arn:aws:s3:::b1/*', 'arn:aws:s3:::b1/a/*', 'arn:aws:s3:::b1', 'arn:aws:s3:::*', 'arn:aws:s3:::b1/a/1.txt', TABLE('orders'), TABLE('*'), `${TABLE('orders')}/*`, `arn:aws:sqs:us-east-1:${ACCOUNT}:*`];
const KEY = 'aws:RequestedRegion';
const REGIONS = ['us-east-1', 'eu-west-1'];

const statementArb = fc.record({
  Effect: fc.constantFrom('Allow', 'Allow', 'Allow', 'Deny'),
  Action: fc.uniqueArray(fc.constantFrom(...ACTION_PATTERNS), { minLength: 1, maxLength: 3 }),
  Resource: fc.uniqueArray(fc.constantFrom(...RESOURCE_PATTERNS), { minLength: 1, maxLength: 3 }),
  condition: fc.option(fc.constantFrom(...REGIONS), { nil: undefined, freq: 3 }),
});
type StatementSpec = { Effect: string; Action: string[]; Resource: string[]; condition?: string };

function currentOf(specs: StatementSpec[]): PolicyDocument[] {
  return [
    policy(
      specs.map(({ condition, ...s }) => (condition ? { ...s, Condition: { StringEquals: { [KEY]: condition } } } : s)),
      'current.json',
    ),
  ];
}

const recordArb = fc
  .record({
    action: fc.constantFrom(...ACTIONS),
    resource: fc.option(fc.constantFrom(...RESOURCES), { nil: undefined, freq: 5 }),
    region: fc.option(fc.constantFrom(...REGIONS), { nil: undefined, freq: 4 }),
    outcome: fc.constantFrom<UsageRecord['outcome']>('allowed', 'allowed', 'denied'),
  })
  .map((r) => record(r.action, r.resource, { outcome: r.outcome, context: r.region ? { [KEY.toLowerCase()]: r.region } : {} }));

function requestOf(r: UsageRecord): RequestContext {
  return {
    action: r.action,
    resource: r.resource,
    principal: { arn: ROLE, account: ACCOUNT, type: 'AWS' },
    // As the replay does: a key the event did not carry is unknown.
    context: { [KEY.toLowerCase()]: r.context[KEY.toLowerCase()] },
  };
}

const decide = (docs: PolicyDocument[], req: RequestContext) => (docs.length ? evaluate(req, { identity: docs }).decision : 'implicit-deny');

const scenario = fc.record({ specs: fc.array(statementArb, { minLength: 1, maxLength: 5 }), records: fc.array(recordArb, { minLength: 0, maxLength: 25 }) });

function suggested(specs: StatementSpec[], records: UsageRecord[]) {
  const current = currentOf(specs);
  const s = suggestPolicy({ current, records });
  return { current, s, docs: s.documents.map((d, i) => policyFromJson(d, `suggested-${i}.json`)) };
}

describe('suggested policy properties', () => {
  test('replaying the usage gives no AccessDenied the current policy did not give', () => {
    fc.assert(
      fc.property(scenario, ({ specs, records }) => {
        const { current, docs } = suggested(specs, records);
        for (const r of records) {
          const req = requestOf(r);
          if (decide(current, req) === 'allow') expect(decide(docs, req)).toBe('allow');
        }
      }),
      { numRuns: 300 },
    );
  });

  test('grants nothing outside the usage beyond the documented generalisations', () => {
    fc.assert(
      fc.property(scenario, ({ specs, records }) => {
        const { current, s } = suggested(specs, records);
        const used = new Map<string, Array<string | undefined>>();
        for (const r of records) used.set(r.action, [...(used.get(r.action) ?? []), r.resource]);
        const keptAsWritten = new Set(records.filter((r) => r.outcome === 'allowed' && decide(current, requestOf(r)) !== 'allow' && decide(current, requestOf(r)) !== 'undecided').map((r) => r.action));
        const currentResources = new Set(specs.flatMap((x) => x.Resource));
        for (const st of s.documents.flatMap((d) => d.Statement)) {
          if (st.Effect !== 'Allow') continue;
          for (const action of st.Action ?? []) {
            expect(action).not.toMatch(/[*?]/);
            const resources = used.get(action);
            expect(resources).toBeDefined();
            for (const pattern of st.Resource ?? []) {
              const ok =
                resources!.includes(pattern) || // exact resource from an event
                (pattern === '*' && lookupAction(action)?.noResourceLevel) || // no resource-level permissions
                (resources!.includes(undefined) && currentResources.has(pattern)) || // event without a resource: the granting statement's
                (keptAsWritten.has(action) && currentResources.has(pattern)) || // succeeded, yet denied as evaluated: kept as written
                (pattern.startsWith('arn:aws:s3:::') && pattern.endsWith('/*') && resources!.some((r) => r?.startsWith(pattern.slice(0, -1)))); // S3 folder prefix
              if (!ok) throw new Error(`${action} on ${pattern} is not supported by the usage ${JSON.stringify(resources)}`);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('allows nothing the current policy does not allow', () => {
    const probe = fc.record({
      action: fc.constantFrom(...ACTIONS),
      resource: fc.constantFrom(...RESOURCES, 'arn:aws:s3:::b1/a/zzz', 'arn:aws:s3:::b1/other', `${TABLE('orders')}/stream/s`),
      region: fc.constantFrom(...REGIONS),
    });
    fc.assert(
      fc.property(scenario, fc.array(probe, { minLength: 1, maxLength: 20 }), ({ specs, records }, probes) => {
        const { current, docs } = suggested(specs, records);
        for (const p of probes) {
          const req: RequestContext = { action: p.action, resource: p.resource, principal: { arn: ROLE, account: ACCOUNT, type: 'AWS' }, context: { [KEY.toLowerCase()]: p.region } };
          if (decide(docs, req) === 'allow') expect(decide(current, req)).toBe('allow');
        }
      }),
      { numRuns: 300 },
    );
  });
});
