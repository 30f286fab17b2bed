// Offload: inputs the devices sent to an inference server (measurement `offload`), both sides
// measured — the round trip, the bytes at the application layer and on the socket, the device's
// and the server's energy per request, what became of the requests — and where each server's
// energy came from (RAPL, NVML, or an ESTIMATE), so an estimated server is never read as measured.

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { OFFLOAD_KEYS as K, MEASUREMENTS } from '../protocol/index.js';
import { DATASOURCE, influxql } from './influxql.js';
import { deviceVariable, fleetVariable, SOURCE_FILTER } from './variables.js';

const O = MEASUREMENTS.offload;
/** Answered requests only: a failure's round trip is its timeout, and it has no server energy. */
const ANSWERED = `"${K.outcome}" = 'ok'`;
const WHERE = `WHERE $timeFilter AND ${SOURCE_FILTER}`;

export function offloadDashboard(): DashboardBuilder {
  return new DashboardBuilder('edgewatt — offload')
    .uid('edgewatt-offload')
    .tags(['edgewatt'])
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(fleetVariable(O))
    .withVariable(deviceVariable(O))
    .withRow(new RowBuilder('Requests'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Round trip (answered requests)')
        .description(
          'Request written → answer read, on the device clock: mean and 95th percentile per server.',
        )
        .datasource(DATASOURCE)
        .unit('s')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${K.roundTripS}") AS "mean", percentile("${K.roundTripS}", 95) AS "p95" FROM "${O}" ${WHERE} AND ${ANSWERED} GROUP BY time($__interval), "${K.serverId}" fill(none)`,
          )
            .alias('$tag_server $col')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Outcomes')
        .description(
          'Requests per outcome: ok, timeout, refused (429/503), http-error, connection-reset, tls-error, unreachable.',
        )
        .datasource(DATASOURCE)
        .unit('short')
        .span(12)
        .withTarget(
          influxql(
            `SELECT count("${K.seq}") FROM "${O}" ${WHERE} GROUP BY time($__interval), "${K.outcome}" fill(none)`,
          )
            .alias('$tag_outcome')
            .refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Bytes per request: application vs socket')
        .description(
          'Application: HTTP request and response bodies. Socket: everything on the TCP connection for the request (headers, TLS and protocol overhead).',
        )
        .datasource(DATASOURCE)
        .unit('decbytes')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${K.requestBytes}") + mean("${K.responseBytes}") AS "application", mean("${K.socketBytesSent}") + mean("${K.socketBytesReceived}") AS "socket" FROM "${O}" ${WHERE} AND ${ANSWERED} GROUP BY time($__interval) fill(none)`,
          ).refId('A'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Fallbacks to the edge')
        .description('Failed requests whose input then ran on the device (it has its own inference record).')
        .datasource(DATASOURCE)
        .unit('short')
        .span(12)
        .withTarget(
          influxql(
            `SELECT count("${K.seq}") AS "fell back" FROM "${O}" ${WHERE} AND "${K.fallback}" = 'edge' GROUP BY time($__interval) fill(none)`,
          ).refId('A'),
        ),
    )
    .withRow(new RowBuilder('Energy per request'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Energy per request: device and server')
        .description(
          "Device: its sensor over the whole request window (radio and waiting). Server: its energy attributed to the request, idle share excluded; see the table below for whether it was measured or ESTIMATED. The network's energy is a model (compare), not shown here.",
        )
        .datasource(DATASOURCE)
        .unit('joule')
        .span(12)
        .withTarget(
          influxql(
            `SELECT mean("${K.deviceEnergyJ}") AS "device", mean("${K.serverEnergyJ}") AS "server" FROM "${O}" ${WHERE} AND ${ANSWERED} GROUP BY time($__interval), "${K.serverId}" fill(none)`,
          )
            .alias('$col ($tag_server)')
            .refId('A'),
        ),
    )
    .withPanel(
      new TablePanel()
        .title('Servers: energy and where it came from')
        .description(
          'provenance rapl / nvml: measured by the server; estimated: a CPU power model, an ESTIMATE. Region and PUE class price the datacenter side in compare.',
        )
        .datasource(DATASOURCE)
        .span(12)
        .withTarget(
          influxql(
            `SELECT count("${K.serverEnergyJ}") AS "requests", mean("${K.serverEnergyJ}") AS "server J", mean("${K.serverIdleShareJ}") AS "idle share J", mean("${K.deviceEnergyJ}") AS "device J", mean("${K.serverBatchSize}") AS "batch", last("${K.serverEnergyProvenance}") AS "provenance", last("${K.serverRegion}") AS "region", last("${K.serverPueClass}") AS "PUE class" FROM "${O}" ${WHERE} AND ${ANSWERED} GROUP BY "${K.serverId}"`,
          )
            .table()
            .refId('A'),
        ),
    );
}
