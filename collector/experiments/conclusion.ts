// The analysis's one-sentence conclusion: which arm, by how much, how sure, and whether a failed
// check makes the result suspect.

import type { AnalysisResult } from './analysis-result.js';

export const percent = (x: number): string => `${(Math.abs(x) * 100).toFixed(1)} %`;
const signedPercent = (x: number): string => `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)} %`;

export function conclusionOf(
  contrast: AnalysisResult['contrasts'][number] | undefined,
  checks: AnalysisResult['checks'],
  design: string,
): string {
  if (contrast === undefined || !Number.isFinite(contrast.relDiff)) {
    return 'No conclusion yet: no board has analysable records in both arms.';
  }
  const { a, b, relDiff, relLo, relHi, pValue, boards } = contrast;
  const caveat = !checks.sampleRatio.ok
    ? ', but the sample-ratio check failed, so the assignment is suspect and the result should not be used'
    : !checks.carryOver.ok
      ? ', but the carry-over check failed, so the washout is too short and the estimate may be biased'
      : '';
  const how = `(95 % CI ${signedPercent(relLo)} to ${signedPercent(relHi)}, p = ${pValue < 0.001 ? '< 0.001' : pValue.toFixed(3)}, ${boards} boards, ${design})`;
  if (!contrast.significant) {
    return `No clear difference between ${b} and ${a}: ${b} used ${signedPercent(relDiff)} energy per inference ${how}, which this experiment cannot tell from no difference${caveat}.`;
  }
  const cheaper = relDiff < 0 ? b : a;
  const other = cheaper === b ? a : b;
  const saving = relDiff < 0 ? -relDiff : relDiff / (1 + relDiff);
  return `${cheaper} uses ${percent(saving)} less energy per inference than ${other} ${how}${caveat}.`;
}
