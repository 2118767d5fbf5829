// A compact set of CloudTrail eventIDs for cross-file dedupe. eventIDs are UUIDs: each is stored as 16 bytes in
// open-addressing tables (4 x uint32, linear probing, load 0.53-0.8) split in 256 segments that grow on their own,
// i.e. 20-30 bytes per event instead of the ~100 bytes a Set<string> entry costs, and no 2x spike while a table grows
// (a segment is 1/256 of the whole). Ids that are not UUIDs (re-exported or synthetic logs) go in a Set.
// Memory grows with the number of distinct events (~21 bytes each): event-ledger.ts uses one per partition of the
// events, so a run never holds the ids of all its events at once.

/** Parses "8-4-4-4-12" hex into four uint32 words; false when `id` is not a UUID. */
export function uuidWords(id: string, out: Uint32Array): boolean {
  return parseUuid(id, out);
}

/** Hex digit values by char code (-1: not a hex digit). */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;

/** `count` (at most 8) hex digits from `at` as an unsigned number, or -1. */
function hexRun(id: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const c = id.charCodeAt(i);
    const d = c < 128 ? HEX[c] : -1;
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v >>> 0;
}

function parseUuid(id: string, out: Uint32Array): boolean {
  if (id.length !== 36 || id.charCodeAt(8) !== 45 || id.charCodeAt(13) !== 45 || id.charCodeAt(18) !== 45 || id.charCodeAt(23) !== 45) return false;
  // 8-4-4-4-12 -> words [0..8) [9..13)+[14..18) [19..23)+[24..28) [28..36)
  const a = hexRun(id, 0, 8);
  const b1 = hexRun(id, 9, 4);
  const b2 = hexRun(id, 14, 4);
  const c1 = hexRun(id, 19, 4);
  const c2 = hexRun(id, 24, 4);
  const d = hexRun(id, 28, 8);
  if (a < 0 || b1 < 0 || b2 < 0 || c1 < 0 || c2 < 0 || d < 0) return false;
  out[0] = a;
  out[1] = ((b1 << 16) | b2) >>> 0;
  out[2] = ((c1 << 16) | c2) >>> 0;
  out[3] = d;
  return true;
}

/** Segments of the set: each grows on its own, so growing never holds two copies of the whole table. */
const SEGMENTS = 256;
const MIN_SLOTS = 16;
/** Grow a segment when it is this full (linear probing stays short), by this factor (tables stay ~2/3 full). */
const MAX_LOAD = 0.8;
const GROWTH = 1.5;

/** One segment: an open-addressing table of UUIDs as 4 x uint32, all-zero marking a free slot. */
class Segment {
  table = new Uint32Array(MIN_SLOTS * 4);
  slots = MIN_SLOTS;
  count = 0;

  /** `h`: 24 well-mixed bits choosing the first slot. */
  insert(h: number, a: number, b: number, c: number, d: number): boolean {
    const t = this.table;
    const slots = this.slots;
    let slot = Math.floor((h * slots) / 16777216);
    for (;;) {
      const o = slot * 4;
      const w0 = t[o];
      const w1 = t[o + 1];
      const w2 = t[o + 2];
      const w3 = t[o + 3];
      if ((w0 | w1 | w2 | w3) === 0) {
        t[o] = a;
        t[o + 1] = b;
        t[o + 2] = c;
        t[o + 3] = d;
        if (++this.count > slots * MAX_LOAD) this.grow();
        return true;
      }
      if (w0 === a && w1 === b && w2 === c && w3 === d) return false;
      if (++slot === slots) slot = 0;
    }
  }

  private grow(): void {
    const old = this.table;
    const oldSlots = this.slots;
    this.slots = Math.ceil(oldSlots * GROWTH);
    this.table = new Uint32Array(this.slots * 4);
    this.count = 0;
    for (let s = 0; s < oldSlots; s++) {
      const o = s * 4;
      const a = old[o];
      const b = old[o + 1];
      const c = old[o + 2];
      const d = old[o + 3];
      if ((a | b | c | d) !== 0) this.insert(mix(a, b, c, d) >>> 8, a, b, c, d);
    }
  }
}

/** 32 mixed bits of a UUID: the low 8 choose the segment, the high 24 the slot (event-ledger.ts partitions by them). */
export function mix(a: number, b: number, c: number, d: number): number {
  // UUIDv4 is random, but synthetic ids may share words: mix all four.
  let h = a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ Math.imul(d, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export class EventIdSet {
  private segments = Array.from({ length: SEGMENTS }, () => new Segment());
  private count = 0;
  /** The all-zero UUID (the tables' free-slot mark), when seen. */
  private zero = false;
  private readonly other = new Set<string>();
  private readonly words = new Uint32Array(4);

  get size(): number {
    return this.count + this.other.size;
  }

  /** Bytes held by the UUID tables (for the bench and README figures). */
  get tableBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.table.byteLength;
    return n;
  }

  /** Adds the id; returns false when it was already there. */
  add(id: string): boolean {
    const w = this.words;
    if (!parseUuid(id, w)) return this.addOther(id);
    return this.addWords(w[0], w[1], w[2], w[3]);
  }

  /** Adds a UUID given as its four 32-bit words (as `uuidWords` returns them); false when already there. */
  addWords(a: number, b: number, c: number, d: number): boolean {
    if ((a | b | c | d) === 0) {
      if (this.zero) return false;
      this.zero = true;
      this.count++;
      return true;
    }
    const h = mix(a, b, c, d);
    if (!this.segments[h & (SEGMENTS - 1)].insert(h >>> 8, a, b, c, d)) return false;
    this.count++;
    return true;
  }

  /** Empties the set and lets its memory go (~21 bytes an event): once every source is read, before folding. */
  clear(): void {
    this.segments = Array.from({ length: SEGMENTS }, () => new Segment());
    this.count = 0;
    this.zero = false;
    this.other.clear();
  }

  /** Adds an id that is not a UUID (kept as a string). */
  addOther(id: string): boolean {
    if (this.other.has(id)) return false;
    this.other.add(id);
    return true;
  }
}
