// Waivers as reported ([review]): what each waiver in the config became in this run.

export type WaiverState =
  /** Covered at least one finding of this run. */
  | 'applied'
  /** Its files or subject were part of this change, yet it covered nothing: stale. */
  | 'unused'
  /** Its files and subject were not part of this change: nothing to say about it. */
  | 'out-of-scope'
  /** Past its expiry date: it no longer applies. */
  | 'expired'
  /** Added or widened by the change under review: it applies only once merged. */
  | 'pending';

export interface WaiverStatus {
  rule: string;
  reason: string;
  /** YYYY-MM-DD; the waiver applies through the end of that day (UTC). */
  expires: string;
  /** Free text, never rendered as an @mention. */
  approvedBy?: string;
  /** The config file the waiver was read from, and its line there. */
  file: string;
  line: number;
  /** Where it applies, as written. */
  files?: string;
  subject?: string;
  /** What it covers, as written. */
  actions?: string[];
  resources?: string[];
  fingerprint?: string;
  status: WaiverState;
  /** Whole days from the run's clock to the end of the expiry day; negative once expired. */
  daysLeft: number;
  /** Within the warning window before expiry (still applies). */
  expiring: boolean;
  /** Fingerprints (sha256 of the identity) of the findings it covered, or would cover once merged. */
  covered: string[];
  /** Catalogue expansion of its action patterns today: the exact set it covers. */
  expandedActions?: string[];
  /** Number of actions in the expansion (expandedActions may be cut short). */
  expandedCount?: number;
  /** Its actions or resources hold a wildcard (allowed only with allow-wildcard: true). */
  wildcard: boolean;
  /** The change under review adds this waiver or widens an existing one. */
  addedInChange?: 'added' | 'widened';
}
