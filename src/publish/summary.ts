// The job summary: the whole diff.md, as long as it stays within GitHub's 1 MiB per step
// (measured in UTF-8 bytes; over it GitHub drops the summary and shows an error).
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;
/** Room for whatever the runner or other tools add to the same step. */
const MARGIN_BYTES = 16 * 1024;
const START_CHARS = 1_000_000;

/** Renders with the largest character budget whose output fits `limitBytes`. */
export function fitSummary(render: (maxChars: number) => string, limitBytes = SUMMARY_LIMIT_BYTES - MARGIN_BYTES): string {
  let maxChars = START_CHARS;
  let text = render(maxChars);
  for (let i = 0; i < 8; i++) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes <= limitBytes) return text;
    maxChars = Math.max(1000, Math.floor((maxChars * limitBytes * 0.95) / bytes));
    text = render(maxChars);
  }
  // Still too big: keep whole lines up to the limit.
  const buf = Buffer.from(text, 'utf8').subarray(0, limitBytes).toString('utf8');
  return buf.slice(0, Math.max(0, buf.lastIndexOf('\n')));
}
