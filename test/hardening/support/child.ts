// Runs corpus inputs one after another in this process and reports each on stdout; the supervisor
// (supervise.ts) watches it, so an input that hangs or kills the process is caught and named.
import { closeFakes, runEntry } from './run-entry.js';
import { loadManifest } from './manifest.js';

const RESULT = '@@corpus-result ';
const START = '@@corpus-start ';

async function runAll(ids: string[]): Promise<void> {
  const byId = new Map(loadManifest().map((e) => [e.id, e]));
  for (const id of ids) {
    const entry = byId.get(id);
    if (!entry) throw new Error(`no corpus entry ${id}`);
    process.stdout.write(`${START}${id}\n`);
    const outcome = await runEntry(entry);
    // Keep the line small: the judge needs the text only to look for the input's name.
    process.stdout.write(`${RESULT}${JSON.stringify({ ...outcome, text: outcome.text.slice(0, 20_000) })}\n`);
  }
  await closeFakes();
}

runAll(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`corpus child failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(3);
  },
);
