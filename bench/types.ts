export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The figure to reach (an upper bound for times, a lower bound for ratios and rates). */
  target?: number;
  pass?: boolean;
  note?: string;
}
