// I/O adapter for [iac]: read the plan files given on the command line (or action input) and the .tf sources
// that plan locations point into. Everything else in src/iac is pure.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ChangeSet } from '../model.js';
import { UsageError } from '../changes/errors.js';
import { DEFAULT_MAX_PLAN_BYTES, isPlanBytes, withPlanFiles, type IacOptions } from './index.js';
import { TfSourceIndex, type TfSourceFile } from './tf-sources.js';

export interface PlanInputLimits {
  maxPlanBytes?: number;
  /** Bounds on the .tf scan. */
  maxTfFiles?: number;
  maxTfBytes?: number;
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '.terraform', 'cdk.out', '.venv']);

/**
 * Adds `plans` to the change set (same bytes on both sides) and indexes the .tf files under `sourceRoot`
 * (paths relative to it, like the change set's) and under each plan's folder (paths relative to the
 * working directory, like the plan's own path).
 */
export async function withPlanInputs(changes: ChangeSet, plans: string[], sourceRoot: string, limits: PlanInputLimits = {}): Promise<{ changes: ChangeSet; iac: IacOptions }> {
  const maxPlanBytes = limits.maxPlanBytes ?? DEFAULT_MAX_PLAN_BYTES;
  const read: Array<{ path: string; bytes?: Uint8Array; error?: string }> = [];
  for (const p of plans) {
    const rel = toPosix(path.isAbsolute(p) ? path.relative(process.cwd(), p) : path.normalize(p));
    let st;
    try {
      st = await fsp.stat(p);
    } catch {
      throw new UsageError(`--plan ${p}: the plan file cannot be read`);
    }
    if (!st.isFile()) throw new UsageError(`--plan ${p}: not a file`);
    if (st.size > maxPlanBytes) read.push({ path: rel, error: `the plan is ${st.size} bytes, over the limit of ${maxPlanBytes}` });
    else {
      const bytes = new Uint8Array(await fsp.readFile(p));
      // A binary plan (terraform plan -out) or any other file would otherwise be "not a policy" and ignored.
      if (!isPlanBytes(bytes)) throw new UsageError(`--plan ${p}: not Terraform plan JSON (make it with: terraform show -json <planfile> > plan.json)`);
      read.push({ path: rel, bytes });
    }
  }
  const hasPlan = plans.length > 0 || changes.files.some((f) => /\.json$/i.test(f.path));
  const sources = hasPlan ? await scanTf(sourceRoot, limits) : [];
  for (const p of read) {
    const dir = path.posix.dirname(p.path);
    if (p.error || dir.startsWith('..')) continue;
    const seen = new Set(sources.map((f) => f.path));
    for (const f of await scanTf(dir, limits)) {
      const full = dir === '.' ? f.path : `${dir}/${f.path}`;
      if (!seen.has(full)) sources.push({ path: full, text: f.text });
    }
  }
  const iac: IacOptions = { maxPlanBytes };
  if (sources.length) iac.terraformSources = new TfSourceIndex(sources);
  return { changes: plans.length ? withPlanFiles(changes, read) : withPlanFiles(changes, []), iac };
}

/** .tf files under root (bounded), with repository-relative paths. */
export async function scanTf(root: string, limits: PlanInputLimits = {}): Promise<TfSourceFile[]> {
  const maxFiles = limits.maxTfFiles ?? 5000;
  let budget = limits.maxTfBytes ?? 64 * 1024 * 1024;
  const out: TfSourceFile[] = [];
  const queue = [''];
  let visited = 0;
  while (queue.length && out.length < maxFiles && visited++ < 50_000) {
    const rel = queue.shift()!;
    let entries;
    try {
      entries = await fsp.readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) queue.push(child);
      else if (e.isFile() && e.name.endsWith('.tf')) {
        try {
          const st = await fsp.stat(path.join(root, child));
          if (st.size > 1024 * 1024 || st.size > budget) continue;
          budget -= st.size;
          out.push({ path: child, text: await fsp.readFile(path.join(root, child), 'utf8') });
        } catch {
          /* unreadable: no location from it */
        }
      }
    }
  }
  return out;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
