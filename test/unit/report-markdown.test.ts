import fc from 'fast-check';
import { cellSeparators, clip, code, escapeHtml, escapeMarkdown, formatCount, isoDate, percent, plainText } from '../../src/report/markdown.js';
import { repoRelativePath, sourceRef } from '../../src/report/format.js';

/** True when `text` has `ch` not preceded by a backslash escape. */
function hasUnescaped(text: string, ch: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === ch) return true;
  }
  return false;
}

describe('escapeMarkdown', () => {
  test('escapes markdown punctuation and HTML', () => {
    expect(escapeMarkdown('a | b')).toBe('a \\| b');
    expect(escapeMarkdown('**x** _y_ `z` ~~s~~')).toBe('\\*\\*x\\*\\* \\_y\\_ \\`z\\` \\~\\~s\\~\\~');
    expect(escapeMarkdown('<img src=x>')).toBe('&lt;img src=x&gt;');
    expect(escapeMarkdown('&amp;')).toBe('&amp;amp;');
    expect(escapeMarkdown('back\\slash')).toBe('back\\\\slash');
    expect(escapeMarkdown('$x$')).toBe('\\$x\\$');
  });

  test('never produces a link or an image', () => {
    const out = escapeMarkdown('[a](https://x.example) ![i](https://x.example/i.png)');
    expect(out).not.toMatch(/(^|[^\\])\]\(/);
    expect(out).not.toMatch(/(^|[^\\])!\[/);
    expect(out).not.toContain('https://');
    expect(escapeMarkdown('see www.evil.example')).not.toContain('www.');
    // GFM autolinks a scheme or www. after `_` or a digit too (no word boundary there).
    const glued = escapeMarkdown('_https://evil.example/x 1https://evil.example/y _www.evil.example 9ftp://e.example');
    expect(glued).not.toMatch(/https:|ftp:|www\./);
  });

  test('breaks mentions, issue references and email autolinks', () => {
    const out = escapeMarkdown('@octocat @org/team #123 owner/repo#7 GH-9 me@example.com');
    expect(out).not.toMatch(/@[A-Za-z0-9]/);
    expect(out).not.toMatch(/#\d/);
    expect(out).not.toMatch(/GH-\d/);
    // The visible text is unchanged apart from the escapes and invisible zero-width spaces.
    expect(out.replace(/\u200B/g, '').replace(/\\/g, '')).toBe('@octocat @org/team #123 owner/repo#7 GH-9 me@example.com');
  });

  test('strips ANSI, control and bidi characters and folds newlines', () => {
    expect(escapeMarkdown('\u001b[31mred\u001b[0m\u0007 \u202Eevil\u202C\nnext\r\nline')).toBe('red evil next line');
    expect(plainText('\u001b]0;title\u0007ok')).toBe('ok');
  });

  test('defuses block markers at the start', () => {
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('1. item')).toBe('1\\. item');
    expect(escapeMarkdown('# heading')).toBe('\\# heading');
    expect(escapeMarkdown('a - b 1. c')).toBe('a - b 1. c');
  });

  test('property: output is one line with no unescaped pipes, brackets, HTML or mentions', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
        const out = escapeMarkdown(input);
        expect(out).not.toMatch(/[\r\n\u0000-\u0008\u001b]/);
        expect(out).not.toMatch(/[<>]/);
        for (const ch of ['|', '[', ']', '`', '*', '_']) expect(hasUnescaped(out, ch)).toBe(false);
        expect(out).not.toMatch(/@[A-Za-z0-9]/);
        expect(out).not.toMatch(/#\d/);
        expect(cellSeparators(`| ${out} |`)).toBe(2);
      }),
      { numRuns: 500 },
    );
  });
});

describe('escapeHtml', () => {
  test('escapes for raw HTML such as <summary>', () => {
    expect(escapeHtml('</summary><b>"x"</b> & \'y\'')).toBe('&lt;/summary&gt;&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; &#39;y&#39;');
    expect(escapeHtml('@octocat #1')).toBe('@\u200Boctocat #\u200B1');
  });
});

describe('code', () => {
  test('sizes the fence to the content and pads when needed', () => {
    expect(code('s3:GetObject')).toBe('`s3:GetObject`');
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`start')).toBe('`` `start ``');
    expect(code('x ``` y')).toBe('````x ``` y````');
    expect(code('')).toBe('`""`');
  });

  test('escapes pipes in table context only', () => {
    expect(code('a|b')).toBe('`a\\|b`');
    expect(code('a|b', 'text')).toBe('`a|b`');
  });

  test('property: any content gives one cell and a well-formed code span', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (input) => {
        const out = code(input);
        expect(cellSeparators(`| ${out} |`)).toBe(2);
        const fence = /^`+/.exec(out)![0];
        expect(out.endsWith(fence)).toBe(true);
        const inner = out.slice(fence.length, out.length - fence.length);
        // No backtick run inside is as long as the fence, so the span cannot close early.
        for (const run of inner.match(/`+/g) ?? []) expect(run.length).toBeLessThan(fence.length);
        expect(out).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('helpers', () => {
  test('formatCount, percent, isoDate, clip', () => {
    expect(formatCount(1180)).toBe('1,180');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-5000)).toBe('-5,000');
    expect(percent(0.6449)).toBe('64%');
    expect(percent(null)).toBe('n/a');
    expect(isoDate('2026-11-22T02:00:11Z')).toBe('2026-11-22');
    expect(isoDate('<b>')).toBe('&lt;b&gt;');
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('ab\uD83D\uDE00cd', 4)).toBe('ab…');
  });

  test('repoRelativePath refuses absolute and climbing paths', () => {
    expect(repoRelativePath('./iam\\a.json')).toBe('iam/a.json');
    expect(repoRelativePath('/etc/passwd')).toBeNull();
    expect(repoRelativePath('C:/x.json')).toBeNull();
    expect(repoRelativePath('iam/../../x.json')).toBeNull();
  });

  test('sourceRef links with an encoded path, or falls back to code', () => {
    const loc = { file: 'iam/a (1).json', line: 14, column: 3 };
    expect(sourceRef(loc, 'https://github.com/o/r/blob/abc')).toBe('[iam/a (1).json:14](https://github.com/o/r/blob/abc/iam/a%20%281%29.json#L14)');
    expect(sourceRef(loc)).toBe('`iam/a (1).json:14`');
    expect(sourceRef({ file: '../x.json', line: 2, column: 1 }, 'https://github.com/o/r/blob/abc/')).toBe('`../x.json:2`');
    expect(sourceRef({ file: 'a.json', line: 0, column: 0 })).toBe('`a.json:1`');
  });
});
