// One side of one file -> its policy documents and located findings. Never throws on file content.
import type { ExtractedFile, Finding, PolicyDocument, PolicyKind, SourceLocation } from '../model.js';
import { findPolicyCandidates, isPolicyObject, looksLikePolicyText, type PolicyCandidate } from './detect.js';
import { documentFromValue } from './document.js';
import { decodeText, embeddedStringMapper, parseLocatedJson, type JsonProblem, type PositionMapper } from './json-located.js';
import type { LNode } from './located.js';
import { DEFAULT_MAX_PLAN_BYTES, extractIacJson, extractIacText, extractLargePlan, looksLikeIac, type IacOptions } from '../iac/index.js';

export interface ExtractOptions {
  /** Files larger than this are not parsed. */
  maxBytes: number;
  /** The config's globs say this file is a policy: "not a policy" becomes an error. */
  forcePolicy?: boolean;
  /** Wins over the kind inferred from content or wrapper (the caller passes scp, rcp, boundary). */
  kindHint?: PolicyKind;
  /** Overrides the size quota of the kind. */
  sizeLimit?: number;
  maxDepth?: number;
  /** Which side this is, for files that hold both (a Terraform plan: before = base, after = head). Default head. */
  side?: 'base' | 'head';
  /** CloudFormation settings and Terraform sources ([iac]). */
  iac?: IacOptions;
}

const at = (file: string, line = 1, column = 1): SourceLocation => ({ file, line, column });

function finding(ruleId: string, severity: Finding['severity'], message: string, location: SourceLocation, what: string): Finding {
  return { ruleId, severity, message, location, identity: `${ruleId}|${location.file}|${what}`, origin: 'local' };
}

function problemFinding(p: JsonProblem, what: string): Finding {
  switch (p.code) {
    case 'duplicate-key':
      return finding('duplicate-key', 'high', p.message, p.loc, `${p.pointer ?? ''}/${p.key ?? ''}`);
    case 'binary':
    case 'not-utf8':
    case 'utf16':
    case 'too-large':
      return finding('unsupported-file', 'medium', p.message, p.loc, `${what}${p.code}`);
    default:
      return finding('parse-error', 'high', p.message, p.loc, `${what}${p.code}`);
  }
}

/** Text searched by the "meant as a policy?" test when the file cannot be decoded strictly. */
function lossyText(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 1 << 20);
  const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  // NULs dropped: UTF-16 without a byte order mark still shows its "Statement".
  return new TextDecoder(utf16 ? (head[0] === 0xff ? 'utf-16le' : 'utf-16be') : 'utf-8').decode(head).replace(/\0/g, '');
}

function notPolicy(path: string): ExtractedFile {
  return { path, status: 'not-policy', documents: [], findings: [] };
}

function failed(path: string, findings: Finding[]): ExtractedFile {
  return { path, status: 'error', documents: [], findings };
}

/** Where a string-encoded document's positions land in the file. */
function mapperFor(node: Extract<LNode, { kind: 'string' }>, text: string): PositionMapper {
  const lines = text.split(/\r\n|\r|\n/);
  const lineText = lines[node.loc.line - 1] ?? '';
  if (node.loc.endLine === node.loc.line && node.loc.endColumn !== undefined) {
    return embeddedStringMapper(lineText.slice(node.loc.column - 1, node.loc.endColumn - 1), node.loc.line, node.loc.column);
  }
  return () => ({ line: node.loc.line, column: node.loc.column });
}

/** Parse a string that holds a policy as JSON text or URL-encoded JSON text. */
function decodeEmbedded(
  c: PolicyCandidate & { node: Extract<LNode, { kind: 'string' }> },
  file: string,
  text: string,
  maxDepth: number | undefined,
): { root?: LNode; problems: JsonProblem[] } {
  const raw = c.node.value;
  if (raw.trimStart().startsWith('{')) {
    return parseLocatedJson(raw, { file, maxDepth, mapPosition: mapperFor(c.node, text) });
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw); // IAM encodes per RFC 3986: '+' is a plus, not a space
  } catch {
    return { problems: [{ code: 'syntax', message: 'The URL-encoded policy string is malformed.', loc: { file, line: c.node.loc.line, column: c.node.loc.column } }] };
  }
  // Positions inside a URL-encoded string mean nothing to a reader: everything points at the string.
  const here = { line: c.node.loc.line, column: c.node.loc.column };
  return parseLocatedJson(decoded, { file, maxDepth, mapPosition: () => here });
}

export function extractPolicies(path: string, bytes: Uint8Array, opts: ExtractOptions): ExtractedFile {
  const jsonName = /\.json$/i.test(path);
  const force = opts.forcePolicy === true;
  // A file we cannot read is an error when it was meant as a policy, otherwise simply not ours.
  const meantAsPolicy = (text: () => string): boolean => force || (jsonName && looksLikePolicyText(text()));

  if (bytes.length > opts.maxBytes) {
    // Plans have their own, larger limit; a template or plan over the limit is an error, not "not a policy".
    if (bytes.length <= (opts.iac?.maxPlanBytes ?? DEFAULT_MAX_PLAN_BYTES) && jsonName) {
      const plan = decodeText(bytes, path).text;
      const extracted = plan === undefined ? undefined : extractLargePlan(path, plan, opts);
      if (extracted) return extracted;
    }
    if (!meantAsPolicy(() => lossyText(bytes)) && !looksLikeIac(lossyText(bytes))) return notPolicy(path);
    return failed(path, [finding('unsupported-file', 'medium', `File is ${bytes.length} bytes, over the limit of ${opts.maxBytes}; not analysed.`, at(path), 'too-large')]);
  }
  const decoded = decodeText(bytes, path);
  if (decoded.text === undefined) {
    if (!meantAsPolicy(() => lossyText(bytes)) && !looksLikeIac(lossyText(bytes))) return notPolicy(path);
    return failed(path, decoded.problem ? [problemFinding(decoded.problem, '')] : []);
  }
  const text = decoded.text;
  const template = extractIacText(path, text, opts);
  if (template) return template;
  const parsed = parseLocatedJson(text, { file: path, maxDepth: opts.maxDepth });
  if (!parsed.root) {
    if (!meantAsPolicy(() => text) && !looksLikeIac(text)) return notPolicy(path);
    return failed(path, parsed.problems.map((p) => problemFinding(p, '')));
  }

  const iac = extractIacJson(path, text, parsed.root, opts);
  if (iac) return { ...iac, findings: [...parsed.problems.map((p) => problemFinding(p, '')), ...iac.findings] };
  const candidates = findPolicyCandidates(parsed.root);
  if (candidates.length === 0) {
    // A list of policy documents: a shape some tools read, not one IAM takes; never "not a policy" (fail closed).
    if (parsed.root.kind === 'array' && parsed.root.items.some((x) => isPolicyObject(x))) {
      return failed(path, [finding('unsupported-file', 'high', 'The file is a list of policy documents; a list is not read as policies here (one document per file, or a wrapper).', at(path), 'policy-list')]);
    }
    if (!force) return notPolicy(path);
    return failed(path, [
      finding('unsupported-file', 'high', 'The configuration says this file is a policy, but it holds no policy document (no object with a Statement).', at(path), 'not-a-policy'),
    ]);
  }

  const findings: Finding[] = parsed.problems.map((p) => problemFinding(p, ''));
  if (decoded.bom) findings.push(finding('parse-error', 'info', 'The file starts with a UTF-8 byte order mark; it was ignored here, but some tools send it on to IAM, which rejects the document.', at(path), 'bom'));
  const documents: PolicyDocument[] = [];
  for (const c of candidates) {
    const label = c.pointer ? `${path}#${c.pointer}` : path;
    let node: LNode | undefined = c.node;
    if (c.encoded && c.node.kind === 'string') {
      const inner = decodeEmbedded({ ...c, node: c.node }, path, text, opts.maxDepth);
      findings.push(...inner.problems.map((p) => problemFinding(p, `${c.pointer}|`)));
      node = inner.root;
    }
    if (!node) continue;
    const kindHint = opts.kindHint ?? c.kind;
    const built = documentFromValue(node, {
      file: path,
      pointer: c.pointer,
      label,
      ...(kindHint ? { kindHint } : {}),
      ...(opts.sizeLimit !== undefined ? { sizeLimit: opts.sizeLimit } : {}),
    });
    findings.push(...built.findings);
    if (built.document) documents.push(built.document);
  }
  const format = candidates.some((c) => c.wrapper) ? 'wrapper' : 'json';
  return { path, status: documents.length > 0 ? 'policy' : 'error', format, documents, findings };
}
