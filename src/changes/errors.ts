/**
 * A problem with how the tool was invoked (a ref that does not exist, a shallow clone it cannot
 * deepen, an event it does not handle). Callers turn it into one clear message and a usage exit
 * code; it never describes the content of the pull request.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
