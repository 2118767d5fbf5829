// The changes stage: which files changed between two revisions (or two directories) and the raw
// bytes of both sides, read without checkout and without following links out of the workspace.
export { UsageError } from './errors.js';
export type { ReadLimits, ChangeStats, ChangeSetWithStats } from './limits.js';
export { FOLDER_NOT_LISTED } from './limits.js';
export { changesBetweenDirectories } from './directories.js';
export { changesBetweenRefs, isGitRef, SYMLINK_NOT_FOLLOWED, type RefsOptions } from './git.js';
export { refsFromEvent, ensureCommits, SUPPORTED_EVENTS, type EventRefs } from './event.js';
