import { gitOk } from './git-exec.js';

/** One line of `git diff-tree --raw -z`: both sides' mode and object id, the status, the path(s). */
export interface RawChange {
  srcMode: string;
  dstMode: string;
  srcOid: string;
  dstOid: string;
  /** A, D, M, T, R (with a score), C, U or X. */
  status: string;
  srcPath: string;
  dstPath: string;
}

export const ABSENT_MODE = '000000';
export const SYMLINK_MODE = '120000';
export const GITLINK_MODE = '160000';

/** Parses NUL-separated raw diff output; paths are taken verbatim (no quoting with -z). */
export function parseRawDiff(out: Buffer): RawChange[] {
  const tokens = splitNul(out);
  const changes: RawChange[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const header = tokens[i];
    if (!header.startsWith(':')) continue; // a commit id line, should diff-tree print one
    const [srcMode, dstMode, srcOid, dstOid, status] = header.slice(1).split(' ');
    const twoPaths = status.startsWith('R') || status.startsWith('C');
    const srcPath = tokens[++i] ?? '';
    const dstPath = twoPaths ? (tokens[++i] ?? '') : srcPath;
    changes.push({ srcMode, dstMode, srcOid, dstOid, status, srcPath, dstPath });
  }
  return changes;
}

function splitNul(buf: Buffer): string[] {
  const tokens: string[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      tokens.push(buf.subarray(start, i).toString('utf8'));
      start = i + 1;
    }
  }
  if (start < buf.length) tokens.push(buf.subarray(start).toString('utf8'));
  return tokens;
}

/** Sizes of blobs by object id (`cat-file --batch-check`); missing objects are absent from the map. */
export async function blobSizes(repoDir: string, oids: string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (oids.length === 0) return sizes;
  const out = await gitOk(repoDir, ['cat-file', '--batch-check'], { input: oids.join('\n') + '\n' });
  for (const line of out.toString('utf8').split('\n')) {
    const [oid, type, size] = line.split(' ');
    if (type === 'blob' && size !== undefined) sizes.set(oid, Number(size));
  }
  return sizes;
}

/**
 * Reads blobs by object id with one `cat-file --batch`. Requests by id, not `<rev>:<path>`, so
 * paths containing newlines cannot break the line-based protocol. `expectedBytes` bounds stdout.
 */
export async function readBlobs(repoDir: string, oids: string[], expectedBytes: number): Promise<Map<string, Uint8Array>> {
  const blobs = new Map<string, Uint8Array>();
  if (oids.length === 0) return blobs;
  const headerRoom = oids.length * 200;
  const out = await gitOk(repoDir, ['cat-file', '--batch'], {
    input: oids.join('\n') + '\n',
    maxBytes: expectedBytes + headerRoom + 1024,
  });
  let pos = 0;
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos);
    if (eol < 0) break;
    const [oid, type, sizeText] = out.subarray(pos, eol).toString('utf8').split(' ');
    pos = eol + 1;
    if (type === 'missing' || type === 'ambiguous' || sizeText === undefined) continue;
    const size = Number(sizeText);
    // Copy so each blob does not keep the whole batch buffer alive.
    if (type === 'blob') blobs.set(oid, new Uint8Array(out.subarray(pos, pos + size)));
    pos += size + 1; // content is followed by a newline
  }
  return blobs;
}
