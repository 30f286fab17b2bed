// The break-even rows that mean something for each arm, on measured values where the experiment
// has them. An edge arm against the offload arm of the same model whose offload values were
// measured (else against the scenario's offload terms, saying why); an offload arm against the
// edge arm of the same model (its own edge side is not measured: else no row figure). Both rows of
// such a pair are the same comparison: the edge arm's measured board values against the offload
// arm's measured offload values, computed by one function. Auto arms priced as a mixture keep the
// row auto-carbon.ts gives them (their own edge share against their own offloaded share).

import type { Scenario } from '../lifecycle/index.js';
import { asArmMeasured, type MeasuredShare } from './arm-measured.js';
import { type ArmCarbon, armScenario, breakEvenOf } from './carbon.js';
import type { Experiment } from './experiment-file.js';
import type { ArmOffload } from './offload-measures.js';

/** How an arm with records was priced, what it measured, and its offload values (or why none). */
export interface PricedAs {
  whole: MeasuredShare;
  as: 'edge' | 'offload' | 'mixture';
  /** Null for an edge arm (no offload records are read for it). */
  offload: ArmOffload | null;
}

/** An edge arm's measured board values against measured offload values (or the scenario's terms). */
function pairBreakEven(
  scenario: { scenario: Scenario; name: string },
  edgeArm: string,
  edgeWhole: MeasuredShare,
  offload: ArmOffload | null,
) {
  return breakEvenOf(
    armScenario(
      scenario.scenario,
      asArmMeasured(edgeArm, 'offload', edgeWhole),
      scenario.name,
      offload?.measurement ?? null,
    ),
  );
}

/** Sets the break-even row of every arm priced wholly as edge or as offload (`carbon`, in place). */
export function pairBreakEvenRows(
  experiment: Experiment,
  scenario: { scenario: Scenario; name: string },
  carbon: ArmCarbon[],
  priced: ReadonlyMap<string, PricedAs>,
): void {
  const modelOf = (id: string) => experiment.arms.find((a) => a.id === id)?.model;
  for (const c of carbon) {
    const arm = c.breakeven.arm;
    const self = priced.get(arm);
    if (self?.as === 'offload') c.breakeven = offloadRow(experiment, scenario, arm, self, priced);
    else if (self?.as === 'edge') {
      const model = modelOf(arm);
      const sameModel = experiment.arms.filter((a) => a.placement === 'offload' && a.model === model);
      const measured = sameModel.find((a) => priced.get(a.id)?.offload?.measurement != null);
      const offload = measured === undefined ? undefined : priced.get(measured.id)?.offload;
      if (measured !== undefined && offload?.measurement != null) {
        const pair = pairBreakEven(scenario, arm, self.whole, offload);
        c.breakeven = {
          arm,
          inferencesPerDay: pair.inferencesPerDay,
          note: `this arm (measured on the board) against offload arm ${measured.id} (same model, its measured offload values over ${offload.measurement.answered} answered requests): ${pair.note}`,
          against: measured.id,
        };
        continue;
      }
      const why =
        sameModel.length === 0
          ? 'the experiment has no offload arm of the same model'
          : sameModel
              .map(
                (a) =>
                  `offload arm ${a.id} of the same model has no measured offload values (${priced.get(a.id)?.offload?.unmeasured ?? 'no analysable records'})`,
              )
              .join('; ');
      c.breakeven = {
        ...c.breakeven,
        note: `this arm (measured on the board) against the scenario's ASSUMED offload terms, because ${why}: ${c.breakeven.note}`,
      };
    }
  }
}

/** An arm priced as offload: against the edge arm of the same model, else no figure. */
function offloadRow(
  experiment: Experiment,
  scenario: { scenario: Scenario; name: string },
  arm: string,
  self: PricedAs,
  priced: ReadonlyMap<string, PricedAs>,
): ArmCarbon['breakeven'] {
  const model = experiment.arms.find((a) => a.id === arm)?.model;
  const edgeArm = experiment.arms.find(
    (a) => a.placement === 'edge' && a.model === model && priced.get(a.id)?.as === 'edge',
  );
  const edgeWhole = edgeArm === undefined ? undefined : priced.get(edgeArm.id)?.whole;
  if (edgeArm === undefined || edgeWhole === undefined) {
    return {
      arm,
      inferencesPerDay: null,
      note: 'none given: this arm ran offloaded only, so its edge side is not measured, and no edge arm of the same model has records to compare it with',
    };
  }
  const pair = pairBreakEven(scenario, edgeArm.id, edgeWhole, self.offload);
  return {
    arm,
    inferencesPerDay: pair.inferencesPerDay,
    note: `edge arm ${edgeArm.id} (same model, measured on the board) against this arm offloaded (${self.offload?.measurement == null ? `the scenario's ASSUMED offload terms, because ${self.offload?.unmeasured ?? 'no measured offload values were given'}` : 'its measured offload values'}): ${pair.note}`,
    against: edgeArm.id,
  };
}
