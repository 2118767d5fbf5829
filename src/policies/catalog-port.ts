// The two questions validation asks the IAM action catalogue, behind a small interface so tests can swap it.
import { actionById, expandActionPattern, isKnownService } from '../catalog/catalog.js';

export interface ActionCatalogPort {
  /** Does the pattern ("s3:Get*", "iam:PassRole") match any known action? */
  isKnown(pattern: string): boolean;
  /** The known action names ("GetObject") of a service prefix, for "did you mean"; empty if unknown. */
  serviceActions(prefix: string): string[];
}

export const defaultCatalog: ActionCatalogPort = {
  isKnown: (pattern) => expandActionPattern(pattern).known,
  serviceActions: (prefix) =>
    /^[a-z0-9-]+$/.test(prefix) && isKnownService(prefix) ? expandActionPattern(`${prefix}:*`).actions.map((i) => actionById(i).name) : [],
};
