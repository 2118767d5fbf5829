// The adapter: makes the planned calls with bounded concurrency, a time-out per call, one call per
// distinct question, and turns every failure into a typed error instead of an exception.
import {
  CheckAccessNotGrantedCommand,
  CheckNoNewAccessCommand,
  CheckNoPublicAccessCommand,
  GetFindingV2Command,
  ListFindingsV2Command,
  ValidatePolicyCommand,
} from '@aws-sdk/client-accessanalyzer';
import type { AnalyzerError, AnalyzerPlan, CallOutcome, CallSpec, UnusedAccessDetail } from './types.js';

/** What the adapter needs of an AccessAnalyzerClient (a mock or the real one). */
export interface AnalyzerClientLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
}

export interface RunOptions {
  /** Calls in flight at once (default 4). */
  concurrency?: number;
  /** Time-out of one call, retries included (default 20 s). */
  timeoutMs?: number;
  /** Most calls one run may make, pages included (default 400): custom checks are charged per call. */
  maxCalls?: number;
}

export interface UnusedLookup {
  ok: boolean;
  details: UnusedAccessDetail[];
  error?: AnalyzerError;
}

export interface AnalyzerRun {
  outcomes: Map<string, CallOutcome>;
  /** Unused-access findings by principal ARN. */
  unused: Map<string, UnusedLookup>;
  callsMade: number;
}

/** The IAM action that authorises each operation (the V2 finding APIs use the V1 actions). */
export function iamActionFor(op: string): string {
  const base = op === 'ListFindingsV2' ? 'ListFindings' : op === 'GetFindingV2' ? 'GetFinding' : op;
  return `access-analyzer:${base}`;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'IncompleteSignatureException',
]);

/** String(x) throws for objects without a prototype or with a hostile toString: an error message must not. */
function printable(x: unknown): string {
  try {
    return String(x);
  } catch {
    return 'an error that cannot be printed';
  }
}

export function classifyError(e: unknown, op: string): AnalyzerError {
  const err = (e ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? '';
  const message = printable(err.message ?? e).slice(0, 300);
  const status = err.$metadata?.httpStatusCode;
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout', message: `${op}: ${message}` };
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || (status === 403 && !CREDENTIAL_ERRORS.has(name))) {
    const action = iamActionFor(op);
    return { kind: 'access-denied', action, message: `the AWS credentials are not allowed ${action} (${name || 'HTTP 403'}: ${message})` };
  }
  if (CREDENTIAL_ERRORS.has(name)) return { kind: 'credentials', message: `AWS rejected or could not load the credentials (${name}: ${message})` };
  if (name === 'ThrottlingException' || status === 429) return { kind: 'throttled', message: `${op} was still throttled after the SDK's adaptive retries (${message})` };
  if (name === 'ValidationException' || name === 'InvalidParameterException') return { kind: 'invalid-input', message: `${op} rejected the input (${name}: ${message})` };
  if (name === 'SyntaxError' || /deserializ|unexpected token|not valid json|malformed/i.test(`${name} ${message}`)) {
    return { kind: 'malformed', message: `${op}: AWS answered with a response that could not be read (${message})` };
  }
  return { kind: 'other', message: `${op} failed (${name || 'error'}: ${message})` };
}

function commandFor(spec: CallSpec, nextToken?: string): unknown {
  switch (spec.op) {
    case 'CheckNoNewAccess':
      return new CheckNoNewAccessCommand(spec.input);
    case 'CheckAccessNotGranted':
      return new CheckAccessNotGrantedCommand(spec.input);
    case 'CheckNoPublicAccess':
      return new CheckNoPublicAccessCommand(spec.input as ConstructorParameters<typeof CheckNoPublicAccessCommand>[0]);
    case 'ValidatePolicy':
      return new ValidatePolicyCommand({ ...(spec.input as ConstructorParameters<typeof ValidatePolicyCommand>[0]), ...(nextToken ? { nextToken } : {}) });
  }
}

const RESULTS = new Set(['PASS', 'FAIL']);
const FINDING_TYPES = new Set(['ERROR', 'SECURITY_WARNING', 'WARNING', 'SUGGESTION']);

/** Null when the response has the documented shape, else what is wrong with it. */
export function responseProblem(op: CallSpec['op'], r: unknown): string | null {
  if (!r || typeof r !== 'object') return 'not an object';
  const o = r as Record<string, unknown>;
  if (op === 'ValidatePolicy') {
    if (!Array.isArray(o.findings)) return 'findings is not a list';
    const bad = o.findings.find((f) => !f || typeof f !== 'object' || !FINDING_TYPES.has((f as { findingType?: string }).findingType ?? '') || typeof (f as { issueCode?: unknown }).issueCode !== 'string');
    return bad ? 'a finding has no known findingType or issueCode' : null;
  }
  if (!RESULTS.has(String(o.result))) return `result is ${JSON.stringify(o.result)}, not PASS or FAIL`;
  if (o.reasons !== undefined && !Array.isArray(o.reasons)) return 'reasons is not a list';
  return null;
}

export async function timed(client: AnalyzerClientLike, command: unknown, ms: number): Promise<unknown> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TimeoutError' }));
    }, ms);
  });
  try {
    return await Promise.race([client.send(command, { abortSignal: ac.signal }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, items.length)) }, worker));
}

const MAX_PAGES = 10;

/** One shared budget and stop-list: a credentials failure stops everything, a denied action stops that operation. */
class Caller {
  made = 0;
  private stopped = new Map<string, AnalyzerError>();
  constructor(
    private client: AnalyzerClientLike,
    private opts: Required<RunOptions>,
  ) {}

  async send(op: string, command: unknown): Promise<{ ok: true; response: Record<string, unknown> } | { ok: false; error: AnalyzerError }> {
    const stop = this.stopped.get('*') ?? this.stopped.get(op);
    if (stop) return { ok: false, error: stop };
    if (this.made >= this.opts.maxCalls) return { ok: false, error: { kind: 'budget', message: `the run reached its limit of ${this.opts.maxCalls} Access Analyzer calls` } };
    this.made++;
    try {
      const response = await timed(this.client, command, this.opts.timeoutMs);
      return { ok: true, response: (response ?? {}) as Record<string, unknown> };
    } catch (e) {
      const error = classifyError(e, op);
      if (error.kind === 'credentials') this.stopped.set('*', error);
      if (error.kind === 'access-denied') this.stopped.set(op, error);
      return { ok: false, error };
    }
  }
}

async function runCall(caller: Caller, spec: CallSpec): Promise<CallOutcome> {
  if (spec.op !== 'ValidatePolicy') {
    const r = await caller.send(spec.op, commandFor(spec));
    if (!r.ok) return r;
    const problem = responseProblem(spec.op, r.response);
    return problem ? { ok: false, error: { kind: 'malformed', message: `${spec.op}: malformed response (${problem})` } } : r;
  }
  const findings: unknown[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await caller.send(spec.op, commandFor(spec, token));
    if (!r.ok) return r;
    const problem = responseProblem(spec.op, r.response);
    if (problem) return { ok: false, error: { kind: 'malformed', message: `ValidatePolicy: malformed response (${problem})` } };
    findings.push(...(r.response.findings as unknown[]));
    token = typeof r.response.nextToken === 'string' && r.response.nextToken ? r.response.nextToken : undefined;
    if (!token) break;
  }
  return { ok: true, response: { findings } };
}

function isoOf(v: unknown): string | undefined {
  const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
}

const UNUSED_TYPES = new Set(['UnusedIAMRole', 'UnusedPermission', 'UnusedIAMUserAccessKey', 'UnusedIAMUserPassword']);

/** GetFindingV2 details → our shape; unknown members are skipped. */
export function unusedDetails(findingId: string, findingType: string, details: unknown[]): UnusedAccessDetail[] {
  const out: UnusedAccessDetail[] = [];
  for (const d of details) {
    const x = (d ?? {}) as Record<string, Record<string, unknown> | undefined>;
    if (x.unusedPermissionDetails) {
      const p = x.unusedPermissionDetails;
      const actions = Array.isArray(p.actions)
        ? (p.actions as Array<Record<string, unknown>>).filter((a) => typeof a?.action === 'string').map((a) => ({ action: a.action as string, ...(isoOf(a.lastAccessed) ? { lastAccessed: isoOf(a.lastAccessed) } : {}) }))
        : [];
      out.push({ findingId, kind: 'UnusedPermission', service: String(p.serviceNamespace ?? ''), ...(isoOf(p.lastAccessed) ? { lastAccessed: isoOf(p.lastAccessed) } : {}), actions });
    } else if (x.unusedIamRoleDetails) {
      out.push({ findingId, kind: 'UnusedIAMRole', ...(isoOf(x.unusedIamRoleDetails.lastAccessed) ? { lastAccessed: isoOf(x.unusedIamRoleDetails.lastAccessed) } : {}) });
    } else if (x.unusedIamUserAccessKeyDetails) {
      out.push({ findingId, kind: 'UnusedIAMUserAccessKey', ...(isoOf(x.unusedIamUserAccessKeyDetails.lastAccessed) ? { lastAccessed: isoOf(x.unusedIamUserAccessKeyDetails.lastAccessed) } : {}) });
    } else if (x.unusedIamUserPasswordDetails) {
      out.push({ findingId, kind: 'UnusedIAMUserPassword', ...(isoOf(x.unusedIamUserPasswordDetails.lastAccessed) ? { lastAccessed: isoOf(x.unusedIamUserPasswordDetails.lastAccessed) } : {}) });
    }
  }
  if (out.length === 0 && UNUSED_TYPES.has(findingType)) out.push({ findingId, kind: findingType as UnusedAccessDetail['kind'] });
  return out;
}

const MAX_FINDINGS_PER_PRINCIPAL = 25;

async function lookupUnused(caller: Caller, analyzerArn: string, arn: string): Promise<UnusedLookup> {
  const ids: Array<{ id: string; type: string }> = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES && ids.length < MAX_FINDINGS_PER_PRINCIPAL; page++) {
    const r = await caller.send('ListFindingsV2', new ListFindingsV2Command({ analyzerArn, filter: { resource: { eq: [arn] }, status: { eq: ['ACTIVE'] } }, maxResults: 50, ...(token ? { nextToken: token } : {}) }));
    if (!r.ok) return { ok: false, details: [], error: r.error };
    if (!Array.isArray(r.response.findings)) return { ok: false, details: [], error: { kind: 'malformed', message: 'ListFindingsV2: malformed response (findings is not a list)' } };
    for (const f of r.response.findings as Array<Record<string, unknown>>) {
      if (typeof f?.id === 'string' && UNUSED_TYPES.has(String(f.findingType)) && (f.resource === undefined || f.resource === arn)) ids.push({ id: f.id, type: String(f.findingType) });
    }
    token = typeof r.response.nextToken === 'string' && r.response.nextToken ? r.response.nextToken : undefined;
    if (!token) break;
  }
  const details: UnusedAccessDetail[] = [];
  for (const { id, type } of ids.slice(0, MAX_FINDINGS_PER_PRINCIPAL)) {
    const found: unknown[] = [];
    let next: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await caller.send('GetFindingV2', new GetFindingV2Command({ analyzerArn, id, ...(next ? { nextToken: next } : {}) }));
      if (!r.ok) return { ok: false, details, error: r.error };
      if (!Array.isArray(r.response.findingDetails)) return { ok: false, details, error: { kind: 'malformed', message: 'GetFindingV2: malformed response (findingDetails is not a list)' } };
      found.push(...(r.response.findingDetails as unknown[]));
      next = typeof r.response.nextToken === 'string' && r.response.nextToken ? r.response.nextToken : undefined;
      if (!next) break;
    }
    details.push(...unusedDetails(id, type, found));
  }
  return { ok: true, details };
}

export async function runAccessAnalyzer(plan: AnalyzerPlan, client: AnalyzerClientLike, opts: RunOptions = {}): Promise<AnalyzerRun> {
  const settings: Required<RunOptions> = { concurrency: opts.concurrency ?? 4, timeoutMs: opts.timeoutMs ?? 20_000, maxCalls: opts.maxCalls ?? 400 };
  const caller = new Caller(client, settings);
  const outcomes = new Map<string, CallOutcome>();
  await pool([...plan.calls.entries()], settings.concurrency, async ([key, spec]) => {
    outcomes.set(key, await runCall(caller, spec));
  });
  const unused = new Map<string, UnusedLookup>();
  if (plan.unusedAccess) {
    const { analyzerArn, subjects } = plan.unusedAccess;
    await pool(subjects, settings.concurrency, async (s) => {
      unused.set(s.arn!, await lookupUnused(caller, analyzerArn, s.arn!));
    });
  }
  return { outcomes, unused, callsMade: caller.made };
}
