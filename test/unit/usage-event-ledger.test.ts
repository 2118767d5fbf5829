// The event ledger (cross-source dedupe that spills to disk) against the obvious model: a Set of ids taken in
// arrival order, the first occurrence of an id counted, every later one a duplicate of the sink that read it.
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../../bench/cloudtrail-gen.js';
import { EventLedger, type LedgerSink } from '../../src/usage/event-ledger.js';

interface Ev {
  words: [number, number, number, number];
  sink: number;
  sig: number;
  t: number;
}

class Recorder implements LedgerSink {
  readonly got: Array<[number, number]> = [];
  duplicates = 0;
  counted(sig: number, t: number) {
    this.got.push([sig, t]);
  }
  duplicate() {
    this.duplicates++;
  }
}

/** `n` events over `distinct` ids (some ids share three words, as synthetic logs do), spread over three sinks. */
function events(n: number, distinct: number, seed: number): Ev[] {
  const rand = prng(seed);
  const word = () => (rand() * 2 ** 32) >>> 0;
  const ids = Array.from({ length: distinct }, (_, i): [number, number, number, number] => (i % 7 === 0 ? [0, 0, 0, i] : [word(), word(), word(), word()]));
  ids.push([0, 0, 0, 0]); // the all-zero UUID is an id like any other
  return Array.from({ length: n }, (_, i) => ({ words: ids[(rand() * ids.length) | 0], sink: i % 3, sig: (rand() * 50) | 0, t: 1_700_000_000_000 + i * 1000 }));
}

function model(evs: Ev[]) {
  const seen = new Set<string>();
  const sinks = [0, 1, 2].map(() => ({ counted: [] as Array<[number, number]>, duplicates: 0 }));
  for (const e of evs) {
    const k = e.words.join(',');
    if (seen.has(k)) sinks[e.sink].duplicates++;
    else {
      seen.add(k);
      sinks[e.sink].counted.push([e.sig, e.t]);
    }
  }
  return sinks;
}

function run(evs: Ev[], ledger: EventLedger) {
  const sinks = [new Recorder(), new Recorder(), new Recorder()];
  const index = sinks.map((s) => ledger.addSink(s));
  for (const e of evs) ledger.defer(...e.words, index[e.sink], e.sig, e.t);
  ledger.settle();
  // Settling goes partition by partition: compare as multisets of (sig, time), time order within a sink.
  const sorted = (l: Array<[number, number]>) => [...l].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  return sinks.map((s) => ({ counted: sorted(s.got), duplicates: s.duplicates }));
}

const sortedModel = (evs: Ev[]) => model(evs).map((s) => ({ counted: [...s.counted].sort((a, b) => a[1] - b[1] || a[0] - b[0]), duplicates: s.duplicates }));

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'ledger-test-'));
});
afterEach(() => {
  chmodSync(parent, 0o700);
  rmSync(parent, { recursive: true, force: true });
});

describe('EventLedger', () => {
  test('in memory (no buffer fills): the model, and the disk is never touched', () => {
    const evs = events(500, 300, 1);
    const ledger = new EventLedger({ dir: parent });
    expect(run(evs, ledger)).toEqual(sortedModel(evs));
    expect(ledger.spilledBytes).toBe(0);
    expect(readdirSync(parent)).toEqual([]);
  });

  test('spilled to files and split (partitions over the in-memory limit), the model; the folder is gone after', () => {
    const evs = events(20_000, 9_000, 2);
    const ledger = new EventLedger({ dir: parent, partitions: 4, bufferRecords: 64, maxInMemory: 300 });
    const sinks = [new Recorder(), new Recorder(), new Recorder()].map((s) => ledger.addSink(s));
    for (const e of evs.slice(0, 5_000)) ledger.defer(...e.words, sinks[e.sink], e.sig, e.t);
    // While reading: one folder holding the partitions' files, 32 bytes per spilled event.
    const [folder] = readdirSync(parent);
    expect(folder).toMatch(/^iam-policy-gate-events-/);
    expect(readdirSync(join(parent, folder))).toHaveLength(4);
    expect(ledger.spilledBytes).toBeGreaterThan(0);
    expect(ledger.spilledBytes % 32).toBe(0);
    ledger.dispose();
    expect(readdirSync(parent)).toEqual([]);

    const fresh = new EventLedger({ dir: parent, partitions: 4, bufferRecords: 64, maxInMemory: 300 });
    expect(run(evs, fresh)).toEqual(sortedModel(evs));
    expect(fresh.deferred).toBe(20_000);
    expect(fresh.spilledBytes).toBeGreaterThan(20_000 * 32 * 0.9);
    expect(readdirSync(parent)).toEqual([]);
  });

  test('the first occurrence wins across sinks, also when both occurrences went to disk', () => {
    const id: [number, number, number, number] = [1, 2, 3, 4];
    const filler = events(2_000, 2_000, 3).map((e) => ({ ...e, sink: 2 }));
    const evs: Ev[] = [{ words: id, sink: 1, sig: 7, t: 5 }, ...filler, { words: id, sink: 0, sig: 9, t: 5 }, ...filler.map((e) => ({ ...e, t: e.t + 1 }))];
    const got = run(evs, new EventLedger({ dir: parent, partitions: 2, bufferRecords: 16, maxInMemory: 100 }));
    expect(got[1].counted).toEqual([[7, 5]]);
    expect(got[0]).toEqual({ counted: [], duplicates: 1 });
  });

  test('a spill folder that cannot be written: records stay in memory, same result, and it says why', () => {
    chmodSync(parent, 0o500);
    const evs = events(3_000, 1_000, 4);
    const ledger = new EventLedger({ dir: parent, partitions: 4, bufferRecords: 32, maxInMemory: 200 });
    const got = run(evs, ledger);
    expect(got).toEqual(sortedModel(evs));
    if (process.getuid?.() !== 0) expect(ledger.spillError).toMatch(/cannot write the dedupe spill folder under .*kept in memory/);
  });

  test('a spill folder that is a file: same result, reason given', () => {
    const file = join(parent, 'not-a-dir');
    writeFileSync(file, 'x');
    const evs = events(2_000, 800, 5);
    const ledger = new EventLedger({ dir: file, partitions: 2, bufferRecords: 32 });
    expect(run(evs, ledger)).toEqual(sortedModel(evs));
    expect(ledger.spillError).toMatch(/not-a-dir/);
  });

  test('settle is idempotent; deferring after it is a programming error; non-UUID ids are decided at once', () => {
    const ledger = new EventLedger({ dir: parent });
    const r = new Recorder();
    const s = ledger.addSink(r);
    ledger.defer(1, 1, 1, 1, s, 0, 10);
    ledger.defer(1, 1, 1, 1, s, 0, 10);
    ledger.settle();
    ledger.settle();
    expect(r.got).toEqual([[0, 10]]);
    expect(r.duplicates).toBe(1);
    expect(() => ledger.defer(2, 2, 2, 2, s, 0, 10)).toThrow(/already settled/);
    const other = new EventLedger({ dir: parent });
    expect(other.addOther('x-1')).toBe(true);
    expect(other.addOther('x-1')).toBe(false);
    expect(() => new EventLedger({ partitions: 3 })).toThrow(/power of two/);
  });

  test('dispose without settling removes the spill folder (a run that failed)', () => {
    const ledger = new EventLedger({ dir: parent, partitions: 2, bufferRecords: 8 });
    const s = ledger.addSink(new Recorder());
    for (const e of events(200, 200, 6)) ledger.defer(...e.words, s, e.sig, e.t);
    const [folder] = readdirSync(parent);
    expect(existsSync(join(parent, folder))).toBe(true);
    ledger.dispose();
    expect(readdirSync(parent)).toEqual([]);
  });
});
