// Experiments: the records of field experiments (tags experiment and arm) by arm and by board, for
// watching a running experiment in Grafana. These are raw means over every tagged record in the
// time range — warm-up and washout included, no intervals; the analysis (`edgewatt experiment
// analyse`, the report, the collector's /experiments/<id>) excludes them and gives the intervals.

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { INFERENCE_KEYS as K, MEASUREMENTS, SOURCE_TAGS } from '../protocol/index.js';
import { DATASOURCE, influxql } from './influxql.js';
import {
  armVariable,
  deviceVariable,
  EXPERIMENT_FILTER,
  experimentVariable,
  fleetVariable,
} from './variables.js';

const I = MEASUREMENTS.inference;
const RAW =
  'Raw mean over every record of the arm in the time range, warm-up and washout included and without an interval: for watching. The numbers to report come from `edgewatt experiment analyse` or the report.';
const BY_ARM = `"${K.experiment}", "${K.arm}"`;
const BY_BOARD_ARM = `"${K.experiment}", "${SOURCE_TAGS.device}", "${K.arm}"`;

export function experimentsDashboard(): DashboardBuilder {
  return new DashboardBuilder('edgewatt — experiments')
    .uid('edgewatt-experiments')
    .tags(['edgewatt', 'experiments'])
    .refresh('1m')
    .time({ from: 'now-24h', to: 'now' })
    .timezone('browser')
    .withVariable(fleetVariable())
    .withVariable(deviceVariable())
    .withVariable(experimentVariable())
    .withVariable(armVariable())
    .withRow(new RowBuilder('Arms'))
    .withPanel(
      new TablePanel()
        .title('Per arm (raw, warm-up and washout included)')
        .description(RAW)
        .datasource(DATASOURCE)
        .span(24)
        .withTarget(
          influxql(
            `SELECT count("${K.seq}") AS "inferences", mean("${K.energyJ}") AS "energy J", mean("${K.durationUs}") / 1000 AS "latency ms", percentile("${K.durationUs}", 95) / 1000 AS "p95 latency ms", mean("${K.correct}") AS "accuracy" FROM "${I}" WHERE $timeFilter AND ${EXPERIMENT_FILTER} GROUP BY ${BY_ARM}`,
          )
            .table()
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Energy per inference by arm')
        .description(
          `${RAW} Switches between arms show as steps; the washout after a switch is where they settle.`,
        )
        .datasource(DATASOURCE)
        .unit('joule')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${K.energyJ}") FROM "${I}" WHERE $timeFilter AND ${EXPERIMENT_FILTER} GROUP BY time($__interval), ${BY_ARM} fill(none)`,
          )
            .alias('$tag_experiment $tag_arm')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('p95 latency by arm')
        .datasource(DATASOURCE)
        .unit('ms')
        .span(12)
        .withTarget(
          influxql(
            `SELECT percentile("${K.durationUs}", 95) / 1000 FROM "${I}" WHERE $timeFilter AND ${EXPERIMENT_FILTER} GROUP BY time($__interval), ${BY_ARM} fill(none)`,
          )
            .alias('$tag_experiment $tag_arm')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Accuracy by arm (records with ground truth)')
        .datasource(DATASOURCE)
        .unit('percentunit')
        .min(0)
        .max(1)
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${K.correct}") FROM "${I}" WHERE $timeFilter AND ${EXPERIMENT_FILTER} GROUP BY time($__interval), ${BY_ARM} fill(none)`,
          )
            .alias('$tag_experiment $tag_arm')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Inferences per minute by arm')
        .description('How much each arm is running: a gap means a board stopped or its switch failed.')
        .datasource(DATASOURCE)
        .unit('short')
        .span(12)
        .withTarget(
          influxql(
            `SELECT count("${K.seq}") * 60000 / $__interval_ms FROM "${I}" WHERE $timeFilter AND ${EXPERIMENT_FILTER} GROUP BY time($__interval), ${BY_ARM} fill(0)`,
          )
            .alias('$tag_experiment $tag_arm')
            .refId('A'),
        ),
    )
    .withRow(new RowBuilder('Boards'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Energy per inference by board and arm')
        .description(
          `${RAW} One line per board and arm: the schedule is visible as each board's line changing arm.`,
        )
        .datasource(DATASOURCE)
        .unit('joule')
        .span(24)
        .withTarget(
          influxql(
            `SELECT mean("${K.energyJ}") FROM "${I}" WHERE $timeFilter AND ${EXPERIMENT_FILTER} GROUP BY time($__interval), ${BY_BOARD_ARM} fill(none)`,
          )
            .alias('$tag_device $tag_arm')
            .refId('A'),
        ),
    )
    .withPanel(
      new TablePanel()
        .title('Per board and arm (raw)')
        .description(`${RAW} The paired comparison is within each board: compare its rows.`)
        .datasource(DATASOURCE)
        .span(24)
        .withTarget(
          influxql(
            `SELECT count("${K.seq}") AS "inferences", mean("${K.energyJ}") AS "energy J", percentile("${K.durationUs}", 95) / 1000 AS "p95 latency ms", mean("${K.correct}") AS "accuracy" FROM "${I}" WHERE $timeFilter AND ${EXPERIMENT_FILTER} GROUP BY ${BY_BOARD_ARM}`,
          )
            .table()
            .refId('A'),
        ),
    );
}
