// A raw InfluxQL query for Grafana's InfluxDB data source. The foundation SDK ships no InfluxDB
// query type, so this is its documented extension point: a Dataquery variant with a builder.

import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { type DataSourceRef, ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';

/** The provisioned data source; its uid is fixed so dashboards can name it. */
export const DATASOURCE: DataSourceRef = { type: 'influxdb', uid: 'edgewatt-influxdb' };

export interface InfluxQLQuery {
  refId?: string;
  hide?: boolean;
  datasource: DataSourceRef;
  /** InfluxQL with Grafana macros ($timeFilter, $__interval, $__interval_ms). */
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
  _implementsDataqueryVariant(): void;
}

export class InfluxQLBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQLQuery;

  constructor(query: string) {
    this.internal = {
      datasource: DATASOURCE,
      query,
      rawQuery: true,
      resultFormat: 'time_series',
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  build(): InfluxQLQuery {
    return this.internal;
  }
}

export const influxql = (query: string) => new InfluxQLBuilder(query);

/** Stat panels show the last non-null value of each series (the SDK leaves the reducer empty). */
export const lastValue = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
