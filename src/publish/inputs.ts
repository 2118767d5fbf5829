// The action's inputs (action.yml documents each), read once and checked.
import { UsageError } from '../changes/errors.js';

export interface ActionInputs {
  token: string;
  config?: string;
  cloudtrail: string[];
  since?: string;
  outputDir: string;
  comment: boolean;
  commentKey?: string;
  uploadSarif: boolean;
  sarifCategory?: string;
  waitForProcessing: boolean;
  annotations: boolean;
  approvalLabel?: string;
  failOnError: boolean;
  base?: string;
  head?: string;
  /** Terraform plan JSON files (`terraform show -json`). */
  plans: string[];
  /** Never ask AWS (Access Analyzer). */
  offline: boolean;
  awsRegion?: string;
  /** Accounts and regions for s3:// and lookup-events CloudTrail sources that name none. */
  cloudtrailAccounts: string[];
  cloudtrailRegions: string[];
  /** Threads that parse CloudTrail log objects (default: one per core, up to 4; 0: none). */
  workers?: number;
}

const TRUE = new Set(['true', 'True', 'TRUE', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'False', 'FALSE', 'no', 'off', '0']);

function bool(get: (name: string) => string, name: string, fallback: boolean): boolean {
  const raw = get(name).trim();
  if (raw === '') return fallback;
  if (TRUE.has(raw)) return true;
  if (FALSE.has(raw)) return false;
  throw new UsageError(`Input '${name}' must be true or false, got ${JSON.stringify(raw.slice(0, 40))}.`);
}

function list(get: (name: string) => string, name: string): string[] {
  return get(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `get` returns an input's trimmed text, '' when unset (core.getInput). */
export function readInputs(get: (name: string) => string): ActionInputs {
  const opt = (name: string) => get(name).trim() || undefined;
  const category = opt('sarif-category');
  if (category && !/^[\w.\-/:]{1,200}$/.test(category)) throw new UsageError(`Input 'sarif-category' may hold letters, digits and . - _ / : only.`);
  const key = opt('comment-key');
  return {
    token: get('github-token').trim(),
    config: opt('config'),
    cloudtrail: list(get, 'cloudtrail'),
    since: opt('since'),
    outputDir: opt('output-dir') ?? 'iam-policy-gate-report',
    comment: bool(get, 'comment', true),
    commentKey: key ? key.slice(0, 100) : undefined,
    uploadSarif: bool(get, 'upload-sarif', false),
    sarifCategory: category,
    waitForProcessing: bool(get, 'wait-for-processing', true),
    annotations: bool(get, 'annotations', true),
    approvalLabel: opt('approval-label'),
    failOnError: bool(get, 'fail-on-error', true),
    base: opt('base'),
    head: opt('head'),
    plans: list(get, 'plan'),
    offline: bool(get, 'offline', false),
    awsRegion: opt('aws-region'),
    cloudtrailAccounts: list(get, 'cloudtrail-accounts'),
    cloudtrailRegions: list(get, 'cloudtrail-regions'),
    workers: workersOf(opt('workers')),
  };
}

function workersOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new UsageError(`Input 'workers' must be a whole number from 0 to 64, got ${JSON.stringify(raw.slice(0, 20))}.`);
  return n;
}
