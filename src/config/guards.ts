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
}

/** Reads a file of the config's context; undefined when it does not exist or cannot be read. */
export type GuardReader = (file: string) => Promise<Uint8Array | undefined>;

export async function loadGuardDocuments(context: GateConfig['context'], read: GuardReader, maxBytes: number): Promise<{ guards: GuardDocuments; problems: string[] }> {
  const problems: string[] = [];
  const load = async (file: string, kind: PolicyKind): Promise<PolicyDocument[]> => {
    const bytes = await read(file);
    if (!bytes) {
      problems.push(`context ${kind} file ${file} could not be read: not used`);
      return [];
    }
    const extracted = extractPolicies(file, bytes, { maxBytes, forcePolicy: true, kindHint: kind });
    if (extracted.status !== 'policy') problems.push(`context ${kind} file ${file} holds no readable policy: not used`);
    return extracted.status === 'policy' ? extracted.documents.map((d) => ({ ...d, kind })) : [];
  };
  const guards: GuardDocuments = { scps: [], rcps: [], boundaries: [] };
  for (const f of context.scps) guards.scps.push(...(await load(f, 'scp')));
  for (const f of context.rcps) guards.rcps.push(...(await load(f, 'rcp')));
  for (const b of context.boundaries) guards.boundaries.push({ subject: b.subject, documents: await load(b.file, 'boundary') });
  return { guards, problems };
}

/** The guard documents that govern one subject: every SCP and RCP, and the boundaries whose subject glob matches. */
export function guardsForSubject(subject: SubjectRef, guards: GuardDocuments): PolicyDocument[] {
  const names = [subject.id, ...(subject.arn ? [subject.arn] : [])];
  const boundaries = guards.boundaries.filter((b) => names.some((n) => n === b.subject || arnMatches(b.subject, n))).flatMap((b) => b.documents);
  return [...guards.scps, ...guards.rcps, ...boundaries];
}
