// The code a usage worker thread runs. A worker is started from the same file as the main thread: the ncc bundle
// (dist/cli.js, dist/index.js), whose entries call maybeRunUsageWorker() first and stop there when it returns
// true; or this module compiled by tsc (bench, tests), where the call at the bottom starts the loop.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { BatchBuffers, BatchBuilder, EventProcessor, transferables, type EventBatch, type ProcessorOptions } from './event-batch.js';
import { readLogFile, readLogObject } from './log-object.js';
import { catalogActionIds } from '../catalog/catalog.js';

export const USAGE_WORKER_FLAG = '__iamPolicyGateUsageWorker';

/**
 * A local file, or an object's bytes (`gz`: gzip-compressed; `compressedBytes`: its size as stored, when the main
 * thread gunzipped it; `owned`: its ArrayBuffer was made for it alone and may be handed to a worker without a copy).
 */
export type LogInput = { name: string; file: string } | { name: string; data: Uint8Array; gz: boolean; compressedBytes?: number; owned?: boolean };
/** What a worker is sent. */
export type LogTask = LogInput & { id: number };

export interface WorkerInit {
  [USAGE_WORKER_FLAG]: true;
  options: Omit<ProcessorOptions, 'lookup'>;
  maxWholeBytes?: number;
}

/** An action lookup over a list of ids, case-insensitive like the catalogue's. */
export function idLookup(ids: string[]): (id: string) => { id: string } | undefined {
  const byLower = new Map(ids.map((id) => [id.toLowerCase(), { id }]));
  return (id) => (typeof id === 'string' ? byLower.get(id.toLowerCase()) : undefined);
}

/** Reads one task into a builder with `proc`. Shared by the worker loop and the in-process fallback. */
export async function readTask(proc: EventProcessor, task: LogInput, maxWholeBytes?: number): Promise<BatchBuilder> {
  const b = new BatchBuilder(task.name);
  try {
    if ('file' in task) await readLogFile(proc, b, task.file, maxWholeBytes);
    else await readLogObject(proc, b, task.data, task.gz, maxWholeBytes, undefined, task.compressedBytes);
  } catch (e) {
    // Reading code must never kill the worker: the object is reported, the rest goes on.
    b.problem(`cannot read (${(e as Error).message})`);
  }
  return b;
}

/**
 * Closes a batch with the signatures defined since the previous one. Call synchronously before handing the batch
 * on: batches must reach their registry in the order they were closed.
 */
export function closeBatch(proc: EventProcessor, b: BatchBuilder, spare?: BatchBuffers): EventBatch {
  const { newSigs, firstSig } = proc.takeNewSigs();
  return b.finish(newSigs, firstSig, spare);
}

/** The main thread giving a counted batch's buffers back (see BatchBuffers). */
export interface BuffersBack {
  buffers: ArrayBuffer[];
}

let started = false;
let entryDispatches = false;

/**
 * For the process entries (src/cli-entry.ts, src/main.ts), first thing: true in a usage worker thread (its loop is
 * running; the entry must do nothing else), false in the main thread. Calling it also tells the pool that this
 * bundle can be started as a worker; without that call the pool reads in-process.
 */
export function maybeRunUsageWorker(): boolean {
  if (startIfWorker()) return true;
  entryDispatches = true;
  return false;
}

/** True once an entry has called maybeRunUsageWorker() in the main thread. */
export function bundleCanStartWorkers(): boolean {
  return entryDispatches;
}

function startIfWorker(): boolean {
  if (isMainThread || !parentPort || !(workerData as Partial<WorkerInit> | null)?.[USAGE_WORKER_FLAG]) return false;
  if (started) return true;
  started = true;
  const init = workerData as WorkerInit;
  // A worker maps against the catalogue's action ids alone (catalogActionIds: ~15 ms, while the main thread lists
  // and reads the first objects), never the whole decoded catalogue (~70 ms and ~40 MB a thread).
  const p = new EventProcessor({ ...init.options, lookup: idLookup(catalogActionIds()) });
  const port = parentPort;
  const spare = new BatchBuffers();
  port.on('message', (m: LogTask | BuffersBack) => {
    if ('buffers' in m) {
      spare.give(m.buffers);
      return;
    }
    const task = m;
    void readTask(p, task, init.maxWholeBytes).then((b) => {
      const batch = closeBatch(p, b, spare);
      port.postMessage({ id: task.id, batch }, transferables(batch));
    });
  });
  return true;
}

// Compiled by tsc and started as the worker script itself: run the loop.
startIfWorker();
