// SARIF 2.1.0 for GitHub code scanning: one run, every rule described, one location per result,
// a semantic fingerprint so an alert survives its statement moving to another line.
import { createHash } from 'node:crypto';
import type * as Sarif from 'sarif';
import type { Finding, Report, RuleAction, Severity, SourceLocation } from '../model.js';
import type { RuleInfo } from '../verdict/rules.js';
import { compareText, encodePath, repoRelativePath, severityRank, waiverOf } from './format.js';
import { clip, plainText } from './markdown.js';

export type { RuleInfo } from '../verdict/rules.js';

export interface SarifOptions {
  /** `category/` (GitHub takes the text before the last slash as the category); a slash is appended if missing. */
  automationId: string;
  toolVersion: string;
  informationUri?: string;
  /**
   * Where findings without a location are reported, since GitHub needs one: line 1 of this file.
   * Default `.iam-policy-gate.yml`. A finding whose subject has policy files goes to the first of those instead.
   */
  configPath?: string;
}

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const TOOL_NAME = 'iam-policy-gate';
export const FINGERPRINT_KEY = 'iamPolicyGate/v1';
/** GitHub rejects runs with more results; it keeps only the top 5,000 by severity anyway. */
export const MAX_RESULTS = 25_000;
/** GitHub keeps 10 tags of at most 20. */
export const MAX_TAGS = 10;
export const MAX_RULE_NAME = 255;
export const MAX_DESCRIPTION = 1024;
/** Our own bound on a result message; the first sentence is what GitHub shows. */
export const MAX_MESSAGE = 2000;
export const DEFAULT_CONFIG_PATH = '.iam-policy-gate.yml';
const SRCROOT = '%SRCROOT%';

/** sha256 hex of the finding's identity: independent of its line, stable across runs. */
export function fingerprint(finding: Finding): string {
  return createHash('sha256').update(finding.identity ?? '', 'utf8').digest('hex');
}

function levelOfAction(action: RuleAction | undefined): Sarif.Result.level | undefined {
  if (action === 'fail') return 'error';
  if (action === 'warn') return 'warning';
  if (action === 'off') return 'note';
  return undefined;
}

function levelOfSeverity(severity: Severity): Sarif.Result.level {
  return severity === 'critical' || severity === 'high' ? 'error' : severity === 'medium' ? 'warning' : 'note';
}

const SECURITY_SEVERITY: Record<Severity, number> = { critical: 9.5, high: 8.0, medium: 5.5, low: 3.0, info: 0.5 };

function securitySeverityText(value: number): string {
  const n = Number.isFinite(value) ? Math.min(10, Math.max(0, value)) : 0;
  return n.toFixed(1);
}

/** "high-risk-added" → "HighRiskAdded"; never equal to the id (SARIF1001). */
function pascalName(id: string): string {
  const name = id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
  return name && name !== id ? name : `Rule${name || 'Unnamed'}`;
}

function nonEmpty(text: string, fallback: string): string {
  const t = plainText(text).trim();
  return t.length ? t : fallback;
}

function ruleDescriptor(rule: RuleInfo): Sarif.ReportingDescriptor {
  const short = clip(nonEmpty(rule.shortDescription, `Rule ${rule.id}.`), MAX_DESCRIPTION);
  const help = nonEmpty(rule.help, short);
  const name = clip(nonEmpty(rule.name, pascalName(rule.id)), MAX_RULE_NAME);
  const tags = ['security', 'iam', 'aws', rule.severity].slice(0, MAX_TAGS);
  return {
    id: rule.id,
    name: name === rule.id ? pascalName(rule.id) : name,
    shortDescription: { text: short },
    fullDescription: { text: clip(help, MAX_DESCRIPTION) },
    help: { text: help, markdown: `**${rule.id}** — ${help}` },
    defaultConfiguration: { level: levelOfAction(rule.defaultAction) ?? 'warning', enabled: rule.defaultAction !== 'off' },
    properties: { tags, precision: 'high', 'security-severity': securitySeverityText(rule.securitySeverity) },
  };
}

/** A rule for findings whose id the catalogue does not know, so the log stays valid. */
function adHocRule(ruleId: string, findings: Finding[]): RuleInfo {
  const worst = findings.reduce<Severity>((w, f) => (severityRank(f.severity) < severityRank(w) ? f.severity : w), 'info');
  return {
    id: ruleId,
    name: pascalName(ruleId),
    shortDescription: `Findings reported under '${clip(plainText(ruleId), 100)}'.`,
    help: `The rule '${clip(plainText(ruleId), 100)}' is not in this tool's rule catalogue; see the finding message for details.`,
    severity: worst,
    securitySeverity: SECURITY_SEVERITY[worst] ?? 0.5,
    defaultAction: worst === 'critical' || worst === 'high' ? 'fail' : 'warn',
  };
}

/** SARIF treats `[text](id)` as a link to a related location; literal brackets must be escaped. */
function messageText(text: string): string {
  const plain = clip(nonEmpty(text, 'Finding without a message.'), MAX_MESSAGE).replace(/[[\]]/g, (c) => `\\${c}`);
  return /[.!?]$/.test(plain) ? plain : `${plain}.`;
}

function positive(n: number | undefined, fallback: number): number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : fallback;
}

function region(loc: SourceLocation): Sarif.Region {
  const startLine = positive(loc.line, 1);
  const startColumn = positive(loc.column, 1);
  const endLine = Math.max(startLine, positive(loc.endLine, startLine));
  // endColumn is exclusive; on a one-line region it must lie past the start.
  let endColumn = positive(loc.endColumn, 1);
  if (endLine === startLine && endColumn <= startColumn) endColumn = startColumn + 1;
  return { startLine, startColumn, endLine, endColumn };
}

/** `path` is repo-relative with forward slashes; the URI percent-encodes it per segment. */
function physical(path: string, reg: Sarif.Region): Sarif.Location {
  return { physicalLocation: { artifactLocation: { uri: encodePath(path), uriBaseId: SRCROOT }, region: reg } };
}

/**
 * Where a result is shown. The finding's own location when it is a repo-relative path; else the
 * first policy file of its subject; else line 1 of the config file (GitHub requires a location).
 */
function resultLocation(finding: Finding, report: Report, configPath: string): { location: Sarif.Location; inferred: boolean } {
  const own = finding.location ? repoRelativePath(finding.location.file) : null;
  if (finding.location && own) return { location: physical(own, region(finding.location)), inferred: false };
  const subject = finding.subject ? report.subjects.find((s) => s.subject.id === finding.subject) : undefined;
  const subjectFile = subject?.files
    .map((f) => repoRelativePath(f))
    .filter((f): f is string => f !== null)
    .sort(compareText)[0];
  const file = subjectFile ?? repoRelativePath(configPath) ?? DEFAULT_CONFIG_PATH;
  return { location: physical(file, { startLine: 1, startColumn: 1, endLine: 1, endColumn: 2 }), inferred: true };
}

function waiverSuppression(finding: Finding): Sarif.Suppression[] | undefined {
  const waiver = waiverOf(finding);
  if (!waiver) return undefined;
  // Where the waiver is written (config file and line), when the finding says so.
  const declared = finding.evidence?.waiver as { file?: unknown; line?: unknown; approvedBy?: unknown } | undefined;
  const file = typeof declared?.file === 'string' ? repoRelativePath(declared.file) : null;
  const line = typeof declared?.line === 'number' ? declared.line : undefined;
  const approvedBy = typeof declared?.approvedBy === 'string' ? clip(plainText(declared.approvedBy), 200) : undefined;
  const properties = { ...(waiver.expires ? { expires: waiver.expires } : {}), ...(approvedBy ? { approvedBy } : {}) };
  return [
    {
      kind: 'external',
      status: 'accepted',
      justification: clip(plainText(waiver.reason), MAX_MESSAGE) + (waiver.expires ? ` (expires ${waiver.expires})` : ''),
      ...(file && line ? { location: physical(file, region({ file, line, column: 1 })) } : {}),
      ...(Object.keys(properties).length ? { properties } : {}),
    },
  ];
}

/**
 * The log without suppressed (waived) results, for uploading to GitHub code scanning: it does not
 * read `suppressions` (not among its supported SARIF properties), so a waived result would open an
 * alert. The full log, suppressions included, stays the artifact.
 */
export function withoutSuppressed(log: Sarif.Log): Sarif.Log {
  return {
    ...log,
    runs: log.runs.map((run) => ({ ...run, results: (run.results ?? []).filter((r) => !(r.suppressions && r.suppressions.length > 0)) })),
  };
}

/** The SARIF file's text as code scanning should get it: without waived results (see withoutSuppressed). */
export function sarifForUpload(sarifText: string): string {
  return JSON.stringify(withoutSuppressed(JSON.parse(sarifText) as Sarif.Log));
}

function byPriority(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    compareText(a.ruleId, b.ruleId) ||
    compareText(a.location?.file, b.location?.file) ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    compareText(a.identity, b.identity) ||
    compareText(a.message, b.message)
  );
}

export function renderSarif(report: Report, rules: RuleInfo[], opts: SarifOptions): Sarif.Log {
  // Rules: the catalogue first (first entry wins on duplicate ids), then ad-hoc ones by id.
  const catalogue: RuleInfo[] = [];
  const index = new Map<string, number>();
  for (const rule of rules) {
    if (index.has(rule.id)) continue;
    index.set(rule.id, catalogue.length);
    catalogue.push(rule);
  }
  const unknown = new Map<string, Finding[]>();
  for (const f of report.findings) {
    if (index.has(f.ruleId)) continue;
    const list = unknown.get(f.ruleId) ?? [];
    list.push(f);
    unknown.set(f.ruleId, list);
  }
  for (const id of [...unknown.keys()].sort(compareText)) {
    index.set(id, catalogue.length);
    catalogue.push(adHocRule(id, unknown.get(id)!));
  }

  // The configured action of a rule shows in the verdict; it overrides the catalogue default.
  const configured = new Map<string, RuleAction>();
  for (const reason of report.verdict.reasons) if (!configured.has(reason.ruleId)) configured.set(reason.ruleId, reason.action);

  const sorted = report.findings.slice().sort(byPriority);
  const kept = sorted.slice(0, MAX_RESULTS);
  const configPath = opts.configPath ?? DEFAULT_CONFIG_PATH;
  const seen = new Map<string, number>();
  const results: Sarif.Result[] = kept.map((f) => {
    const ruleIndex = index.get(f.ruleId)!;
    const rule = catalogue[ruleIndex];
    const level = levelOfAction(configured.get(f.ruleId)) ?? levelOfAction(rule.defaultAction) ?? levelOfSeverity(f.severity);
    const { location, inferred } = resultLocation(f, report, configPath);
    const hash = fingerprint(f);
    const occurrence = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, occurrence);
    const suppressions = waiverSuppression(f);
    return {
      ruleId: f.ruleId,
      ruleIndex,
      level,
      message: { text: messageText(f.message) },
      locations: [location],
      // GitHub matches alerts by primaryLocationLineHash only; ours is semantic, so a moved line keeps its alert.
      partialFingerprints: { [FINGERPRINT_KEY]: hash, primaryLocationLineHash: `${hash.slice(0, 16)}:${occurrence}` },
      ...(suppressions ? { suppressions } : {}),
      properties: {
        severity: f.severity,
        ...(f.subject ? { subject: clip(plainText(f.subject), 500) } : {}),
        ...(f.origin ? { origin: f.origin } : {}),
        ...(inferred ? { locationInferred: true } : {}),
      },
    };
  });

  const driver: Sarif.ToolComponent = {
    name: TOOL_NAME,
    version: opts.toolVersion,
    ...(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(opts.toolVersion) ? { semanticVersion: opts.toolVersion } : {}),
    ...(opts.informationUri ? { informationUri: opts.informationUri } : {}),
    rules: catalogue.map(ruleDescriptor),
  };
  const omitted = sorted.length - kept.length;
  const run: Sarif.Run = {
    tool: { driver },
    automationDetails: { id: opts.automationId.endsWith('/') ? opts.automationId : `${opts.automationId}/` },
    originalUriBaseIds: { [SRCROOT]: { description: { text: 'The root of the repository checkout.' } } },
    columnKind: 'utf16CodeUnits',
    invocations: [
      {
        executionSuccessful: true,
        ...(omitted > 0
          ? {
              toolExecutionNotifications: [
                {
                  level: 'warning',
                  message: { text: `${omitted} lower-priority results were left out to stay within GitHub's limit of ${MAX_RESULTS} results per run.` },
                },
              ],
            }
          : {}),
      },
    ],
    results,
    properties: { verdict: report.verdict.status, ...(omitted > 0 ? { omittedResults: omitted } : {}) },
  };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}
