import { UsageAggregator } from '../../src/usage/aggregator.js';
import type { MappedEvent } from '../../src/usage/map-event.js';

const event = (over: Partial<MappedEvent> = {}): MappedEvent => ({
  time: '2024-05-01T10:00:00.000Z',
  principal: 'arn:aws:iam::111122223333:role/app',
  principalType: 'AssumedRole',
  account: '111122223333',
  actions: ['s3:GetObject'],
  resources: ['arn:aws:s3:::b/k'],
  targets: [{ action: 's3:GetObject', resources: ['arn:aws:s3:::b/k'] }],
  outcome: 'allowed',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  context: { 'aws:sourceip': '203.0.113.1' },
  ...over,
});

describe('UsageAggregator', () => {
  test('counts, first/last seen, outcome and errorCode split records', () => {
    const a = new UsageAggregator();
    a.add(event({ time: '2024-05-01T12:00:00.000Z' }));
    a.add(event({ time: '2024-05-01T09:00:00.000Z', eventName: 'HeadObject' }));
    a.add(event({ outcome: 'denied', errorCode: 'AccessDenied' }));
    const s = a.summary();
    expect(s.records).toEqual([
      // the earliest event names the record, whatever the order they arrive in
      expect.objectContaining({ outcome: 'allowed', count: 2, firstSeen: '2024-05-01T09:00:00.000Z', lastSeen: '2024-05-01T12:00:00.000Z', eventName: 'HeadObject', context: {} }),
      expect.objectContaining({ outcome: 'denied', errorCode: 'AccessDenied', count: 1 }),
    ]);
    expect(s.window).toEqual({ start: '2024-05-01T09:00:00.000Z', end: '2024-05-01T12:00:00.000Z' });
    expect(s.totalEvents).toBe(3);
  });

  test("denials by different policy types are different records, also merged across aggregators", () => {
    const denied = (deniedBy?: MappedEvent['deniedBy']) => event({ outcome: 'denied', errorCode: 'AccessDenied', ...(deniedBy ? { deniedBy } : {}) });
    const a = new UsageAggregator();
    a.add(denied('scp-explicit'));
    a.add(denied('identity'));
    a.add(denied());
    const b = new UsageAggregator();
    b.add(denied('identity'));
    b.add(denied('scp-explicit'));
    const s = a.merge(b).summary();
    expect(s.records.map((r) => [r.deniedBy, r.count])).toEqual([
      [undefined, 1],
      ['identity', 2],
      ['scp-explicit', 2],
    ]);
    expect('deniedBy' in s.records[0]).toBe(false);
  });

  test('an event with several targets and no resource yields one record per action, resource undefined', () => {
    const a = new UsageAggregator();
    a.add(event({ targets: [{ action: 'kms:ReEncryptFrom', resources: [] }, { action: 'kms:ReEncryptTo', resources: [] }] }));
    const s = a.summary();
    expect(s.records.map((r) => [r.action, 'resource' in r])).toEqual([['kms:ReEncryptFrom', false], ['kms:ReEncryptTo', false]]);
    expect(s.totalEvents).toBe(1);
  });

  test('records are sorted field by field (principal, action, resource, outcome, errorCode, context pairs), prefixes first', () => {
    const a = new UsageAggregator({ contextKeys: ['aws:sourceip'] });
    let seed = 0x9e3779b9;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const pick = <T,>(xs: T[]): T => xs[next() % xs.length];
    for (let i = 0; i < 400; i++) {
      const action = pick(['s3:GetObject', 's3:Get', 's3:GetObjectAcl', 'kms:Decrypt']);
      const denied = pick([false, true]);
      a.add(
        event({
          principal: pick(['arn:aws:iam::111122223333:role/app', 'arn:aws:iam::111122223333:role/app2', 'arn:aws:iam::111122223333:role/ap', 'arn:aws:iam::111122223333:user/app']),
          targets: [{ action, resources: pick([[], ['arn:aws:s3:::b'], ['arn:aws:s3:::b/k'], ['arn:aws:s3:::b-k']]) }],
          outcome: denied ? 'denied' : pick(['allowed', 'error'] as const),
          errorCode: denied ? pick(['AccessDenied', 'AccessDeniedException']) : undefined,
          context: pick<Record<string, string>>([{}, { 'aws:sourceip': '203.0.113.1' }, { 'aws:sourceip': '203.0.113.10' }, { 'aws:sourceip': '198.51.100.7' }]),
        }),
      );
    }
    const records = a.summary().records;
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    const pairs = (c: Record<string, string>) => Object.keys(c).sort().map((k) => `\u0000${k}=${c[k]}`).join('');
    const expected = [...records].sort(
      (x, y) =>
        cmp(x.principal, y.principal) || cmp(x.action, y.action) || cmp(x.resource ?? '', y.resource ?? '') || cmp(x.outcome, y.outcome) ||
        cmp(x.errorCode ?? '', y.errorCode ?? '') || cmp(pairs(x.context), pairs(y.context)),
    );
    expect(records.length).toBeGreaterThan(100);
    expect(records).toEqual(expected);
  });

  test('only chosen context keys are kept, compared lower-cased', () => {
    const a = new UsageAggregator({ contextKeys: ['aws:SourceIp'] });
    a.add(event());
    a.add(event({ context: { 'aws:sourceip': '198.51.100.7' } }));
    a.add(event({ context: {} }));
    expect(a.summary().records.map((r) => r.context)).toEqual([{}, { 'aws:sourceip': '198.51.100.7' }, { 'aws:sourceip': '203.0.113.1' }]);
  });

  test('merge adds counts, widens first/last seen, and keeps unmapped/permissionless/duplicates', () => {
    const a = new UsageAggregator();
    const b = new UsageAggregator();
    a.add(event({ time: '2024-05-02T00:00:00.000Z', eventName: 'HeadObject' }));
    b.add(event({ time: '2024-05-01T00:00:00.000Z' }));
    b.add(event({ principal: 'arn:aws:iam::111122223333:user/u', principalType: 'IAMUser' }));
    a.addUnmapped('x.amazonaws.com', 'Y');
    b.addUnmapped('x.amazonaws.com', 'Y');
    b.addPermissionless();
    b.addDuplicate();
    b.addBad();
    const s = a.merge(b).summary();
    expect(s.records).toEqual([
      expect.objectContaining({ principal: 'arn:aws:iam::111122223333:role/app', count: 2, firstSeen: '2024-05-01T00:00:00.000Z', lastSeen: '2024-05-02T00:00:00.000Z', eventName: 'GetObject' }),
      expect.objectContaining({ principal: 'arn:aws:iam::111122223333:user/u', count: 1 }),
    ]);
    expect(s.unmapped).toEqual([{ eventSource: 'x.amazonaws.com', eventName: 'Y', count: 2 }]);
    expect(s).toMatchObject({ permissionless: 1, duplicateEvents: 1, badRecords: 1, totalEvents: 6 });
    // merging does not share record objects with the other aggregator
    b.add(event({ time: '2024-05-01T00:00:00.000Z' }));
    expect(a.summary().records[0].count).toBe(2);
  });

  test('summary reports completeness from its sources', () => {
    const a = new UsageAggregator();
    expect(a.summary([{ id: 'file:x', kind: 'file', status: 'partial', events: 0, errors: ['e'] }]).complete).toBe(false);
    expect(a.summary([]).complete).toBe(true);
  });
});
