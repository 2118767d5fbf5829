import { readFileSync } from 'node:fs';
import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { VERSION } from '../../src/version.js';

test('schemas/config.schema.json is the schema the loader uses', () => {
  expect(JSON.parse(readFileSync('schemas/config.schema.json', 'utf8'))).toEqual(CONFIG_SCHEMA);
});

test('the version the tool reports is package.json\'s', () => {
  expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
});

test('action.yml runs the committed bundle on node24', () => {
  const action = readFileSync('action.yml', 'utf8');
  expect(action).toMatch(/using:\s*['"]?node24/);
  expect(action).toMatch(/main:\s*['"]?dist\/index\.js/);
});
