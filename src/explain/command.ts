// `iam-policy-gate explain`: flags or a case file in, decisions for base and head out.
// Exit 0 when every expectation holds, 1 on any mismatch, 2 on usage or file errors.
import { promises as fsp } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../changes/errors.js';
import { CaseFileError, parseCaseFile, toCase } from './cases.js';
import { bucketsHolding, explainCase, findSubject } from './explain.js';
import { loadWorld } from './load.js';
import { renderExplainJson, renderExplainText } from './render.js';
import type { CaseContextValue, ExplainCase } from './types.js';

export const EXPLAIN_HELP = `explain options:
  --base, --head <dir|git-ref>  the two sides (as for check); --repo, --config as for check
  --subject <arn>        whose policies decide: a role, user or group ARN, or a bucket ARN
  --principal <arn>      the caller (default: the subject, when it is a principal)
  --action <svc:Action>  the action
  --resource <arn>       the resource
  --context <key=value>  a condition key and its value; repeat a key for several values
  --unknown <key>        a key the request carries with a value nobody knows
  --absent <key>         a key the request does not carry (other keys the policies test are unknown)
  --expect <decision>    expected head decision: allow, deny, explicit-deny, implicit-deny, undecided
  --cases <file>         a YAML or JSON file of cases (instead of the request flags)
  --format <text|json>   output (default text)`;

function caseFromFlags(v: Record<string, string | string[] | boolean | undefined>): ExplainCase {
  const context: Record<string, CaseContextValue> = {};
  for (const pair of (v.context as string[] | undefined) ?? []) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`--context ${pair}: expected key=value`);
    const [key, value] = [pair.slice(0, i), pair.slice(i + 1)];
    const prior = context[key];
    context[key] = prior === undefined || prior === null ? value : [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  for (const key of (v.unknown as string[] | undefined) ?? []) context[key] = null;
  const raw = {
    subject: v.subject,
    principal: v.principal,
    action: v.action,
    resource: v.resource,
    context,
    ...(v.absent ? { absent: v.absent } : {}),
    ...(v.expect ? { expect: v.expect } : {}),
  };
  const c = toCase(JSON.parse(JSON.stringify(raw)));
  if (Array.isArray(c)) throw new UsageError(`explain: ${c.join('; ')}`);
  return c;
}

export async function explainCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      repo: { type: 'string' },
      config: { type: 'string' },
      subject: { type: 'string' },
      principal: { type: 'string' },
      action: { type: 'string' },
      resource: { type: 'string' },
      context: { type: 'string', multiple: true },
      unknown: { type: 'string', multiple: true },
      absent: { type: 'string', multiple: true },
      expect: { type: 'string' },
      cases: { type: 'string' },
      format: { type: 'string' },
    },
    strict: true,
  });
  if (!values.base || !values.head) throw new UsageError('explain needs --base and --head');
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`unknown format "${format}" (text, json)`);
  let cases: ExplainCase[];
  if (values.cases) {
    if (values.action) throw new UsageError('give either --cases or a request (--action ...), not both');
    let text: string;
    try {
      text = await fsp.readFile(values.cases, 'utf8');
    } catch {
      throw new UsageError(`--cases ${values.cases}: cannot read the file`);
    }
    try {
      cases = parseCaseFile(text, values.cases);
    } catch (e) {
      if (e instanceof CaseFileError) throw new UsageError(e.message);
      throw e;
    }
  } else cases = [caseFromFlags(values)];
  const { world, notes } = await loadWorld({ base: values.base, head: values.head, repo: values.repo, config: values.config });
  // A subject the repository has no policies for would be denied on both sides: a typo must not read as "deny".
  // (A caller given only as --principal may have none here when a bucket policy of the repository decides.)
  const undecidable = (c: ExplainCase) => !findSubject(world, c.subject ?? c.principal) && (c.subject !== undefined || bucketsHolding(world, c.resource).length === 0);
  const unknown = [...new Set(cases.filter(undecidable).map((c) => c.subject ?? c.principal ?? ''))];
  if (unknown.length) {
    const known = world.subjects.map((s) => s.subject.arn ?? s.subject.id);
    throw new UsageError(
      `no policies in base or head for ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}` +
        (known.length ? `; subjects found: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}` : ' (map files to subjects in the config)'),
    );
  }
  const outcomes = cases.map((c) => explainCase(c, world));
  if (format === 'json') out(renderExplainJson(outcomes));
  else {
    for (const n of notes) out(`note: ${n}`);
    out(renderExplainText(outcomes));
  }
  return outcomes.some((o) => o.mismatches.length) ? 1 : 0;
}
