// The bad-input corpus: fixtures/bad-inputs/manifest.json lists every input, how it reaches the tool
// and which outcome is acceptable. Inputs too big or too binary to commit are made by generators.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from './generators.js';

export const CORPUS_DIR = path.resolve(process.cwd(), 'fixtures/bad-inputs');

export type InputFormat =
  | 'policy-json'
  | 'config-yaml'
  | 'cfn-json'
  | 'cfn-yaml'
  | 'tf-plan'
  | 'cloudtrail-file'
  | 'cloudtrail-record'
  | 'event-payload'
  | 'aa-response'
  | 'github-response';

/**
 * How the input reaches the tool:
 * - head-file: a new file at `as` in the head directory of an otherwise passing change;
 * - modified-file: `as` holds a valid policy on base and the input on head;
 * - base-file: `as` holds the input on base and a valid policy on head;
 * - symlink: `as` on head is a symlink (see `symlink`), the input being its target where one is needed;
 * - config: the base side's .iam-policy-gate.yml (the config that judges the change);
 * - cloudtrail: a --cloudtrail file (name `as`), or a folder holding it and a `symlink`;
 * - plan: a --plan file (terraform show -json);
 * - event: a GitHub event payload for refsFromEvent, event name `as`;
 * - aa-response: the body IAM Access Analyzer answers with (see `reply`), through the local AWS fake;
 * - github-response: the body GitHub answers with (see `reply`), through the fake GitHub and the bundled action.
 */
export type RunKind = 'head-file' | 'modified-file' | 'base-file' | 'symlink' | 'config' | 'cloudtrail' | 'plan' | 'event' | 'aa-response' | 'github-response';

/**
 * error-finding: the verdict is not pass and a finding (or the log) names the input;
 * usage-error: exit code 2 with a message naming the input;
 * check-not-run: the check that read the input says "not run", and the verdict is not pass;
 * legitimately-skipped: not ours to judge (not a policy, an empty log); a pass is right.
 */
export type Expectation = 'error-finding' | 'usage-error' | 'check-not-run' | 'legitimately-skipped';

export interface Reply {
  /** The operation answered with the input (Access Analyzer operation or GitHub operationId). */
  op: string;
  status?: number;
  /** restJson1 error type (Access Analyzer). */
  errorType?: string;
  /** Answer this many times with the input before answering normally (default: always). */
  times?: number;
  /** 'reset': close the connection; 'stall': never answer. */
  fault?: 'reset' | 'stall';
  headers?: Record<string, string>;
  /** Let the real (fake) service act on the request, then answer with the input instead of its answer. */
  forward?: boolean;
}

export interface CorpusEntry {
  id: string;
  format: InputFormat;
  /** The input's file under fixtures/bad-inputs, or a generator name (generated at run time). */
  file?: string;
  generate?: string;
  run: RunKind;
  /** Path of the input inside the change, the log file's name, or the event name. */
  as?: string;
  expect: Expectation;
  /** Base config (YAML) for the run, when the input needs one (e.g. a file forced as a policy). */
  config?: string;
  symlink?: 'outside' | 'dangling' | 'loop' | 'inside' | 'dir-outside';
  reply?: Reply;
  note: string;
  /** A bug found by this input and left to its owner: "[area] file: what goes wrong". */
  knownIssue?: string;
}

export function loadManifest(): CorpusEntry[] {
  const raw = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'manifest.json'), 'utf8')) as { inputs: CorpusEntry[] };
  return raw.inputs;
}

/** The input's bytes: the committed file, or the generator's output. */
export function inputBytes(entry: CorpusEntry): Uint8Array {
  if (entry.generate) return generate(entry.generate);
  if (entry.file) return new Uint8Array(readFileSync(path.join(CORPUS_DIR, entry.file)));
  return new Uint8Array();
}
