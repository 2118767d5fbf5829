// `iam-policy-gate generate`: a least-privilege policy for one principal from its CloudTrail usage.
// Reuses the check's adapters (config, changes, usage) and the same pure analysis as diff.md.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../changes/errors.js';
import { extractChanges, groupBySubject } from '../pipeline.js';
import { checkedSince, gatherUsage, loadChanges, loadConfig, type CheckOptions } from '../run.js';
import { leastPrivilege } from './index.js';
import type { SuggestedPolicyType } from './types.js';

export const GENERATE_HELP = `generate options (a least-privilege policy for one principal from its usage):
  --subject <arn>        the role or user (as mapped by the config's subjects; a group's usage is unknown)
  --policies <dir>       a folder of policies (its .iam-policy-gate.yml is the config), or
  --base/--head          a change, as for check (the subject's head policies are the current ones)
  --cloudtrail <path>    CloudTrail log file or folder; repeatable (or cloudtrail path sources in the config)
  --since <90d|date>     CloudTrail window start
  --policy-type <type>   managed (6,144 chars, default), inline-role, inline-user or inline-group
  --out <file>           write the policy there (file.2.json, ... when split); default: stdout
  --repo, --config, --now, --workers  as for check
  --help                 this text
  Without --out the policy JSON goes to stdout and the diff and notes to stderr.`;

const TYPES: SuggestedPolicyType[] = ['managed', 'inline-role', 'inline-user', 'inline-group'];

export async function generateCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      subject: { type: 'string' },
      policies: { type: 'string' },
      base: { type: 'string' },
      head: { type: 'string' },
      repo: { type: 'string' },
      config: { type: 'string' },
      cloudtrail: { type: 'string', multiple: true },
      since: { type: 'string' },
      now: { type: 'string' },
      out: { type: 'string' },
      'policy-type': { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out(GENERATE_HELP);
    return 0;
  }
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) throw new UsageError(`--workers ${values.workers} is not a number from 0 to 64`);
  if (!values.subject) throw new UsageError('generate needs --subject <arn>');
  if (!values.policies === !(values.base && values.head)) throw new UsageError('generate needs either --policies <dir> or --base and --head');
  const policyType = (values['policy-type'] ?? 'managed') as SuggestedPolicyType;
  if (!TYPES.includes(policyType)) throw new UsageError(`unknown --policy-type "${values['policy-type']}" (${TYPES.join(', ')})`);
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new UsageError(`--now ${values.now} is not a date`);

  // A folder of policies is compared against an empty folder: every file is "added", so every subject is in scope.
  const empty = values.policies ? await fsp.mkdtemp(path.join(os.tmpdir(), 'iam-policy-gate-empty-')) : undefined;
  try {
    const opts: CheckOptions = {
      base: empty ?? values.base!,
      head: values.policies ?? values.head!,
      repo: values.repo,
      config: values.config,
      cloudtrail: values.cloudtrail ?? [],
      since: values.since,
      outDir: '.',
      formats: [],
      now,
      workers,
      log: err,
    };
    const config = await loadConfig(values.policies && !values.config ? { ...opts, base: values.policies } : opts);
    if (opts.since) config.cloudtrail.since = checkedSince(opts.since);
    const changes = await loadChanges(opts, config);
    const usage = await gatherUsage(opts, config, changes, err);
    if (!usage) throw new UsageError('generate needs CloudTrail usage: --cloudtrail <path> or a cloudtrail path source in the config');
    const subjects = groupBySubject(extractChanges(changes, config).policyFiles, config);
    const s = subjects.find((x) => x.subject.arn === values.subject || x.subject.id === values.subject);
    if (!s) {
      const known = subjects.filter((x) => x.subject.arn).map((x) => x.subject.id);
      throw new UsageError(`no policies for ${values.subject}${known.length ? `; subjects found: ${known.slice(0, 10).join(', ')}` : ' (map files to subjects in the config)'}`);
    }
    const { suggestion, unused } = leastPrivilege(s, usage, { ...config.leastPrivilege, policyType, includeNew: true });
    if (!suggestion) {
      const why = !['role', 'user', 'group'].includes(s.subject.type)
        ? `is a ${s.subject.type}: suggestions are for roles and users`
        : s.subject.type === 'group'
          ? "is a group: its members make the calls, under their own ARNs, and group membership is not known, so its usage is unknown (suggest for each member user or role instead)"
          : unused
            ? 'has no usage in the window'
            : 'has no identity policy on the head side';
      throw new UsageError(`${s.subject.id} ${why}: nothing to suggest`);
    }

    const info: string[] = [];
    info.push(`Suggested ${policyType} policy for ${s.subject.id}: ${suggestion.documents.length} document(s), sizes ${suggestion.sizes.join(', ') || '0'} of ${suggestion.sizeLimit}`);
    if (unused) info.push(`Used ${unused.usedActions} of ${unused.grantedActions} granted action(s); ${suggestion.usedPairs} distinct (action, resource) pair(s) in the window`);
    info.push('', 'Diff against the current policy:', ...suggestion.diff.map((l) => `  ${l}`));
    if (suggestion.notes.length) info.push('', 'Notes:', ...suggestion.notes.map((n) => `  - ${n}`));

    if (values.out) {
      const written = await writeDocuments(values.out, suggestion.documents);
      for (const line of info) out(line);
      out('');
      for (const f of written) out(`  written: ${f}`);
    } else {
      out(JSON.stringify(suggestion.documents.length === 1 ? suggestion.documents[0] : suggestion.documents, null, 2));
      for (const line of info) err(line);
    }
    return 0;
  } finally {
    if (empty) await fsp.rm(empty, { recursive: true, force: true });
  }
}

/** One file per document: <out> for the first, <name>.2.json, ... for the rest. */
async function writeDocuments(out: string, documents: unknown[]): Promise<string[]> {
  const files: string[] = [];
  const ext = path.extname(out) || '.json';
  const stem = out.slice(0, out.length - path.extname(out).length);
  for (let i = 0; i < documents.length; i++) {
    const file = i === 0 ? out : `${stem}.${i + 1}${ext}`;
    await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await fsp.writeFile(file, JSON.stringify(documents[i], null, 2) + '\n');
    files.push(file);
  }
  return files;
}
