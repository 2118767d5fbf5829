export { actionMatches, arnMatches, arnContains, globContains, globContainment } from './match.js';
export { evaluate, evaluatePolicies } from './evaluate.js';
export type {
  ConditionOutcome,
  EvaluationInput,
  EvaluationResult,
  PolicyEvaluation,
  RequestContext,
  StatementHit,
} from './evaluate.js';
export type { RequestPrincipal, PrincipalVia } from './principal.js';
