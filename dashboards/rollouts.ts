// Model rollouts (issue 15): where each device stands in each rollout, how far each group got, the
// health gate's verdicts for the canary boards, and the boards' energy and latency per model over
// time, so a canary's switch shows as its new model's series next to its pre-rollout one.

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  DEPLOYMENT_KEYS as D,
  ROLLOUT_GATE_KEYS as G,
  INFERENCE_KEYS as K,
  MEASUREMENTS as M,
  ROLLOUT_DEVICE_KEYS as R,
  SOURCE_TAGS,
} from '../protocol/index.js';
import { DATASOURCE, influxql } from './influxql.js';
import { deviceVariable, fleetVariable, matches, SOURCE_FILTER } from './variables.js';

/** The fleet and device variables applied to a measurement whose tags are `fleetTag`, `deviceTag`. */
const chosen = (fleetTag: string, deviceTag: string) =>
  `${matches(fleetTag, 'fleet')} AND ${matches(deviceTag, 'device')}`;

const DEVICE = `"${R.rollout}", "${R.group}", "${R.fleet}", "${R.device}"`;

export function rolloutsDashboard(): DashboardBuilder {
  return new DashboardBuilder('edgewatt — rollouts')
    .uid('edgewatt-rollouts')
    .tags(['edgewatt'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(fleetVariable())
    .withVariable(deviceVariable())
    .withRow(new RowBuilder('Progress'))
    .withPanel(
      new TablePanel()
        .title('Group progress')
        .description(
          'Per rollout and group: devices, committed after probation (and past the health gate), failed (failed, timed out or regressed).',
        )
        .datasource(DATASOURCE)
        .span(10)
        .withTarget(
          influxql(
            `SELECT count("${R.phase}") AS "devices", sum("${R.succeeded}") AS "committed", sum("${R.failed}") AS "failed" FROM (SELECT last("${R.phase}") AS "${R.phase}", last("${R.succeeded}") AS "${R.succeeded}", last("${R.failed}") AS "${R.failed}" FROM "${M.rolloutDevice}" WHERE $timeFilter AND ${chosen(R.fleet, R.device)} GROUP BY ${DEVICE}) GROUP BY "${R.rollout}", "${R.group}"`,
          )
            .table()
            .refId('A'),
        ),
    )
    .withPanel(
      new TablePanel()
        .title('Device phase')
        .description(
          "Each device's phase in each rollout: assigned, in-progress, committed (gate due), succeeded, failed, timed-out, regressed, reverting, reverted.",
        )
        .datasource(DATASOURCE)
        .span(14)
        .withTarget(
          influxql(
            `SELECT last("${R.phase}") AS "phase" FROM "${M.rolloutDevice}" WHERE $timeFilter AND ${chosen(R.fleet, R.device)} GROUP BY ${DEVICE}`,
          )
            .table()
            .refId('A'),
        ),
    )
    .withPanel(
      new TablePanel()
        .title('Device reports')
        .description('The newest deployment reports of the devices (state, model, reason).')
        .datasource(DATASOURCE)
        .span(24)
        .withTarget(
          influxql(
            `SELECT "${D.fleet}", "${D.device}", "${D.deploymentId}", "${D.state}", "${D.modelId}", "${D.release}", "${D.reason}", "${D.attempt}" FROM "${M.deployment}" WHERE $timeFilter AND ${chosen(D.fleet, D.device)} ORDER BY time DESC LIMIT 200`,
          )
            .table()
            .refId('A'),
        ),
    )
    .withRow(new RowBuilder('Canary against its pre-rollout period'))
    .withPanel(
      new TablePanel()
        .title('Health gate')
        .description(
          'Per canary board and metric: mean before the rollout, during probation, the change (relative for energy and p95 latency, points for accuracy) with its 95 % Welch interval on batch statistics, the margin, and whether it regressed (the whole interval beyond the margin).',
        )
        .datasource(DATASOURCE)
        .span(24)
        .withTarget(
          influxql(
            `SELECT last("${G.pre}") AS "pre", last("${G.post}") AS "probation", last("${G.change}") AS "change", last("${G.low}") AS "low", last("${G.high}") AS "high", last("${G.margin}") AS "margin", last("${G.regressed}") AS "regressed" FROM "${M.rolloutGate}" WHERE $timeFilter AND ${chosen(G.fleet, G.device)} GROUP BY "${G.rollout}", "${G.fleet}", "${G.device}", "${G.metric}"`,
          )
            .table()
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Energy per inference by device and model')
        .description(
          "A board switching model shows as a new series: the canary's new model against its own pre-rollout one.",
        )
        .datasource(DATASOURCE)
        .unit('joule')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${K.energyJ}") FROM "${M.inference}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), "${SOURCE_TAGS.device}", "${K.modelId}" fill(none)`,
          )
            .alias('$tag_device $tag_model_id')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('p95 latency by device and model')
        .datasource(DATASOURCE)
        .unit('µs')
        .span(12)
        .withTarget(
          influxql(
            `SELECT percentile("${K.durationUs}", 95) FROM "${M.inference}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), "${SOURCE_TAGS.device}", "${K.modelId}" fill(none)`,
          )
            .alias('$tag_device $tag_model_id')
            .refId('A'),
        ),
    );
}
