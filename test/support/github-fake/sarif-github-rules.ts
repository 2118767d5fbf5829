// GitHub code scanning's SARIF ingestion rules, as the SARIF Multitool's GitHub rule set and
// GitHub's "SARIF support for code scanning" page state them (the Multitool is a .NET binary that
// is not installed here). Each problem names its rule and JSON path. Limits are GitHub's current
// ones (docs), not the Multitool's older stricter defaults.
type Json = any;

export const LIMITS = { runs: 20, resultsPerRun: 25_000, rulesPerRun: 25_000, locationsPerResult: 1000, tagsPerRule: 20, ruleName: 255, description: 1024 };

function text(value: Json): string | undefined {
  return typeof value?.text === 'string' ? value.text : undefined;
}

/** Every rule the SARIF log breaks; empty when GitHub would ingest it as intended. */
export function githubSarifProblems(log: Json): string[] {
  const problems: string[] = [];
  const bad = (rule: string, where: string, what: string) => problems.push(`${rule} ${where}: ${what}`);
  if (typeof log?.$schema !== 'string' || !/2\.1\.0(\.json)?$/.test(log.$schema)) bad('SARIF2008/GH1011', '$schema', 'must name the SARIF 2.1.0 schema');
  if (log?.version !== '2.1.0') bad('GH1013', 'version', 'must be "2.1.0"');
  const runs: Json[] = Array.isArray(log?.runs) ? log.runs : [];
  if (!Array.isArray(log?.runs)) bad('GH1013', 'runs', 'is required');
  if (runs.length > LIMITS.runs) bad('GH1013', 'runs', `more than ${LIMITS.runs} runs`);
  const categories = new Set<string>();
  runs.forEach((run, r) => {
    const at = `runs[${r}]`;
    const driver = run?.tool?.driver;
    if (typeof driver?.name !== 'string' || driver.name.trim() === '') bad('GH1018', `${at}.tool.driver.name`, 'is required and not empty');
    const category = typeof run?.automationDetails?.id === 'string' ? run.automationDetails.id.replace(/\/[^/]*$/, '') : '';
    if (categories.has(category)) bad('GH1014', `${at}.automationDetails.id`, `two runs with the category '${category}'`);
    categories.add(category);
    const rules: Json[] = Array.isArray(driver?.rules) ? driver.rules : [];
    if (rules.length > LIMITS.rulesPerRun) bad('GH1014', `${at}.tool.driver.rules`, 'too many rules');
    const ruleIds = rules.map((rule) => rule?.id);
    rules.forEach((rule, i) => {
      const rat = `${at}.tool.driver.rules[${i}]`;
      if (typeof rule?.id !== 'string' || rule.id === '') bad('GH2012', `${rat}.id`, 'is required');
      if (rule?.name !== undefined && (typeof rule.name !== 'string' || rule.name.length > LIMITS.ruleName || rule.name === rule.id)) bad('SARIF1001/GH2012', `${rat}.name`, 'must differ from the id and be at most 255 characters');
      for (const key of ['shortDescription', 'fullDescription']) {
        const t = text(rule?.[key]);
        if (!t || t.trim() === '' || t.length > LIMITS.description) bad('GH2012', `${rat}.${key}.text`, `is required, 1–${LIMITS.description} characters`);
      }
      if (!text(rule?.help)?.trim()) bad('GH2012', `${rat}.help.text`, 'is required');
      const sev = rule?.properties?.['security-severity'];
      if (sev !== undefined && (typeof sev !== 'string' || !/^\d+(\.\d+)?$/.test(sev) || Number(sev) > 10)) bad('GH2012', `${rat}.properties.security-severity`, 'must be a string holding a number 0.0–10.0');
      const tags = rule?.properties?.tags;
      if (tags !== undefined && (!Array.isArray(tags) || tags.length > LIMITS.tagsPerRule)) bad('GH2012', `${rat}.properties.tags`, `at most ${LIMITS.tagsPerRule} tags`);
      const level = rule?.defaultConfiguration?.level;
      if (level !== undefined && !['none', 'note', 'warning', 'error'].includes(level)) bad('SARIF1011', `${rat}.defaultConfiguration.level`, 'is not a SARIF level');
    });
    if (!Array.isArray(run?.results)) bad('GH1014', `${at}.results`, 'is required (empty when clean)');
    const results: Json[] = Array.isArray(run?.results) ? run.results : [];
    if (results.length > LIMITS.resultsPerRun) bad('GH1014', `${at}.results`, 'too many results');
    const baseIds = new Set(Object.keys(run?.originalUriBaseIds ?? {}));
    results.forEach((result, i) => {
      const at2 = `${at}.results[${i}]`;
      if (typeof result?.ruleId !== 'string' || !ruleIds.includes(result.ruleId)) bad('GH1015', `${at2}.ruleId`, 'must name a rule of the driver');
      if (result?.ruleIndex !== undefined && ruleIds[result.ruleIndex] !== result.ruleId) bad('SARIF1010', `${at2}.ruleIndex`, 'must point at the rule named by ruleId');
      const message = text(result?.message);
      if (!message?.trim()) bad('GH1015', `${at2}.message.text`, 'is required');
      else if (/\{\d+\}/.test(message) && !Array.isArray(result.message.arguments)) bad('GH1007', `${at2}.message.text`, 'has placeholders but no arguments');
      if (result?.level !== undefined && !['none', 'note', 'warning', 'error'].includes(result.level)) bad('SARIF1011', `${at2}.level`, 'is not a SARIF level');
      const locations: Json[] = Array.isArray(result?.locations) ? result.locations : [];
      if (locations.length === 0) bad('GH1015', `${at2}.locations`, 'GitHub shows only results with a location');
      if (locations.length > LIMITS.locationsPerResult) bad('GH1015', `${at2}.locations`, 'too many locations');
      locations.forEach((loc, j) => {
        const lat = `${at2}.locations[${j}].physicalLocation`;
        const physical = loc?.physicalLocation;
        const uri = physical?.artifactLocation?.uri;
        if (typeof uri !== 'string' || uri === '') {
          bad('GH1001/GH1017', `${lat}.artifactLocation.uri`, 'is required');
          return;
        }
        const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1];
        if (scheme && scheme.toLowerCase() !== 'file') bad('GH1005', `${lat}.artifactLocation.uri`, 'must be relative or a file: URI');
        if (scheme?.toLowerCase() === 'file') bad('GH1006', `${lat}.artifactLocation.uri`, 'an absolute file: URI needs a checkout path');
        if (uri.startsWith('/') || uri.split('/').includes('..') || uri.includes('\\')) bad('SARIF1002', `${lat}.artifactLocation.uri`, 'must be repository-relative with forward slashes and no ..');
        if (/[\s#?]/.test(uri) && !/%[0-9A-F]{2}/i.test(uri)) bad('SARIF1002', `${lat}.artifactLocation.uri`, 'must be a valid URI reference (percent-encode spaces)');
        const baseId = physical.artifactLocation.uriBaseId;
        if (baseId !== undefined && !baseIds.has(baseId)) bad('SARIF1004', `${lat}.artifactLocation.uriBaseId`, 'must be defined in run.originalUriBaseIds');
        const region = physical.region;
        if (!Number.isInteger(region?.startLine) || region.startLine < 1) bad('GH1003', `${lat}.region.startLine`, 'is required, an integer ≥ 1');
        else {
          if (region.endLine !== undefined && (!Number.isInteger(region.endLine) || region.endLine < region.startLine)) bad('SARIF1007', `${lat}.region.endLine`, 'must be ≥ startLine');
          if (region.startColumn !== undefined && (!Number.isInteger(region.startColumn) || region.startColumn < 1)) bad('SARIF1007', `${lat}.region.startColumn`, 'must be ≥ 1');
          if (region.endColumn !== undefined && (region.endLine ?? region.startLine) === region.startLine && region.startColumn !== undefined && region.endColumn < region.startColumn) {
            bad('SARIF1007', `${lat}.region.endColumn`, 'must be ≥ startColumn on one line');
          }
        }
      });
      const fingerprint = result?.partialFingerprints?.primaryLocationLineHash;
      if (typeof fingerprint !== 'string' || fingerprint === '') bad('GH1015', `${at2}.partialFingerprints.primaryLocationLineHash`, 'is needed for uploads through the API (else duplicate alerts)');
    });
  });
  return problems;
}
