// Escaping for GitHub-flavoured markdown. Everything that came from a file or a log goes through
// one of these before it reaches a comment: it must never become a link, an image, an HTML tag,
// a table-cell break, an @mention or an issue reference.

/** Zero-width space: invisible, but breaks GitHub's mention, reference and autolink detection. */
const ZWSP = '\u200B';

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and any other two-character ESC sequence.
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[@-_]?/g;
// C0 controls except tab/newline/CR, DEL, C1 controls.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
// Bidirectional overrides and isolates can reorder what a reviewer sees ("trojan source").
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;
const NEWLINES = /[\t\r\n\u2028\u2029]+/g;

/** Removes ANSI sequences, control and bidi characters, and folds line breaks into one space. */
export function plainText(text: unknown): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return s.replace(ANSI, '').replace(CONTROL, '').replace(BIDI, '').replace(NEWLINES, ' ');
}

/** Shortens to at most `max` characters (not splitting a surrogate pair), marking the cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + '…';
}

/** Breaks what GitHub would turn into mentions, references or autolinks, by inserting a ZWSP. */
function defuse(text: string): string {
  return text
    .replace(/@(?=[A-Za-z0-9])/g, `@${ZWSP}`) // @user, @org/team, user@example.com
    .replace(/#(?=\d)/g, `#${ZWSP}`) // #123, owner/repo#123
    .replace(/\b(GH)-(?=\d)/gi, `$1-${ZWSP}`) // GH-123
    .replace(/(https?|ftp|mailto|xmpp)(?=:)/gi, `$1${ZWSP}`) // scheme autolinks (GFM links them after `_` or a digit too)
    .replace(/(www)\./gi, `$1${ZWSP}.`); // www. autolinks
}

// Inline markdown punctuation ($ starts GitHub math). Block markers are handled at the start only.
const MD_SPECIAL = /[\\`*_[\]#!|~$]/g;
const LEADING_BLOCK_MARKER = /^(\s*)([-+=]|\d+(?=[.)]))/;

/**
 * Safe inside markdown paragraphs, list items, headings and table cells: markdown punctuation is
 * backslash-escaped, `& < >` become entities, line breaks fold into spaces.
 */
export function escapeMarkdown(text: unknown): string {
  return defuse(plainText(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(MD_SPECIAL, (c) => `\\${c}`)
    .replace(LEADING_BLOCK_MARKER, (_m, space: string, marker: string) =>
      /^\d/.test(marker) ? `${space}${marker}\\` : `${space}\\${marker}`,
    );
}

/**
 * Safe inside raw HTML such as `<summary>`, where GitHub does not process markdown (a backslash
 * escape would show literally) but does still detect mentions and references.
 */
export function escapeHtml(text: unknown): string {
  return defuse(plainText(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Inline code for any content. The fence is one backtick longer than the longest run inside, and
 * padded when the content touches a backtick or a space. In `table` context (the default) pipes
 * are escaped as `\|`, which GFM removes inside a table cell even within code; in `text` context
 * they are left alone because there the backslash would show.
 */
export function code(text: unknown, context: 'table' | 'text' = 'table'): string {
  let s = plainText(text);
  if (s.length === 0) return '`""`';
  // GFM splits rows before parsing code and pairs a backslash with the next character, so a
  // backslash right before a pipe would eat the pipe's escape: separate them with a ZWSP.
  if (context === 'table') s = s.replace(/\\(?=\|)/g, `\\${ZWSP}`).replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(s.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = /^[` ]|[` ]$/.test(s) ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** `<code>` for raw HTML contexts (summaries). */
export function htmlCode(text: unknown): string {
  return `<code>${escapeHtml(text)}</code>`;
}

/** Integer with thousands separators, independent of the machine's locale. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1 action" / "2 actions". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A ratio 0..1 as a whole percentage, or "n/a". */
export function percent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return 'n/a';
  return `${Math.round(ratio * 100)}%`;
}

/** The date part of an ISO timestamp, or the escaped input when it is not one. */
export function isoDate(value: unknown): string {
  const s = plainText(value);
  return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : escapeMarkdown(clip(s, 40));
}

/** Counts the pipes in a table row that split cells (not preceded by a backslash, outside nothing else). */
export function cellSeparators(row: string): number {
  let count = 0;
  for (let i = 0; i < row.length; i++) {
    if (row[i] === '\\') {
      i++;
      continue;
    }
    if (row[i] === '|') count++;
  }
  return count;
}
