import fc from 'fast-check';
import { RecordSplitter } from '../../src/usage/record-stream.js';

function split(text: string | Buffer, chunkSize: number) {
  const records: unknown[] = [];
  const problems: string[] = [];
  const s = new RecordSplitter({ record: (v) => records.push(v), problem: (m) => problems.push(m) });
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += chunkSize) s.push(buf.subarray(i, i + chunkSize));
  s.end();
  return { records, problems };
}

const ev = (i: number, key: string) => ({ eventID: `e${i}`, eventName: 'GetObject', requestParameters: { key } });

describe('RecordSplitter', () => {
  test.each([1, 2, 3, 7, 64, 1 << 16])('Records wrapper split in %i-byte chunks', (size) => {
    const recs = [ev(1, 'a\\"}{'), ev(2, '\u00e9\u{1F600}]['), ev(3, 'x\\\\')];
    const { records, problems } = split(JSON.stringify({ Records: recs }), size);
    expect(problems).toEqual([]);
    expect(records).toEqual(recs);
  });

  test('any string content survives any chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 }), fc.integer({ min: 1, max: 40 }), (keys, size) => {
        const recs = keys.map((k, i) => ev(i, k));
        const { records, problems } = split(JSON.stringify({ Records: recs }), size);
        expect(problems).toEqual([]);
        expect(records).toEqual(recs);
      }),
      { numRuns: 200 },
    );
  });

  test('objects in other keys than Records are not records', () => {
    const { records } = split('{"Records":[{"a":1}],"other":[{"b":2}]}', 5);
    expect(records).toEqual([{ a: 1 }]);
  });

  test('not JSON at all is one problem', () => {
    expect(split('hello', 2)).toEqual({ records: [], problems: ['not JSON (starts with "h")'] });
  });

  test('an oversized record is skipped, the next is read', () => {
    const big = JSON.stringify({ Records: [{ k: 'x'.repeat(9 * 1024 * 1024) }, { k: 'small' }] });
    const { records, problems } = split(big, 1 << 20);
    expect(records).toEqual([{ k: 'small' }]);
    expect(problems).toEqual([expect.stringMatching(/record 0 \(line 1\): larger than/)]);
  });

  test('an unbalanced closing bracket stops the file with a message', () => {
    const { records, problems } = split('[{"a":1}]]{"b":2}', 3);
    expect(records).toEqual([{ a: 1 }]);
    expect(problems).toEqual([expect.stringMatching(/unbalanced/)]);
  });
});

describe('RecordSplitter on arbitrary bytes', () => {
  test('never throws; every outcome is a record or a problem', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 17 }), (bytes, size) => {
        expect(() => split(Buffer.from(bytes), size)).not.toThrow();
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.json(), fc.integer({ min: 1, max: 9 }), (text, size) => {
        expect(() => split(`{"Records":[${text}`, size)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });
});
