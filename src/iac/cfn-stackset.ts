// A stack set's inline template (AWS::CloudFormation::StackSet TemplateBody) is a template inside a string: it is
// parsed on its own, its positions moved into the outer file, and what it yields is renamed to say it belongs to the
// stack set (subjects `<file>#<StackSet>/<LogicalId>`, ids, labels), so it never mixes with the outer template's.
import type { ExtractedFile, Finding, SourceLocation, SubjectRef } from '../model.js';
import type { LNode } from '../policies/located.js';

/**
 * Where a position of the inner text lies in the file. A literal block scalar (`TemplateBody: |`) keeps its lines:
 * inner line n is the n-th line after the indicator, exactly (columns are not kept: the block's indentation is not
 * known here). Anything else (a quoted or folded string, JSON text) is placed at the property.
 */
export function innerPositions(body: Extract<LNode, { kind: 'string' }>): (loc: SourceLocation) => SourceLocation {
  const at = body.loc;
  const lines = body.value.endsWith('\n') ? body.value.split('\n').length - 1 : body.value.split('\n').length;
  const literal = at.endLine !== undefined && lines > 1 && at.endLine - at.line - 1 === lines;
  return literal ? (loc) => ({ file: at.file, line: at.line + loc.line, column: 1 }) : () => ({ file: at.file, line: at.line, column: at.column });
}

/**
 * The inner template's documents and findings as the stack set's: `<file>#X` ids become `<file>#<stackSet>/X`,
 * pointers and labels say where they are, and finding identities keep their kind first (so what cannot be read is
 * still compared with base, see unchangedOpaque) with the stack set after it.
 */
export function asStackSets(inner: ExtractedFile, file: string, stackSet: string, pointer: string): { documents: ExtractedFile['documents']; findings: Finding[] } {
  const local = `${file}#`;
  const rename = (id: string) => (id.startsWith(local) ? `${local}${stackSet}/${id.slice(local.length)}` : id);
  const subject = (s: SubjectRef | undefined) => (s ? { ...s, id: rename(s.id) } : undefined);
  const documents = inner.documents.map((d) => ({
    ...d,
    id: `${local}${stackSet}/${d.id.startsWith(local) ? d.id.slice(local.length) : d.id}`,
    pointer: `${pointer}/${d.pointer}`,
    label: `${stackSet} stack set: ${d.label}`,
    ...(d.subjectHint ? { subjectHint: subject(d.subjectHint) } : {}),
  }));
  const findings = inner.findings.map((f) => {
    const prefix = `${f.ruleId}|${f.location?.file ?? file}|`;
    const what = f.identity.startsWith(prefix) ? f.identity.slice(prefix.length) : f.identity;
    const bar = what.indexOf('|');
    const identity = `${prefix}${bar < 0 ? `${what}|${stackSet}` : `${what.slice(0, bar)}|${stackSet}/${what.slice(bar + 1)}`}`;
    return {
      ...f,
      identity,
      message: `${f.message} (in stack set ${stackSet}'s TemplateBody)`,
      ...(f.subject ? { subject: rename(f.subject) } : {}),
    };
  });
  return { documents, findings };
}
