// Starts moto's server (Python moto 5, `moto_server`) on a free loopback port for integration tests.
// It never skips: when the server cannot start, startMoto() throws and the tests that need it fail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

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
  return new Promise((resolve, reject) => {
    // -p 0: the OS picks a free port; werkzeug prints it ("Running on http://127.0.0.1:PORT").
    const child: ChildProcess = spawn(cmd, [...pre, '-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => fail(new Error(`moto_server did not report its port within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stderr?.removeAllListeners('data');
      // Keep draining its output so the pipe never fills.
      child.stdout?.resume();
      child.stderr?.resume();
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
                if (child.exitCode !== null) return done();
                child.once('exit', () => done());
                child.kill('SIGTERM');
              }),
          }),
        (e: Error) => fail(e),
      );
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (e) => fail(new Error(`moto_server could not start: ${e.message}`)));
    child.once('exit', (code) => fail(new Error(`moto_server exited with code ${code}:\n${output}`)));
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
