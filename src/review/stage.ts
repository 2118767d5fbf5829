// The waiver stage of the pipeline: the base config's waivers applied to the findings, and the
// change's own config (when the change edits it) read only to show which waivers it adds or widens.
// Pure: the config file's two versions come from the ChangeSet like any other file.
import { ConfigError, parseConfig } from '../config/load.js';
import type { GateConfig, Waiver } from '../config/types.js';
import type { ChangeSet, Finding } from '../model.js';
import type { WaiverStatus } from './types.js';
import { applyWaivers, type WaiverScope } from './waivers.js';

export const CONFIG_PATH = '.iam-policy-gate.yml';

export interface WaiverStageInput {
  changes: ChangeSet;
  config: GateConfig;
  findings: Finding[];
  scope: WaiverScope;
  now: Date;
}

/** How the config file is named to readers: repo-relative when it is the usual file. */
export function configDisplayPath(config: GateConfig): string {
  // "<file> (at <ref>)" names where a git-mode config was read from: fine in messages, not a path for locations.
  const source = config.source.replace(/\\/g, '/').replace(/ \(at [^()]*\)$/, '');
  return source === 'defaults' || source === CONFIG_PATH || source.endsWith(`/${CONFIG_PATH}`) ? CONFIG_PATH : source;
}

/** The change's version of the config: its waivers, or the reason it would not load. */
function headConfig(changes: ChangeSet): { waivers?: Waiver[]; problems?: string[] } {
  const file = changes.files.find((f) => f.path === CONFIG_PATH);
  if (!file) return {};
  if (!file.head) return { waivers: [] };
  try {
    return { waivers: parseConfig(Buffer.from(file.head).toString('utf8'), CONFIG_PATH).waivers };
  } catch (e) {
    if (e instanceof ConfigError) return { problems: e.problems };
    return { problems: [`${CONFIG_PATH}: ${(e as Error).message}`] };
  }
}

export function waiverStage(input: WaiverStageInput): { findings: Finding[]; waivers: WaiverStatus[] } {
  const head = headConfig(input.changes);
  const configFile = configDisplayPath(input.config);
  const result = applyWaivers({
    findings: input.findings,
    waivers: input.config.waivers,
    headWaivers: head.waivers,
    configFile,
    scope: input.scope,
    now: input.now,
    warnDays: input.config.waiverExpiry.warnDays,
  });
  if (head.problems?.length) {
    const first = /:(\d+):\d+:/.exec(head.problems[0]);
    result.findings.push({
      ruleId: 'config-invalid',
      severity: 'high',
      message: `The change's ${CONFIG_PATH} would not load after merge: ${head.problems.slice(0, 5).join('; ')}`,
      location: { file: CONFIG_PATH, line: first ? Number(first[1]) : 1, column: 1 },
      evidence: { problems: head.problems.slice(0, 20) },
      identity: `config-invalid|${CONFIG_PATH}|${head.problems.join('|')}`,
      origin: 'local',
    });
  }
  return result;
}
