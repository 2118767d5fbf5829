// A tiny document model for the PR comment: tables, lists and paragraphs grouped into blocks, so
// the size budget can drop or shorten whole blocks and rows instead of cutting text mid-table.
// Every string handed to these types must already be escaped.

/** A cell is escaped text, or a list of escaped items joined with ", " (which can be shortened). */
export type Cell = string | string[];

export type Part =
  | { kind: 'text'; text: string }
  /** `whole`: a small table that is never shortened (e.g. the base/head pair). */
  | { kind: 'table'; header: string[]; rows: Cell[][]; whole?: boolean }
  | { kind: 'list'; items: string[] };

export interface Block {
  /** Plain name for the "left out" note. */
  name: string;
  /** Escaped for raw HTML; when present the block renders as a folded `<details>`. */
  summary?: string;
  /** Escaped markdown title for unfolded blocks. */
  title?: string;
  parts: Part[];
}

/** Limits used when a block must be shortened; undefined means render everything. */
export type RowCap = number | undefined;

function renderCell(cell: Cell, cap: RowCap): string {
  if (typeof cell === 'string') return cell || ' ';
  if (cell.length === 0) return ' ';
  if (cap === undefined || cell.length <= cap) return cell.join(', ');
  return `${cell.slice(0, cap).join(', ')} … +${cell.length - cap} more`;
}

function renderRow(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function renderTable(header: string[], rows: Cell[][], cap: RowCap): string {
  const width = header.length;
  const shown = cap === undefined ? rows : rows.slice(0, cap);
  const lines = [renderRow(header), renderRow(header.map(() => '---'))];
  for (const row of shown) {
    const cells = Array.from({ length: width }, (_, i) => renderCell(row[i] ?? '', cap));
    lines.push(renderRow(cells));
  }
  if (shown.length < rows.length) {
    const hidden = rows.length - shown.length;
    const more = [`… ${hidden} more row${hidden === 1 ? '' : 's'}`, ...Array.from({ length: width - 1 }, () => ' ')];
    lines.push(renderRow(more));
  }
  return lines.join('\n');
}

function renderPart(part: Part, cap: RowCap): string {
  switch (part.kind) {
    case 'text':
      return part.text;
    case 'table':
      return renderTable(part.header, part.rows, part.whole ? undefined : cap);
    case 'list': {
      const shown = cap === undefined ? part.items : part.items.slice(0, cap);
      const lines = shown.map((item) => `- ${item}`);
      if (shown.length < part.items.length) lines.push(`- … ${part.items.length - shown.length} more`);
      return lines.join('\n');
    }
  }
}

export function renderBlock(block: Block, cap?: RowCap): string {
  const body = block.parts.map((part) => renderPart(part, cap)).join('\n\n');
  if (block.summary !== undefined) {
    // Blank lines around the body let GitHub render markdown inside the HTML block.
    return `<details><summary>${block.summary}</summary>\n\n${body}\n\n</details>`;
  }
  return block.title ? `${block.title}\n\n${body}` : body;
}

/** The longest table, list or cell list in a block: the cap beyond which nothing changes. */
export function longestList(block: Block): number {
  let longest = 1;
  for (const part of block.parts) {
    if (part.kind === 'list') longest = Math.max(longest, part.items.length);
    if (part.kind !== 'table' || part.whole) continue;
    longest = Math.max(longest, part.rows.length);
    for (const row of part.rows) for (const cell of row) if (Array.isArray(cell)) longest = Math.max(longest, cell.length);
  }
  return longest;
}
