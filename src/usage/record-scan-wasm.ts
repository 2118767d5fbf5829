// The WebAssembly record scanner (wasm/record-scan.ts, compiled by scripts/build-wasm.mjs): scanRecords for a
// chunk's bytes, ~3x faster than the JS scanner. For ASCII chunks only, where byte offsets are the offsets of the
// chunk's latin1 string; log-object.ts uses it where it can and the JS scanner elsewhere. One instance per thread.
import { randomBytes } from 'node:crypto';
import { CLOSE_BRACKET, OPEN_BRACKET } from './json-chars.js';
import { RECORD_SCAN_WASM } from './record-scan-wasm.generated.js';
import { type CompositeIds, ScannedRecord, SLOTS } from './record-scan.js';

interface ScannerExports {
  memory: WebAssembly.Memory;
  fromPtr(): number;
  toPtr(): number;
  metaPtr(): number;
  inputPtr(): number;
  begin(start: number, length: number): number;
  next(): number;
  composite(without: number): number;
  maxId(): number;
  setSeed(lo: number, hi: number): void;
  setHashMask(mask: number): void;
}

/** Bytes past a chunk: its 0 terminator and the SIMD loads that may read up to 16 bytes beyond it. */
const TAIL = 32;

export class WasmRecordScanner implements CompositeIds {
  epoch = 0;
  readonly maxId: number;
  private readonly input: number;
  private bytes!: Uint8Array;
  private meta!: Int32Array;
  private rec!: ScannedRecord;

  private constructor(private readonly x: ScannerExports) {
    this.input = x.inputPtr();
    this.maxId = x.maxId();
    const seed = randomBytes(8);
    x.setSeed(seed.readUInt32LE(0), seed.readUInt32LE(4));
    this.views();
  }

  /** Tests: keep only the hash bits of `mask` (0: every composite collides, so byte compares alone tell them apart). */
  hashMask(mask: number): void {
    this.x.setHashMask(mask >>> 0);
  }

  compositeId(without: number): number {
    const id = this.x.composite(without);
    // Without a branch: a new epoch comes once in ~30k records, and code first run that late would make V8 throw
    // away textSignature's optimised code (compiled again, ~60 ms a worker) for lack of type feedback.
    this.epoch += id >>> 31;
    return Math.abs(id);
  }

  /** The scanner, or undefined where WebAssembly (with SIMD) is not available: callers use the JS scanner then. */
  static create(): WasmRecordScanner | undefined {
    try {
      const module = new WebAssembly.Module(Buffer.from(RECORD_SCAN_WASM, 'base64'));
      return new WasmRecordScanner(new WebAssembly.Instance(module, {}).exports as unknown as ScannerExports);
    } catch {
      return undefined;
    }
  }

  /** Whether a chunk of `length` bytes fits in the memory, grown if need be (false: it cannot grow so far). */
  fits(length: number): boolean {
    const need = this.input + length + TAIL;
    const have = this.x.memory.buffer.byteLength;
    if (need <= have) return true;
    try {
      this.x.memory.grow(Math.ceil((need - have) / 65536));
    } catch {
      return false;
    }
    this.views();
    return true;
  }

  /** Views of the memory: made again when it grew (growing replaces its ArrayBuffer). */
  private views(): void {
    const buf = this.x.memory.buffer;
    this.bytes = new Uint8Array(buf);
    this.meta = new Int32Array(buf, this.x.metaPtr(), 3);
    this.rec = new ScannedRecord(new Int32Array(buf, this.x.fromPtr(), SLOTS), new Int32Array(buf, this.x.toPtr(), SLOTS));
    this.rec.composites = this;
    this.rec.uuids = new Uint32Array(buf, this.x.metaPtr() + 12, 9);
    this.rec.eventTime = new Float64Array(buf, this.x.metaPtr() + 48, 1);
  }

  /**
   * scanRecords (record-scan.ts) for `text`, a JSON array of objects whose characters are the bytes
   * `data[start, end)` one for one (ASCII, decoded as latin1), except the first and last, read as `[` and `]`
   * whatever they are (a chunk's text has them where its bytes have the commas around it). `visit` gets this
   * scanner's own ScannedRecord, reused.
   */
  scan(data: Uint8Array, start: number, end: number, text: string, visit: (r: ScannedRecord) => void): boolean {
    const length = end - start;
    if (!this.fits(length)) throw new RangeError(`no memory for a chunk of ${length} bytes`);
    this.bytes.set(data.subarray(start, end), this.input);
    this.bytes.fill(0, this.input + length, this.input + length + TAIL);
    if (length > 0) {
      this.bytes[this.input] = OPEN_BRACKET;
      this.bytes[this.input + length - 1] = CLOSE_BRACKET;
    }
    const r = this.rec;
    r.text = text;
    const meta = this.meta;
    try {
      if (this.x.begin(this.input, length) < 0) return false;
      for (;;) {
        const status = this.x.next();
        if (status !== 1) return status === 0;
        r.start = meta[0];
        r.end = meta[1];
        r.escaped = meta[2] !== 0;
        visit(r);
      }
    } finally {
      r.text = '';
    }
  }
}
