// A compact set of CloudTrail eventIDs for cross-file dedupe. eventIDs are UUIDs: each is stored as 16 bytes in
// an open-addressing table (4 x uint32, linear probing, load <= 0.5), i.e. 32-64 bytes per event instead of the
// ~100 bytes a Set<string> entry costs. Ids that are not UUIDs (re-exported or synthetic logs) go in a Set.
// Memory grows with the number of distinct events: about 48 bytes each on average (plus a 2x spike while the
// table grows), e.g. ~0.5 GB for 10 million events.

/** Parses "8-4-4-4-12" hex into four uint32 words; false when `id` is not a UUID. */
export function uuidWords(id: string, out: Uint32Array): boolean {
  return parseUuid(id, out);
}

function parseUuid(id: string, out: Uint32Array): boolean {
  if (id.length !== 36 || id.charCodeAt(8) !== 45 || id.charCodeAt(13) !== 45 || id.charCodeAt(18) !== 45 || id.charCodeAt(23) !== 45) return false;
  let word = 0;
  let digits = 0;
  let w = 0;
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) continue;
    const c = id.charCodeAt(i);
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (v < 0) return false;
    word = (word << 4) | v;
    if (++digits === 8) {
      out[w++] = word >>> 0;
      word = 0;
      digits = 0;
    }
  }
  return true;
}

export class EventIdSet {
  private table: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  private count = 0;
  private readonly other = new Set<string>();
  private readonly words = new Uint32Array(4);

  constructor(initialSlots = 1 << 12) {
    let slots = 1;
    while (slots < initialSlots) slots <<= 1;
    this.table = new Uint32Array(slots * 4);
    this.used = new Uint8Array(slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count + this.other.size;
  }

  /** Adds the id; returns false when it was already there. */
  add(id: string): boolean {
    const w = this.words;
    if (!parseUuid(id, w)) {
      if (this.other.has(id)) return false;
      this.other.add(id);
      return true;
    }
    if (!this.insert(w[0], w[1], w[2], w[3])) return false;
    if (++this.count * 2 > this.used.length) this.grow();
    return true;
  }

  /** Adds a UUID given as its four 32-bit words (as `uuidWords` returns them); false when already there. */
  addWords(a: number, b: number, c: number, d: number): boolean {
    if (!this.insert(a, b, c, d)) return false;
    if (++this.count * 2 > this.used.length) this.grow();
    return true;
  }

  /** Adds an id that is not a UUID (kept as a string). */
  addOther(id: string): boolean {
    if (this.other.has(id)) return false;
    this.other.add(id);
    return true;
  }

  private insert(a: number, b: number, c: number, d: number): boolean {
    const t = this.table;
    // Mix all words: UUIDv4 is random, but synthetic ids may share a leading word.
    let slot = ((a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ d) >>> 0) & this.mask;
    for (;;) {
      if (!this.used[slot]) {
        this.used[slot] = 1;
        const o = slot * 4;
        t[o] = a;
        t[o + 1] = b;
        t[o + 2] = c;
        t[o + 3] = d;
        return true;
      }
      const o = slot * 4;
      if (t[o] === a && t[o + 1] === b && t[o + 2] === c && t[o + 3] === d) return false;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const oldTable = this.table;
    const oldUsed = this.used;
    const slots = oldUsed.length * 2;
    this.table = new Uint32Array(slots * 4);
    this.used = new Uint8Array(slots);
    this.mask = slots - 1;
    for (let s = 0; s < oldUsed.length; s++) {
      if (!oldUsed[s]) continue;
      const o = s * 4;
      this.insert(oldTable[o], oldTable[o + 1], oldTable[o + 2], oldTable[o + 3]);
    }
  }
}
