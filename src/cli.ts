// The command-line interface: the same pipeline as the action, on local directories or git refs.
import { parseArgs } from 'node:util';
import { UsageError } from './changes/errors.js';
import { ConfigError } from './config/load.js';
import { renderConsoleSummary } from './report/summary.js';
import { loadConfig, runCheck, type CheckOptions } from './run.js';
import { RULES } from './verdict/rules.js';
import { safeLogLine } from './util/runner-safe.js';
import { VERSION } from './version.js';
import { GENERATE_HELP, generateCommand } from './leastpriv/generate.js';
import { EXPLAIN_HELP, explainCommand } from './explain/command.js';
import { rulesTable } from './review/rules-view.js';

const HELP = `iam-policy-gate ${VERSION}: gate changes to AWS IAM and S3 bucket policies

Usage:
  iam-policy-gate check --base <dir|git-ref> --head <dir|git-ref> [options]
  iam-policy-gate rules [--format table|json] [--config <file>]
  iam-policy-gate explain --base <dir|git-ref> --head <dir|git-ref> (--subject <arn> | --principal <arn>) --action <svc:Action> [options]
  iam-policy-gate explain --base <dir|git-ref> --head <dir|git-ref> --cases <file.yaml> [--format json]
  iam-policy-gate generate --subject <arn> (--policies <dir> | --base <dir|git-ref> --head <dir|git-ref>) --cloudtrail <path> [--out <file>]
  iam-policy-gate --version

check options:
  --repo <dir>           git repository for refs (default: current directory)
  --config <file>        config file (default: .iam-policy-gate.yml of the base side)
  --cloudtrail <source>  CloudTrail source; repeatable, read in parallel:
                           <path>                   log file or folder (.json, .json.gz, JSON lines)
                           s3://bucket[/prefix]     trail bucket (?accounts=..&regions=..&organization=o-..)
                           lookup-events[:regions]  event history (90 days, management events only)
                           arn:aws:cloudtrail:..:eventdatastore/..  CloudTrail Lake (?results-bucket=..)
                           athena:[catalog.]db.table Athena CloudTrail table (?workgroup=..&output-location=s3://..)
  --cloudtrail-accounts <list>  accounts for s3:// sources that name none (comma-separated)
  --cloudtrail-regions <list>   regions for s3:// and lookup-events sources that name none
  --workers <n>          threads that parse log objects (default: one per core, at most 4; 0 = none)
  --plan <file>          Terraform plan JSON (terraform show -json); before vs after is compared; repeatable
  --since <90d|date>     CloudTrail window start (default from config: 90d)
  --out <dir>            output folder (default: iam-policy-gate-report)
  --format <list>        comma-separated: md,sarif,json (default: all)
  --now <iso-date>       the clock for windows and expiries (default: now)
  --offline              local checks only: never ask IAM Access Analyzer, even with AWS credentials
  --aws-region <region>  region for IAM Access Analyzer (default: config, then AWS_REGION, then us-east-1)

${EXPLAIN_HELP}

${GENERATE_HELP}

rules options:
  --format <table|json>  output (default table)
  --config <file>        show the action each rule gets under this config's rules:

Exit codes: 0 pass (or warnings), 1 the gate failed (explain: an expectation failed), 2 usage or configuration error.`;

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
    if (command === 'rules') return await rulesCommand(rest, out);
    if (command === 'explain') return await explainCommand(rest, out);
    if (command === 'check') return await checkCommand(rest, out, err);
    if (command === 'generate') return await generateCommand(rest, out, err);
    throw new UsageError(`unknown command "${command}"; see iam-policy-gate --help`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      err(`iam-policy-gate: ${e.message}`);
      return 2;
    }
    // parseArgs errors carry a code; checked by shape because they may come from another realm (jest VM).
    const parseError = e as { code?: unknown; message?: unknown } | null;
    if (typeof parseError?.code === 'string' && parseError.code.startsWith('ERR_PARSE_ARGS')) {
      err(`iam-policy-gate: ${String(parseError.message)}`);
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
      'cloudtrail-accounts': { type: 'string' },
      'cloudtrail-regions': { type: 'string' },
      workers: { type: 'string' },
      plan: { type: 'string', multiple: true },
      since: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      now: { type: 'string' },
      offline: { type: 'boolean' },
      'aws-region': { type: 'string' },
    },
    strict: true,
  });
  if (!values.base || !values.head) throw new UsageError('check needs --base and --head');
  const formats = (values.format ?? 'md,sarif,json').split(',').map((f) => f.trim());
  for (const f of formats) if (!['md', 'sarif', 'json'].includes(f)) throw new UsageError(`unknown format "${f}" (md, sarif, json)`);
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new UsageError(`--now ${values.now} is not a date`);
  const list = (v: string | undefined) => v?.split(',').map((x) => x.trim()).filter(Boolean);
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) throw new UsageError(`--workers ${values.workers} is not a number from 0 to 64`);
  const opts: CheckOptions = {
    base: values.base,
    head: values.head,
    repo: values.repo,
    config: values.config,
    cloudtrail: values.cloudtrail ?? [],
    cloudtrailAccounts: list(values['cloudtrail-accounts']),
    cloudtrailRegions: list(values['cloudtrail-regions']),
    workers,
    plans: values.plan ?? [],
    since: values.since,
    outDir: values.out ?? 'iam-policy-gate-report',
    formats: formats as CheckOptions['formats'],
    now,
    // CLI runs in CI logs too: file names and log fields must not start a workflow command.
    log: (line) => err(safeLogLine(line)),
    offline: values.offline === true,
    awsRegion: values['aws-region'],
  };
  const result = await runCheck(opts);
  out(renderConsoleSummary(result.report));
  for (const [what, file] of Object.entries(result.files)) out(`  ${what}: ${file}`);
  return result.exitCode;
}

async function rulesCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { format: { type: 'string' }, config: { type: 'string' } }, strict: true });
  if (values.format && values.format !== 'json' && values.format !== 'table') throw new UsageError(`unknown format "${values.format}" (table, json)`);
  const configured = values.config ? (await loadConfig({ base: '.', head: '.', config: values.config, cloudtrail: [], outDir: '.', formats: [] })).rules : {};
  out(rulesTable(RULES, configured, values.format === 'json' ? 'json' : 'table'));
  return 0;
}
