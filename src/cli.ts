// The command-line interface: the same pipeline as the action, on local directories or git refs.
import { parseArgs } from 'node:util';
import { UsageError } from './changes/errors.js';
import { ConfigError } from './config/load.js';
import { renderConsoleSummary } from './report/summary.js';
import { runCheck, type CheckOptions } from './run.js';
import { RULES, resolveAction } from './verdict/rules.js';
import { VERSION } from './version.js';

const HELP = `iam-policy-gate ${VERSION}: gate changes to AWS IAM and S3 bucket policies

Usage:
  iam-policy-gate check --base <dir|git-ref> --head <dir|git-ref> [options]
  iam-policy-gate rules [--format table|json]
  iam-policy-gate --version

check options:
  --repo <dir>           git repository for refs (default: current directory)
  --config <file>        config file (default: .iam-policy-gate.yml of the base side)
  --cloudtrail <path>    CloudTrail log file or folder (.json, .json.gz, JSON lines); repeatable
  --since <90d|date>     CloudTrail window start (default from config: 90d)
  --out <dir>            output folder (default: iam-policy-gate-report)
  --format <list>        comma-separated: md,sarif,json (default: all)
  --now <iso-date>       the clock for windows and expiries (default: now)

Exit codes: 0 pass (or warnings), 1 the gate failed, 2 usage or configuration error.`;

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n'), err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      out(HELP);
      return command ? 0 : 2;
    }
    if (command === '--version' || command === '-v') {
      out(VERSION);
      return 0;
    }
    if (command === 'rules') return rulesCommand(rest, out);
    if (command === 'check') return await checkCommand(rest, out, err);
    throw new UsageError(`unknown command "${command}"; see iam-policy-gate --help`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      err(`iam-policy-gate: ${e.message}`);
      return 2;
    }
    if (String((e as { code?: string }).code ?? '').startsWith('ERR_PARSE_ARGS')) {
      err(`iam-policy-gate: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

async function checkCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      repo: { type: 'string' },
      config: { type: 'string' },
      cloudtrail: { type: 'string', multiple: true },
      since: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      now: { type: 'string' },
    },
    strict: true,
  });
  if (!values.base || !values.head) throw new UsageError('check needs --base and --head');
  const formats = (values.format ?? 'md,sarif,json').split(',').map((f) => f.trim());
  for (const f of formats) if (!['md', 'sarif', 'json'].includes(f)) throw new UsageError(`unknown format "${f}" (md, sarif, json)`);
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new UsageError(`--now ${values.now} is not a date`);
  const opts: CheckOptions = {
    base: values.base,
    head: values.head,
    repo: values.repo,
    config: values.config,
    cloudtrail: values.cloudtrail ?? [],
    since: values.since,
    outDir: values.out ?? 'iam-policy-gate-report',
    formats: formats as CheckOptions['formats'],
    now,
    log: err,
  };
  const result = await runCheck(opts);
  out(renderConsoleSummary(result.report));
  for (const [what, file] of Object.entries(result.files)) out(`  ${what}: ${file}`);
  return result.exitCode;
}

function rulesCommand(args: string[], out: (s: string) => void): number {
  const { values } = parseArgs({ args, options: { format: { type: 'string' } }, strict: true });
  if (values.format === 'json') {
    out(JSON.stringify(RULES.map((r) => ({ ...r, action: resolveAction(r.id, r.severity, {}) })), null, 2));
    return 0;
  }
  const rows = RULES.map((r) => [r.id, r.defaultAction, r.severity, r.shortDescription]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), 8));
  out(['rule', 'default', 'severity', 'description'].map((h, i) => (i < 3 ? h.padEnd(widths[i]) : h)).join('  '));
  for (const row of rows) out(row.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join('  '));
  return 0;
}
