// The config's `context`: SCPs, RCPs and permissions boundaries as policy documents. They can only
// narrow what a subject is allowed; the engine and the replay use them (src/analysis/new-access.ts).
// Reading is the caller's (an adapter that reads the base side); parsing never throws.
import { arnMatches } from '../analysis/evaluate/match.js';
import type { PolicyDocument, PolicyKind, SubjectRef } from '../model.js';
import { extractPolicies } from '../policies/extract.js';
import type { GateConfig } from './types.js';

export interface GuardDocuments {
  scps: PolicyDocument[];
  rcps: PolicyDocument[];
  boundaries: Array<{ subject: string; documents: PolicyDocument[] }>;
  /**
   * Head's version of the same files (the file list is base's config's), when the caller read them.
   * The engine leaves an action out of new access only when both versions deny it (guardsForSubjectSides).
   */
  head?: Omit<GuardDocuments, 'head'>;
}

/** Reads a file of the config's context; undefined when it does not exist or cannot be read. */
export type GuardReader = (file: string) => Promise<Uint8Array | undefined>;

/**
 * Reads the context files named by the (base) config with `read` (base's side). With `readHead`, the
 * same files are read from head's side too, into `guards.head`: a guard the change weakens or removes
 * then no longer hides the access it lets through.
 */
export async function loadGuardDocuments(
  context: GateConfig['context'],
  read: GuardReader,
  maxBytes: number,
  readHead?: GuardReader,
): Promise<{ guards: GuardDocuments; problems: string[] }> {
  const problems: string[] = [];
  const side = async (reader: GuardReader, where: string): Promise<Omit<GuardDocuments, 'head'>> => {
    const load = async (file: string, kind: PolicyKind): Promise<PolicyDocument[]> => {
      const bytes = await reader(file);
      if (!bytes) {
        problems.push(`context ${kind} file ${file} could not be read${where}: not used`);
        return [];
      }
      const extracted = extractPolicies(file, bytes, { maxBytes, forcePolicy: true, kindHint: kind });
      if (extracted.status !== 'policy') problems.push(`context ${kind} file ${file} holds no readable policy${where}: not used`);
      return extracted.status === 'policy' ? extracted.documents.map((d) => ({ ...d, kind })) : [];
    };
    const out: Omit<GuardDocuments, 'head'> = { scps: [], rcps: [], boundaries: [] };
    for (const f of context.scps) out.scps.push(...(await load(f, 'scp')));
    for (const f of context.rcps) out.rcps.push(...(await load(f, 'rcp')));
    for (const b of context.boundaries) out.boundaries.push({ subject: b.subject, documents: await load(b.file, 'boundary') });
    return out;
  };
  const guards: GuardDocuments = await side(read, '');
  if (readHead) guards.head = await side(readHead, ' on the head side');
  return { guards, problems };
}

/** The guard documents that govern one subject (base's version): every SCP and RCP, and the boundaries whose subject glob matches. */
export function guardsForSubject(subject: SubjectRef, guards: Omit<GuardDocuments, 'head'>): PolicyDocument[] {
  const names = [subject.id, ...(subject.arn ? [subject.arn] : [])];
  const boundaries = guards.boundaries.filter((b) => names.some((n) => n === b.subject || arnMatches(b.subject, n))).flatMap((b) => b.documents);
  return [...guards.scps, ...guards.rcps, ...boundaries];
}

/**
 * Both versions of the guard documents that govern one subject, for SubjectPolicies.guards. Without
 * head's version read (no `readHead` given to loadGuardDocuments), base's stands for both.
 */
export function guardsForSubjectSides(subject: SubjectRef, guards: GuardDocuments): { base: PolicyDocument[]; head: PolicyDocument[] } {
  const base = guardsForSubject(subject, guards);
  return { base, head: guards.head ? guardsForSubject(subject, guards.head) : base };
}
