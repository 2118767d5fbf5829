// Runs one corpus input through the real entry points (the CLI's main, runCheck with the Access
// Analyzer fake, refsFromEvent) in a temporary workspace, and records what came out.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { AccessAnalyzerClient } from '@aws-sdk/client-accessanalyzer';
import { main } from '../../../src/cli.js';
import { refsFromEvent, UsageError } from '../../../src/changes/event.js';
import { ConfigError } from '../../../src/config/load.js';
import type { Report } from '../../../src/model.js';
import { runCheck } from '../../../src/run.js';
import { startAccessAnalyzerFake, type AccessAnalyzerFake, type FakeHandler, type FakeReply } from '../../support/aws-fake/access-analyzer-fake.js';
import { inputBytes, type CorpusEntry } from './manifest.js';

export interface Outcome {
  id: string;
  status: 'completed' | 'crash' | 'hang';
  exitCode?: number;
  verdict?: 'pass' | 'warn' | 'fail';
  /** The exception that escaped, for a crash. */
  error?: string;
  /** Every message the run produced: stdout, stderr, findings, check details. */
  text: string;
  checksNotRun: string[];
  ignoredFiles?: number;
  ms: number;
}

export const POLICY_PATH = 'iam/roles/app/policy.json';
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:jobs';
const doc = (sid: string, actions: string[]) => `${JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: sid, Effect: 'Allow', Action: actions, Resource: QUEUE }] }, null, 2)}\n`;
/** Base and head of the baseline change: a renamed Sid, nothing granted or taken away. It passes. */
export const BASELINE = { base: doc('Jobs', ['sqs:ReceiveMessage', 'sqs:DeleteMessage']), head: doc('JobQueue', ['sqs:ReceiveMessage', 'sqs:DeleteMessage']) };
const CONFIG = 'subjects:\n  - files: "iam/roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n';

function write(root: string, files: Record<string, Uint8Array | string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** The names a clear message may use for this input (one of them must appear). */
export function inputNames(entry: CorpusEntry): string[] {
  switch (entry.run) {
    case 'config':
      return ['.iam-policy-gate.yml'];
    case 'cloudtrail':
      return entry.symlink ? ['link.json', 'cloudtrail'] : [entry.as ?? `${entry.id}.json`];
    case 'plan':
      return [entry.as ?? `${entry.id}.json`];
    case 'event':
      return [entry.as ?? 'pull_request', 'event payload'];
    case 'aa-response':
      return ['Access Analyzer'];
    case 'github-response':
      return ['GitHub', 'comment', 'pull request'];
    default:
      return [entry.as ?? `iam/${entry.id}.json`];
  }
}

const inputName = (entry: CorpusEntry) => inputNames(entry)[0];

function reportText(report: Report | undefined): string {
  if (!report) return '';
  const parts = [report.verdict.headline, ...report.verdict.reasons.map((r) => `${r.message} ${r.location?.file ?? ''}`)];
  for (const f of report.findings) parts.push(`${f.ruleId}: ${f.message} ${f.location?.file ?? ''}`);
  for (const c of report.checks) parts.push(`${c.id} ${c.status}: ${c.detail}`);
  return parts.join('\n');
}

/** One workspace: base and head directories, an output folder, files beside them. */
class Workspace {
  readonly root = mkdtempSync(path.join(tmpdir(), 'ipg-bad-'));
  readonly base = path.join(this.root, 'base');
  readonly head = path.join(this.root, 'head');
  readonly out = path.join(this.root, 'out');
  constructor(config = CONFIG) {
    write(this.base, { [POLICY_PATH]: BASELINE.base, '.iam-policy-gate.yml': config });
    write(this.head, { [POLICY_PATH]: BASELINE.head, '.iam-policy-gate.yml': config });
  }
  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function prepare(entry: CorpusEntry, ws: Workspace, bytes: Uint8Array): string[] {
  const name = inputName(entry);
  switch (entry.run) {
    case 'head-file':
      write(ws.head, { [name]: bytes });
      return [];
    case 'modified-file':
      write(ws.base, { [name]: doc('Before', ['sqs:ReceiveMessage']) });
      write(ws.head, { [name]: bytes });
      return [];
    case 'base-file':
      // Head grants something new: a broken base must not make it look like "no change".
      write(ws.base, { [name]: bytes });
      write(ws.head, { [name]: doc('After', ['sqs:ChangeMessageVisibility']) });
      return [];
    case 'symlink': {
      const link = path.join(ws.head, name);
      mkdirSync(path.dirname(link), { recursive: true });
      const outside = path.join(ws.root, 'outside');
      write(outside, { 'secret.json': bytes, 'dir/policy.json': bytes });
      if (entry.symlink === 'outside') symlinkSync(path.join(outside, 'secret.json'), link);
      else if (entry.symlink === 'dir-outside') symlinkSync(path.join(outside, 'dir'), link);
      else if (entry.symlink === 'dangling') symlinkSync(path.join(ws.head, 'missing.json'), link);
      else if (entry.symlink === 'loop') {
        symlinkSync(link, `${link}.loop`);
        symlinkSync(`${link}.loop`, link);
      } else {
        write(ws.head, { 'iam/target/bad.json': bytes });
        symlinkSync(path.join(ws.head, 'iam/target/bad.json'), link);
      }
      return [];
    }
    case 'config':
      write(ws.base, { '.iam-policy-gate.yml': bytes });
      return [];
    case 'cloudtrail': {
      const dir = path.join(ws.root, 'cloudtrail');
      const file = entry.as ?? `${entry.id.replace(/\//g, '-')}.json`;
      write(dir, { [file]: bytes });
      if (entry.symlink === 'outside') {
        write(ws.root, { 'elsewhere/other.json': '{"Records":[]}' });
        symlinkSync(path.join(ws.root, 'elsewhere/other.json'), path.join(dir, 'link.json'));
      } else if (entry.symlink === 'dangling') symlinkSync(path.join(dir, 'missing.json'), path.join(dir, 'link.json'));
      else if (entry.symlink === 'loop') symlinkSync(dir, path.join(dir, 'self'));
      return ['--cloudtrail', entry.symlink ? dir : path.join(dir, file)];
    }
    case 'plan':
      write(ws.root, { [name]: bytes });
      return ['--plan', path.join(ws.root, name)];
    default:
      throw new Error(`run kind ${entry.run} is not run by the CLI`);
  }
}

/** A CLI run of `check` in a fresh workspace. */
async function runCli(entry: CorpusEntry, bytes: Uint8Array): Promise<Omit<Outcome, 'id' | 'ms'>> {
  const ws = new Workspace(entry.config);
  const out: string[] = [];
  const err: string[] = [];
  try {
    const extra = prepare(entry, ws, bytes);
    let exitCode: number;
    try {
      exitCode = await main(['check', '--base', ws.base, '--head', ws.head, '--out', ws.out, '--offline', '--now', '2026-11-24T00:00:00Z', ...extra], (s) => out.push(s), (s) => err.push(s));
    } catch (e) {
      return { status: 'crash', error: e instanceof Error ? (e.stack ?? e.message) : String(e), text: [...out, ...err].join('\n'), checksNotRun: [] };
    }
    const reportFile = path.join(ws.out, 'report.json');
    const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as Report) : undefined;
    return {
      status: 'completed',
      exitCode,
      verdict: report?.verdict.status,
      text: [...out, ...err, reportText(report)].join('\n'),
      checksNotRun: report?.checks.filter((c) => c.status === 'not-run').map((c) => c.id) ?? [],
      ignoredFiles: report?.change.ignoredFiles,
    };
  } finally {
    ws.remove();
  }
}

/** As the action reads GITHUB_EVENT_PATH: a payload that is not JSON is a usage error. */
function runEvent(entry: CorpusEntry, bytes: Uint8Array): Omit<Outcome, 'id' | 'ms'> {
  let payload: unknown;
  try {
    // As main.ts reads it: utf8 without stripping a BOM.
    payload = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    return { status: 'completed', exitCode: 2, text: `Cannot read the event payload at GITHUB_EVENT_PATH: ${(e as Error).message}`, checksNotRun: [] };
  }
  try {
    const refs = refsFromEvent(entry.as ?? 'pull_request', payload);
    return { status: 'completed', exitCode: 0, text: `refs ${JSON.stringify(refs).slice(0, 500)}`, checksNotRun: [] };
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) return { status: 'completed', exitCode: 2, text: e.message, checksNotRun: [] };
    return { status: 'crash', error: e instanceof Error ? (e.stack ?? e.message) : String(e), text: '', checksNotRun: [] };
  }
}

const PASS = { result: 'PASS', message: 'The modified permissions do not grant new access compared to your existing policy.', reasons: [] };
const GOOD_ANSWERS: Record<string, FakeReply> = {
  ValidatePolicy: { body: { findings: [] } },
  CheckNoNewAccess: { body: PASS },
  CheckAccessNotGranted: { body: { ...PASS, message: 'The policy document does not grant access to perform the listed actions or resources.' } },
  CheckNoPublicAccess: { body: { ...PASS, message: 'The resource policy does not grant public access for the given resource type.' } },
};

let aaFake: AccessAnalyzerFake | undefined;
let aaCurrent: (op: string, attempt: number) => FakeReply = (op) => GOOD_ANSWERS[op] ?? {};

async function analyzerFake(): Promise<AccessAnalyzerFake> {
  if (aaFake) return aaFake;
  const handler = (op: string): FakeHandler => (_req, attempt) => aaCurrent(op, attempt);
  aaFake = await startAccessAnalyzerFake(Object.fromEntries(Object.keys(GOOD_ANSWERS).map((op) => [op, handler(op)])));
  return aaFake;
}

export async function closeFakes(): Promise<void> {
  await aaFake?.close();
  aaFake = undefined;
}

/** runCheck with Access Analyzer "on" against the local fake, which answers `reply.op` with the input. */
async function runAnalyzer(entry: CorpusEntry, bytes: Uint8Array): Promise<Omit<Outcome, 'id' | 'ms'>> {
  const fake = await analyzerFake();
  const reply = entry.reply ?? { op: 'CheckNoNewAccess' };
  const calls = new Map<string, number>();
  aaCurrent = (op) => {
    const n = (calls.get(op) ?? 0) + 1;
    calls.set(op, n);
    if (op !== reply.op && reply.op !== '*') return GOOD_ANSWERS[op] ?? {};
    if (reply.times !== undefined && n > reply.times) return GOOD_ANSWERS[op] ?? {};
    if (reply.fault === 'stall') return { delayMs: 60_000, body: GOOD_ANSWERS[op]?.body };
    return { status: reply.status ?? 200, errorType: reply.errorType, raw: Buffer.from(bytes).toString('utf8') };
  };
  const resetter = reply.fault === 'reset' ? await resettingServer() : undefined;
  const client = new AccessAnalyzerClient({
    region: 'us-east-1',
    endpoint: resetter?.url ?? fake.endpoint,
    credentials: { accessKeyId: 'AKIDHARDENINGFAKE01', secretAccessKey: 'hardening-fake-secret' },
    retryMode: 'adaptive',
    maxAttempts: 3,
  });
  const ws = new Workspace(entry.config);
  const log: string[] = [];
  try {
    // The change must ask Access Analyzer something: add a new action so CheckNoNewAccess is called.
    write(ws.head, { [POLICY_PATH]: BASELINE.head });
    const result = await runCheck({
      base: ws.base,
      head: ws.head,
      cloudtrail: [],
      outDir: ws.out,
      formats: ['json'],
      now: new Date('2026-11-24T00:00:00Z'),
      log: (l) => log.push(l),
      analyzer: { client, env: { AWS_ACCESS_KEY_ID: 'AKIDHARDENINGFAKE01', AWS_SECRET_ACCESS_KEY: 'hardening-fake-secret' }, run: { timeoutMs: 2_000 } },
    });
    return {
      status: 'completed',
      exitCode: result.exitCode,
      verdict: result.report.verdict.status,
      text: [...log, reportText(result.report)].join('\n'),
      checksNotRun: result.report.checks.filter((c) => c.status === 'not-run').map((c) => c.id),
      ignoredFiles: result.report.change.ignoredFiles,
    };
  } catch (e) {
    return { status: 'crash', error: e instanceof Error ? (e.stack ?? e.message) : String(e), text: log.join('\n'), checksNotRun: [] };
  } finally {
    client.destroy();
    await resetter?.close();
    ws.remove();
  }
}

/** A server that accepts each connection and drops it at once (ECONNRESET for the client). */
async function resettingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Runs one input in this process (the supervisor adds the hang detector around it). */
export async function runEntry(entry: CorpusEntry): Promise<Outcome> {
  const started = Date.now();
  let result: Omit<Outcome, 'id' | 'ms'>;
  try {
    const bytes = inputBytes(entry);
    if (entry.run === 'event') result = runEvent(entry, bytes);
    else if (entry.run === 'aa-response') result = await runAnalyzer(entry, bytes);
    else result = await runCli(entry, bytes);
  } catch (e) {
    result = { status: 'crash', error: e instanceof Error ? (e.stack ?? e.message) : String(e), text: '', checksNotRun: [] };
  }
  return { id: entry.id, ...result, ms: Date.now() - started };
}

export interface Judgement {
  ok: boolean;
  crash: boolean;
  hang: boolean;
  silentPass: boolean;
  problems: string[];
}

/** The rules of the issue: no crash, no hang, a message naming the input, no pass unless legitimately skipped. */
export function judge(entry: CorpusEntry, o: Outcome, limitMs: number): Judgement {
  const problems: string[] = [];
  const crash = o.status === 'crash';
  const hang = o.status === 'hang' || o.ms > limitMs;
  if (crash) problems.push(`crashed: ${o.error?.split('\n').slice(0, 4).join(' | ')}`);
  if (hang) problems.push(`no result within ${limitMs} ms (${o.ms} ms)`);
  const passed = o.status === 'completed' && o.exitCode === 0 && (o.verdict === 'pass' || o.verdict === undefined);
  const silentPass = !crash && !hang && passed && entry.expect !== 'legitimately-skipped';
  if (silentPass) problems.push('silent pass: exit 0 and verdict pass on an input that was not legitimately skipped');
  if (!crash && !hang && !silentPass) {
    const named = inputNames(entry).some((n) => o.text.toLowerCase().includes(n.toLowerCase()));
    switch (entry.expect) {
      case 'usage-error':
        if (o.exitCode !== 2) problems.push(`expected exit 2 (usage error), got ${o.exitCode} (${o.verdict})`);
        else if (!named) problems.push(`the usage error does not name ${inputName(entry)}`);
        break;
      case 'error-finding':
        if (o.verdict === 'pass' || o.verdict === undefined) problems.push(`expected a failing or warning verdict, got exit ${o.exitCode} verdict ${o.verdict}`);
        else if (!named) problems.push(`no finding or message names ${inputName(entry)}`);
        break;
      case 'check-not-run':
        if (o.checksNotRun.length === 0) problems.push('expected a check that did not run');
        if (o.verdict === 'pass') problems.push('a check did not run, yet the verdict is pass');
        if (!named) problems.push(`no message names ${inputName(entry)}`);
        break;
      case 'legitimately-skipped':
        if (o.exitCode !== 0 || (o.verdict !== undefined && o.verdict !== 'pass')) problems.push(`expected a skip, got exit ${o.exitCode} verdict ${o.verdict}`);
        break;
    }
  }
  return { ok: problems.length === 0, crash, hang, silentPass, problems };
}
