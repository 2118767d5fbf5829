// Reads log objects on worker threads (gunzip, JSON.parse, mapping and signature interning happen there) and
// hands each object's batch to the caller on the main thread. With no usable worker script (TypeScript source
// under ts-jest) or `workers: 0`, the same code runs in-process.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EventProcessor, transferables, type EventBatch, type ProcessorOptions } from './event-batch.js';
import { inflateInput, ownsWholeBuffer } from './log-object.js';
import { SigInterner, SigRegistry } from './tally.js';
import { bundleCanStartWorkers, closeBatch, readTask, USAGE_WORKER_FLAG, type BuffersBack, type LogInput, type LogTask, type WorkerInit } from './worker-entry.js';

export type { LogInput };

export interface ReadResult {
  batch: EventBatch;
  /** The producer's signatures: pass both to SourceTally.add. */
  registry: SigRegistry;
  /**
   * Call once the batch is counted (SourceTally.add) and reported: its typed arrays go back to the worker that made
   * them, for its next batches (see BatchBuffers), and must not be read after. Optional for the caller: a batch not
   * released is freed by the GC.
   */
  release(): void;
}

export interface PoolOptions extends Omit<ProcessorOptions, 'lookup'> {
  /** Worker threads; 0 reads in-process. Default: defaultWorkerCount(). */
  workers?: number;
  /** The script a worker runs; default: this bundle, or worker-entry.js beside this module. */
  workerScript?: URL;
  /** Objects parsed whole up to this decompressed size (tests lower it). */
  maxWholeBytes?: number;
  /** Gunzip on the main thread's libuv pool before a worker gets the object; default: with fewer workers than cores. */
  inflateFirst?: boolean;
  /** In-process only: a custom action lookup (tests). */
  lookup?: ProcessorOptions['lookup'];
}

/**
 * Objects queued per worker: one being read while the next are gunzipped (inflateFirst) or wait in its port, so it
 * never waits for the main thread (a worker only starts reading a task between two parses).
 */
const PER_WORKER = 3;

/** IAM_POLICY_GATE_WORKERS, else one worker per core, at most 4. */
export function defaultWorkerCount(): number {
  const raw = process.env.IAM_POLICY_GATE_WORKERS?.trim();
  const env = raw ? Number(raw) : NaN;
  if (Number.isInteger(env) && env >= 0 && env <= 64) return env;
  return Math.max(1, Math.min(availableParallelism(), 4));
}

/** Where a worker can start from, or undefined when no JavaScript file is at hand. */
export function defaultWorkerScript(): URL | undefined {
  const here = import.meta.url;
  if (!here.startsWith('file:') || /\.[cm]?ts$/.test(here)) return undefined;
  // tsc output keeps modules apart: start the worker module itself. The bundles (dist/index.js, dist/cli.js) have
  // the worker's own beside them (scripts/finish-dist.mjs): ~1 MB to load where a whole bundle is ~5 MB (a worker
  // ready in ~75 ms, not ~200). Without it, start the bundle, but only when its entry dispatches to the worker loop
  // (else the worker would run the whole CLI again).
  if (/\/usage\/worker-pool\.js$/.test(here)) return new URL('./worker-entry' + '.js', here);
  const own = new URL('./usage-worker.js', here);
  if (existsSync(fileURLToPath(own))) return own;
  return bundleCanStartWorkers() ? new URL(here) : undefined;
}

/**
 * A worker's heap: records are parsed a chunk at a time and die young, so the old generation holds only the signatures
 * and memo (tens of MB); the bound leaves room for an odd object parsed whole. A young generation of 16 MB (V8's
 * default grows to ~48 MB) measured as fast on the bench and keeps ~25 MB of RSS per worker; 8 MB cost ~5%.
 */
function workerLimits() {
  return { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 16 };
}

interface Slot {
  worker: Worker;
  registry: SigRegistry;
  inFlight: number;
  alive: boolean;
}

interface Pending {
  resolve: (r: ReadResult) => void;
  reject: (e: Error) => void;
  slot?: Slot;
}

export class LogReaderPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Array<() => void> = [];
  private nextId = 1;
  private local?: { proc: EventProcessor; registry: SigRegistry };
  private closed = false;
  /** One for all producers: the workers define the same signatures, which are kept once. */
  private readonly interner: SigInterner;
  /**
   * Gunzip on the main thread's libuv pool before a worker gets the object: only with fewer workers than cores, so
   * it runs on a core no worker uses (1 worker on 2 cores: ~8% faster). With a worker per core a worker does it
   * (INFLATE_HERE): ~15% less wall time with 2 workers on 2 cores, as the pool's threads only competed with them.
   */
  private readonly inflateFirst: boolean;

  constructor(private readonly opts: PoolOptions = {}) {
    this.interner = new SigInterner(opts.contextKeys);
    const count = opts.workers ?? defaultWorkerCount();
    this.inflateFirst = opts.inflateFirst ?? count < availableParallelism();
    const script = count > 0 && !opts.lookup ? (opts.workerScript ?? defaultWorkerScript()) : undefined;
    if (!script) return;
    const init: WorkerInit = {
      [USAGE_WORKER_FLAG]: true,
      options: { contextKeys: opts.contextKeys, since: opts.since, until: opts.until, scope: opts.scope },
      maxWholeBytes: opts.maxWholeBytes,
    };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData: init, stdout: false, stderr: false, resourceLimits: workerLimits() });
      const slot: Slot = { worker, registry: new SigRegistry(this.interner), inFlight: 0, alive: true };
      worker.on('message', (m: { id: number; batch: EventBatch }) => this.onBatch(slot, m));
      worker.on('error', (e) => this.onDeath(slot, e));
      worker.on('exit', (code) => this.onDeath(slot, new Error(`exited with code ${code}`)));
      this.slots.push(slot);
    }
  }

  /** Worker threads in use (0 when reading in-process). */
  get workers(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  /** Objects worth having in flight at once (for a caller that downloads ahead). */
  get capacity(): number {
    return Math.max(1, this.workers) * PER_WORKER;
  }

  /** Reads one object. Resolves with its batch; never rejects for bad content (that is in batch.problems). */
  async read(input: LogInput): Promise<ReadResult> {
    if (this.closed) throw new Error('reader pool is closed');
    for (;;) {
      const alive = this.slots.filter((s) => s.alive);
      if (alive.length === 0) return this.readLocally(input);
      const slot = alive.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (slot.inFlight < PER_WORKER) return this.send(slot, input);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private send(slot: Slot, input: LogInput): Promise<ReadResult> {
    const id = this.nextId++;
    slot.inFlight++;
    let posted = input;
    return (this.inflateFirst ? inflateInput(input, this.opts.maxWholeBytes) : Promise.resolve(input))
      .then(
        (ready) =>
          new Promise<ReadResult>((resolve, reject) => {
            posted = ready;
            this.pending.set(id, { resolve, reject, slot });
            if (!slot.alive) return reject(new Error('usage worker is gone'));
            const task: LogTask = { id, ...ready };
            // The bytes are handed over without a copy when their buffer is theirs alone (never a pooled Buffer's).
            const transfer = 'data' in ready && (ownsWholeBuffer(ready.data) || (ready.owned && ready.data.buffer.byteLength >= 64 * 1024)) ? [ready.data.buffer as ArrayBuffer] : [];
            slot.worker.postMessage(task, transfer);
          }),
      )
      .catch((e: Error) => {
        // The worker died with this object in hand: read it here instead, if its bytes are still ours.
        if ('file' in posted || !isDetached(posted.data)) return this.readLocally(posted);
        throw e;
      });
  }

  private onBatch(slot: Slot, m: { id: number; batch: EventBatch }): void {
    // Registered in arrival order, before anyone counts the batch.
    slot.registry.register(m.batch);
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    slot.inFlight--;
    this.waiting.shift()?.();
    const batch = m.batch;
    let released = false;
    const release = () => {
      if (released || !slot.alive) return;
      released = true;
      const buffers = transferables(batch);
      slot.worker.postMessage({ buffers } satisfies BuffersBack, buffers);
    };
    p?.resolve({ batch, registry: slot.registry, release });
  }

  private onDeath(slot: Slot, e: Error): void {
    if (!slot.alive) return;
    slot.alive = false;
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.reject(new Error(`usage worker failed: ${e.message}`));
    }
    for (const w of this.waiting.splice(0)) w();
  }

  private async readLocally(input: LogInput): Promise<ReadResult> {
    this.local ??= {
      proc: new EventProcessor({ contextKeys: this.opts.contextKeys, since: this.opts.since, until: this.opts.until, scope: this.opts.scope, lookup: this.opts.lookup }),
      registry: new SigRegistry(this.interner),
    };
    const { proc, registry } = this.local;
    const b = await readTask(proc, input, this.opts.maxWholeBytes);
    const batch = closeBatch(proc, b);
    registry.register(batch);
    return { batch, registry, release: () => {} };
  }
}

function isDetached(data: Uint8Array): boolean {
  return data.buffer.byteLength === 0 && data.byteLength === 0;
}
