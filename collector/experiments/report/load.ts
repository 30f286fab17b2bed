// An analysis read back from JSON (a file from `experiment analyse --json`, or the API), checked
// against the contract's schema so that the report never draws a half-understood analysis.

import { EdgewattError } from '../../../common/errors.js';
import { type AnalysisResult, analysisResultSchema } from '../analysis-result.js';

export class AnalysisFileError extends EdgewattError {}

export function parseAnalysis(text: string, origin: string, experimentId?: string): AnalysisResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AnalysisFileError(`${origin}: not JSON (${(error as Error).message})`, {
      hint: 'give the output of `edgewatt experiment analyse <id> --json`',
    });
  }
  const parsed = analysisResultSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`)
      .join('; ');
    throw new AnalysisFileError(`${origin}: not an experiment analysis: ${problems}`, {
      hint: 'give the output of `edgewatt experiment analyse <id> --json` of this edgewatt version',
    });
  }
  if (experimentId !== undefined && parsed.data.experiment.id !== experimentId) {
    throw new AnalysisFileError(
      `${origin}: is the analysis of experiment ${JSON.stringify(parsed.data.experiment.id)}, not ${JSON.stringify(experimentId)}`,
      { hint: 'give the analysis of the experiment named on the command line' },
    );
  }
  return parsed.data;
}
