// One CloudTrail log object (a delivered .json.gz, a local file) -> records into a batch.
// CloudTrail delivers objects of a few MB, so the fast path gunzips the object whole and JSON.parses it in chunks
// of records (parseInChunks): memory is O(largest object), not O(events). Anything else goes through the streaming
// RecordSplitter: objects above MAX_WHOLE_BYTES, JSON lines and other shapes, and damaged input (it keeps the
// records before the damage).
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip, gunzip, gunzipSync } from 'node:zlib';
import { isMainThread } from 'node:worker_threads';
import type { BatchBuilder, EventProcessor } from './event-batch.js';
import type { LogInput } from './worker-entry.js';
import { RecordSplitter } from './record-stream.js';
import { ScannedRecord, scanRecords } from './record-scan.js';
import { WasmRecordScanner } from './record-scan-wasm.js';

/** Decompressed size up to which an object is parsed whole. */
export const MAX_WHOLE_BYTES = 64 * 1024 * 1024;

const RECORDS_HEAD = /^\s*\{\s*"Records"\s*:\s*\[/;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Where a thread gunzips and reads files. A worker thread does it itself, synchronously: it has nothing else to do
 * meanwhile, and with a worker per core, handing it to the libuv pool cost ~0.5 s of CPU a million events (thread
 * hand-offs, the main thread's promises and streams, more busy threads than cores). The main thread, reading
 * in-process, keeps it on the libuv pool, where it overlaps with its own parsing. (With fewer workers than cores the
 * pool gunzips before a worker gets the object: LogReaderPool, inflateInput.)
 */
export const INFLATE_HERE = !isMainThread;

/**
 * Gunzips in (nearly) one piece: the output chunk is sized from the gzip trailer's ISIZE (the uncompressed size
 * mod 2^32; untrusted, so clamped), instead of 16 KB chunks that each cost a round trip to JS. `here`: on this
 * thread, else on the libuv pool.
 */
async function gunzipWhole(data: Uint8Array, max: number, here: boolean): Promise<Buffer> {
  const n = data.length;
  const isize = n >= 18 ? (data[n - 4] | (data[n - 3] << 8) | (data[n - 2] << 16) | (data[n - 1] << 24)) >>> 0 : 0;
  const opts = { maxOutputLength: max, chunkSize: Math.min(sizeClass(isize + 1024), max, 32 * 1024 * 1024) };
  if (here) return gunzipSync(data, opts);
  return new Promise((resolve, reject) => gunzip(data, opts, (e, out) => (e ? reject(e) : resolve(out))));
}

/**
 * The output buffer's size: at least 64 KB, else rounded up to the next quarter of its power of two (1.4 MB -> 1.5 MiB).
 * Of a few sizes only, freed buffers are reused by malloc as they are, where sizes that each object's ISIZE decides
 * fragment its heap: at 3M events peak RSS was ~30 MB higher and still climbing (README, Benchmarks).
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 64 * 1024) return 64 * 1024;
  const step = 2 ** Math.floor(Math.log2(bytes)) / 4;
  return Math.ceil(bytes / step) * step;
}

/**
 * Buffers for compressed local files, reused: a file's bytes are read into one (of its size class) and it is given
 * back once the object is read. Allocating one per file, with the file's own size, let malloc's heap grow with the
 * number of files read: at a fixed answer, peak RSS rose from 190 to 236 MB between 1M and 3M events with one
 * worker; with reuse it stays flat. One pool per thread; at most POOLED_BYTES are kept.
 */
export class ReadBuffers {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private pooled = 0;

  constructor(private readonly limit = POOLED_BYTES) {}

  /** Bytes kept for reuse. */
  get kept(): number {
    return this.pooled;
  }

  take(size: number): Uint8Array {
    const c = sizeClass(size);
    const ab = this.free.get(c)?.pop();
    if (ab) this.pooled -= c;
    return new Uint8Array(ab ?? new ArrayBuffer(c), 0, size);
  }

  give(view: Uint8Array): void {
    const ab = view.buffer as ArrayBuffer;
    if (this.pooled + ab.byteLength > this.limit || ab.byteLength === 0) return;
    let list = this.free.get(ab.byteLength);
    if (!list) this.free.set(ab.byteLength, (list = []));
    list.push(ab);
    this.pooled += ab.byteLength;
  }
}

const POOLED_BYTES = 16 * 1024 * 1024;
const readBuffers = new ReadBuffers();

/** A whole file into a pooled buffer (`readBuffers.give` it back when done). `here`: read synchronously. */
async function readPooled(path: string, size: number, here: boolean): Promise<Uint8Array> {
  const buf = readBuffers.take(size);
  let got = 0;
  try {
    if (here) {
      const fd = openSync(path, 'r');
      try {
        for (let n = -1; got < size && n !== 0; got += n) n = readSync(fd, buf, got, size - got, got);
      } finally {
        closeSync(fd);
      }
    } else {
      const fh = await open(path, 'r');
      try {
        for (let n = -1; got < size && n !== 0; got += n) n = (await fh.read(buf, got, size - got, got)).bytesRead;
      } finally {
        await fh.close();
      }
    }
  } catch (e) {
    readBuffers.give(buf);
    throw e;
  }
  return got === size ? buf : buf.subarray(0, got); // shrank while being read: take what is there
}

/**
 * Reads and gunzips an input on the libuv pool before it goes to a worker: the pool's choice when it has fewer
 * workers than cores (see LogReaderPool), so gunzip runs on a core no worker uses. Inputs to stream (too large) or
 * that fail to gunzip are returned as they are: the worker streams them and reports the damage, keeping the records
 * before it.
 */
export async function inflateInput(input: LogInput, maxWhole = MAX_WHOLE_BYTES): Promise<LogInput> {
  if ('file' in input) {
    const gz = /\.gz$/i.test(input.file);
    let data: Uint8Array;
    try {
      const size = (await stat(input.file)).size;
      if (size > (gz ? maxWhole / 3 : maxWhole)) return input;
      if (!gz) return { name: input.name, data: await readFile(input.file), gz: false };
      data = await readPooled(input.file, size, false);
    } catch {
      return input; // the worker says what is wrong with it
    }
    try {
      const out = await gunzipWhole(data, maxWhole, false);
      readBuffers.give(data);
      return { name: input.name, data: out, gz: false, compressedBytes: data.length, owned: true };
    } catch {
      // Damaged: the worker streams the bytes (a copy of them: the pooled buffer stays here) and says what is wrong.
      return { name: input.name, data: data.slice(), gz: true };
    }
  }
  if (!input.gz) return input;
  try {
    return { name: input.name, data: await gunzipWhole(input.data, maxWhole, false), gz: false, compressedBytes: input.data.length, owned: true };
  } catch {
    return input;
  }
}

/** True when the view spans its whole ArrayBuffer (not a slice of Node's shared pool or of a larger buffer). */
export function ownsWholeBuffer(data: Uint8Array): boolean {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !(data.buffer instanceof SharedArrayBuffer);
}

/**
 * Reads an object held in memory. `gz`: gzip-compressed (by name or magic bytes). `here`: see INFLATE_HERE.
 * `compressedBytes`: its size as stored, when it was gunzipped before (inflateInput).
 */
export async function readLogObject(proc: EventProcessor, b: BatchBuilder, data: Uint8Array, gz: boolean, maxWhole = MAX_WHOLE_BYTES, here = INFLATE_HERE, compressedBytes?: number): Promise<void> {
  b.bytes += compressedBytes ?? data.length;
  let text: Buffer;
  if (gz) {
    try {
      text = await gunzipWhole(data, maxWhole, here);
    } catch {
      // Too large to hold, or damaged: stream it, which keeps what precedes the damage and says what it was.
      await streamRecords(proc, b, Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]), true);
      return;
    }
  } else {
    text = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (text.length > maxWhole) {
      await streamRecords(proc, b, Readable.from([text]), false);
      return;
    }
  }
  if (!parseWhole(proc, b, text)) splitBuffer(proc, b, text);
}

/** Reads a local file: whole when small enough, streamed otherwise. `here`: see INFLATE_HERE. */
export async function readLogFile(proc: EventProcessor, b: BatchBuilder, path: string, maxWhole = MAX_WHOLE_BYTES, here = INFLATE_HERE): Promise<void> {
  const gz = /\.gz$/i.test(path);
  let data: Uint8Array;
  try {
    const size = (here ? statSync(path) : await stat(path)).size;
    // A gzip object is at most ~1/3 of its JSON; beyond that the whole-object path could not hold it anyway.
    if (size > (gz ? maxWhole / 3 : maxWhole)) return await streamFile(proc, b, path, gz);
    // Compressed bytes are only read by gunzip (or the stream of a damaged object), done before readLogObject
    // returns: their buffer is reused. A JSON file's text may be kept in parts (problems, the splitter): its own.
    data = gz ? await readPooled(path, size, here) : here ? readFileSync(path) : await readFile(path);
  } catch (e) {
    b.problem(`cannot read (${(e as Error).message})`);
    return;
  }
  try {
    await readLogObject(proc, b, data, gz, maxWhole, here);
  } finally {
    if (gz) readBuffers.give(data);
  }
}

function streamFile(proc: EventProcessor, b: BatchBuilder, path: string, gz: boolean): Promise<void> {
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  input.on('data', (c) => (b.bytes += c.length));
  return streamRecords(proc, b, input, gz);
}

/** `{"Records":[...]}` parsed in one go; false when the text is another shape or not valid JSON. */
function parseWhole(proc: EventProcessor, b: BatchBuilder, text: Buffer): boolean {
  const head = text.toString('latin1', 0, Math.min(text.length, 64));
  const m = RECORDS_HEAD.exec(head);
  if (!m) return false;
  // Logs are nearly always ASCII: then latin1 decoding gives the same string, ~10x cheaper than UTF-8 decoding.
  const encoding = isAscii(text) ? 'latin1' : 'utf8';
  const strict = JSON_RECORDS_HEAD.exec(head);
  if (strict && text.indexOf(RECORD_START, strict[0].length) === strict[0].length && parseInChunks(proc, b, text, strict[0].length - 1, encoding)) return true;
  let doc: unknown;
  try {
    doc = JSON.parse(text.toString(encoding));
  } catch {
    return false;
  }
  if (!isObject(doc) || !Array.isArray(doc.Records)) return false;
  const records = doc.Records as unknown[];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (isObject(r)) proc.record(r, b);
    else b.problem(`record ${i}: not a JSON object`);
  }
  return true;
}

/** How CloudTrail starts every record, and how it separates two: no whitespace, eventVersion first. */
const RECORD_START = Buffer.from('{"eventVersion":');
const RECORD_SEPARATOR = Buffer.from('},{"eventVersion":');
/** The document's head and tail with JSON's whitespace only (the records between are parsed, these are not). */
const JSON_RECORDS_HEAD = /^[ \t\n\r]*\{[ \t\n\r]*"Records"[ \t\n\r]*:[ \t\n\r]*\[/;
const JSON_RECORDS_TAIL = /^\][ \t\n\r]*\}[ \t\n\r]*$/;
/**
 * Bytes per chunk (then up to the next record boundary). One string of a whole object lands in V8's old generation
 * and drives major GCs; one per record pays a separator search and a decode per record. 32 KB, a few dozen
 * records, measured fastest with JSON.parse; kept for the scan.
 */
const CHUNK_BYTES = 32 * 1024;

const scanned = new ScannedRecord();
/** This thread's WebAssembly scanner, made on first use (undefined: not available). */
let wasmScanner: WasmRecordScanner | undefined;
let wasmTried = false;
function wasmScan(): WasmRecordScanner | undefined {
  if (!wasmTried) {
    wasmTried = true;
    wasmScanner = WasmRecordScanner.create();
  }
  return wasmScanner;
}

/** A chunk's scanner: the WebAssembly one for ASCII text (byte offsets are character offsets), else the JS one. */
type ChunkScan = (chunk: string, visit: (r: ScannedRecord) => void) => boolean;
const jsScan: ChunkScan = (chunk, visit) => scanRecords(chunk, scanned, visit);

/**
 * CloudTrail's own layout, a few dozen records at a time: cut the Records array at record boundaries into
 * chunks, make each chunk a JSON array of its own and scan it (record-scan.ts; each record mapped from its text,
 * or parsed where it must be). The separator is ASCII, so it never splits a UTF-8 sequence; it cannot occur inside
 * a JSON string (its quote would end the string), only nested in a record (an array of objects starting with that
 * key), and then the chunks on both sides fail to scan. So on any failure the records read here are rolled back and
 * false sends the object to the whole-document parse, which decides what is valid. `open` is the index of the
 * array's `[`.
 */
function parseInChunks(proc: EventProcessor, b: BatchBuilder, text: Buffer, open: number, encoding: 'latin1' | 'utf8'): boolean {
  const end = text.lastIndexOf(0x5d); // ]
  if (end <= open || !JSON_RECORDS_TAIL.test(text.toString('latin1', end, Math.min(text.length, end + 64))) || text.length - end > 64) return false;
  const mark = b.mark();
  const map = (r: ScannedRecord) => proc.recordText(r, b);
  const wasm = encoding === 'latin1' ? wasmScan() : undefined;
  let i = open; // the chunk's first byte: the array's '[' or the ',' before the chunk's first record
  for (;;) {
    const j = i + CHUNK_BYTES < end ? text.indexOf(RECORD_SEPARATOR, i + CHUNK_BYTES) : -1;
    const last = j < 0 || j >= end;
    const stop = last ? end : j + 1; // the array's ']' or the ',' after the chunk's last record
    // The chunk's own brackets are written over the commas around it and put back at once: decoding a '[' + chunk
    // + ']' concatenation would copy the chunk once more. Nothing else runs in between (one thread, restored in
    // `finally`), so even a caller's buffer read in-process is never seen changed.
    const first = text[i];
    const after = text[stop];
    let chunk: string;
    text[i] = 0x5b;
    text[stop] = 0x5d;
    try {
      chunk = text.toString(encoding, i, stop + 1);
    } finally {
      text[i] = first;
      text[stop] = after;
    }
    const from = i;
    // A chunk the WebAssembly memory cannot grow to hold (a record of hundreds of MB) is scanned in JavaScript.
    const scan: ChunkScan = wasm && wasm.fits(stop + 1 - from) ? (c, visit) => wasm.scan(text, from, stop + 1, c, visit) : jsScan;
    let ok: boolean;
    try {
      ok = proc.scope ? scanInScope(proc, b, chunk, proc.scope, scan) : scan(chunk, map);
    } catch (e) {
      // A record the scan let through that JSON.parse rejects (a raw control character in a string).
      if (!(e instanceof SyntaxError)) throw e;
      ok = false;
    }
    if (!ok) {
      b.rollback(mark);
      return false;
    }
    if (last) return true;
    i = stop;
  }
}

/**
 * Maps the records of one chunk whose text contains a name in `scope` or a backslash (an escape could spell a
 * name: `\u0061`), and counts the others as read only. A name cannot span two records: names hold no braces or
 * quotes. So the next match, searched from a record's start, says which record it is in; it stays valid for the
 * records up to that one.
 */
function scanInScope(proc: EventProcessor, b: BatchBuilder, chunk: string, scope: readonly string[], scan: ChunkScan): boolean {
  const re = namePattern(scope);
  let matchLast = -1; // the last character of the next match (Infinity: none left)
  return scan(chunk, (r) => {
    if (matchLast < r.start) {
      re.lastIndex = r.start;
      matchLast = re.test(chunk) ? re.lastIndex - 1 : Infinity;
    }
    if (r.escaped || matchLast < r.end) proc.recordText(r, b);
    else proc.skipText(r, b);
  });
}

/**
 * One regular expression for every name, cached per scope: irregexp skips through the text Boyer-Moore style, so
 * finding any of 1 to 400 names costs ~0.3-0.8 µs per record on the bench's logs, where one indexOf per name
 * (which scans for the name's first character, often as common as the `a` of "arn:aws") cost ~0.4-0.8 µs per name.
 */
let patternScope: readonly string[] | undefined;
let pattern = /$^/g;
function namePattern(scope: readonly string[]): RegExp {
  if (patternScope !== scope) {
    // No name: a pattern that never matches (an empty alternation would match everywhere).
    pattern = scope.length ? new RegExp(scope.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g') : /(?!)/g;
    patternScope = scope;
  }
  return pattern;
}

function splitter(proc: EventProcessor, b: BatchBuilder): RecordSplitter {
  return new RecordSplitter({
    record: (value, index, line) => {
      if (isObject(value)) proc.record(value, b);
      else b.problem(`record ${index} (line ${line}) is not a JSON object`);
    },
    problem: (msg) => b.problem(msg),
  });
}

function splitBuffer(proc: EventProcessor, b: BatchBuilder, text: Buffer): void {
  const s = splitter(proc, b);
  s.push(text);
  s.end();
}

/** Streams (and gunzips) into the splitter. A gzip error keeps the records already read and is reported. */
function streamRecords(proc: EventProcessor, b: BatchBuilder, input: Readable, gz: boolean): Promise<void> {
  const s = splitter(proc, b);
  return new Promise<void>((resolve) => {
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      input.destroy();
      const code = (e as NodeJS.ErrnoException).code ?? '';
      b.problem(gz && code.startsWith('Z_') ? `corrupt gzip (${e.message}); records before the damage were kept` : `cannot read (${e.message})`);
      resolve();
    };
    const onChunk = (c: Buffer) => {
      try {
        s.push(c);
      } catch (e) {
        fail(e as Error); // a bug in parsing fails this object, never the process
      }
    };
    const done = () => {
      if (settled) return;
      settled = true;
      s.end();
      resolve();
    };
    input.on('error', fail);
    if (!gz) {
      input.on('data', onChunk);
      input.on('end', done);
      return;
    }
    const gunzipper = createGunzip({ chunkSize: 256 * 1024 });
    gunzipper.on('error', fail);
    gunzipper.on('data', onChunk);
    gunzipper.on('end', done);
    input.pipe(gunzipper);
  });
}
