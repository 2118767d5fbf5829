// Splits a CloudTrail log byte stream into records without parsing the whole file: it scans brace depth
// outside strings and JSON.parses one record at a time, so memory is bounded by the largest record.
// Accepted shapes: `{"Records":[...]}` (CloudTrail's), a top-level array of events, JSON lines, and
// concatenated (e.g. pretty-printed) event objects.
import { StringDecoder } from 'node:string_decoder';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, NEWLINE, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-chars.js';

export interface RecordSink {
  /** A parsed record; `index` counts records from 0, `line` is where it starts (1-based). */
  record(value: unknown, index: number, line: number): void;
  /** A record or stretch that could not be read; the scan goes on. */
  problem(message: string): void;
}

/** CloudTrail caps an event at 256 KB; anything far larger is not an event. */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;
const MAX_HEAD_BYTES = 1024 * 1024;

type Mode = 'undecided' | 'records' | 'array' | 'objects' | 'lines';


const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const RECORDS_HEAD = /^\s*\{\s*"Records"\s*:\s*\[/;

export class RecordSplitter {
  private mode: Mode = 'undecided';
  private head: Buffer[] = [];
  private headBytes = 0;

  // scanning state (records / array / objects)
  private targetDepth = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private recordsOpen = false;
  private recordsDone = false;
  private captureStart = -1;
  private captureLine = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false; // inside an oversized record: scan, do not keep
  private inScalarItem = false;
  private trailingReported = false;

  // lines mode state
  private decoder?: StringDecoder;
  private partialLine = '';

  private index = 0;
  /** Set after a problem that makes the rest unreadable: further bytes are ignored. */
  private stopped = false;

  constructor(private readonly sink: RecordSink) {}

  push(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.mode === 'undecided') {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (!this.decide(false)) return;
      const buffered = Buffer.concat(this.head);
      this.head = [];
      this.feed(buffered);
      return;
    }
    this.feed(chunk);
  }

  end(): void {
    if (this.stopped) return;
    if (this.mode === 'undecided') {
      if (this.headBytes === 0 || !this.decide(true)) return;
      const buffered = Buffer.concat(this.head);
      this.head = [];
      this.feed(buffered);
    }
    if (this.mode === 'lines') {
      this.partialLine += this.decoder!.end();
      if (this.partialLine.trim() !== '') this.parseLine(this.partialLine);
      this.partialLine = '';
      return;
    }
    if (this.captureStart >= 0 || this.pending.length > 0 || this.skipping) {
      this.sink.problem(`truncated JSON: record ${this.index} starting at line ${this.captureLine} never ends`);
    } else if (this.mode === 'records' && !this.recordsDone) {
      this.sink.problem('truncated JSON: the Records array never closes');
    } else if (this.depth !== 0 || this.inString) {
      this.sink.problem('truncated JSON: the file ends inside a value');
    }
  }

  /** Picks the shape from the first bytes; false when more bytes are needed. */
  private decide(atEnd: boolean): boolean {
    const text = Buffer.concat(this.head).toString('utf8', 0, Math.min(this.headBytes, MAX_HEAD_BYTES));
    const first = /\S/.exec(text);
    if (!first) {
      if (atEnd) return false; // empty or blank file: nothing to read
      return this.headBytes > MAX_HEAD_BYTES ? this.fail('no JSON in the first 1 MB') : false;
    }
    const c = first[0];
    if (c === '[') return this.start('array', 1);
    if (c !== '{') return this.fail(`not JSON (starts with ${JSON.stringify(c)})`);
    if (RECORDS_HEAD.test(text)) return this.start('records', 2);
    const afterBrace = text.slice(first.index + 1);
    // Still possibly `{ "Records": [` split across chunks.
    if (!atEnd && /^\s*("(R(e(c(o(r(d(s("\s*(:\s*)?)?)?)?)?)?)?)?)?)?$/.test(afterBrace)) return false;
    // JSON lines when the first line is a whole value; otherwise concatenated (pretty-printed) objects.
    const nl = text.indexOf('\n', first.index);
    if (nl < 0 && !atEnd && this.headBytes <= MAX_HEAD_BYTES) return false;
    const firstLine = nl < 0 ? text : text.slice(0, nl);
    if (nl >= 0 && parses(firstLine)) return this.start('lines', 0);
    return this.start('objects', 0);
  }

  private start(mode: Mode, targetDepth: number): true {
    this.mode = mode;
    this.targetDepth = targetDepth;
    if (mode === 'lines') this.decoder = new StringDecoder('utf8');
    return true;
  }

  private fail(message: string): false {
    this.sink.problem(message);
    this.mode = 'undecided';
    this.head = [];
    this.headBytes = 0;
    this.stopped = true;
    return false;
  }

  private feed(chunk: Buffer): void {
    if (this.mode === 'lines') this.feedLines(chunk);
    else this.scan(chunk);
  }

  // ---------- JSON lines ----------

  private feedLines(chunk: Buffer): void {
    const text = this.partialLine + this.decoder!.write(chunk);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      const line = text.slice(from, nl);
      from = nl + 1;
      if (line.trim() !== '') this.parseLine(line);
      this.line++;
    }
    this.partialLine = text.slice(from);
    if (this.partialLine.length > MAX_RECORD_BYTES) {
      this.sink.problem(`line ${this.line}: longer than ${MAX_RECORD_BYTES} bytes, skipped`);
      this.partialLine = '';
    }
  }

  private parseLine(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      this.sink.problem(`line ${this.line}: invalid JSON (${(e as Error).message})`);
      this.index++;
      return;
    }
    // A `{"Records":[...]}` document on one line (e.g. with Records not first) still yields its events.
    const records = isObject(value) && Array.isArray(value.Records) ? value.Records : undefined;
    if (records) for (const r of records) this.sink.record(r, this.index++, this.line);
    else this.sink.record(value, this.index++, this.line);
  }

  // ---------- brace scanning ----------

  private scan(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    this.captureStart = this.pending.length > 0 ? 0 : -1;
    while (i < n) {
      // Inside a record (the hot path): only find where it ends.
      if (this.captureStart >= 0 || this.skipping) {
        const end = this.scanRecord(chunk, i);
        if (end < 0) break;
        this.emit(chunk, end + 1);
        if (this.depth === this.targetDepth) this.inScalarItem = false;
        i = end + 1;
        continue;
      }
      if (this.inString) {
        i = this.skipString(chunk, i);
        continue;
      }
      const b = chunk[i];
      if (b === QUOTE) {
        this.inString = true;
        if (this.depth === this.targetDepth && this.itemsOpen()) this.badItem();
        i++;
        continue;
      }
      if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (this.depth === this.targetDepth && this.itemsOpen()) {
          if (b === OPEN_BRACE) {
            this.captureStart = i;
            this.captureLine = this.line;
          } else this.badItem();
        }
        if (this.mode === 'records' && this.depth === 1 && b === OPEN_BRACKET && !this.recordsOpen && !this.recordsDone) this.recordsOpen = true;
        this.depth++;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth < 0) {
          this.sink.problem(`line ${this.line}: unbalanced '${String.fromCharCode(b)}'; the rest of the file is not read`);
          this.depth = 0;
          this.stopped = true;
          return;
        }
        if (this.depth === this.targetDepth) this.inScalarItem = false;
        if (this.mode === 'records' && this.depth === 1 && b === CLOSE_BRACKET && this.recordsOpen) {
          this.recordsOpen = false;
          this.recordsDone = true;
        }
      } else if (b === NEWLINE) {
        this.line++;
      } else if (b === COMMA) {
        if (this.depth === this.targetDepth) this.inScalarItem = false;
      } else if (!isSpace(b)) {
        if (this.depth === this.targetDepth && this.itemsOpen()) this.badItem();
        else if (this.depth === 0 && this.mode !== 'objects' && !this.trailingReported) {
          this.trailingReported = true;
          this.sink.problem(`line ${this.line}: unexpected content after the end of the JSON document`);
        }
      }
      i++;
    }
    if (this.captureStart >= 0 && !this.skipping) {
      this.pending.push(chunk.subarray(this.captureStart));
      this.pendingBytes += n - this.captureStart;
      if (this.pendingBytes > MAX_RECORD_BYTES) {
        this.sink.problem(`record ${this.index} (line ${this.captureLine}): larger than ${MAX_RECORD_BYTES} bytes, skipped`);
        this.pending = [];
        this.pendingBytes = 0;
        this.skipping = true;
      }
    }
    this.captureStart = -1;
  }

  /** True where array items are records: inside Records (records mode), or anywhere at the target depth. */
  private itemsOpen(): boolean {
    if (this.captureStart >= 0 || this.skipping) return false;
    return this.mode !== 'records' || this.recordsOpen;
  }

  private badItem(): void {
    if (this.inScalarItem) return;
    this.inScalarItem = true;
    this.sink.problem(`record ${this.index} (line ${this.line}): not a JSON object`);
    this.index++;
  }

  /** From inside a string (outside records), returns the index just past its closing quote (or n). */
  private skipString(chunk: Buffer, from: number): number {
    let escaped = this.escaped;
    for (let i = from; i < chunk.length; i++) {
      const b = chunk[i];
      if (escaped) escaped = false;
      else if (b === BACKSLASH) escaped = true;
      else if (b === QUOTE) {
        this.inString = false;
        this.escaped = false;
        return i + 1;
      }
    }
    this.escaped = escaped;
    return chunk.length;
  }

  /**
   * Inside a record: the index of the byte that closes it, or -1 when the chunk ends first. State in locals;
   * strings are skipped with indexOf (native), structure is walked byte by byte. This is where the time goes.
   */
  private scanRecord(chunk: Buffer, from: number): number {
    const n = chunk.length;
    const target = this.targetDepth;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let lines = 0;
    let i = from;
    let closed = -1;
    while (i < n) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        const q = chunk.indexOf(QUOTE, i);
        if (q < 0) {
          // The string goes on into the next chunk; an odd run of trailing backslashes escapes its first byte.
          let k = n - 1;
          while (k >= i && chunk[k] === BACKSLASH) k--;
          escaped = (n - 1 - k) % 2 === 1;
          i = n;
          break;
        }
        let k = q - 1;
        while (k >= i && chunk[k] === BACKSLASH) k--;
        if ((q - 1 - k) % 2 === 0) inString = false;
        i = q + 1;
        continue;
      }
      const b = chunk[i];
      if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--depth === target) {
          closed = i;
          break;
        }
      } else if (b === NEWLINE) lines++;
      i++;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.line += lines;
    return closed;
  }

  private emit(chunk: Buffer, endExclusive: number): void {
    if (this.skipping) {
      this.skipping = false;
      this.index++;
      return;
    }
    let text: string;
    if (this.pending.length > 0) {
      this.pending.push(chunk.subarray(0, endExclusive));
      text = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      text = chunk.toString('utf8', this.captureStart, endExclusive);
    }
    this.captureStart = -1;
    const index = this.index++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.sink.problem(`record ${index} (line ${this.captureLine}): invalid JSON (${(e as Error).message})`);
      return;
    }
    this.sink.record(value, index, this.captureLine);
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
