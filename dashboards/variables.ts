// The dashboards' template variables: fleet and device on every dashboard, experiment (and arm) on
// the experiments dashboard. Each is a multi-value InfluxDB tag query whose "All" is a regex (allValue),
// and queries filter with `=~ /^$name$/`, which Grafana expands to (a|b) for several values.

import { QueryVariableBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { INFERENCE_KEYS as K, MEASUREMENTS, SOURCE_TAGS } from '../protocol/index.js';
import { DATASOURCE } from './influxql.js';

const I = MEASUREMENTS.inference;

/** `"tag" =~ /^$variable$/`: the tag matches the variable's value(s). */
export const matches = (tag: string, variable: string) => `"${tag}" =~ /^$${variable}$/`;

/** Records of the fleets and devices chosen in the variables. */
export const SOURCE_FILTER = `${matches(SOURCE_TAGS.fleet, 'fleet')} AND ${matches(SOURCE_TAGS.device, 'device')}`;

/** Records of the experiments and arms chosen (besides fleet and device). */
export const EXPERIMENT_FILTER = `${SOURCE_FILTER} AND ${matches(K.experiment, 'experiment')} AND ${matches(K.arm, 'arm')}`;

/**
 * `allValue`: what "All" means. For fleet and device, any value (.*). For experiment and arm, any
 * value but none (.+): records outside every experiment have no experiment tag, and an empty tag
 * matches .* in InfluxQL, so .* would mix the pre-experiment records into the arms.
 */
function tagVariable(name: string, label: string, query: string, allValue = '.*'): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue(allValue)
    .current({ text: 'All', value: '$__all', selected: true });
}

/** `measurement`: where the tag values come from (inference records by default; offload for its dashboard). */
export function fleetVariable(measurement: string = I): QueryVariableBuilder {
  return tagVariable(
    'fleet',
    'Fleet',
    `SHOW TAG VALUES FROM "${measurement}" WITH KEY = "${SOURCE_TAGS.fleet}"`,
  );
}

export function deviceVariable(measurement: string = I): QueryVariableBuilder {
  return tagVariable(
    'device',
    'Device',
    `SHOW TAG VALUES FROM "${measurement}" WITH KEY = "${SOURCE_TAGS.device}" WHERE ${matches(SOURCE_TAGS.fleet, 'fleet')}`,
  );
}

export function experimentVariable(): QueryVariableBuilder {
  return tagVariable(
    'experiment',
    'Experiment',
    `SHOW TAG VALUES FROM "${I}" WITH KEY = "${K.experiment}" WHERE ${matches(SOURCE_TAGS.fleet, 'fleet')}`,
    '.+',
  );
}

export function armVariable(): QueryVariableBuilder {
  return tagVariable(
    'arm',
    'Arm',
    `SHOW TAG VALUES FROM "${I}" WITH KEY = "${K.arm}" WHERE ${matches(K.experiment, 'experiment')}`,
    '.+',
  );
}
