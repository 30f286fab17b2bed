// Model variants side by side: energy, latency and accuracy per (model, variant, backend), so a
// pruned variant's savings and its cost in accuracy are read in one place.

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { MEASUREMENTS } from '../collector/store/influx-lines.js';
import { DATASOURCE, influxql } from './influxql.js';

const I = MEASUREMENTS.inference;
const BY_VARIANT = '"model", "variant", "backend"';

export function modelsDashboard(): DashboardBuilder {
  return new DashboardBuilder('edgewatt — model variants')
    .uid('edgewatt-models')
    .tags(['edgewatt'])
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
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
            `SELECT count("seq") AS "inferences", mean("energy_j") AS "energy J", mean("above_idle_j") AS "above idle J", mean("duration_us") / 1000 AS "latency ms", percentile("duration_us", 95) / 1000 AS "p95 latency ms", mean("correct") AS "accuracy" FROM (SELECT "seq", "energy_j", "energy_j" - "baseline_w" * "duration_us" / 1000000 AS "above_idle_j", "duration_us", "correct" FROM "${I}" WHERE $timeFilter GROUP BY ${BY_VARIANT}) GROUP BY ${BY_VARIANT}`,
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
            `SELECT mean("energy_j") FROM "${I}" WHERE $timeFilter GROUP BY time($__interval), ${BY_VARIANT} fill(none)`,
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
            `SELECT mean("duration_us") FROM "${I}" WHERE $timeFilter GROUP BY time($__interval), ${BY_VARIANT} fill(none)`,
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
            `SELECT mean("correct") FROM "${I}" WHERE $timeFilter GROUP BY time($__interval), ${BY_VARIANT} fill(none)`,
          )
            .alias('$tag_variant ($tag_backend)')
            .refId('A'),
        ),
    );
}
