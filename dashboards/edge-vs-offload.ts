// Edge vs offload: the life-cycle engine's comparisons (measurement `comparison`): gCO2e per
// inference for both placements with their intervals, the probability that edge wins, and the
// break-even inference rate.

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { MEASUREMENTS } from '../collector/store/influx-lines.js';
import { DATASOURCE, influxql, lastValue } from './influxql.js';

const C = MEASUREMENTS.comparison;
const KEY = '"board", "model", "variant", "scenario"';
const PER_INFERENCE = `"unit" = 'inference'`;

export function edgeVsOffloadDashboard(): DashboardBuilder {
  return new DashboardBuilder('edgewatt — edge vs offload')
    .uid('edgewatt-edge-vs-offload')
    .tags(['edgewatt'])
    .refresh('5m')
    .time({ from: 'now-7d', to: 'now' })
    .timezone('browser')
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
            `SELECT mean("edge_g_co2e") AS "edge", mean("edge_g_co2e_low") AS "edge low", mean("edge_g_co2e_high") AS "edge high" FROM "${C}" WHERE $timeFilter AND ${PER_INFERENCE} GROUP BY time($__interval), ${KEY} fill(none)`,
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
            `SELECT mean("offload_g_co2e") AS "offload", mean("offload_g_co2e_low") AS "offload low", mean("offload_g_co2e_high") AS "offload high" FROM "${C}" WHERE $timeFilter AND ${PER_INFERENCE} GROUP BY time($__interval), ${KEY} fill(none)`,
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
            `SELECT last("p_edge_wins") FROM "${C}" WHERE $timeFilter AND ${PER_INFERENCE} GROUP BY ${KEY}`,
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
            `SELECT last("break_even_per_s") FROM "${C}" WHERE $timeFilter AND ${PER_INFERENCE} GROUP BY ${KEY}`,
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
            `SELECT last("edge_g_co2e") AS "edge g", last("edge_g_co2e_low") AS "edge low", last("edge_g_co2e_high") AS "edge high", last("offload_g_co2e") AS "offload g", last("offload_g_co2e_low") AS "offload low", last("offload_g_co2e_high") AS "offload high", last("p_edge_wins") AS "P(edge wins)", last("break_even_per_s") AS "break-even /s", last("samples") AS "samples" FROM "${C}" WHERE $timeFilter GROUP BY ${KEY}, "unit"`,
          )
            .table()
            .refId('A'),
        ),
    );
}
