// The gate as one pure function: changed files, config and usage in; the report out.
// load changes → extract policies → (usage, gathered by the caller) → analyse → decide → report data.
import { catalogInfo } from './catalog/catalog.js';
import { compileMappings, bindSubject } from './config/subjects.js';
import type { GateConfig } from './config/types.js';
import type {
  ChangeSet,
  CheckResult,
  ConcretenessCounts,
  ExtractedFile,
  Finding,
  PolicyDocument,
  Report,
  RiskCategory,
  SubjectAnalysis,
  SubjectPolicies,
  SubjectRef,
  Totals,
  UsageSummary,
} from './model.js';
import { analyseSubject } from './analysis/subject.js';
import { guardChanges } from './analysis/guard-change.js';
import { FOLDER_NOT_LISTED } from './changes/index.js';
import { extractPolicies } from './policies/extract.js';
import { PSEUDO_PLACEHOLDERS, type IacOptions } from './iac/index.js';
import { unchangedOpaque } from './iac/findings.js';
import { decide } from './verdict/decide.js';
import { mergeAnalyzerResults } from './analyzer/merge.js';
import type { AnalyzerOutcome } from './analyzer/types.js';
import { globWithPlaceholders } from './config/subjects.js';
import { guardsForSubjectSides, type GuardDocuments } from './config/guards.js';
import { waiverStage } from './review/stage.js';

export interface GateInput {
  changes: ChangeSet;
  config: GateConfig;
  /** Usage gathered by the usage stage, when CloudTrail sources were given. */
  usage?: UsageSummary;
  /** Checks run (or skipped) outside the pure core, e.g. Access Analyzer, and their findings. */
  extraChecks?: CheckResult[];
  extraFindings?: Finding[];
  /** .tf sources for plan locations ([iac]); templates' settings come from config.cloudformation. */
  iac?: IacOptions;
  /** Access Analyzer answers gathered by the caller ([analyzer]), merged beside the local ones before the verdict. */
  accessAnalyzer?: AnalyzerOutcome;
  /** SCPs, RCPs and boundaries from the config's context, read by the caller ([engine]); they only narrow. */
  guards?: GuardDocuments;
  toolVersion: string;
  now: Date;
}

export interface ExtractedChange {
  path: string;
  basePath?: string;
  status: ChangeSet['files'][number]['status'];
  base?: ExtractedFile;
  head?: ExtractedFile;
  findings: Finding[];
}

/**
 * Extract both sides of every changed file. Files that are not policies on either side are ignored; files the
 * config excludes (`policy-files.exclude`, on both their paths when renamed) are not read, and are listed.
 */
export function extractChanges(changes: ChangeSet, config: GateConfig, iac?: IacOptions): { policyFiles: ExtractedChange[]; ignored: number; excluded: string[] } {
  const forced = config.policyFiles.include.map(globWithPlaceholders);
  const excludes = config.policyFiles.exclude.map(globWithPlaceholders);
  const isExcluded = (p: string) => excludes.some((r) => r.test(p));
  const mappings = compileMappings(config);
  const policyFiles: ExtractedChange[] = [];
  const excluded: string[] = [];
  let ignored = 0;
  for (const f of changes.files) {
    // A rename out of a checked path is checked: only a file excluded on both sides is left out.
    if (isExcluded(f.path) && (f.basePath === undefined || isExcluded(f.basePath))) {
      if (f.status !== 'unchanged') excluded.push(f.path);
      continue;
    }
    // A file a subject mapping claims is meant as a policy too: unreadable there is an error, not "not ours".
    const forcePolicy = forced.some((r) => r.test(f.path)) || mappings.some((m) => m.regex.test(f.path));
    if (f.error) {
      // A folder the walk could not list (a symlink to a folder, unreadable, past the entry limit) may hold policies.
      const looksLikePolicy = forcePolicy || /\.(json|ya?ml|template)$/i.test(f.path) || f.error.startsWith(FOLDER_NOT_LISTED);
      if (!looksLikePolicy) {
        ignored++;
        continue;
      }
      policyFiles.push({
        path: f.path,
        basePath: f.basePath,
        status: f.status,
        findings: [
          {
            ruleId: 'unsupported-file',
            severity: 'medium',
            message: `${f.path}: ${f.error}`,
            location: { file: f.path, line: 1, column: 1 },
            identity: `unsupported-file|${f.path}|${f.error}`,
            origin: 'local',
          },
        ],
      });
      continue;
    }
    const opts = { maxBytes: config.limits.maxFileBytes, forcePolicy, iac: { ...iac, cloudformation: config.cloudformation } };
    // The mapping's `kind` (a permissions boundary reads like an identity policy): each side by its own path.
    const kindOf = (p: string) => {
      const kind = mappings.find((m) => m.mapping.kind && m.regex.test(p))?.mapping.kind;
      return kind ? { kindHint: kind } : {};
    };
    // A Terraform plan carries both sides: `side` picks before (base) or after (head).
    const base = f.base ? extractPolicies(f.basePath ?? f.path, f.base, { ...opts, ...kindOf(f.basePath ?? f.path), side: 'base' }) : undefined;
    const head = f.head ? extractPolicies(f.path, f.head, { ...opts, ...kindOf(f.path), side: 'head' }) : undefined;
    const isPolicy = (x?: ExtractedFile) => x !== undefined && x.status !== 'not-policy';
    if (!isPolicy(base) && !isPolicy(head)) {
      ignored++;
      continue;
    }
    // Findings are about the head version; a broken base only matters as a note (everything then looks new).
    const findings = [...(head?.findings ?? [])];
    if (isPolicy(base) && head?.status === 'not-policy') {
      // Emptied, truncated or replaced: what head grants is unknown, which is not the same as removed.
      findings.push({
        ruleId: 'parse-error',
        severity: 'high',
        message: `${f.path}: the base version is a policy but the head version holds no policy document; its grants are unknown, not removed`,
        location: { file: f.path, line: 1, column: 1 },
        identity: `parse-error|${f.path}|head-not-policy`,
        origin: 'local',
      });
    }
    if (base?.status === 'error' && f.status !== 'deleted') {
      findings.push({
        ruleId: 'parse-error',
        severity: 'high',
        message: `${f.basePath ?? f.path} (base version) could not be parsed: its grants are unknown, so everything head grants is compared with nothing`,
        location: { file: f.path, line: 1, column: 1 },
        identity: `parse-error|${f.path}|base`,
        origin: 'local',
      });
    }
    policyFiles.push({ path: f.path, basePath: f.basePath, status: f.status, base, head, findings });
  }
  // Across files: a role moved to another template keeps what base attached to it.
  const before = new Set(policyFiles.flatMap((f) => (f.base?.findings ?? []).filter((x) => x.ruleId === 'iac-external-policy').map(externalKey)));
  for (const f of policyFiles) f.findings = newlyAttachedExternal(f.findings, before);
  // Exposing settings (public ACLs, public access blocks off, open function URLs) base had too are not new.
  const exposedBefore = new Set(policyFiles.flatMap((f) => (f.base?.findings ?? []).filter((x) => x.identity.startsWith('public-setting|')).map((x) => x.identity)));
  for (const f of policyFiles) {
    f.findings = f.findings.map((x) =>
      x.identity.startsWith('public-setting|') && exposedBefore.has(x.identity)
        ? { ...x, ruleId: 'public-access-existing', severity: 'medium', message: `${x.message}; base had it already`, identity: `public-access-existing|${x.identity}` }
        : x,
    );
  }
  // Access keys base had already (the same key resource, user and active state) are not the change's.
  const keysBefore = new Set(policyFiles.flatMap((f) => (f.base?.findings ?? []).filter((x) => x.identity.startsWith('access-key|')).map((x) => x.identity)));
  for (const f of policyFiles) f.findings = f.findings.filter((x) => !(x.identity.startsWith('access-key|') && keysBefore.has(x.identity)));
  // What the gate cannot read (an API definition in S3, group membership, a stack set ...) and base had unchanged
  // is not the change's.
  const basesFindings = policyFiles.flatMap((f) => f.base?.findings ?? []);
  for (const f of policyFiles) f.findings = unchangedOpaque(f.findings, basesFindings);
  return { policyFiles, ignored, excluded };
}

/** Groups documents by the subject they govern; unchanged files of a subject are context on both sides. */
/**
 * A managed policy attached by an ARN whose content the gate does not have grants unknown access: where base
 * attached it too, it stays a warning (iac-external-policy); attached in this change, it fails closed.
 */
const externalKey = (f: Finding) => `${f.subject ?? ''}|${String(f.evidence?.arn ?? '')}`;

function newlyAttachedExternal(head: Finding[], before: Set<string>): Finding[] {
  if (!head.some((f) => f.ruleId === 'iac-external-policy')) return head;
  return head.map((f) =>
    f.ruleId !== 'iac-external-policy' || before.has(externalKey(f))
      ? f
      : { ...f, ruleId: 'iac-external-policy-added', severity: 'high', message: `${f.message}; it is attached in this change`, identity: `iac-external-policy-added|${f.identity}` },
  );
}

export function groupBySubject(files: ExtractedChange[], config: GateConfig): SubjectPolicies[] {
  const mappings = compileMappings(config);
  const mapped = (p: string) => mappings.some((m) => m.regex.test(p));
  const subjects = new Map<string, SubjectPolicies>();
  const add = (doc: PolicyDocument, subject: SubjectRef, side: 'base' | 'head', path: string, unreadable = false) => {
    let entry = subjects.get(subject.id);
    if (!entry) subjects.set(subject.id, (entry = { subject, base: [], head: [], files: [] }));
    entry[side].push(doc);
    if (!entry.files.includes(path)) entry.files.push(path);
    if (unreadable && !(entry.unreadableHead ??= []).includes(path)) entry.unreadableHead.push(path);
  };
  for (const f of files) {
    const basePath = f.basePath ?? f.path;
    const baseDocs = f.base?.documents ?? [];
    // A head version that does not parse grants what nobody knows, which is not "nothing": it is compared as its
    // base version's grants (no phantom removals or predicted AccessDenied), and its parse error fails the run. Its
    // base Deny statements are left out: they may be gone in head, and must not hide what another file grants.
    const unreadable = baseDocs.length > 0 && f.status !== 'deleted' && (f.head?.status === 'error' || f.head?.status === 'not-policy') && (f.head?.documents.length ?? 0) === 0;
    const headDocs = unreadable ? baseDocs.map((d) => ({ ...d, file: f.path, statements: d.statements.filter((st) => st.effect !== 'Deny') })) : (f.head?.documents ?? []);
    // Each side binds by its own path: a file moved into another principal's folder grants that principal what
    // it holds (binding base by the new path made the move look like no change).
    const baseRefs = baseDocs.map((d) => bindSubject({ ...d, file: basePath }, mappings));
    const headRefs = headDocs.map((d) => bindSubject(d, mappings));
    if (!mapped(basePath) && !mapped(f.path)) {
      // No mapping decides: the file is one policy on both sides (a rename keeps it, and a bucket policy bound by
      // its resources on one side only, e.g. narrowed from two buckets to one, keeps that bucket on both).
      const pairs = [...headDocs.map((d, i) => [d, headRefs[i]] as const), ...baseDocs.map((d, i) => [d, baseRefs[i]] as const)];
      const bucket = pairs.find(([d, r]) => !d.subjectHint && r.type === 'bucket')?.[1];
      const one = (doc: PolicyDocument, ref: SubjectRef): SubjectRef => (doc.subjectHint ? ref : ref.type === 'unbound' ? (bucket ?? { type: 'unbound', id: f.path }) : ref);
      baseDocs.forEach((d, i) => add(d, one(d, baseRefs[i]), 'base', f.path));
      headDocs.forEach((d, i) => add(d, one(d, headRefs[i]), 'head', f.path, unreadable));
      continue;
    }
    baseDocs.forEach((d, i) => add(d, baseRefs[i], 'base', basePath));
    headDocs.forEach((d, i) => add(d, headRefs[i], 'head', f.path, unreadable));
  }
  return [...subjects.values()].sort((a, b) => a.subject.id.localeCompare(b.subject.id));
}

export function runGate(input: GateInput): Report {
  const { config, usage } = input;
  const { policyFiles, ignored, excluded } = extractChanges(input.changes, config, input.iac);
  const subjects = groupBySubject(policyFiles, config);
  const findings: Finding[] = policyFiles.flatMap((f) => f.findings);
  const checks: CheckResult[] = [];
  const analyses: SubjectAnalysis[] = [];
  const changedSubjects = subjects.filter((s) => s.subject.id && policyFiles.some((f) => f.status !== 'unchanged' && (s.files.includes(f.path) || (f.basePath !== undefined && s.files.includes(f.basePath)))));

  for (const s of changedSubjects) {
    // A template's own account, when not configured, is the {AccountId} stand-in: trusted like the account itself.
    const sides = input.guards ? guardsForSubjectSides(s.subject, input.guards) : undefined;
    const subject = sides && (sides.base.length || sides.head.length) ? { ...s, guards: sides } : s;
    const { analysis, findings: subjectFindings } = analyseSubject(subject, { ...config, trustedAccounts: [...config.trustedAccounts, PSEUDO_PLACEHOLDERS.account, ...(config.cloudformation.account ? [config.cloudformation.account] : [])] }, usage);
    analyses.push(analysis);
    findings.push(...subjectFindings);
  }

  findings.push(...planMissing(input.changes));
  // Guard files changed by the pull request, compared on their own (a change to an SCP alone touches no subject).
  findings.push(...guardChanges(input.guards));
  const parseErrors = findings.filter((f) => f.ruleId === 'parse-error' || f.ruleId === 'unsupported-file').length;
  checks.push({
    id: 'policy-parse',
    status: parseErrors ? 'not-run' : 'ran',
    detail: parseErrors ? `${parseErrors} file(s) could not be read as policies` : `${policyFiles.length} policy file(s) parsed`,
  });
  checks.push({ id: 'local-no-new-access', status: 'ran', detail: `${analyses.length} subject(s) compared base → head` });
  checks.push({
    id: 'local-access-not-granted',
    status: config.neverGrant.length ? 'ran' : 'skipped',
    detail: config.neverGrant.length ? `${config.neverGrant.length} never-grant rule(s)` : 'no never-grant rules in the config',
  });
  checks.push({ id: 'local-no-public-access', status: 'ran', detail: 'bucket and trust policies checked for public and cross-account access' });
  checks.push(usageCheck(usage, config, findings));
  if (input.accessAnalyzer) {
    const merged = mergeAnalyzerResults(analyses, findings, input.accessAnalyzer);
    checks.push(...merged.checks);
    findings.push(...merged.findings);
  }
  checks.push(...(input.extraChecks ?? []));
  findings.push(...(input.extraFindings ?? []));

  // Waivers of the base config, applied before the verdict; the change's own waivers are only shown.
  const reviewed = waiverStage({
    changes: input.changes,
    config,
    findings,
    scope: { files: policyFiles.filter((f) => f.status !== 'unchanged').map((f) => f.path), subjects: analyses.map((a) => a.subject.id) },
    now: input.now,
  });
  const sorted = reviewed.findings.sort(
    (a, b) => a.ruleId.localeCompare(b.ruleId) || (a.location?.file ?? '').localeCompare(b.location?.file ?? '') || (a.location?.line ?? 0) - (b.location?.line ?? 0) || a.identity.localeCompare(b.identity),
  );
  const verdict = decide(sorted, config.rules, analyses.length);
  const { records, ...usageMeta } = usage ?? ({} as UsageSummary);
  return {
    schemaVersion: '1.0',
    tool: { name: 'iam-policy-gate', version: input.toolVersion, catalog: catalogInfo() },
    generatedAt: input.now.toISOString(),
    change: {
      base: input.changes.baseLabel,
      head: input.changes.headLabel,
      policyFiles: policyFiles.filter((f) => f.status !== 'unchanged').length,
      ignoredFiles: ignored,
      ...(excluded.length ? { excludedFiles: excluded } : {}),
      ...(input.changes.notes.length ? { notes: input.changes.notes.slice(0, 50).map((n) => (n.length > 500 ? `${n.slice(0, 499)}…` : n)) } : {}),
      files: policyFiles
        .filter((f) => f.status !== 'unchanged')
        .map((f) => ({ path: f.path, ...(f.basePath ? { basePath: f.basePath } : {}), status: f.status, documents: { base: f.base?.documents.length ?? 0, head: f.head?.documents.length ?? 0 } })),
    },
    subjects: analyses,
    totals: totals(analyses),
    findings: sorted,
    checks,
    ...(usage ? { usage: { ...usageMeta, records: records.length } } : {}),
    ...(reviewed.waivers.length ? { waivers: reviewed.waivers } : {}),
    verdict,
  };
}

/** CloudTrail: skipped when nobody asked; not run (and a failing finding) when a source failed or was cut short. */
function usageCheck(usage: UsageSummary | undefined, config: GateConfig, findings: Finding[]): CheckResult {
  if (!usage) {
    const asked = config.cloudtrail.sources.length > 0;
    if (asked) {
      findings.push(notRun('cloudtrail', 'CloudTrail sources are configured but no usage was gathered'));
      return { id: 'cloudtrail', status: 'not-run', detail: 'configured sources were not read' };
    }
    return { id: 'cloudtrail', status: 'skipped', detail: 'no CloudTrail source given' };
  }
  const failed = usage.sources.filter((s) => s.status !== 'ran');
  for (const s of failed) findings.push(notRun(`cloudtrail:${s.id}`, `CloudTrail source ${s.id} ${s.status === 'failed' ? 'failed' : 'was read only in part'}: ${s.errors.slice(0, 3).join('; ')}`));
  const skipped = usage.sources.reduce((n, s) => n + (s.skipped ?? 0), 0);
  const notKept = usage.sources.reduce((n, s) => n + (s.keysNotKept ?? 0), 0);
  const values = usage.sources.reduce((n, s) => n + (s.contextValuesNotKept ?? 0), 0);
  const detail = `${usage.sources.length} source(s), ${usage.totalEvents} events${usage.scope ? ` about the change's subjects${skipped ? ` (${skipped} other records read, not mapped)` : ''}` : ''}${usage.window.start ? `, ${usage.window.start.slice(0, 10)} to ${usage.window.end ? usage.window.end.slice(0, 10) : 'now'}` : ''}, ${usage.unmapped.reduce((n, u) => n + u.count, 0)} unmapped events${notKept ? `, ${notKept} on S3 objects whose keys were not kept (over 1,000 per principal and action)` : ''}${values ? `, ${values} with a condition-key value not kept (over 1,000 per key, principal and action: left unknown)` : ''}`;
  return { id: 'cloudtrail', status: failed.length ? 'not-run' : 'ran', detail };
}

function notRun(what: string, message: string): Finding {
  return { ruleId: 'check-not-run', severity: 'high', message, identity: `check-not-run|${what}`, origin: 'local' };
}

const ZERO: ConcretenessCounts = { concrete: 0, scoped: 0, wildcard: 0, noResourceLevel: 0, ratio: null };

function sumConcreteness(list: ConcretenessCounts[]): ConcretenessCounts {
  const c = list.reduce(
    (acc, x) => ({ concrete: acc.concrete + x.concrete, scoped: acc.scoped + x.scoped, wildcard: acc.wildcard + x.wildcard, noResourceLevel: acc.noResourceLevel + x.noResourceLevel, ratio: null }),
    { ...ZERO },
  );
  const d = c.concrete + c.scoped + c.wildcard;
  return { ...c, ratio: d ? (c.concrete + c.scoped) / d : null };
}

function totals(analyses: SubjectAnalysis[]): Totals {
  const byCat = (changes: { categories: RiskCategory[] }[]) => {
    const out: Partial<Record<RiskCategory, number>> = {};
    for (const c of changes) for (const cat of c.categories) out[cat] = (out[cat] ?? 0) + 1;
    return out;
  };
  const predicted = analyses.flatMap((a) => a.replay?.predicted ?? []);
  const fixed = analyses.flatMap((a) => a.replay?.fixed ?? []);
  const distinct = (items: { action: string; resource?: string }[]) => new Set(items.map((i) => i.action)).size;
  return {
    actions: {
      base: analyses.reduce((n, a) => n + a.delta.baseCount, 0),
      head: analyses.reduce((n, a) => n + a.delta.headCount, 0),
      added: analyses.reduce((n, a) => n + a.delta.addedCount, 0),
      removed: analyses.reduce((n, a) => n + a.delta.removedCount, 0),
    },
    concreteness: { base: sumConcreteness(analyses.map((a) => a.concreteness.base)), head: sumConcreteness(analyses.map((a) => a.concreteness.head)) },
    predictedDenied: { actions: distinct(predicted), calls: predicted.reduce((n, i) => n + i.count, 0) },
    fixedDenied: { actions: distinct(fixed), denials: fixed.reduce((n, i) => n + i.count, 0) },
    risk: {
      added: analyses.reduce((n, a) => n + a.risk.added.length, 0),
      removed: analyses.reduce((n, a) => n + a.risk.removed.length, 0),
      byCategoryAdded: byCat(analyses.flatMap((a) => a.risk.added)),
      byCategoryRemoved: byCat(analyses.flatMap((a) => a.risk.removed)),
    },
    newAccess: analyses.reduce((n, a) => n + a.newAccess.length, 0),
  };
}

/**
 * Terraform sources changed, and no plan to read them from: what they grant is not analysed. A warning by default
 * (most Terraform changes touch no IAM), so the run is not a silent green.
 */
function planMissing(changes: ChangeSet): Finding[] {
  // JSON sources (.tf.json) pass the policy-name filter and are read as files: listed here too. A plan the pull
  // request commits is not evidence (it could be anything); only one the workflow gives.
  const json = changes.files.filter((f) => f.status !== 'unchanged' && /\.(tf|tfvars|tofu)\.json$/i.test(f.path)).map((f) => f.path);
  const sources = [...(changes.terraformSources ?? []), ...json];
  if (sources.length === 0 || (changes.plansGiven ?? 0) > 0) return [];
  const shown = sources.slice(0, 3).join(', ') + (sources.length > 3 ? ` and ${sources.length - 3} more` : '');
  return [
    {
      ruleId: 'iac-plan-missing',
      severity: 'medium',
      message: `Terraform sources changed (${shown}) but no plan was given: policies in them are analysed only from a plan (\`terraform show -json\`, the --plan option or the action's plan input)`,
      location: { file: sources[0], line: 1, column: 1 },
      evidence: { files: sources.slice(0, 50) },
      identity: `iac-plan-missing|${sources.join(',')}`,
      origin: 'local',
    },
  ];
}
