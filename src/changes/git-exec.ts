import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

export interface GitRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitRunOptions {
  /** Written to git's stdin. */
  input?: Buffer | string;
  /** Cap on stdout (and stderr) bytes; git is killed and an error thrown beyond it. */
  maxBytes?: number;
  timeoutMs?: number;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;

/** Environment variables that would redirect git away from `repoDir` (e.g. when run from a hook). */
const REDIRECTING_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_PREFIX',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
];

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', GIT_PAGER: 'cat' };
  for (const name of REDIRECTING_ENV) delete env[name];
  return env;
}

function safeDirectory(repoDir: string): string {
  try {
    return realpathSync(repoDir);
  } catch {
    return path.resolve(repoDir);
  }
}

/**
 * Global options for every call: unquoted paths, the workspace trusted despite a foreign owner
 * (containers run as another uid than the checkout), and nothing that could run a program
 * configured in the repository.
 */
function globalArgs(repoDir: string): string[] {
  return [
    '-c', 'core.quotepath=false',
    '-c', `safe.directory=${safeDirectory(repoDir)}`,
    '-c', 'core.fsmonitor=false',
    '-c', 'core.hooksPath=/dev/null',
    '--no-pager',
  ];
}

/** Runs git without a shell. Resolves with the exit code; rejects only when git cannot run. */
export function runGit(repoDir: string, args: string[], opts: GitRunOptions = {}): Promise<GitRun> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...globalArgs(repoDir), ...args],
      {
        cwd: repoDir,
        env: gitEnv(),
        encoding: 'buffer',
        maxBuffer: maxBytes,
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const errText = Buffer.from(stderr).toString('utf8');
        if (!error) return resolve({ code: 0, stdout: Buffer.from(stdout), stderr: errText });
        const err = error as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
          // spawn reports a missing cwd and a missing git binary the same way.
          if (!existsSync(repoDir)) return reject(new UsageError(`Repository directory does not exist: ${repoDir}`));
          return reject(new UsageError('git is not installed or not on PATH.'));
        }
        if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          return reject(new Error(`git ${args[0]} produced more than ${maxBytes} bytes of output; stopped.`));
        }
        if (typeof err.code === 'number') {
          return resolve({ code: err.code, stdout: Buffer.from(stdout), stderr: errText });
        }
        if (err.killed) return reject(new Error(`git ${args[0]} timed out and was stopped.`));
        reject(new Error(`git ${args[0]} failed: ${err.message}`));
      },
    );
    // git may exit before reading all input (bad object); the EPIPE is reported through the exit code.
    child.stdin?.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Runs git and returns stdout, throwing with git's own message when it fails. */
export async function gitOk(repoDir: string, args: string[], opts: GitRunOptions = {}): Promise<Buffer> {
  const run = await runGit(repoDir, args, opts);
  if (run.code !== 0) throw new Error(`git ${args.join(' ')} failed (exit ${run.code}): ${firstLine(run.stderr)}`);
  return run.stdout;
}

export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line ? line.trim() : '(no message)';
}
