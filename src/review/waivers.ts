// Applies the waivers of the config in force (the base side's) to a run's findings, and says what
// became of each: applied, unused (stale), out of scope, expired; plus the waivers the change
// itself adds or widens, which apply only once merged.
import type { Waiver } from '../config/types.js';
import type { Finding, SourceLocation } from '../model.js';
import { fingerprint } from '../report/sarif.js';
import { compileWaiver, coverage, type CompiledWaiver } from './match.js';
import type { WaiverStatus } from './types.js';
import { isWildcardWaiver } from './validate.js';
import { widening } from './widening.js';

/** What the change touched: a waiver whose files or subject match nothing here has nothing to cover. */
export interface WaiverScope {
  files: string[];
  subjects: string[];
}

export interface ApplyWaiversInput {
  findings: Finding[];
  /** Waivers of the config in force (read from the base side). */
  waivers: Waiver[];
  /** Waivers of the change's own config, when the change edits it. */
  headWaivers?: Waiver[];
  /** The config file as shown to readers (e.g. `.iam-policy-gate.yml`). */
  configFile: string;
  scope: WaiverScope;
  now: Date;
  warnDays: number;
}

export interface ApplyWaiversResult {
  /** The findings, waived ones carrying `evidence.waiver`, plus waiver-expired/-expiring/-unused findings. */
  findings: Finding[];
  waivers: WaiverStatus[];
}

/** Longest expansion list kept in report.json; expandedCount always holds the full count. */
export const MAX_EXPANSION_LISTED = 500;
const DAY = 86_400_000;

/** Whole days from `now`'s UTC date to the expiry date: 0 on the last day, negative after. */
export function daysLeft(expires: string, now: Date): number {
  const [y, m, d] = expires.split('-').map(Number);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((Date.UTC(y, m - 1, d) - today) / DAY);
}

function statusOf(c: CompiledWaiver, configFile: string, now: Date, warnDays: number): WaiverStatus {
  const w = c.waiver;
  const left = daysLeft(w.expires, now);
  const ids = c.actions?.ids() ?? [];
  return {
    rule: w.rule,
    reason: w.reason,
    expires: w.expires,
    ...(w.approvedBy ? { approvedBy: w.approvedBy } : {}),
    file: configFile,
    line: w.line ?? 1,
    ...(w.files ? { files: w.files } : {}),
    ...(w.subject ? { subject: w.subject } : {}),
    ...(w.actions ? { actions: w.actions } : {}),
    ...(w.resources ? { resources: w.resources } : {}),
    ...(w.fingerprint ? { fingerprint: w.fingerprint } : {}),
    status: left < 0 ? 'expired' : 'unused',
    daysLeft: left,
    expiring: left >= 0 && left < warnDays,
    covered: [],
    ...(c.actions ? { expandedActions: ids.slice(0, MAX_EXPANSION_LISTED), expandedCount: ids.length } : {}),
    wildcard: isWildcardWaiver(w),
  };
}

function inScope(c: CompiledWaiver, scope: WaiverScope): boolean {
  const files = !c.files || scope.files.some((f) => c.files!.test(f));
  const subjects = !c.subject || scope.subjects.some((s) => c.subject!.test(s));
  return files && subjects;
}

/** What identifies a waiver apart from its line, for stable finding identities. */
export function waiverKey(w: Waiver): string {
  const { line: _line, ...rest } = w;
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, (rest as Record<string, unknown>)[k]]));
}

function describe(w: Waiver): string {
  const what = w.actions?.length ? ` for ${w.actions.join(', ')}` : w.fingerprint ? ` for finding ${w.fingerprint.slice(0, 16)}` : '';
  return `waiver of ${w.rule}${what}`;
}

function waiverFinding(ruleId: string, severity: Finding['severity'], w: Waiver, loc: SourceLocation, message: string): Finding {
  return {
    ruleId,
    severity,
    message,
    location: loc,
    evidence: { waiverLine: loc.line, rule: w.rule, expires: w.expires },
    identity: `${ruleId}|${loc.file}|${waiverKey(w)}`,
    origin: 'local',
  };
}

export function applyWaivers(input: ApplyWaiversInput): ApplyWaiversResult {
  const { configFile, now, warnDays } = input;
  const compiled = input.waivers.map(compileWaiver);
  const statuses = compiled.map((c) => statusOf(c, configFile, now, warnDays));
  const findings: Finding[] = [];

  for (const f of input.findings) {
    let waived: Finding | undefined;
    let partial: { line: number; uncovered: string[] } | undefined;
    for (let i = 0; i < compiled.length && !waived; i++) {
      const cov = coverage(compiled[i], f);
      if (cov.kind === 'none') continue;
      const status = statuses[i];
      if (status.status === 'expired') continue;
      if (cov.kind === 'partial') {
        partial ??= { line: status.line, uncovered: cov.uncovered };
        continue;
      }
      status.status = 'applied';
      status.covered.push(fingerprint(f));
      const w = compiled[i].waiver;
      const waiver = { reason: w.reason, expires: w.expires, file: configFile, line: status.line, ...(w.approvedBy ? { approvedBy: w.approvedBy } : {}) };
      waived = { ...f, evidence: { ...(f.evidence ?? {}), waiver } };
    }
    if (waived) findings.push(waived);
    else if (partial) {
      // A finding that mixes waived and new access keeps failing as a whole: the waiver is no blanket for what it does not list.
      findings.push({
        ...f,
        message: `${f.message} (the waiver at ${configFile}:${partial.line} does not cover ${partial.uncovered.join(', ')})`,
        evidence: { ...(f.evidence ?? {}), waiverPartial: partial },
      });
    } else findings.push(f);
  }

  compiled.forEach((c, i) => {
    const s = statuses[i];
    const loc: SourceLocation = { file: configFile, line: s.line, column: 1 };
    const w = c.waiver;
    if (s.status === 'expired') {
      findings.push(waiverFinding('waiver-expired', 'high', w, loc, `The ${describe(w)} expired on ${w.expires} and no longer applies; renew it through review or remove it`));
      return;
    }
    if (s.expiring) {
      findings.push(waiverFinding('waiver-expiring', 'low', w, loc, `The ${describe(w)} expires on ${w.expires} (in ${s.daysLeft} day${s.daysLeft === 1 ? '' : 's'}); renew it through review or fix what it covers`));
    }
    if (s.status === 'unused') {
      if (!inScope(c, input.scope)) s.status = 'out-of-scope';
      else findings.push(waiverFinding('waiver-unused', 'low', w, loc, `The ${describe(w)} matched nothing in this change: it is stale; remove it`));
    }
  });

  return { findings, waivers: [...statuses, ...pendingWaivers(input, findings)] };
}

/** Waivers the change adds or widens: shown with what they would cover, never applied before merge. */
function pendingWaivers(input: ApplyWaiversInput, findings: Finding[]): WaiverStatus[] {
  if (!input.headWaivers) return [];
  const out: WaiverStatus[] = [];
  for (const w of input.headWaivers) {
    const change = widening(w, input.waivers);
    if (!change) continue;
    const c = compileWaiver(w);
    const s = statusOf(c, input.configFile, input.now, input.warnDays);
    s.status = 'pending';
    s.addedInChange = change;
    for (const f of findings) if (!f.evidence?.waiver && coverage(c, f).kind === 'full') s.covered.push(fingerprint(f));
    out.push(s);
  }
  return out;
}
