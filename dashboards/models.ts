// Model variants side by side: energy, latency and accuracy per (model, variant, backend), so a
// pruned variant's savings and its cost in accuracy are read in one place.

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { INFERENCE_KEYS as K, MEASUREMENTS } from '../protocol/index.js';
import { DATASOURCE, influxql } from './influxql.js';
import { deviceVariable, fleetVariable, SOURCE_FILTER } from './variables.js';

const I = MEASUREMENTS.inference;
const BY_VARIANT = `"${K.modelId}", "${K.variant}", "${K.backend}"`;

export function modelsDashboard(): DashboardBuilder {
  return new DashboardBuilder('edgewatt — model variants')
    .uid('edgewatt-models')
    .tags(['edgewatt'])
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(fleetVariable())
    .withVariable(deviceVariable())
    .withRow(new RowBuilder('Side by side'))
    .withPanel(
      new TablePanel()
        .title('Variants: energy, latency, accuracy')
        .description(
          'Accuracy = share of correct answers among inferences with known ground truth; empty when none is known.',
        )
        .datasource(DATASOURCE)
        .span(24)
        .withTarget(
          influxql(
            // Energy above idle is derived per point (energy − baseline × duration), hence the subquery.
            `SELECT count("${K.seq}") AS "inferences", mean("${K.energyJ}") AS "energy J", mean("above_idle_j") AS "above idle J", mean("${K.durationUs}") / 1000 AS "latency ms", percentile("${K.durationUs}", 95) / 1000 AS "p95 latency ms", mean("${K.correct}") AS "accuracy" FROM (SELECT "${K.seq}", "${K.energyJ}", "${K.energyJ}" - "${K.baselineW}" * "${K.durationUs}" / 1000000 AS "above_idle_j", "${K.durationUs}", "${K.correct}" FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY ${BY_VARIANT}) GROUP BY ${BY_VARIANT}`,
          )
            .table()
            .refId('A'),
        ),
    )
    .withRow(new RowBuilder('Over time'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Energy per inference by variant')
        .datasource(DATASOURCE)
        .unit('joule')
        .span(8)
        .withTarget(
          influxql(
            `SELECT mean("${K.energyJ}") FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), ${BY_VARIANT} fill(none)`,
          )
            .alias('$tag_variant ($tag_backend)')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Latency by variant')
        .datasource(DATASOURCE)
        .unit('µs')
        .span(8)
        .withTarget(
          influxql(
            `SELECT mean("${K.durationUs}") FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), ${BY_VARIANT} fill(none)`,
          )
            .alias('$tag_variant ($tag_backend)')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Accuracy by variant')
        .datasource(DATASOURCE)
        .unit('percentunit')
        .min(0)
        .max(1)
        .span(8)
        .withTarget(
          influxql(
            `SELECT mean("${K.correct}") FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), ${BY_VARIANT} fill(none)`,
          )
            .alias('$tag_variant ($tag_backend)')
            .refId('A'),
        ),
    );
}
