// action.yml documents exactly what the action reads and writes, with Marketplace metadata, and
// the workflows use it the way the README says.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { basicReport } from '../../fixtures/report/reports.js';
import { readInputs } from '../../src/publish/inputs.js';
import { actionOutputs } from '../../src/publish/outputs.js';

const action = parse(readFileSync('action.yml', 'utf8'));

test('runs on node24 from the bundle, with Marketplace branding', () => {
  expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  expect(action.branding).toEqual({ icon: expect.any(String), color: expect.any(String) });
  expect(action.name).toBeTruthy();
  expect(action.description.length).toBeLessThanOrEqual(500);
});

test('every input the action reads is documented, with a default, and nothing else', () => {
  const read: string[] = [];
  readInputs((name) => (read.push(name), ''));
  expect(Object.keys(action.inputs).sort()).toEqual([...new Set(read)].sort());
  for (const [name, input] of Object.entries<any>(action.inputs)) {
    expect([name, typeof input.description]).toEqual([name, 'string']);
    expect([name, input.required]).toEqual([name, false]);
    expect([name, typeof input.default]).toEqual([name, 'string']);
  }
  expect(action.inputs['github-token'].default).toBe('${{ github.token }}');
});

test('every output the action sets is documented, and nothing else', () => {
  expect(Object.keys(action.outputs).sort()).toEqual(Object.keys(actionOutputs(basicReport, {})).sort());
  for (const output of Object.values<any>(action.outputs)) expect(typeof output.description).toBe('string');
});

test('the workflows run the action itself and move the major tag on release', () => {
  const dir = '.github/workflows';
  const texts = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(`${dir}/${f}`, 'utf8')]));
  const selfTest = parse(texts['self-test.yml']);
  const steps = Object.values<any>(selfTest.jobs).flatMap((j) => j.steps);
  expect(steps.some((s) => s.uses === './' && s.with?.head === 'fixtures/demo/head')).toBe(true);
  expect(selfTest.permissions).toEqual({ contents: 'read' });
  expect(texts['release.yml']).toMatch(/git tag -f "\$MAJOR"/);
  // GitHub's CI runs the same script as every other CI (README, Development), with moto for the S3 tests.
  const ciSteps = Object.values<any>(parse(texts['ci.yml']).jobs).flatMap((j) => j.steps);
  expect(ciSteps.map((s) => s.run).filter(Boolean)).toEqual([expect.stringMatching(/moto\[server\]/), 'bash .ci/run']);
  for (const text of Object.values(texts)) expect(text).not.toMatch(/\$\{\{\s*github\.event\.pull_request\.(title|body)/);
  expect(existsSync('CHANGELOG.md')).toBe(true);
});
