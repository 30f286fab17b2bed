// Edge vs offload: the life-cycle engine's comparisons (measurement `comparison`): gCO2e per
// inference for both placements with their intervals, the probability that edge wins, and the
// break-even inference rate.

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { COMPARISON_KEYS as CK, MEASUREMENTS } from '../protocol/index.js';
import { DATASOURCE, influxql, lastValue } from './influxql.js';
import { deviceVariable, fleetVariable, SOURCE_FILTER } from './variables.js';

const C = MEASUREMENTS.comparison;
const KEY = `"${CK.board}", "${CK.model}", "${CK.variant}", "${CK.scenario}"`;
const PER_INFERENCE = `"${CK.unit}" = 'inference'`;

export function edgeVsOffloadDashboard(): DashboardBuilder {
  return new DashboardBuilder('edgewatt — edge vs offload')
    .uid('edgewatt-edge-vs-offload')
    .tags(['edgewatt'])
    .refresh('5m')
    .time({ from: 'now-7d', to: 'now' })
    .timezone('browser')
    .withVariable(fleetVariable())
    .withVariable(deviceVariable())
    .withRow(new RowBuilder('Per inference'))
    .withPanel(
      new TimeSeriesPanel()
        .title('gCO2e per inference: edge, with interval')
        .description('Mean and interval bounds (interval_level, e.g. 90 %) of the Monte Carlo samples.')
        .datasource(DATASOURCE)
        .unit('massg')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${CK.edgeG}") AS "edge", mean("${CK.edgeLowG}") AS "edge low", mean("${CK.edgeHighG}") AS "edge high" FROM "${C}" WHERE $timeFilter AND ${SOURCE_FILTER} AND ${PER_INFERENCE} GROUP BY time($__interval), ${KEY} fill(none)`,
          ).refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('gCO2e per inference: offload, with interval')
        .datasource(DATASOURCE)
        .unit('massg')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${CK.offloadG}") AS "offload", mean("${CK.offloadLowG}") AS "offload low", mean("${CK.offloadHighG}") AS "offload high" FROM "${C}" WHERE $timeFilter AND ${SOURCE_FILTER} AND ${PER_INFERENCE} GROUP BY time($__interval), ${KEY} fill(none)`,
          ).refId('A'),
        ),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title('Probability that edge wins')
        .datasource(DATASOURCE)
        .unit('percentunit')
        .span(12)
        .height(6)
        .withTarget(
          influxql(
            `SELECT last("${CK.probabilityEdgeWins}") FROM "${C}" WHERE $timeFilter AND ${SOURCE_FILTER} AND ${PER_INFERENCE} GROUP BY ${KEY}`,
          )
            .alias('$tag_board $tag_variant $tag_scenario')
            .refId('A'),
        ),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title('Break-even inference rate')
        .description('Inferences per second above which running on the edge emits less than offloading.')
        .datasource(DATASOURCE)
        .unit('reqps')
        .span(12)
        .height(6)
        .withTarget(
          influxql(
            `SELECT last("${CK.breakEvenPerS}") FROM "${C}" WHERE $timeFilter AND ${SOURCE_FILTER} AND ${PER_INFERENCE} GROUP BY ${KEY}`,
          )
            .alias('$tag_board $tag_variant $tag_scenario')
            .refId('A'),
        ),
    )
    .withRow(new RowBuilder('Latest comparisons'))
    .withPanel(
      new TablePanel()
        .title('Latest comparison per board, model, variant and scenario')
        .datasource(DATASOURCE)
        .span(24)
        .withTarget(
          influxql(
            `SELECT last("${CK.edgeG}") AS "edge g", last("${CK.edgeLowG}") AS "edge low", last("${CK.edgeHighG}") AS "edge high", last("${CK.offloadG}") AS "offload g", last("${CK.offloadLowG}") AS "offload low", last("${CK.offloadHighG}") AS "offload high", last("${CK.probabilityEdgeWins}") AS "P(edge wins)", last("${CK.breakEvenPerS}") AS "break-even /s", last("${CK.samples}") AS "samples" FROM "${C}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY ${KEY}, "${CK.unit}"`,
          )
            .table()
            .refId('A'),
        ),
    );
}
