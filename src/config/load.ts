import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import { waiverProblems } from '../review/validate.js';
import { ruleKeyProblem } from '../verdict/rules.js';
import { CONFIG_SCHEMA } from './schema.js';
import { globWithPlaceholders } from './subjects.js';
import { defaultConfig, type GateConfig, type NeverGrant, type Waiver } from './types.js';

/** A configuration problem: the run stops with exit code 2. Each message names the file and line. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(CONFIG_SCHEMA);
  return validator(value) ? [] : (validator.errors ?? []);
}

/** Parses and validates the text of `.iam-policy-gate.yml`. Throws ConfigError with located messages. */
/** Configs are a few kilobytes; a huge one is refused before YAML and schema errors pile up. */
const MAX_CONFIG_CHARS = 1024 * 1024;

export function parseConfig(text: string, file: string): GateConfig {
  if (text.length > MAX_CONFIG_CHARS) throw new ConfigError([`${file}:1:1: the config is ${text.length} characters, over the limit of ${MAX_CONFIG_CHARS}`]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  const syntax = [...doc.errors, ...doc.warnings].map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
  if (doc.errors.length) throw new ConfigError(syntax);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (e) {
    // An alias to no anchor, or too many aliases (a "billion laughs"): yaml throws rather than reports.
    throw new ConfigError([`${file}:1:1: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`]);
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([`${file}:1:1: the config must be a mapping of settings, got ${Array.isArray(value) ? 'a list' : typeof value}`]);
  }
  const errors = validate(value);
  if (errors.length) {
    const seen = new Set<string>();
    const messages: string[] = [];
    for (const err of errors) {
      // oneOf/anyOf produce a cascade; keep the most specific message per path.
      if (err.keyword === 'oneOf' || err.keyword === 'anyOf' || err.keyword === 'if') continue;
      // An unknown setting is shown where its key is, not where the mapping holding it starts.
      const unknownKey = err.keyword === 'additionalProperties' ? (err.params as { additionalProperty: string }).additionalProperty : undefined;
      const node = unknownKey !== undefined ? keyNodeAt(doc.contents as YamlNode | null, err.instancePath, unknownKey) : nodeAt(doc.contents as YamlNode | null, err.instancePath);
      const where = at(node?.range?.[0]);
      const path = err.instancePath || '(top level)';
      const detail =
        unknownKey !== undefined
          ? `unknown setting "${unknownKey}"`
          : err.keyword === 'enum'
            ? `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
            : err.message ?? 'is invalid';
      const line = `${where}: ${path} ${detail}`;
      if (!seen.has(line)) messages.push(line), seen.add(line);
    }
    if (messages.length === 0) messages.push(`${at(0)}: ${errors[0].instancePath} ${errors[0].message}`);
    throw new ConfigError(messages);
  }
  const lineOf = (pointer: string) => {
    const node = nodeAt(doc.contents as YamlNode | null, pointer);
    return node?.range ? lineCounter.linePos(node.range[0]).line : 1;
  };
  const config = toConfig(value as Record<string, any>, file, lineOf);
  const problems = semanticProblems(config).map(({ pointer, message }) => `${file}:${lineOf(pointer)}:1: ${pointer} ${message}`);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** What the schema cannot say: globs that do not compile, dates that do not exist. */
function semanticProblems(c: GateConfig): Array<{ pointer: string; message: string }> {
  const out: Array<{ pointer: string; message: string }> = [];
  const glob = (pointer: string, g: string) => {
    try {
      globWithPlaceholders(g);
    } catch (e) {
      out.push({ pointer, message: `is not a usable glob: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
  c.subjects.forEach((s, i) => glob(`/subjects/${i}/files`, s.files));
  c.policyFiles.include.forEach((g, i) => glob(`/policy-files/include/${i}`, g));
  // The defaults come first in the list; the config's own entries follow them.
  const builtIn = defaultConfig().policyFiles.exclude.length;
  c.policyFiles.exclude.slice(builtIn).forEach((g, i) => glob(`/policy-files/exclude/${i}`, g));
  for (const key of Object.keys(c.rules)) {
    const problem = ruleKeyProblem(key);
    if (problem) out.push({ pointer: `/rules/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: problem });
  }
  for (const [key, value] of [['since', c.cloudtrail.since], ['until', c.cloudtrail.until]] as const) {
    const problem = value === undefined ? undefined : windowBoundProblem(value, key === 'since');
    if (problem) out.push({ pointer: `/cloudtrail/${key}`, message: problem });
  }
  return out;
}

/**
 * Why a CloudTrail window bound is unusable (undefined: it is fine): a date (`2026-08-01`, or a full ISO time)
 * that exists, or for a start also a number of days back (`90d`). Shared by the config, --since and the action.
 */
export function windowBoundProblem(value: string, allowDays: boolean): string | undefined {
  if (allowDays && /^\d{1,4}d$/.test(value)) return undefined;
  const day = /^(\d{4})-(\d{2})-(\d{2})(?:T[0-9:.]+Z)?$/.exec(value);
  const date = new Date(value);
  if (!day || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day.slice(1).join('-')) {
    return `${JSON.stringify(value)} is not a real date (YYYY-MM-DD)${allowDays ? ' or a number of days (90d)' : ''}`;
  }
  return undefined;
}

/** The key node `key` of the mapping at `pointer` (else the mapping). */
function keyNodeAt(root: YamlNode | null, pointer: string, key: string): YamlNode | undefined {
  const map = pointer === '' ? root : nodeAt(root, pointer);
  const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) : undefined;
  return (pair?.key as YamlNode | undefined) ?? map ?? undefined;
}

function nodeAt(root: YamlNode | null, pointer: string): YamlNode | undefined {
  let node: YamlNode | null | undefined = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (isMap(node)) {
      const pair: { key: unknown; value: unknown } | undefined = node.items.find((p) => isScalar(p.key) && String(p.key.value) === part);
      node = (pair?.value as YamlNode | undefined) ?? (pair?.key as YamlNode | undefined);
    } else if (isSeq(node)) {
      node = node.items[Number(part)] as YamlNode | undefined;
    } else break;
  }
  return node ?? undefined;
}

function toConfig(v: Record<string, any>, file: string, lineOf: (pointer: string) => number): GateConfig {
  const c = defaultConfig();
  c.source = file;
  if (v['policy-files']) {
    c.policyFiles.include = v['policy-files'].include ?? [];
    c.policyFiles.exclude = [...c.policyFiles.exclude, ...(v['policy-files'].exclude ?? [])];
  }
  c.subjects = v.subjects ?? [];
  c.rules = v.rules ?? {};
  const ng = v['never-grant'];
  c.neverGrant = (ng === undefined ? [] : Array.isArray(ng) ? ng : [ng]).map(
    (n: Partial<NeverGrant>): NeverGrant => ({ actions: n.actions ?? [], resources: n.resources ?? [], subjects: n.subjects }),
  );
  c.trustedAccounts = v['trusted-accounts'] ?? [];
  if (v.cloudtrail) {
    c.cloudtrail.since = v.cloudtrail.since ?? c.cloudtrail.since;
    c.cloudtrail.until = v.cloudtrail.until;
    c.cloudtrail.scope = v.cloudtrail.scope ?? c.cloudtrail.scope;
    c.cloudtrail.sources = v.cloudtrail.sources ?? [];
  }
  if (v.limits) {
    c.limits.maxFileBytes = v.limits['max-file-bytes'] ?? c.limits.maxFileBytes;
    c.limits.maxChangedFiles = v.limits['max-changed-files'] ?? c.limits.maxChangedFiles;
  }
  if (v.context) c.context = { scps: v.context.scps ?? [], rcps: v.context.rcps ?? [], boundaries: v.context.boundaries ?? [] };
  c.waivers = (v.waivers ?? []).map(
    (w: Record<string, any>, i: number): Waiver & { line: number } => ({
      rule: w.rule,
      files: w.files,
      subject: w.subject,
      actions: w.actions,
      resources: w.resources,
      principals: w.principals,
      fingerprint: w.fingerprint,
      reason: w.reason,
      expires: w.expires,
      approvedBy: w['approved-by'],
      'allow-wildcard': w['allow-wildcard'],
      line: lineOf(`/waivers/${i}`),
    }),
  );
  if (v['waiver-expiry']) c.waiverExpiry = { warnDays: v['waiver-expiry']['warn-days'] ?? c.waiverExpiry.warnDays };
  const problems = c.waivers.flatMap((w) => waiverProblems(w).map((p) => `${file}:${w.line}:1: waiver of ${w.rule} ${p}`));
  if (problems.length) throw new ConfigError(problems);
  c.approvals = v.approvals ?? {};
  if (v['access-analyzer']) {
    const a = v['access-analyzer'];
    c.accessAnalyzer = { enabled: a.enabled ?? 'auto', region: a.region, unusedAccessAnalyzer: a['unused-access-analyzer'] };
  }
  if (v.cloudformation) c.cloudformation = { ...v.cloudformation, parameters: v.cloudformation.parameters ?? {} };
  if (v['least-privilege']) c.leastPrivilege = { allow: v['least-privilege'].allow ?? [], exclude: v['least-privilege'].exclude ?? [] };
  return c;
}
