// IAM Access Analyzer results beside the local engine's ([analyzer]). Shapes are filled in by that work.
export interface AccessAnalyzerCheck {
  check: 'CheckNoNewAccess' | 'CheckAccessNotGranted' | 'CheckNoPublicAccess' | 'ValidatePolicy' | 'UnusedAccess' | 'PolicyGeneration';
  /** The policy document id (file#pointer) it was asked about. */
  document: string;
  result: 'PASS' | 'FAIL' | 'not-run';
  message: string;
  /** The local engine's answer to the same question, when there is one. */
  local?: 'PASS' | 'FAIL';
  reasons?: Array<{ description: string; statementIndex?: number }>;
}
