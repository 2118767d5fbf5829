// Where an Access Analyzer answer points in the file: a statement index, or a ValidatePolicy path
// (Statement → index → Action → index ...) walked down the document's located statements.
import type { Located, PolicyDocument, PrincipalBlock, SourceLocation, Statement } from '../model.js';

/** The wire shape of a ValidatePolicy location (a path element is a one-member union). */
export interface WireLocation {
  path?: Array<{ index?: number; key?: string; value?: string; substring?: { start?: number; length?: number } }>;
  span?: { start?: { line?: number; column?: number; offset?: number }; end?: { line?: number; column?: number; offset?: number } };
}

const start = (loc: SourceLocation): SourceLocation => ({ file: loc.file, line: loc.line, column: loc.column });

/** The statement AWS numbered `index`: in a rebuilt document the i-th statement sent; in the file, the i-th written. */
export function statementAt(doc: PolicyDocument, index: number | undefined, verbatim: boolean): Statement | undefined {
  if (index === undefined || !Number.isInteger(index) || index < 0) return undefined;
  return verbatim ? doc.statements.find((s) => s.index === index) : doc.statements[index];
}

export function locateStatement(doc: PolicyDocument, index: number | undefined, verbatim: boolean): SourceLocation {
  const st = statementAt(doc, index, verbatim);
  return start(st?.loc ?? doc.loc);
}

function pick(list: Located<string>[] | undefined, index: number | undefined): SourceLocation | undefined {
  if (!list || list.length === 0) return undefined;
  return (list[index ?? 0] ?? list[0]).loc;
}

function inPrincipal(block: PrincipalBlock, type: string | undefined, index: number | undefined): SourceLocation {
  if (!type) return block.loc;
  const entries = block.entries.filter((e) => e.type.toLowerCase() === type.toLowerCase());
  return (entries[index ?? 0] ?? entries[0])?.loc ?? block.loc;
}

/** Best location for a ValidatePolicy finding: the span when the file was sent verbatim, else the path. */
export function locateWire(doc: PolicyDocument, where: WireLocation | undefined, verbatim: boolean): SourceLocation {
  const span = where?.span?.start;
  if (verbatim && span && Number.isInteger(span.line) && Number.isInteger(span.column) && (span.line as number) >= 1) {
    const end = where?.span?.end;
    const loc: SourceLocation = { file: doc.file, line: span.line as number, column: (span.column as number) + 1 };
    if (end && Number.isInteger(end.line) && Number.isInteger(end.column)) {
      loc.endLine = end.line as number;
      loc.endColumn = (end.column as number) + 1;
    }
    return loc;
  }
  return start(walkPath(doc, where?.path ?? [], verbatim));
}

function walkPath(doc: PolicyDocument, path: NonNullable<WireLocation['path']>, verbatim: boolean): SourceLocation {
  const name = (i: number) => (path[i]?.value ?? path[i]?.key ?? '').toLowerCase();
  const idx = (i: number) => (typeof path[i]?.index === 'number' ? path[i].index : undefined);
  if (name(0) !== 'statement') return doc.loc;
  // A single statement object has no index step.
  const hasIndex = idx(1) !== undefined;
  const st = statementAt(doc, hasIndex ? idx(1) : 0, verbatim);
  if (!st) return doc.loc;
  const at = hasIndex ? 2 : 1;
  const element = name(at);
  const next = idx(at + 1);
  switch (element) {
    case 'action':
      return pick(st.actions, next) ?? st.loc;
    case 'notaction':
      return pick(st.notActions, next) ?? st.loc;
    case 'resource':
      return pick(st.resources, next) ?? st.loc;
    case 'notresource':
      return pick(st.notResources, next) ?? st.loc;
    case 'principal':
    case 'notprincipal': {
      const block = element === 'principal' ? st.principal : st.notPrincipal;
      return block ? inPrincipal(block, path[at + 1]?.key ?? path[at + 1]?.value, idx(at + 2)) : st.loc;
    }
    case 'condition': {
      const op = (path[at + 1]?.key ?? path[at + 1]?.value ?? '').toLowerCase();
      const key = (path[at + 2]?.key ?? path[at + 2]?.value ?? '').toLowerCase();
      const byOp = st.conditions.filter((c) => c.operator.toLowerCase() === op);
      return (byOp.find((c) => c.key.toLowerCase() === key) ?? byOp[0] ?? st.conditions[0])?.loc ?? st.loc;
    }
    default:
      return st.loc;
  }
}
