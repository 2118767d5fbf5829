import { loadManifest } from '../test/hardening/support/manifest.js';
import { superviseCorpus } from '../test/hardening/support/supervise.js';
import { judge } from '../test/hardening/support/run-entry.js';
const filter = process.argv[2] ?? '';
const entries = loadManifest().filter((e) => e.run !== 'github-response' && e.id.includes(filter));
const t0 = Date.now();
const outcomes = await superviseCorpus(entries.map((e) => e.id), { limitMs: 10_000, workers: 2 });
let bad = 0;
for (const [i, e] of entries.entries()) {
  const o = outcomes[i];
  const j = judge(e, o, 10_000);
  if (!j.ok) { bad++; console.log(`${e.id} [${e.expect}] ${o.ms}ms exit=${o.exitCode} verdict=${o.verdict}: ${j.problems.join('; ')}\n    ${o.text.replace(/\n/g, ' | ').slice(0, 400)}`); }
}
const slow = outcomes.filter((o) => o.ms > 2000).map((o) => `${o.id}:${o.ms}`);
console.log(`\n${entries.length} inputs, ${bad} problems, ${Date.now() - t0} ms; slow: ${slow.join(', ')}`);
