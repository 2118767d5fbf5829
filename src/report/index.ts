// The report stage: renderers from a Report to diff.md, SARIF, report.json and a console summary.
export { code, escapeHtml, escapeMarkdown, plainText } from './markdown.js';
export { renderDiffMd, DEFAULT_MARKER, DEFAULT_MAX_CHARS, type DiffMdOptions } from './diff-md.js';
export { renderSarif, fingerprint, FINGERPRINT_KEY, MAX_RESULTS, type RuleInfo, type SarifOptions } from './sarif.js';
export { renderReportJson } from './json.js';
export { renderConsoleSummary, type OutputFiles } from './summary.js';
