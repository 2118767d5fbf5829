// Hostile text for the output-safety tests, and checks for where it must not do anything.

/** Everything a pull request or a log might smuggle into a comment, an annotation or a log line. */
export const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '[click](https://evil.example/x)',
  '![pixel](https://evil.example/p.png)',
  '@octocat @acme/admins',
  '#12 acme/infra#34 GH-56',
  '::set-output name=verdict::pass',
  '::add-mask::hunter2',
  '##[set-output name=verdict;]pass',
  '\u001b[31mRED\u001b[0m\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007',
  '\u202eevil\u202c',
  '| a | b |',
  '`code` ```fence```',
].join(' ');

/** Drops code spans (their content is inert) before looking for live markup: a small CommonMark scanner, per line (the renderers never break a code span). */
export function outsideCode(md: string): string {
  return md.split('\n').map(outsideCodeLine).join('\n');
}

function outsideCodeLine(md: string): string {
  let out = '';
  for (let i = 0; i < md.length; ) {
    if (md[i] === '\\') {
      out += md.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (md[i] !== '`') {
      out += md[i++];
      continue;
    }
    let run = 0;
    while (md[i + run] === '`') run++;
    // The closing run has exactly the same length; without one, the backticks are literal.
    let close = -1;
    for (let j = i + run; j < md.length; j++) {
      if (md[j] !== '`') continue;
      let k = 0;
      while (md[j + k] === '`') k++;
      if (k === run) {
        close = j;
        break;
      }
      j += k - 1;
    }
    if (close < 0) {
      out += md.slice(i, i + run);
      i += run;
    } else {
      out += ' ';
      i = close + run;
    }
  }
  return out;
}

/** Markdown problems: live HTML, links, images, mentions, references from the hostile text. */
export function markdownProblems(md: string): string[] {
  const text = outsideCode(md);
  const problems: string[] = [];
  const tags = [...text.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase());
  const allowed = new Set(['details', 'summary', 'sub', 'sup', 'br', 'code', 'b', 'strong', 'em', 'i', 'p', 'kbd']);
  for (const t of tags) if (!allowed.has(t)) problems.push(`live HTML tag <${t}>`);
  if (/(^|[^\\])\]\(https?:\/\/evil/i.test(text)) problems.push('a live link to evil.example');
  if (/!\[pixel\]/.test(text)) problems.push('a live image');
  if (/(^|[^\w])@(octocat|acme)/.test(text)) problems.push('a live @mention');
  if (/(^|[^\w\\])#(12|34)\b/.test(text) || /acme\/infra#34/.test(text) || /GH-56/.test(text)) problems.push('a live issue reference');
  if (/\u001b/.test(md)) problems.push('an ESC character');
  if (/[\u202a-\u202e\u2066-\u2069]/.test(md)) problems.push('a bidirectional override');
  return problems;
}

/** Runner problems: a line that would be a workflow command, or a terminal escape. */
export function logProblems(text: string, allowedCommands: RegExp = /^$/): string[] {
  const problems: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trimStart();
    const ours = allowedCommands.test(trimmed);
    if (trimmed.startsWith('::') && !ours) problems.push(`a workflow command line: ${JSON.stringify(line.slice(0, 120))}`);
    // Inside one of our own ::command:: lines the runner has already taken the line as that command.
    if (!ours && line.includes('##[')) problems.push(`a ##[ command: ${JSON.stringify(line.slice(0, 120))}`);
    if (/\u001b/.test(line)) problems.push(`an ESC character: ${JSON.stringify(line.slice(0, 120))}`);
  }
  return problems;
}
