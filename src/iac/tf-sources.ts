// Where a Terraform resource is declared: a plain scan of .tf files for `resource "<type>" "<name>" {`
// (and `data` blocks). No HCL evaluation: the plan already holds the values; this only finds lines.

export interface TfSourceFile {
  /** Repository-relative path with "/" separators. */
  path: string;
  text: string;
}

export interface TfDeclaration {
  file: string;
  line: number;
  /** Lines of the block, from the declaration to its closing brace (best effort). */
  endLine: number;
  lines: string[];
}

const DECL = /^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"\s*\{/;
/** A module call block, indexed as `module.<name>`. */
const MODULE_DECL = /^\s*module\s+"([^"]+)"\s*\{/;

export class TfSourceIndex {
  private readonly byKey = new Map<string, TfDeclaration[]>();

  constructor(files: TfSourceFile[]) {
    for (const f of files) {
      const lines = f.text.split(/\r\n|\r|\n/);
      lines.forEach((text, i) => {
        const m = DECL.exec(text);
        const mod = m ? null : MODULE_DECL.exec(text);
        if (!m && !mod) return;
        const key = m ? `${m[1] === 'data' ? 'data.' : ''}${m[2]}.${m[3]}` : `module.${mod![1]}`;
        const end = blockEnd(lines, i);
        const list = this.byKey.get(key) ?? [];
        list.push({ file: f.path, line: i + 1, endLine: end + 1, lines: lines.slice(i, end + 1) });
        this.byKey.set(key, list);
      });
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  /**
   * The declaration of `type.name` (or `data.type.name`) in the module whose source directory ends with
   * `moduleDir` ("" for the root module). With several candidates, the one in that directory wins, then the
   * one closest to `nearDir` (the plan file's folder).
   */
  find(key: string, moduleDir: string | undefined, nearDir: string): TfDeclaration | undefined {
    const all = this.byKey.get(key);
    if (!all || all.length === 0) return undefined;
    const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
    let list = all;
    if (moduleDir) {
      const inModule = all.filter((d) => dirOf(d.file) === moduleDir || dirOf(d.file).endsWith('/' + moduleDir));
      if (inModule.length) list = inModule;
    } else if (moduleDir === '') {
      const inRoot = all.filter((d) => dirOf(d.file) === nearDir);
      if (inRoot.length) list = inRoot;
    }
    return [...list].sort((a, b) => commonPrefix(dirOf(b.file), nearDir) - commonPrefix(dirOf(a.file), nearDir) || a.file.localeCompare(b.file))[0];
  }
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** The line of the brace closing the block opened on line `start` (strings and comments skipped roughly). */
function blockEnd(lines: string[], start: number): number {
  let depth = 0;
  for (let i = start; i < lines.length && i < start + 5000; i++) {
    let inString = false;
    const line = lines[i];
    for (let j = 0; j < line.length; j++) {
      const c = line[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '#' || (c === '/' && line[j + 1] === '/')) break;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return i;
    }
  }
  return start;
}

/**
 * The line (1-based, in the file) inside a declaration where `needle` is first written, else the declaration line.
 * With `used` (needle -> how many statements already took it), the next occurrence of the needle is taken, so
 * statements that look alike (no Sid, same first action) point at their own lines; past the last occurrence, the first.
 */
export function lineWithin(decl: TfDeclaration, needles: string[], used?: Map<string, number>): number {
  for (const needle of needles) {
    if (!needle) continue;
    const hits: number[] = [];
    decl.lines.forEach((l, i) => {
      if (l.includes(needle)) hits.push(i);
    });
    if (hits.length === 0) continue;
    const n = used?.get(needle) ?? 0;
    used?.set(needle, n + 1);
    return decl.line + (hits[n] ?? hits[0]);
  }
  return decl.line;
}

/**
 * Normalised directory of a module call ("./modules/app" called from the root -> "modules/app"), relative to the
 * root module's folder; undefined for registry or remote sources, whose code is not in the repository.
 */
export function moduleDirOf(source: string | undefined, parentDir = ''): string | undefined {
  if (!source || !(source.startsWith('./') || source.startsWith('../'))) return undefined;
  const parts: string[] = parentDir ? parentDir.split('/') : [];
  for (const p of source.split('/')) {
    if (p === '.' || p === '') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}
