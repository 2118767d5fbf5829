// Properties of every parser and renderer, for fast-check: the jest run uses a fixed seed and a few
// hundred runs (fuzz.test.ts); `npm run fuzz` runs them far longer with a fresh seed (scripts/fuzz.ts).
import fc from 'fast-check';
import { stringify as yamlStringify } from 'yaml';
import { classifyError, responseProblem } from '../../../src/analyzer/client.js';
import { refsFromEvent, UsageError } from '../../../src/changes/event.js';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { defaultConfig } from '../../../src/config/types.js';
import type { ChangeSet, Report } from '../../../src/model.js';
import { runGate } from '../../../src/pipeline.js';
import { extractPolicies } from '../../../src/policies/extract.js';
import { parseLocatedJson } from '../../../src/policies/json-located.js';
import { pickAnnotations } from '../../../src/publish/annotations.js';
import { commentBody } from '../../../src/publish/comment.js';
import { renderDiffMd } from '../../../src/report/diff-md.js';
import { escapeHtml, escapeMarkdown, code } from '../../../src/report/markdown.js';
import { renderSarif } from '../../../src/report/sarif.js';
import { renderConsoleSummary } from '../../../src/report/summary.js';
import { mapEvent } from '../../../src/usage/map-event.js';
import { safeLogLine } from '../../../src/util/runner-safe.js';
import { RULES } from '../../../src/verdict/rules.js';
import { logProblems, markdownProblems, outsideCode } from './hostile.js';

const enc = (s: string) => new TextEncoder().encode(s);
const NOW = new Date('2026-11-24T00:00:00Z');

/** Strings heavy in what breaks parsers and renderers: markup, controls, quotes, surrogates, commands. */
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^[<>\[\]()!@#`*_|\\:$&"'\n\r\t\u001b\u202e\u200b -~]{0,40}$/),
  fc.constantFrom('::set-output name=verdict::pass', '##[add-mask]x', '<img src=x onerror=alert(1)>', '[x](https://evil.example)', '@octocat', '#1', '\u001b[2J', '\ud800', '${aws:username}', '*', ''),
);

const policyLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(nasty, fc.constantFrom('Effect', 'Action', 'NotAction', 'Resource', 'Principal', 'Condition', 'Sid', 'Statement', 'Version', 'AWS', 'Service', '__proto__')), tie('value'), { maxKeys: 5 }),
  ),
  statement: fc.record(
    {
      Sid: nasty,
      Effect: fc.oneof(fc.constantFrom('Allow', 'Deny'), tie('value')),
      Action: fc.oneof(fc.constantFrom('s3:GetObject', 'iam:*', '*', 's3:Get*'), fc.array(nasty, { maxLength: 3 }), tie('value')),
      Resource: fc.oneof(fc.constantFrom('*', 'arn:aws:s3:::b/*'), nasty, tie('value')),
      Principal: tie('value'),
      Condition: tie('value'),
    },
    { requiredKeys: [] },
  ),
  policy: fc.record({ Version: fc.oneof(fc.constant('2012-10-17'), tie('value')), Statement: fc.oneof(fc.array(tie('statement'), { maxLength: 4 }), tie('statement'), tie('value')) }, { requiredKeys: [] }),
}));

const pathArb = fc.oneof(
  fc.constantFrom('iam/roles/app/p.json', 'buckets/b/policy.json', 'cfn/t.yaml', 'cfn/t.template.json', 'tfplan.json', 'x.yml'),
  nasty.map((s) => `iam/${s.replace(/[/\u0000]/g, '_') || 'x'}.json`),
);

const iacTemplate = fc.record({
  AWSTemplateFormatVersion: fc.constant('2010-09-09'),
  Resources: fc.dictionary(
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/),
    fc.record({
      Type: fc.oneof(fc.constantFrom('AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::S3::BucketPolicy', 'AWS::S3::Bucket', 'AWS::SQS::Queue'), nasty),
      Properties: fc.oneof(
        policyLike.value,
        fc.record({ PolicyDocument: fc.oneof(policyLike.policy, policyLike.value), Roles: policyLike.value, Bucket: fc.oneof(fc.record({ Ref: nasty }), nasty), Policies: fc.array(fc.record({ PolicyName: nasty, PolicyDocument: policyLike.policy }), { maxLength: 2 }) }, { requiredKeys: [] }),
      ),
    }, { requiredKeys: [] }),
    { maxKeys: 4 },
  ),
});

const tfPlan = fc.record({
  format_version: fc.oneof(fc.constant('1.2'), policyLike.value),
  resource_changes: fc.oneof(
    fc.array(
      fc.record({
        address: nasty,
        type: fc.constantFrom('aws_iam_role_policy', 'aws_iam_policy', 'aws_s3_bucket_policy', 'aws_iam_role', 'data.aws_iam_policy_document'),
        name: nasty,
        mode: fc.constantFrom('managed', 'data'),
        change: fc.record({ actions: fc.oneof(fc.constant(['create']), policyLike.value), before: fc.oneof(fc.constant(null), policyLike.value), after: fc.oneof(fc.record({ role: nasty, policy: fc.oneof(policyLike.policy.map((p) => JSON.stringify(p)), policyLike.value) }), policyLike.value) }, { requiredKeys: [] }),
      }, { requiredKeys: [] }),
      { maxLength: 3 },
    ),
    policyLike.value,
  ),
});

const fileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  policyLike.policy.map((p) => enc(JSON.stringify(p))),
  policyLike.value.map((v) => enc(JSON.stringify(v) ?? '')),
  iacTemplate.map((t) => enc(yamlStringify(t))),
  iacTemplate.map((t) => enc(JSON.stringify(t))),
  tfPlan.map((p) => enc(JSON.stringify(p))),
  fc.tuple(policyLike.policy, fc.nat(200)).map(([p, cut]) => enc(JSON.stringify(p).slice(0, cut))),
);

/** A real report (new access, a parse error, a finding per kind) to inject text into. */
function baseReport(): Report {
  const files = [
    { path: 'iam/roles/app/p.json', status: 'modified' as const, base: enc(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] })), head: enc(JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'New', Effect: 'Allow', Action: ['s3:*', 'iam:PassRole'], Resource: '*' }] })) },
    { path: 'buckets/b/policy.json', status: 'added' as const, head: enc(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] })) },
    { path: 'iam/broken.json', status: 'added' as const, head: enc('{"Version":"2012-10-17","Statement":[') },
  ];
  return runGate({ changes: { baseLabel: 'base', headLabel: 'head', files, notes: [] }, config: defaultConfig(), toolVersion: '0.0.0', now: NOW });
}

/** Puts `texts` (cycled) into every free-text field of a report. */
function inject(report: Report, texts: string[]): Report {
  let i = 0;
  const next = () => texts[i++ % texts.length];
  const r = structuredClone(report);
  r.change.base = next();
  r.change.files.forEach((f) => (f.path = next()));
  r.findings.forEach((f) => {
    f.message = next();
    f.subject = next();
    if (f.location) f.location.file = next();
  });
  r.verdict.headline = next();
  r.verdict.reasons.forEach((x) => (x.message = next()));
  r.checks.forEach((c) => (c.detail = next()));
  r.subjects.forEach((s) => {
    s.subject.id = next();
    s.files = s.files.map(() => next());
    s.newAccess.forEach((n) => {
      n.resource = next();
      n.actions = n.actions.map(() => next());
      n.reason = next();
      n.location.file = next();
    });
    s.delta.added.forEach((g) => (g.resources = g.resources.map(() => next())));
    s.risk.added.forEach((x) => (x.resource = next()));
    s.limits = s.limits.map(() => next());
  });
  r.usage = { window: { start: next(), end: next() }, sources: [{ id: next(), kind: 'file', status: 'partial', events: 1, errors: [next()] }], records: 0, unmapped: [{ eventSource: next(), eventName: next(), count: 2 }], permissionless: 0, totalEvents: 1, duplicateEvents: 0, badRecords: 0, complete: false };
  return r;
}

export interface FuzzProperty {
  name: string;
  /** Runs in the jest suite (scripts/fuzz.ts multiplies). */
  runs: number;
  property: () => fc.IProperty<any> | fc.IAsyncProperty<any>;
}

const onlyUsageErrors = (fn: () => unknown, allowed: Array<new (...a: any[]) => Error>) => {
  try {
    fn();
  } catch (e) {
    if (!allowed.some((k) => e instanceof k)) throw e;
  }
};

export { baseReport, inject };
export const PROPERTIES: FuzzProperty[] = [
  {
    name: 'parseLocatedJson: any text → a tree or located problems, never a throw',
    runs: 300,
    property: () =>
      fc.property(fc.oneof(nasty, policyLike.value.map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 200 })), (text) => {
        const r = parseLocatedJson(text, { file: 'f.json', maxDepth: 64 });
        for (const p of r.problems) if (p.loc.file !== 'f.json' || !(p.loc.line >= 1)) throw new Error(`bad location ${JSON.stringify(p.loc)}`);
      }),
  },
  {
    name: 'extractPolicies: any bytes under any name (policy, template, plan) → findings located in that file, never a throw',
    runs: 300,
    property: () =>
      fc.property(pathArb, fileBytes, fc.constantFrom('base', 'head') as fc.Arbitrary<'base' | 'head'>, (path, bytes, side) => {
        const r = extractPolicies(path, bytes, { maxBytes: 1 << 20, side, iac: { cloudformation: {} } });
        for (const f of r.findings) if (f.location && f.location.file !== path) throw new Error(`finding located in ${f.location.file}, not ${path}`);
        if (r.status === 'error' && r.findings.length === 0) throw new Error('an error without a finding');
      }),
  },
  {
    name: 'runGate: any changed files → a report whose verdict is not pass when a file could not be read',
    runs: 60,
    property: () =>
      fc.property(fc.array(fc.record({ path: pathArb, base: fc.option(fileBytes, { nil: undefined }), head: fc.option(fileBytes, { nil: undefined }) }), { minLength: 1, maxLength: 3 }), (files) => {
        const changes: ChangeSet = { baseLabel: 'b', headLabel: 'h', notes: [], files: files.map((f, i) => ({ path: `${i}/${f.path}`, status: f.base && f.head ? 'modified' : f.head ? 'added' : 'deleted', base: f.base ?? (f.head ? undefined : enc('{}')), head: f.head })) };
        const report = runGate({ changes, config: defaultConfig(), toolVersion: '0', now: NOW });
        if (report.findings.some((f) => f.ruleId === 'parse-error' && f.severity === 'high') && report.verdict.status === 'pass') throw new Error('a parse error and a pass');
      }),
  },
  {
    name: 'parseConfig: any text → a config or a ConfigError, nothing else',
    runs: 300,
    property: () =>
      fc.property(fc.oneof(nasty, fc.string({ maxLength: 200 }), policyLike.value.map((v) => yamlStringify(v)), fc.dictionary(fc.constantFrom('rules', 'subjects', 'cloudtrail', 'limits', 'waivers', 'policy-files', 'never-grant', 'context'), policyLike.value).map((v) => yamlStringify(v))), (text) =>
        onlyUsageErrors(() => parseConfig(text, '.iam-policy-gate.yml'), [ConfigError]),
      ),
  },
  {
    name: 'mapEvent: any record → mapped, skipped or bad, never a throw',
    runs: 300,
    property: () =>
      fc.property(
        fc.oneof(policyLike.value, fc.record({ eventSource: fc.oneof(fc.constant('s3.amazonaws.com'), nasty), eventName: fc.oneof(fc.constant('GetObject'), nasty), eventTime: fc.oneof(fc.constant('2026-11-20T10:00:00Z'), nasty, fc.integer()), userIdentity: policyLike.value, errorCode: policyLike.value, requestParameters: policyLike.value, resources: policyLike.value }, { requiredKeys: [] })),
        (record) => {
          mapEvent(record);
        },
      ),
  },
  {
    name: 'refsFromEvent: any payload → refs or a UsageError',
    runs: 300,
    property: () =>
      fc.property(fc.constantFrom('pull_request', 'pull_request_target', 'merge_group', 'push', 'workflow_dispatch', 'issues'), fc.oneof(policyLike.value, fc.record({ pull_request: policyLike.value, merge_group: policyLike.value, before: policyLike.value, after: policyLike.value, inputs: policyLike.value }, { requiredKeys: [] })), (name, payload) =>
        onlyUsageErrors(() => refsFromEvent(name, payload), [UsageError]),
      ),
  },
  {
    name: 'Access Analyzer answers and errors: any shape → a problem string or null, a classified error',
    runs: 300,
    property: () =>
      fc.property(fc.constantFrom('CheckNoNewAccess', 'CheckAccessNotGranted', 'CheckNoPublicAccess', 'ValidatePolicy') as fc.Arbitrary<'CheckNoNewAccess'>, policyLike.value, (op, body) => {
        responseProblem(op, body);
        const e = classifyError(body, op);
        if (typeof e.message !== 'string') throw new Error('an error without a message');
      }),
  },
  {
    name: 'escapers: no live markup from any text',
    runs: 500,
    property: () =>
      fc.property(nasty, (s) => {
        const md = escapeMarkdown(s);
        if (/[<>\n\r\u001b]/.test(md)) throw new Error(`escapeMarkdown left ${JSON.stringify(md)}`);
        if (/[<>"'\u001b]/.test(escapeHtml(s))) throw new Error('escapeHtml left markup');
        if (outsideCode(code(s)).trim() !== '') throw new Error(`code() leaked ${JSON.stringify(code(s))}`);
        if (logProblems(safeLogLine(s)).length) throw new Error(`safeLogLine left ${JSON.stringify(safeLogLine(s))}`);
      }),
  },
  {
    name: 'renderers: any text in any field → diff.md, comment, SARIF, annotations and console summary stay inert',
    runs: 80,
    property: () => {
      const report = baseReport();
      return fc.property(fc.array(nasty, { minLength: 1, maxLength: 12 }), (texts) => {
        const r = inject(report, texts);
        const md = renderDiffMd(r, { linkBase: 'https://github.com/acme/infra/blob/0123456789abcdef0123456789abcdef01234567/' });
        const body = commentBody(r, { marker: '<!-- m -->' });
        for (const text of [md, body]) {
          const problems = markdownProblems(text);
          if (problems.length) throw new Error(problems.join('; '));
        }
        JSON.stringify(renderSarif(r, RULES, { automationId: 'x/', toolVersion: '0' }));
        for (const a of pickAnnotations(r).annotations) if (/[\n\r\u001b]/.test(a.message + a.title)) throw new Error('an annotation with a control character');
        const problems = logProblems(renderConsoleSummary(r));
        if (problems.length) throw new Error(problems.join('; '));
      });
    },
  },
];
