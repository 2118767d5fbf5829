// [hardening] GitHub faults end to end (the bundled action, the fake GitHub, a fault proxy): 5xx,
// resets, stalls, malformed bodies, partial pages, an expired token, a rate limit too long to wait.
import { disposeBundle, prepareBundle } from '../support/github-fake/harness.js';
import { EXTRA_GITHUB_SCENARIOS, runGithubScenario, type GithubScenario } from './support/github-faults.js';
import { inputBytes, loadManifest } from './support/manifest.js';

const fromCorpus: GithubScenario[] = loadManifest()
  .filter((e) => e.run === 'github-response')
  .map((e) => ({ id: e.id, note: e.note, reply: e.reply!, body: inputBytes(e) }));
const scenarios = [...fromCorpus, ...EXTRA_GITHUB_SCENARIOS];

beforeAll(() => {
  prepareBundle();
}, 300_000);
afterAll(() => disposeBundle());

// Concurrent: most of each run is the action waiting on back-offs, not CPU.
test.concurrent.each(scenarios.map((s) => [s.id, s] as const))('%s', async (_id, scenario) => {
  const r = await runGithubScenario(scenario, 45_000);
  expect({ id: r.id, problems: r.problems }).toEqual({ id: r.id, problems: [] });
  if (scenario.id.includes('approval')) expect(r.run?.outputs['approved-by']).toBe('');
  if (scenario.id.endsWith('-once')) expect(r.run?.outputs['comment-id']).toMatch(/^\d+$/);
}, 60_000);
