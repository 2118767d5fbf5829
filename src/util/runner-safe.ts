// Text printed to a GitHub Actions log is also read by the runner: a line that starts with `::`
// (after spaces) is a workflow command (::add-mask::, ::set-output::, ::stop-commands::), and so is
// `##[command]` anywhere in a line. Anything from a pull request or a log that reaches stdout or
// stderr goes through runnerSafe first; a zero-width space keeps it readable and inert.

import { plainText } from '../report/markdown.js';

const ZWSP = '\u200B';

/** Breaks workflow commands in `text`, line by line; everything else is left as it is. */
export function runnerSafe(text: string): string {
  return text.replace(/^([ \t]*):(?=:)/gm, `$1:${ZWSP}`).replace(/##\[/g, `#${ZWSP}#[`);
}

/** One log line from untrusted parts: terminal escapes and controls removed, line breaks folded, commands broken. */
export function safeLogLine(text: string): string {
  return runnerSafe(plainText(text));
}
