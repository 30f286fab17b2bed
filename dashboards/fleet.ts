// Fleet overview: which devices are online and reporting, inferences per second, energy per
// inference by device and model, and power (during inference and idle baseline).

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { INFERENCE_KEYS as K, MEASUREMENTS, SOURCE_TAGS, STATUS_KEYS as ST } from '../protocol/index.js';
import { DATASOURCE, influxql, lastValue } from './influxql.js';
import { deviceVariable, fleetVariable, SOURCE_FILTER } from './variables.js';

const I = MEASUREMENTS.inference;
const S = MEASUREMENTS.status;

export function fleetDashboard(): DashboardBuilder {
  return new DashboardBuilder('edgewatt — fleet overview')
    .uid('edgewatt-fleet')
    .tags(['edgewatt'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(fleetVariable())
    .withVariable(deviceVariable())
    .withRow(new RowBuilder('Fleet'))
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title('Devices online')
        .description(
          'Devices whose last status message says online (birth), not offline (last will or clean stop).',
        )
        .datasource(DATASOURCE)
        .span(6)
        .height(5)
        .withTarget(
          influxql(
            `SELECT sum("${ST.online}") FROM (SELECT last("${ST.online}") AS "online" FROM "${S}" WHERE ${SOURCE_FILTER} GROUP BY "${ST.fleet}", "${ST.device}")`,
          ).refId('A'),
        ),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title('Devices reporting')
        .description('Devices with at least one inference in the time range.')
        .datasource(DATASOURCE)
        .span(6)
        .height(5)
        .withTarget(
          influxql(
            `SELECT count("n") FROM (SELECT count("${K.seq}") AS "n" FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY "${SOURCE_TAGS.fleet}", "${SOURCE_TAGS.device}")`,
          ).refId('A'),
        ),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title('Inferences in range')
        .datasource(DATASOURCE)
        .span(6)
        .height(5)
        .withTarget(
          influxql(`SELECT count("${K.seq}") FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER}`).refId('A'),
        ),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title('Records by provenance')
        .description(
          'Measured (read from a power sensor) vs estimated (a model of the board): estimates are labelled, never mixed.',
        )
        .datasource(DATASOURCE)
        .span(6)
        .height(5)
        .withTarget(
          influxql(
            `SELECT count("${K.seq}") FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY "${K.provenance}"`,
          )
            .alias('$tag_provenance')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Inferences per second')
        .datasource(DATASOURCE)
        .unit('reqps')
        .span(12)
        .withTarget(
          influxql(
            `SELECT count("${K.seq}") / ($__interval_ms / 1000) FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), "${SOURCE_TAGS.device}" fill(0)`,
          )
            .alias('$tag_device')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Energy per inference by device and model')
        .description('Mean gross energy per inference; estimates are labelled by the provenance tag.')
        .datasource(DATASOURCE)
        .unit('joule')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${K.energyJ}") FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), "${SOURCE_TAGS.device}", "${K.modelId}", "${K.variant}", "${K.provenance}" fill(none)`,
          )
            .alias('$tag_device $tag_variant ($tag_provenance)')
            .refId('A'),
        ),
    )
    .withRow(new RowBuilder('Power'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Power during inference')
        .description('Energy over inference time in each interval: the mean power while running the model.')
        .datasource(DATASOURCE)
        .unit('watt')
        .span(12)
        .withTarget(
          influxql(
            `SELECT sum("${K.energyJ}") / (sum("${K.durationUs}") / 1000000) FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), "${SOURCE_TAGS.device}" fill(none)`,
          )
            .alias('$tag_device')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Idle baseline power')
        .datasource(DATASOURCE)
        .unit('watt')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${K.baselineW}") FROM "${I}" WHERE $timeFilter AND ${SOURCE_FILTER} GROUP BY time($__interval), "${SOURCE_TAGS.device}" fill(none)`,
          )
            .alias('$tag_device')
            .refId('A'),
        ),
    )
    .withRow(new RowBuilder('Devices'))
    .withPanel(
      new TablePanel()
        .title('Device status')
        .datasource(DATASOURCE)
        .span(24)
        .withTarget(
          influxql(
            `SELECT last("${ST.state}") AS "state", last("${ST.seq}") AS "next seq", last("${ST.backend}") AS "backend", last("${ST.sensor}") AS "sensor" FROM "${S}" WHERE ${SOURCE_FILTER} GROUP BY "${ST.fleet}", "${ST.device}"`,
          )
            .table()
            .refId('A'),
        ),
    );
}
