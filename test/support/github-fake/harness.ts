// Runs the bundled action (dist/index.js) as the runner would: a real event payload file, the
// GITHUB_* and INPUT_* environment, a workspace that is a real git repository, and files for the
// step summary and outputs. Nothing is built here.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = process.cwd();
export const DIST = path.join(ROOT, 'dist/index.js');
export const FIXTURES = path.join(ROOT, 'fixtures/github');

function git(dir: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Newest modification time of any file under `dir`. */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** A git repository whose history is: one commit per tree, each replacing the whole tree. */
export class TempRepo {
  readonly dir: string;
  readonly commits: string[] = [];

  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), 'ipg-e2e-'));
    git(this.dir, 'init', '-q', '-b', 'main');
    git(this.dir, 'config', 'user.email', 'ci@example.test');
    git(this.dir, 'config', 'user.name', 'CI');
    git(this.dir, 'config', 'commit.gpgsign', 'false');
  }

  /** Commits `files` (path → text, or a directory to copy) as the whole tree; returns the sha. */
  commit(message: string, files: Record<string, string> | { copyFrom: string }): string {
    for (const entry of readdirSync(this.dir)) if (entry !== '.git') rmSync(path.join(this.dir, entry), { recursive: true, force: true });
    if ('copyFrom' in files) cpSync(files.copyFrom as string, this.dir, { recursive: true });
    else
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
        writeFileSync(path.join(this.dir, file), text);
      }
    git(this.dir, 'add', '-A');
    git(this.dir, 'commit', '-q', '--allow-empty', '-m', message);
    const sha = git(this.dir, 'rev-parse', 'HEAD');
    this.commits.push(sha);
    return sha;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An event payload fixture with BASE_SHA / HEAD_SHA filled in, edited by `edit`. */
export function eventPayload(name: string, shas: { base: string; head: string }, edit?: (p: any) => void): any {
  const text = readFileSync(path.join(FIXTURES, name), 'utf8').replace(/BASE_SHA/g, shas.base).replace(/HEAD_SHA/g, shas.head);
  const payload = JSON.parse(text);
  edit?.(payload);
  return payload;
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Workflow commands by kind (::error, ::warning, ::notice) with their text. */
  commands: Array<{ kind: string; props: string; message: string }>;
}

/** Parses the GITHUB_OUTPUT file (`name<<delimiter` blocks, as @actions/core writes them). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
      out[m[1]] = value.join('\n');
    } else if (/^[^=]+=/.test(lines[i])) {
      const at = lines[i].indexOf('=');
      out[lines[i].slice(0, at)] = lines[i].slice(at + 1);
    }
  }
  return out;
}

export interface RunOptions {
  repo: TempRepo;
  apiUrl: string;
  token: string;
  eventName: string;
  payload: unknown;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const DEFAULT_INPUTS: Record<string, string> = {
  comment: 'true',
  'upload-sarif': 'false',
  annotations: 'true',
  'fail-on-error': 'true',
  'output-dir': 'iam-policy-gate-report',
};

export async function runAction(opts: RunOptions): Promise<ActionRun> {
  const runner = mkdtempSync(path.join(tmpdir(), 'ipg-runner-'));
  const eventPath = path.join(runner, 'event.json');
  const summaryPath = path.join(runner, 'step_summary.md');
  const outputPath = path.join(runner, 'output.txt');
  writeFileSync(eventPath, JSON.stringify(opts.payload));
  writeFileSync(summaryPath, '');
  writeFileSync(outputPath, '');
  const inputs = { 'github-token': opts.token, ...DEFAULT_INPUTS, ...(opts.inputs ?? {}) };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: runner,
    GIT_CONFIG_NOSYSTEM: '1',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: opts.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_GRAPHQL_URL: `${opts.apiUrl}/graphql`,
    GITHUB_REPOSITORY: 'acme/infra',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_EVENT_NAME: opts.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: opts.repo.dir,
    GITHUB_SHA: opts.repo.commits.at(-1) ?? '',
    GITHUB_REF: opts.eventName.startsWith('pull_request') ? 'refs/pull/42/merge' : 'refs/heads/main',
    GITHUB_WORKFLOW: 'IAM gate',
    GITHUB_JOB: 'gate',
    GITHUB_ACTION: '__self',
    GITHUB_RUN_ID: '9876543210',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'dev-alice',
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STATE: path.join(runner, 'state.txt'),
    GITHUB_ENV: path.join(runner, 'env.txt'),
    GITHUB_PATH: path.join(runner, 'path.txt'),
    RUNNER_TEMP: runner,
    RUNNER_OS: 'Linux',
    ...(opts.env ?? {}),
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;

  const child = spawn(process.execPath, [entry], { cwd: opts.repo.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  const commands = [...stdout.matchAll(/^::(error|warning|notice)( [^:]*)?::(.*)$/gm)].map((m) => ({ kind: m[1], props: m[2] ?? '', message: m[3] }));
  const result: ActionRun = {
    code,
    stdout,
    stderr,
    outputs: parseOutputs(readFileSync(outputPath, 'utf8')),
    summary: readFileSync(summaryPath, 'utf8'),
    commands,
  };
  rmSync(runner, { recursive: true, force: true });
  return result;
}

export function distIsStale(): boolean {
  return !existsSync(DIST) || statSync(DIST).mtimeMs < newestMtime(path.join(ROOT, 'src'));
}

let entry = DIST;

/**
 * The bundle the tests run: dist/index.js when it is newer than src/ (CI runs `npm run package`
 * first); otherwise a private build in a temp folder, so a test run never races another build of dist/.
 */
export function prepareBundle(): string {
  if (!distIsStale()) return (entry = DIST);
  const out = mkdtempSync(path.join(tmpdir(), 'ipg-bundle-'));
  const ncc = path.join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js');
  const r = spawnSync(process.execPath, [ncc, 'build', 'src/main.ts', '-o', out, '--target', 'es2022', '--transpile-only', '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`bundling src/main.ts failed:\n${r.stdout}\n${r.stderr}`);
  return (entry = path.join(out, 'index.js'));
}

/** Removes a private build made by prepareBundle. */
export function disposeBundle(): void {
  if (entry !== DIST) rmSync(path.dirname(entry), { recursive: true, force: true });
  entry = DIST;
}
