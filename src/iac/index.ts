// Infrastructure as code: CloudFormation templates (JSON, YAML, cdk.out) and Terraform plan JSON, read into
// the same PolicyDocuments as raw policy files. Entry points for src/policies/extract.ts and src/run.ts.
import type { ChangeSet, ExtractedFile } from '../model.js';
import { parseLocatedJson } from '../policies/json-located.js';
import type { LNode } from '../policies/located.js';
import { extractCloudFormation, templateShape } from './cfn-extract.js';
import type { CfnSettings } from './cfn-resolve.js';
import { parseCfnYaml } from './cfn-yaml.js';
import { at, iacFinding } from './findings.js';
import { extractTerraformPlan, isTerraformPlan, type PlanSide } from './tf-plan.js';
import type { TfSourceIndex } from './tf-sources.js';

export { PSEUDO_PLACEHOLDERS } from './cfn-resolve.js';
export type { CfnSettings } from './cfn-resolve.js';
export { TfSourceIndex, type TfSourceFile } from './tf-sources.js';
export { IAC_RULES } from './findings.js';

export interface IacOptions {
  /** Account, region, partition and parameter values for templates (config `cloudformation`). */
  cloudformation?: CfnSettings;
  /** .tf declarations, to point plan findings at source lines. */
  terraformSources?: TfSourceIndex;
  /** Plans are often larger than policy files: their own size limit (default 64 MiB). */
  maxPlanBytes?: number;
}

export const DEFAULT_MAX_PLAN_BYTES = 64 * 1024 * 1024;

const YAML_NAME = /\.(ya?ml|template)$/i;
/** Text that says "I am a CloudFormation template" even when it cannot be parsed. */
const TEMPLATE_MARKERS = /AWSTemplateFormatVersion|^\s*Resources\s*:[\s\S]*\bType\s*:\s*['"]?AWS::|"Resources"\s*:\s*\{[\s\S]*"Type"\s*:\s*"AWS::/m;
const PLAN_MARKER = /^\s*\{\s*"format_version"\s*:/;

/**
 * YAML-named files: a CloudFormation template, or not ours (undefined lets the caller treat it as not a
 * policy). JSON files are left to the JSON path (see extractIacJson). Never throws.
 */
export function extractIacText(path: string, text: string, opts: { forcePolicy?: boolean; iac?: IacOptions }): ExtractedFile | undefined {
  if (!YAML_NAME.test(path)) return undefined;
  // JSON in a .yaml/.template file goes the JSON way; YAML flow style (`{Resources: {...}}`) also starts with `{`.
  if (text.trimStart().startsWith('{') && isJsonText(text)) return undefined;
  const parsed = parseCfnYaml(text, path);
  if (!parsed.root) {
    if (opts.forcePolicy || TEMPLATE_MARKERS.test(text.slice(0, 1 << 20))) return { path, status: 'error', format: 'cloudformation', documents: [], findings: parsed.findings };
    return undefined;
  }
  const shape = templateShape(parsed.root);
  if (shape.shape === 'not-cloudformation') {
    // A policy document written in YAML (a tool converts it for IAM): not read here, and never "not a policy".
    const statement = parsed.root.kind === 'object' ? parsed.root.entries.find((e) => e.key === 'Statement')?.value : undefined;
    if (statement && ((statement.kind === 'array' && statement.items.length > 0) || statement.kind === 'object')) {
      return { path, status: 'error', format: 'cloudformation', documents: [], findings: [iacFinding('unsupported-file', 'high', `${path}:1: a policy document in YAML is not analysed (IAM takes JSON: give the JSON a tool makes of it, or write it as JSON)`, at(path), 'yaml-policy')] };
    }
    if (!opts.forcePolicy && !parsed.usesCfnTags) return undefined;
    const why = parsed.usesCfnTags ? 'it uses CloudFormation tags (!Ref, !Sub ...) but has no Resources with a Type' : 'it has no AWSTemplateFormatVersion and no Resources with a Type';
    return { path, status: 'error', format: 'cloudformation', documents: [], findings: [iacFinding('parse-error', 'high', `${path}:1: not a CloudFormation template: ${why}`, at(path), 'not-cfn')] };
  }
  return extractCloudFormation(path, parsed.root, opts.iac?.cloudformation ?? {}, parsed.findings);
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A parsed JSON file that is a CloudFormation template or a Terraform plan; undefined for anything else. */
export function extractIacJson(path: string, text: string, root: LNode, opts: { side?: PlanSide; iac?: IacOptions }): ExtractedFile | undefined {
  if (isTerraformPlan(root)) return extractTerraformPlan(path, text, root, { side: opts.side ?? 'head', sources: opts.iac?.terraformSources });
  if (templateShape(root).shape !== 'not-cloudformation') return extractCloudFormation(path, root, opts.iac?.cloudformation ?? {});
  return undefined;
}

/** Whether the text of a too-large file is a template or plan (so its size is an error, not "not a policy"). */
export function looksLikeIac(text: string): boolean {
  return PLAN_MARKER.test(text) || TEMPLATE_MARKERS.test(text);
}

/**
 * Terraform plans whose size is over the policy-file limit but under the plan limit: parse them here so the
 * JSON path's limit does not apply. Undefined when the bytes are not a plan.
 */
export function extractLargePlan(path: string, text: string, opts: { side?: PlanSide; iac?: IacOptions }): ExtractedFile | undefined {
  if (!PLAN_MARKER.test(text.slice(0, 256))) return undefined;
  const parsed = parseLocatedJson(text, { file: path, maxDepth: 256 });
  if (!parsed.root) {
    return { path, status: 'error', format: 'terraform-plan', documents: [], findings: parsed.problems.map((p) => iacFinding('parse-error', 'high', `${path}:${p.loc.line}: ${p.message}`, p.loc, p.code)) };
  }
  return extractIacJson(path, text, parsed.root, opts);
}

/** Whether raw bytes (its first KiB) are Terraform plan JSON. */
export function isPlanBytes(bytes: Uint8Array | undefined): boolean {
  if (!bytes) return false;
  return PLAN_MARKER.test(new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 1024)));
}

/**
 * Adds plan files to a change set as base/head pairs: one plan holds both sides (before and after), so the
 * same bytes go on both sides and the extractor picks the side. A plan already in the change set is
 * replaced, and said so in the notes.
 */
export function withPlanFiles(changes: ChangeSet, plans: Array<{ path: string; bytes?: Uint8Array; error?: string }>): ChangeSet {
  const files = [...changes.files];
  const notes = [...changes.notes];
  for (const p of plans) {
    const i = files.findIndex((f) => f.path === p.path);
    if (i >= 0) {
      files.splice(i, 1);
      notes.push(`${p.path}: a changed plan file given with --plan; its before/after values are compared, not its two git versions`);
    }
    files.push(p.error ? { path: p.path, status: 'modified', error: p.error } : { path: p.path, status: 'modified', base: p.bytes, head: p.bytes });
  }
  // A plan committed in the repository is also its own pair: compare the head plan's before and after. Only a
  // real plan replacing nothing or a plan: a policy whose head merely starts with "format_version" must keep its
  // base version (else base would be compared with head's own bytes and any new grant hidden).
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    if (plans.some((p) => p.path === f.path) || !isPlanBytes(f.head) || f.base === f.head) continue;
    if ((f.base !== undefined && !isPlanBytes(f.base)) || !parsesAsPlan(f.head!)) continue;
    files[i] = { ...f, status: 'modified', base: f.head };
    notes.push(`${f.path}: a Terraform plan; its before/after values are compared, not its two git versions`);
  }
  return { ...changes, files, notes, ...(plans.length ? { plansGiven: plans.length } : {}) };
}

/** Whether bytes are JSON with a plan's shape (isTerraformPlan's test, on a plain parse). */
function parsesAsPlan(bytes: Uint8Array): boolean {
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown> | null;
    return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.format_version === 'string' && ('resource_changes' in v || 'planned_values' in v || 'terraform_version' in v);
  } catch {
    return false;
  }
}

/** Which side of a file to read, for inputs (plans) that carry both. */
export type { PlanSide };
