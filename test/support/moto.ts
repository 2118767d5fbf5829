// Starts moto's server (Python moto 5, `moto_server`) on a free loopback port for integration tests.
// It never skips: when the server cannot start, startMoto() throws and the tests that need it fail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Moto {
  endpoint: string;
  port: number;
  /** Drops every bucket and object (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Commands to try, in order: $MOTO_SERVER, moto_server on PATH, the pyenv shim, python3 -m moto.server. */
function candidates(): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  if (process.env.MOTO_SERVER) out.push([process.env.MOTO_SERVER, []]);
  out.push(['moto_server', []]);
  for (const p of ['/root/.pyenv/shims/moto_server', '/usr/local/bin/moto_server', '/usr/bin/moto_server']) if (existsSync(p)) out.push([p, []]);
  out.push(['python3', ['-m', 'moto.server']]);
  return out;
}

function runnable(cmd: string, pre: string[]): boolean {
  const r = spawnSync(cmd, [...pre, '--help'], { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  const tried: string[] = [];
  for (const [cmd, pre] of candidates()) {
    tried.push([cmd, ...pre].join(' '));
    if (!runnable(cmd, pre)) continue;
    return launch(cmd, pre, timeoutMs);
  }
  throw new Error(`moto_server is not available (tried: ${tried.join('; ')}). Install Python moto 5 with its server extras (.ci/run does).`);
}

function launch(cmd: string, pre: string[], timeoutMs: number): Promise<Moto> {
  // Its output goes to a file, not a pipe: a pipe that nobody drains (the parent blocked in execFileSync, say)
  // fills up with request logs and stalls the server.
  const dir = mkdtempSync(join(tmpdir(), 'moto-'));
  const logFile = join(dir, 'moto.log');
  const fd = openSync(logFile, 'w');
  // -p 0: the OS picks a free port; werkzeug prints it ("Running on http://127.0.0.1:PORT").
  const child: ChildProcess = spawn(cmd, [...pre, '-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const output = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    let exited: string | undefined;
    child.once('error', (e) => (exited = `could not start: ${e.message}`));
    child.once('exit', (code) => (exited = `exited with code ${code}`));
    const until = Date.now() + timeoutMs;
    const poll = () => {
      const text = output();
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (m) {
        const port = Number(m[1]);
        const endpoint = `http://127.0.0.1:${port}`;
        waitReady(endpoint, timeoutMs).then(
          () =>
            resolve({
              endpoint,
              port,
              reset: async () => {
                const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
                if (!r.ok) throw new Error(`moto reset failed: HTTP ${r.status}`);
              },
              stop: () =>
                new Promise<void>((done) => {
                  const finish = () => {
                    cleanup();
                    done();
                  };
                  if (child.exitCode !== null || child.signalCode !== null) return finish();
                  child.once('exit', finish);
                  child.kill('SIGTERM');
                }),
            }),
          (e: Error) => {
            child.kill('SIGKILL');
            cleanup();
            reject(e);
          },
        );
        return;
      }
      if (exited || Date.now() > until) {
        child.kill('SIGKILL');
        cleanup();
        reject(new Error(`moto_server ${exited ?? `did not report its port within ${timeoutMs} ms`}:\n${text}`));
        return;
      }
      setTimeout(poll, 50);
    };
    poll();
  });
}

async function waitReady(endpoint: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`moto_server at ${endpoint} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
