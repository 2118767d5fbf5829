// Wildcard matching for IAM patterns: `*` is any run of characters, `?` exactly one.
// Characters produced by the special policy variables ${*} and ${?} must stay literal, so a
// compiled pattern encodes them as private-use code points that compare equal to '*' and '?'.

const STAR = 42; // '*'
const QMARK = 63; // '?'
/** A '*' that came from ${*}: literal, not a wildcard. */
export const LITERAL_STAR = '\uE000';
/** A '?' that came from ${?}: literal, not a wildcard. */
export const LITERAL_QMARK = '\uE001';
const LIT_STAR_CODE = 0xe000;
const LIT_QMARK_CODE = 0xe001;

function literalCode(code: number): number {
  if (code === LIT_STAR_CODE) return STAR;
  if (code === LIT_QMARK_CODE) return QMARK;
  return code;
}

/** True when the pattern has a real wildcard. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Replace the literal markers by the characters they stand for. */
export function decodeLiterals(pattern: string): string {
  if (!pattern.includes(LITERAL_STAR) && !pattern.includes(LITERAL_QMARK)) return pattern;
  return pattern.split(LITERAL_STAR).join('*').split(LITERAL_QMARK).join('?');
}

/**
 * Glob match with greedy star backtracking: O(|p|·|s|) worst case, linear in practice, no RegExp.
 * `from`/`to` bound the slice of `s` that is matched (default the whole string).
 */
export function globMatch(p: string, s: string, from = 0, to = s.length): boolean {
  let pi = 0;
  let si = from;
  let starP = -1;
  let starS = 0;
  const pl = p.length;
  while (si < to) {
    if (pi < pl) {
      const pc = p.charCodeAt(pi);
      if (pc === STAR) {
        starP = pi++;
        starS = si;
        continue;
      }
      if (pc === QMARK || literalCode(pc) === s.charCodeAt(si)) {
        pi++;
        si++;
        continue;
      }
    }
    if (starP < 0) return false;
    pi = starP + 1;
    si = ++starS;
  }
  while (pi < pl && p.charCodeAt(pi) === STAR) pi++;
  return pi === pl;
}
