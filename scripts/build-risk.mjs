#!/usr/bin/env node
// Generates the high-risk classification (src/catalog/risk-data.generated.ts) and its documentation
// (src/catalog/RISK-SOURCES.md) from the public lists in ../shared/data, filtered against the committed
// action catalogue (run build-catalog.mjs first when iam-data changes).
//
//   node scripts/build-risk.mjs           regenerate both files (needs ../shared/data; else keeps them)
//   node scripts/build-risk.mjs --check   exit 1 when a committed file differs from a fresh build
//
// IAM_GATE_SHARED_DATA=<dir> points at another copy of the shared data folder.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCatalogModule } from './build-catalog.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const defaultShared = process.env.IAM_GATE_SHARED_DATA ?? join(root, '..', 'shared', 'data');
const catalogFile = join(root, 'src', 'catalog', 'catalog-data.generated.ts');
const outFile = join(root, 'src', 'catalog', 'risk-data.generated.ts');
const docFile = join(root, 'src', 'catalog', 'RISK-SOURCES.md');

export const CATEGORIES = [
  'privilege-escalation',
  'permissions-management',
  'resource-exposure',
  'credentials-exposure',
  'data-access',
];

/** Services whose permission-changing actions change who can do what, rather than who can reach a resource. */
const IDENTITY_SERVICES = ['iam', 'sso', 'sso-directory', 'identitystore', 'organizations'];

const PRIVESC_LISTS = [
  'aws_sample_aa_privesc_reference',
  'cloudsplaining_privesc',
  'parliament_privesc',
  'pathfinding_required',
  'policy_sentry_privesc',
  'rhino_privesc',
];
const CREDENTIAL_LISTS = [
  'cloudsplaining_credentials_exposure',
  'parliament_credentials_exposure',
  'policy_sentry_credentials_exposure',
];
const PERMISSION_LISTS = ['parliament_permissions_management', 'policy_sentry_resource_exposure'];
const DATA_LISTS = ['cloudsplaining_data_exfiltration'];

/** Our own additions to the data-access category, each with why (patterns expand against the catalogue). */
export const CURATED_DATA_ACCESS = [
  ['s3:GetObject', 'reads object contents; unrestricted GetObject is the classic source of data leaks'],
  ['s3:GetObjectVersion', 'reads the same contents, including overwritten and deleted versions'],
  ['secretsmanager:GetSecretValue', 'returns the secret value'],
  ['secretsmanager:BatchGetSecretValue', 'returns many secret values in one call'],
  ['ssm:GetParameter*', 'GetParameter(s), GetParametersByPath and GetParameterHistory return parameter values, SecureStrings decrypted'],
  ['kms:Decrypt', 'turns any ciphertext or data key the key protects into plaintext'],
  ['dynamodb:GetItem', 'reads table items'],
  ['dynamodb:BatchGetItem', 'reads table items in bulk'],
  ['dynamodb:Query', 'reads table items by key'],
  ['dynamodb:Scan', 'reads a whole table'],
  ['dynamodb:PartiQLSelect', 'reads table items through PartiQL'],
  ['dynamodb:ExportTableToPointInTime', 'copies a whole table to an S3 bucket the caller names'],
  ['rds-data:ExecuteStatement', 'runs SQL, including SELECT, against an Aurora database through the Data API'],
  ['rds-data:BatchExecuteStatement', 'runs SQL in bulk through the Data API'],
];

const SOURCE_FOLDERS = {
  rhino: 'RhinoSecurityLabs_AWS-IAM-Privilege-Escalation',
  pathfinding: 'DataDog_pathfinding.cloud',
  cloudsplaining: 'salesforce_cloudsplaining',
  parliament: 'duo-labs_parliament',
  policy_sentry: 'salesforce_policy_sentry',
  crossref: '_derived_highrisk_action_crossref',
};

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

function provenance(sharedDir, key) {
  const folder = SOURCE_FOLDERS[key];
  const text = readFileSync(join(sharedDir, folder, 'PROVENANCE.md'), 'utf8');
  const field = (name) => new RegExp(`^- ${name}:\\s*(.+)$`, 'm').exec(text)?.[1].trim() ?? 'n/a';
  const repo = field('Source repository').replace(/^https:\/\/github\.com\//, '');
  return { key, folder, repo: repo === 'n/a' ? field('Source') : repo, commit: field('Commit'), license: field('License') };
}

function readCrossref(sharedDir) {
  const lines = readFileSync(join(sharedDir, SOURCE_FOLDERS.crossref, 'highrisk_actions_crossref.csv'), 'utf8')
    .trim()
    .split(/\r?\n/);
  const header = lines[0].split(',');
  const lists = header.slice(2);
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(',');
    return { action: cells[0], lists: lists.filter((_, i) => cells[i + 2] === '1') };
  });
  return { lists, rows };
}

/** Every escalation method of the four method catalogues: { source, ref, title, kind?, actions (lower-cased) }. */
function readMethods(sharedDir) {
  const methods = [];
  const rhino = readJson(join(sharedDir, SOURCE_FOLDERS.rhino, 'privesc_methods_structured.json'));
  for (const m of rhino.methods) {
    methods.push({ source: 'rhino', ref: `rhino-${m.n}`, title: m.title, actions: m.required_actions });
  }
  for (const p of readJson(join(sharedDir, SOURCE_FOLDERS.pathfinding, 'docs', 'paths.json'))) {
    const first = /^.*?\.(\s|$)/.exec(p.description.replace(/\s+/g, ' '))?.[0].trim() ?? p.name;
    methods.push({
      source: 'pathfinding',
      ref: p.id,
      title: first.replace(/`/g, ''),
      name: p.name,
      kind: p.category,
      actions: p.permissions.required.map((r) => r.permission),
    });
  }
  const cs = readJson(join(sharedDir, SOURCE_FOLDERS.cloudsplaining, 'constants_from_cloudsplaining_shared_constants.json'));
  for (const [name, actions] of Object.entries(cs.PRIVILEGE_ESCALATION_METHODS)) {
    methods.push({ source: 'cloudsplaining', ref: `cloudsplaining:${name}`, title: decamel(name), actions });
  }
  const pl = readJson(join(sharedDir, SOURCE_FOLDERS.parliament, 'community_auditor_action_lists.json'));
  for (const [name, actions] of Object.entries(pl['privilege_escalation.py::escalation_methods'])) {
    methods.push({ source: 'parliament', ref: `parliament:${name}`, title: decamel(name), actions });
  }
  for (const m of methods) m.actions = [...new Set(m.actions.map((a) => a.toLowerCase()))].sort();
  return methods;
}

const decamel = (name) =>
  name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

const SOURCE_ORDER = ['pathfinding', 'rhino', 'cloudsplaining', 'parliament'];

/** Methods that name the same set of actions become one combo; its id and wording come from the best source. */
function buildCombos(methods, catalogIds, sources) {
  const groups = new Map();
  for (const m of methods) {
    const key = m.actions.join('+');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(m);
  }
  const combos = [];
  const dropped = [];
  for (const group of groups.values()) {
    group.sort((a, b) => SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source));
    const missing = group[0].actions.filter((a) => !catalogIds.has(a));
    if (missing.length) {
      dropped.push({ refs: group.map((m) => m.ref), missing });
      continue;
    }
    const primary = group[0];
    // Rhino titles read best; pathfinding's "This is a variation of ..." says little on its own.
    const path = group.find((m) => m.source === 'pathfinding');
    const pathTitle = path && (path.title.startsWith('This is a variation') ? path.name : path.title);
    const description = group.find((m) => m.source === 'rhino')?.title ?? pathTitle ?? primary.title;
    combos.push({
      id: primary.ref.replace(/^(cloudsplaining|parliament):/, '$1-'),
      actions: primary.actions.map((a) => catalogIds.get(a)),
      description,
      source: sources[primary.source].repo,
      references: group.map((m) => m.ref),
      ...(group.find((m) => m.kind) ? { kind: group.find((m) => m.kind).kind } : {}),
    });
  }
  combos.sort((a, b) => a.actions.length - b.actions.length || a.id.localeCompare(b.id));
  return { combos, dropped };
}

export function buildRisk(sharedDir = defaultShared, catalogText = readFileSync(catalogFile, 'utf8')) {
  const catalog = decodeCatalogModule(catalogText);
  const catalogIds = new Map(catalog.actions.map((a) => [a.id.toLowerCase(), a.id]));
  const levelOf = new Map(catalog.actions.map((a) => [a.id.toLowerCase(), a.level]));
  const sources = Object.fromEntries(Object.keys(SOURCE_FOLDERS).map((k) => [k, provenance(sharedDir, k)]));
  const { lists, rows } = readCrossref(sharedDir);
  const methods = readMethods(sharedDir);

  const listsOf = new Map(); // lower-cased id -> Set of list names
  const named = (id, list) => {
    if (!listsOf.has(id)) listsOf.set(id, new Set());
    listsOf.get(id).add(list);
  };
  for (const row of rows) for (const list of row.lists) named(row.action, list);

  const curatedExpansions = CURATED_DATA_ACCESS.map(([pattern, why]) => {
    const re = new RegExp(`^${pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    const ids = [...catalogIds.keys()].filter((id) => re.test(id));
    for (const id of ids) named(id, 'curated_data_access');
    return { pattern, why, ids: ids.map((id) => catalogIds.get(id)) };
  });

  const singleActionMethods = new Map(); // lower-cased id -> method refs
  for (const m of methods) {
    if (m.actions.length !== 1) continue;
    const refs = singleActionMethods.get(m.actions[0]) ?? [];
    singleActionMethods.set(m.actions[0], [...refs, m.ref]);
  }

  const categoriesOf = new Map();
  const classify = (id, category) => {
    if (!categoriesOf.has(id)) categoriesOf.set(id, new Set());
    categoriesOf.get(id).add(category);
  };
  const droppedActions = [...listsOf.keys()].filter((id) => !catalogIds.has(id)).sort();
  const service = (id) => id.slice(0, id.indexOf(':'));
  const isIdentity = (id) => IDENTITY_SERVICES.includes(service(id));
  const changesThings = (id) => levelOf.get(id) === 'W' || levelOf.get(id) === 'P';

  for (const [id, names] of listsOf) {
    if (!catalogIds.has(id)) continue;
    const has = (list) => names.has(list);
    if (singleActionMethods.has(id) || PRIVESC_LISTS.every(has)) classify(id, 'privilege-escalation');
    if (CREDENTIAL_LISTS.some(has)) classify(id, 'credentials-exposure');
    if (DATA_LISTS.some(has) || has('curated_data_access')) classify(id, 'data-access');
    if (PERMISSION_LISTS.some(has) && changesThings(id)) {
      if (isIdentity(id)) classify(id, 'permissions-management');
      else if (!CREDENTIAL_LISTS.some(has)) classify(id, 'resource-exposure');
    }
  }
  for (const id of singleActionMethods.keys()) if (catalogIds.has(id)) classify(id, 'privilege-escalation');
  for (const [id, level] of levelOf) {
    if (level !== 'P') continue;
    named(id, 'catalogue_permissions_management_level');
    classify(id, isIdentity(id) ? 'permissions-management' : 'resource-exposure');
  }

  const allLists = [...lists, 'curated_data_access', 'catalogue_permissions_management_level'];
  // Listed actions without a category stay in, so riskSources can still say who names them.
  const kept = new Set([...categoriesOf.keys(), ...[...listsOf.keys()].filter((id) => catalogIds.has(id))]);
  const actions = [...kept].sort().map((id) => {
    const cats = CATEGORIES.filter((c) => categoriesOf.get(id)?.has(c));
    const names = allLists.filter((l) => listsOf.get(id)?.has(l));
    return [catalogIds.get(id), cats.map((c) => CATEGORIES.indexOf(c)), names.map((l) => allLists.indexOf(l))];
  });
  const { combos, dropped: droppedCombos } = buildCombos(methods, catalogIds, sources);
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, actions.filter((a) => a[1].includes(CATEGORIES.indexOf(c))).length]));
  const data = {
    catalog: { source: catalog.source, version: catalog.version },
    sources: Object.values(sources).map(({ key, repo, commit, license }) => ({ key, repo, commit, license })),
    categories: CATEGORIES,
    lists: allLists,
    actions,
    combos,
  };
  return { data, counts, droppedActions, droppedCombos, curatedExpansions, singleActionMethods, sources };
}

const singleQuoted = (text) => text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

export function renderModule({ data, counts }) {
  return [
    '// Generated by scripts/build-risk.mjs from the public lists named in RISK-SOURCES.md. Do not edit.',
    `// ${data.actions.length} listed actions, ${data.combos.length} escalation combos; ${JSON.stringify(counts)}`,
    '/* eslint-disable */',
    `export const RISK_JSON = '${singleQuoted(JSON.stringify(data))}';`,
    '',
  ].join('\n');
}

export function renderDoc(result) {
  const { data, counts, droppedActions, droppedCombos, curatedExpansions, singleActionMethods, sources } = result;
  const lines = [];
  const out = (...l) => lines.push(...l);
  out(
    '# High-risk action classification: sources and rule',
    '',
    'Generated by `scripts/build-risk.mjs` with `src/catalog/risk-data.generated.ts`; do not edit by hand.',
    `Actions are kept only when they exist in the catalogue (${data.catalog.source}@${data.catalog.version}).`,
    'The lists are used as data (action names); no code from them is included.',
    '',
    '## Sources',
    '',
    '| source | repository | commit | licence |',
    '|---|---|---|---|',
    ...Object.values(sources).map((s) => `| ${s.folder} | ${s.repo} | ${s.commit === 'n/a' ? 'n/a' : s.commit.slice(0, 12)} | ${s.license} |`),
    '',
    'The cross-reference (`highrisk_actions_crossref.csv`) joins 12 lists: the privilege-escalation lists of',
    'Rhino, cloudsplaining, parliament, policy_sentry, the required permissions of pathfinding.cloud paths, an',
    'aws-samples Access Analyzer privilege-escalation reference (deny list; no folder of its own in shared data),',
    'the credentials-exposure lists of cloudsplaining, parliament and policy_sentry, parliament\'s permissions-',
    'management list, policy_sentry\'s resource-exposure list and cloudsplaining\'s data-exfiltration list.',
    'Escalation methods (combos) come from Rhino\'s 28 methods, pathfinding.cloud `docs/paths.json`, cloudsplaining',
    '`PRIVILEGE_ESCALATION_METHODS` and parliament\'s `escalation_methods`.',
    '',
    '## Rule',
    '',
    `Identity services: ${IDENTITY_SERVICES.map((s) => '`' + s + '`').join(', ')}.`,
    '',
    '- **privilege-escalation**: the action completes an escalation method on its own in any of the four method',
    '  catalogues (e.g. `iam:CreatePolicyVersion`, `lambda:UpdateFunctionCode`, `ssm:SendCommand`), or all six',
    '  privilege-escalation lists name it (today only `iam:PassRole`, the ingredient of every pass-role method).',
    '  Actions that only take part in multi-action methods (`ec2:RunInstances`, `lambda:CreateFunction`,',
    '  `dynamodb:PutItem`) are not flagged alone: granting them is routine; the combos below catch the',
    '  dangerous combination. `riskSources` still names every list that mentions them.',
    '- **credentials-exposure**: any of the three credentials-exposure lists names it.',
    '- **permissions-management**: an identity-service action whose catalogue access level is "Permissions',
    '  management", or that parliament\'s permissions-management or policy_sentry\'s resource-exposure list names',
    '  and whose catalogue access level is Write or Permissions management (creating users, roles, providers,',
    '  MFA devices changes who can do what).',
    '- **resource-exposure**: an action outside the identity services whose catalogue access level is "Permissions',
    '  management" (resource-based policies, grants, sharing: `s3:PutBucketPolicy`, `kms:PutKeyPolicy`,',
    '  `lambda:AddPermission`), or that one of those two lists names with access level Write or Permissions',
    '  management (e.g. `ram:CreateResourceShare`, `ec2:ModifySnapshotAttribute`), unless a credentials list',
    '  names it (those lists mix in credential calls, which credentials-exposure covers).',
    '  List entries the catalogue now rates Read or List (e.g. `waf:GetChangeToken`) are ignored for these two.',
    '- **data-access**: cloudsplaining\'s data-exfiltration list plus this curated list:',
    '',
    '| pattern | actions | why |',
    '|---|---|---|',
    ...curatedExpansions.map((c) => `| \`${c.pattern}\` | ${c.ids.length} | ${c.why} |`),
    '',
    'An action can be in several categories (`iam:CreateAccessKey` is privilege-escalation and',
    'credentials-exposure). `riskSources` lists every source naming an action, including',
    '`curated_data_access` and `catalogue_permissions_management_level`.',
    '',
    '## Counts',
    '',
    '| category | actions |',
    '|---|---|',
    ...CATEGORIES.map((c) => `| ${c} | ${counts[c]} |`),
    `| any | ${data.actions.filter((a) => a[1].length).length} |`,
    '',
    `Listed but in no category (kept for \`riskSources\`): ${data.actions.filter((a) => !a[1].length).length}.`,
    '',
    `Single-action escalation methods: ${[...singleActionMethods.keys()].filter((id) => data.actions.some((a) => a[0].toLowerCase() === id)).length}.`,
    `Escalation combos: ${data.combos.length} (methods naming the same actions are merged; \`references\` keeps every source).`,
    '',
    '## Dropped (not in the catalogue)',
    '',
    `Actions (${droppedActions.length}): ${droppedActions.map((a) => '`' + a + '`').join(', ') || 'none'}.`,
    '',
    `Combos (${droppedCombos.length}):`,
    ...droppedCombos.map((d) => `- ${d.refs.join(', ')}: missing ${d.missing.map((a) => '`' + a + '`').join(', ')}`),
    '',
  );
  return lines.join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  if (!existsSync(join(defaultShared, SOURCE_FOLDERS.crossref))) {
    console.log(`no shared data at ${defaultShared}; keeping the committed risk data`);
    process.exit(0);
  }
  const result = buildRisk();
  const outputs = [
    [outFile, renderModule(result)],
    [docFile, renderDoc(result)],
  ];
  if (process.argv.includes('--check')) {
    const stale = outputs.filter(([file, text]) => !existsSync(file) || readFileSync(file, 'utf8') !== text);
    for (const [file] of stale) console.error(`${file} is stale: run node scripts/build-risk.mjs`);
    if (stale.length) process.exit(1);
    console.log('risk data is up to date');
  } else {
    for (const [file, text] of outputs) writeFileSync(file, text);
    console.log(`wrote ${outFile}, ${docFile}: ${JSON.stringify(result.counts)}`);
  }
}
