// CloudTrail eventIDs as numbers: a UUID is four uint32 words, and a set of them one flat table of 16-byte slots
// (~32 bytes per id at load 0.5, where a Set<string> entry costs ~100). event-ledger.ts settles one partition of
// the events at a time through an IdTable sized for it, so a run never holds the ids of all its events at once.

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

/** 32 mixed bits of a UUID's words (UUIDv4 is random, but synthetic ids may share words: all four are mixed). */
export function mix(a: number, b: number, c: number, d: number): number {
  let h = a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ Math.imul(d, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/**
 * A set of UUIDs (as words) for a number of ids known in advance: open addressing with linear probing at load
 * <= 0.5, all-zero words marking a free slot (the all-zero UUID is a flag of its own). Never grows; reset() empties
 * it for the next partition and keeps the memory when the next one fits.
 */
export class IdTable {
  private table = new Uint32Array(0);
  private mask = 0;
  private zero = false;

  /** Empties the table, with room for `ids` ids. */
  reset(ids: number): void {
    let slots = 16;
    while (slots < ids * 2) slots *= 2;
    if (this.table.length < slots * 4) this.table = new Uint32Array(slots * 4);
    else this.table.fill(0, 0, slots * 4);
    this.mask = slots - 1;
    this.zero = false;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Adds the id; false when it was already there. At most the `ids` given to reset() may be added. */
  add(a: number, b: number, c: number, d: number): boolean {
    if ((a | b | c | d) === 0) {
      if (this.zero) return false;
      this.zero = true;
      return true;
    }
    const t = this.table;
    const mask = this.mask;
    for (let slot = mix(a, b, c, d) & mask; ; slot = (slot + 1) & mask) {
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
        return true;
      }
      if (w0 === a && w1 === b && w2 === c && w3 === d) return false;
    }
  }
}
