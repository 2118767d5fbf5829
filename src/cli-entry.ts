// Process entry of the CLI bundle (dist/cli.js).
import { main } from './cli.js';
import { maybeRunUsageWorker } from './usage/worker-entry.js';

function runCli(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`iam-policy-gate: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

// The same bundle is also the CloudTrail parsing worker: in a worker thread it parses and never runs the CLI.
if (!maybeRunUsageWorker()) runCli();
