// GitHub faults end to end: the bundled action runs against the OpenAPI-validating fake GitHub, through
// a proxy that answers chosen operations with a fault (a status and body, a reset, a stall). What must
// hold: bounded retries, a clear message for what was skipped, the verdict and exit code unchanged
// (fail closed), no comment that says anything but the real verdict, and no token in the output.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventPayload, runAction, TempRepo, type ActionRun } from '../../support/github-fake/harness.js';
import { startFakeGitHub, type FakeGitHub, type FakeOptions } from '../../support/github-fake/server.js';
import type { Reply } from './manifest.js';

export const TOKEN = 'ghs_hardeningToken0123456789abcdefABCDEF';
const CONFIG = 'subjects:\n  - files: "iam/roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n';
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:jobs';
const policy = (actions: string[]) => `${JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Jobs', Effect: 'Allow', Action: actions, Resource: QUEUE }] }, null, 2)}\n`;
/** Retries the action allows on top of the first call (src/publish/retry.ts DEFAULT_RETRY). */
export const MAX_CALLS_PER_REQUEST = 4;

const ROUTES: Array<[string, string, RegExp]> = [
  ['issues/list-comments', 'GET', /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/],
  ['issues/create-comment', 'POST', /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/],
  ['issues/update-comment', 'PATCH', /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+$/],
  ['pulls/list-files', 'GET', /^\/repos\/[^/]+\/[^/]+\/pulls\/\d+\/files$/],
  ['issues/list-events', 'GET', /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/events$/],
  ['repos/get-collaborator-permission-level', 'GET', /^\/repos\/[^/]+\/[^/]+\/collaborators\/[^/]+\/permission$/],
  ['code-scanning/upload-sarif', 'POST', /^\/repos\/[^/]+\/[^/]+\/code-scanning\/sarifs$/],
];

function operationOf(method: string, pathname: string): string | undefined {
  return ROUTES.find(([, m, re]) => m === method && re.test(pathname))?.[0];
}

interface Proxy {
  url: string;
  /** Calls per operation that reached the proxy (faulted or passed on). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

/** Passes requests to the fake, except `reply.op` (or every one, '*'), answered with the fault. */
async function faultProxy(target: string, reply: Reply, body: Uint8Array): Promise<Proxy> {
  const calls = new Map<string, number>();
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const op = operationOf(req.method ?? 'GET', url.pathname) ?? `${req.method} ${url.pathname}`;
    const n = (calls.get(op) ?? 0) + 1;
    calls.set(op, n);
    const hit = (reply.op === '*' || reply.op === op) && (reply.times === undefined || n <= reply.times);
    if (hit && reply.fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (hit && reply.fault === 'stall') {
      held.push(res);
      return;
    }
    if (hit && reply.forward) {
      const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        up.resume();
        up.on('end', () => res.writeHead(reply.status ?? up.statusCode ?? 200, { 'content-type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) }).end(Buffer.from(body)));
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      return;
    }
    if (hit) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) }).end(Buffer.from(body));
      req.resume();
      return;
    }
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of held) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface GithubScenario {
  id: string;
  note: string;
  reply: Reply;
  body: Uint8Array;
  inputs?: Record<string, string>;
  fake?: Partial<FakeOptions>;
  /** The event payload fixture (default pull_request.synchronize.json) and an edit of it. */
  payload?: string;
  edit?: (payload: any) => void;
  env?: Record<string, string>;
}

export interface GithubResult {
  id: string;
  injected: string;
  survived: boolean;
  problems: string[];
  run?: ActionRun;
  ms: number;
}

const commandText = (run: ActionRun) => run.commands.map((c) => `${c.kind}: ${c.message}`).join('\n') + run.stdout;

/** One action run with the fault in place; the change adds new access, so the true verdict is fail. */
export async function runGithubScenario(s: GithubScenario, timeoutMs = 60_000): Promise<GithubResult> {
  const repo = new TempRepo();
  let gh: FakeGitHub | undefined;
  let proxy: Proxy | undefined;
  const started = Date.now();
  const problems: string[] = [];
  try {
    const base = repo.commit('base', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage']) });
    const head = repo.commit('head', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage', 'sqs:DeleteMessage']) });
    gh = await startFakeGitHub({ owner: 'acme', repo: 'infra', token: TOKEN, prFiles: { 42: ['iam/roles/app/policy.json'] }, ...s.fake });
    proxy = await faultProxy(gh.url, s.reply, s.body);
    const run = await runAction({
      repo,
      apiUrl: proxy.url,
      token: TOKEN,
      eventName: 'pull_request',
      payload: eventPayload(s.payload ?? 'pull_request.synchronize.json', { base, head }, s.edit),
      inputs: s.inputs,
      env: s.env,
      timeoutMs,
    });
    const ms = Date.now() - started;
    if (run.code === null) problems.push(`hang: killed after ${timeoutMs} ms`);
    if (/internal error/i.test(commandText(run))) problems.push('crash: the action reported an internal error');
    if (run.outputs.verdict !== 'fail' || run.code !== 1) problems.push(`fail closed: expected verdict fail and exit 1, got ${run.outputs.verdict} / ${run.code}`);
    for (const [op, n] of proxy.calls) if (n > MAX_CALLS_PER_REQUEST * 2) problems.push(`unbounded: ${n} calls to ${op}`);
    const faulted = s.reply.op === '*' ? [...proxy.calls.values()].reduce((a, b) => a + b, 0) : (proxy.calls.get(s.reply.op) ?? 0);
    if (s.reply.op !== '*' && faulted > MAX_CALLS_PER_REQUEST * 2) problems.push(`unbounded retries: ${faulted} calls to ${s.reply.op}`);
    const ours = gh.comments.filter((c) => c.login === 'github-actions[bot]');
    for (const c of ours) if (!/IAM policy gate failed/.test(c.body) || /IAM policy gate passed/i.test(c.body)) problems.push(`comment ${c.id} misstates the verdict`);
    if (ours.length > 1) problems.push(`${ours.length} comments: a retried create made a duplicate`);
    const leaked = run.stdout.replace(`::add-mask::${TOKEN}\n`, '').includes(TOKEN) || run.stderr.includes(TOKEN) || run.summary.includes(TOKEN) || JSON.stringify(run.outputs).includes(TOKEN);
    if (leaked) problems.push('the token appears in the output');
    // Something the reader can act on: a warning or notice when the comment or a check could not be done.
    const said = run.commands.some((c) => (c.kind === 'warning' || c.kind === 'notice') && /comment|GitHub|approval|label|pull request|HTTP \d{3}/i.test(c.message)) || /Skipped the check against/.test(run.stdout);
    const commented = ours.length === 1;
    if (!commented && !said) problems.push('the comment is missing and nothing says why');
    if (gh.violations.length) problems.push(`requests GitHub's description does not allow: ${gh.violations.slice(0, 3).join('; ')}`);
    return { id: s.id, injected: `${s.reply.fault ?? s.reply.status ?? 200} on ${s.reply.op}`, survived: problems.length === 0, problems, run, ms };
  } catch (e) {
    problems.push(`harness: ${e instanceof Error ? e.message : String(e)}`);
    return { id: s.id, injected: `${s.reply.fault ?? s.reply.status ?? 200} on ${s.reply.op}`, survived: false, problems, ms: Date.now() - started };
  } finally {
    await proxy?.close();
    await gh?.close();
    repo.remove();
  }
}

/** Faults beyond the corpus's bodies: stalls, one-off 5xx that a retry fixes, approval lookups that fail. */
export const EXTRA_GITHUB_SCENARIOS: GithubScenario[] = [
  { id: 'github/create-comment-502-once', note: 'one 502, then the retry succeeds', reply: { op: 'issues/create-comment', status: 502, times: 1 }, body: new TextEncoder().encode('<html>502</html>') },
  { id: 'github/list-comments-reset-once', note: 'one reset connection', reply: { op: 'issues/list-comments', fault: 'reset', times: 1 }, body: new Uint8Array() },
  {
    id: 'github/list-comments-stall',
    note: 'GitHub never answers the comment list: the request times out (3 s here, 20 s by default)',
    reply: { op: 'issues/list-comments', fault: 'stall' },
    body: new Uint8Array(),
    env: { IAM_POLICY_GATE_GITHUB_TIMEOUT_MS: '3000' },
  },
  {
    id: 'github/approval-permission-500',
    note: 'the approver\'s permission cannot be read: the label must not approve',
    reply: { op: 'repos/get-collaborator-permission-level', status: 500 },
    body: new TextEncoder().encode('{"message":"Server Error"}'),
    inputs: { 'approval-label': 'iam-approved' },
    fake: { permissions: { 'lead-carol': 'write' } },
    payload: 'pull_request.labeled.json',
  },
  {
    id: 'github/approval-events-not-json',
    note: 'the label events are junk: the label must not approve',
    reply: { op: 'issues/list-events', status: 200 },
    body: new TextEncoder().encode('not json'),
    inputs: { 'approval-label': 'iam-approved' },
    fake: { permissions: { 'dev-alice': 'write' } },
    edit: (p) => {
      p.pull_request.labels = [{ id: 31, name: 'iam-approved', color: '0e8a16' }];
    },
  },
];
