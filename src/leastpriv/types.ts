// Unused access and least-privilege suggestions ([least-privilege]). Shapes are filled in by that work.
export interface UnusedAccessReport {
  /** Granted actions never used in the window, grouped by service. */
  unusedActions: Array<{ service: string; accessLevel: string; actions: string[] }>;
  /** Services granted and never touched. */
  unusedServices: string[];
  /** Actions whose use the logs cannot show (data events not logged): unknown, not unused. */
  unknown: Array<{ action: string; why: string }>;
  usedActions: number;
  grantedActions: number;
  notes: string[];
}

export interface SuggestedPolicy {
  /** One or more policy documents (split when over the size limit). */
  documents: Array<Record<string, unknown>>;
  /** Unified-diff-like lines against the current policy. */
  diff: string[];
  notes: string[];
}
