// The Access Analyzer stage as run.ts calls it: decide whether to ask AWS, plan, ask, and collect the
// answers for the pure pipeline to merge. Never throws: whatever goes wrong becomes a "not run" outcome.
import { AccessAnalyzerClient } from '@aws-sdk/client-accessanalyzer';
import type { GateConfig } from '../config/types.js';
import type { ChangeSet, UsageSummary } from '../model.js';
import { extractChanges, groupBySubject } from '../pipeline.js';
import { decodeText } from '../policies/json-located.js';
import { collectAnswers } from './answers.js';
import { runAccessAnalyzer, type AnalyzerClientLike, type RunOptions } from './client.js';
import { analyzerMode, type Env } from './credentials.js';
import { generatePolicy, type GenerationSettings } from './generation.js';
import { planAnalyzerCalls, type PlanSources } from './plan.js';
import type { AnalyzerOutcome } from './types.js';

export interface StageInput {
  changes: ChangeSet;
  config: GateConfig;
  usage?: UsageSummary;
  /** --offline: local checks only. */
  offline?: boolean;
  /** --aws-region (wins over the config and the environment). */
  region?: string;
  env?: Env;
  /** A client to use instead of a new AccessAnalyzerClient (tests, or a caller with its own credentials). */
  client?: AnalyzerClientLike;
  run?: RunOptions;
  /** Optional AWS policy generation for the changed roles and users (a trail and an access role). */
  generation?: GenerationSettings;
  log?: (line: string) => void;
}

const empty = (status: AnalyzerOutcome['status'], detail: string, errors: AnalyzerOutcome['errors'] = []): AnalyzerOutcome => ({
  status,
  detail,
  bySubject: {},
  errors,
  callsMade: 0,
  deduplicated: 0,
});

export function newAnalyzerClient(region: string): AccessAnalyzerClient {
  // Adaptive retries slow down on throttling instead of failing; the per-call time-out bounds the wait.
  return new AccessAnalyzerClient({ region, retryMode: 'adaptive', maxAttempts: 5 });
}

function sourcesOf(changes: ChangeSet): PlanSources {
  const text = new Map<string, string | undefined>();
  const renamed = new Map<string, string>();
  for (const f of changes.files) if (f.basePath && f.basePath !== f.path) renamed.set(f.path, f.basePath);
  const read = (side: 'base' | 'head', path: string): string | undefined => {
    const key = `${side}\u0000${path}`;
    if (!text.has(key)) {
      const file = changes.files.find((f) => (side === 'base' ? (f.basePath ?? f.path) : f.path) === path);
      const bytes = file?.[side];
      text.set(key, bytes ? decodeText(bytes, path).text : undefined);
    }
    return text.get(key);
  };
  return { text: read, renamed };
}

export async function accessAnalyzerStage(input: StageInput): Promise<AnalyzerOutcome> {
  const log = input.log ?? (() => {});
  const mode = analyzerMode(input.config, { offline: input.offline, region: input.region, env: input.env ?? process.env });
  if (!mode.run) {
    log(`notice: Access Analyzer ${mode.status === 'skipped' ? 'skipped' : 'not run'}: ${mode.reason}`);
    return empty(mode.status, mode.reason, mode.status === 'not-run' ? [{ kind: 'credentials', message: mode.reason }] : []);
  }
  try {
    const { policyFiles } = extractChanges(input.changes, input.config);
    const changed = groupBySubject(policyFiles, input.config).filter((s) => s.subject.id && policyFiles.some((f) => f.status !== 'unchanged' && s.files.includes(f.path)));
    const plan = planAnalyzerCalls(changed, input.config, sourcesOf(input.changes));
    for (const note of plan.notes) log(`notice: Access Analyzer: ${note}`);
    if (plan.calls.size === 0 && !plan.unusedAccess && !input.generation) return empty('ran', 'no changed policy to ask about');
    const client = input.client ?? newAnalyzerClient(mode.region);
    const run = await runAccessAnalyzer(plan, client, input.run);
    const outcome = collectAnswers(plan, run, input.usage);
    if (input.generation) {
      for (const s of changed.filter((x) => (x.subject.type === 'role' || x.subject.type === 'user') && x.subject.arn)) {
        const answer = await generatePolicy(client, s.subject.id, s.subject.arn!, input.generation);
        (outcome.bySubject[s.subject.id] ??= []).push(answer);
        outcome.callsMade += answer.calls ?? 1;
      }
    }
    log(`Access Analyzer (${mode.region}, credentials from ${mode.source}): ${outcome.detail}`);
    return outcome;
  } catch (e) {
    const message = `the Access Analyzer stage failed: ${e instanceof Error ? e.message : String(e)}`;
    log(`warning: ${message}`);
    return empty('not-run', message, [{ kind: 'other', message }]);
  }
}
