// The analysis's checks and warnings: records left out (warm-up, washout, wrong arm, unscheduled),
// offloaded inferences that failed or fell back, the sample ratio and carry-over. The warnings list
// is the one the result carries; arm summaries add their guardrail and empty-arm warnings to it.

import type { Aggregates, PeriodAggregate } from './aggregate.js';
import type { AnalysisResult } from './analysis-result.js';
import { carryOver, sampleRatio } from './checks.js';
import { percent } from './conclusion.js';
import type { Experiment } from './experiment-file.js';
import type { OffloadTally } from './offload-tally.js';

export function analysisChecks(
  experiment: Experiment,
  periods: readonly PeriodAggregate[],
  means: Map<string, Map<string, number>>,
  aggregates: Aggregates,
  offloaded: OffloadTally,
): AnalysisResult['checks'] {
  const armIds = experiment.arms.map((a) => a.id);
  const warnings: string[] = [];
  const warmupExcluded = periods.reduce((s, p) => s + p.warmup, 0);
  const washoutExcluded = periods.reduce((s, p) => s + p.washout, 0);
  const wrongArm = periods.reduce((s, p) => s + p.wrongArm, 0);
  if (wrongArm > 0) {
    warnings.push(
      `${wrongArm} record(s) carried another arm than their period's (a switch came late): not analysed`,
    );
  }
  if (aggregates.unscheduled > 0) {
    warnings.push(
      `${aggregates.unscheduled} record(s) of the experiment fall outside every scheduled period: not analysed`,
    );
  }
  for (const [arm, t] of offloaded.arms) {
    if (t.failed > 0)
      warnings.push(
        `arm ${arm}: ${t.failed} of ${t.n} offloaded inference(s) got no answer; they count with the device's energy alone`,
      );
    if (t.fellBack > 0)
      warnings.push(
        `arm ${arm}: ${t.fellBack} of ${t.n} offloaded inference(s) got no answer and ran on the edge; each counts as the request's device energy plus its edge inference`,
      );
  }
  if (offloaded.lostFallbacks > 0)
    warnings.push(
      `${offloaded.lostFallbacks} offload fallback(s) to the edge have no edge inference record at seq + 1 (lost): they count with the request's device energy alone`,
    );
  for (const spec of experiment.arms) {
    if (spec.placement === 'offload' && !offloaded.arms.has(spec.id))
      warnings.push(
        `arm ${spec.id} is an offload arm but no offload records were read: its figures are its boards' edge records only (an agent without placement, or a store without offload records)`,
      );
    // An auto arm's inputs ran where each request's policy sent them: its figures mix both kinds.
    if (spec.placement === 'auto')
      warnings.push(
        `arm ${spec.id} is an auto arm: ${offloaded.arms.get(spec.id)?.n ?? 0} of its inference(s) were offloaded (offload records), the rest ran on the edge; each counts as the placement it had (offloaded: the device's request energy plus the server's)`,
      );
  }
  const ratio = sampleRatio(periods, armIds);
  if (ratio.records !== undefined && !ratio.records.ok) {
    warnings.push(
      `record counts per arm differ from the schedule's time (χ² p = ${ratio.records.pValue.toExponential(2)}): check spool loss per arm, or whether the arms run at different rates`,
    );
  }
  const checks: AnalysisResult['checks'] = {
    sampleRatio: ratio,
    carryOver: carryOver(periods, means),
    warmupExcluded,
    washoutExcluded,
    warnings,
  };
  if (!checks.sampleRatio.ok) {
    warnings.push(
      `sample ratio mismatch: board-periods per arm ${JSON.stringify(ratio.observed)}, planned ${JSON.stringify(ratio.expected)} (p = ${ratio.pValue.toExponential(2)})`,
    );
  }
  if (!checks.carryOver.ok) {
    warnings.push(
      `carry-over: the start of periods after a switch leans ${percent(checks.carryOver.estimate ?? 0)} towards the previous arm; lengthen washoutS`,
    );
  }
  return checks;
}
