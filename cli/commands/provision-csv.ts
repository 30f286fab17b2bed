// The device list of `edgewatt provision-device --csv <file>`: one device per line, columns
// fleet,device[,board,sensor,model], an optional header line, `#` comments and blank lines
// skipped, fields optionally in double quotes. Every bad cell is reported with its line and
// column, all at once, before anything is written.

import { boardIds } from '../../protocol/boards/index.js';
import { idProblem } from '../../protocol/index.js';
import { ConfigError } from '../config.js';

export const CSV_COLUMNS = ['fleet', 'device', 'board', 'sensor', 'model'] as const;

export interface DeviceRow {
  fleet: string;
  device: string;
  board?: string;
  sensor?: string;
  model?: string;
  /** `line 3 of devices.csv`, for messages. */
  source: string;
}

/**
 * Why a fleet id cannot be provisioned, or null. Broker users are `<fleet>.<device>` and agent
 * files `<fleet>.<device>.agent.json`; a "." in the fleet would make fleet `lab.x` + device `y`
 * and fleet `lab` + device `x.y` the same user. Device ids may keep their dots: the first "."
 * of a user name ends the fleet.
 */
export function provisionFleetProblem(fleet: string): string | null {
  return (
    idProblem(fleet) ??
    (fleet.includes('.')
      ? 'may not contain "." for provisioning (broker users are <fleet>.<device>, and the first "." ends the fleet)'
      : null)
  );
}

/** One CSV line split into fields; null when a quote is not closed. */
function splitLine(line: string): string[] | null {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else field += c;
  }
  if (quoted) return null;
  fields.push(field.trim());
  return fields;
}

/** The devices of a CSV text; throws ConfigError listing every bad cell by line and column. */
export function parseDevicesCsv(text: string, name: string): DeviceRow[] {
  const rows: DeviceRow[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let headerSeen = false;
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const where = (column: number) =>
      `${name} line ${lineNo}, column ${column + 1} (${CSV_COLUMNS[column] ?? 'extra'})`;
    const fields = splitLine(raw);
    if (fields === null) {
      problems.push(`${name} line ${lineNo}: a quoted field is not closed`);
      return;
    }
    if (!headerSeen && rows.length === 0 && fields[0]?.toLowerCase() === 'fleet') {
      headerSeen = true;
      const expected = CSV_COLUMNS.slice(0, fields.length);
      fields.forEach((field, column) => {
        if (field.toLowerCase() !== expected[column])
          problems.push(
            `${where(column)}: header says ${JSON.stringify(field)}; the columns are ${CSV_COLUMNS.join(',')}`,
          );
      });
      return;
    }
    if (fields.length < 2 || fields.length > CSV_COLUMNS.length) {
      problems.push(
        `${name} line ${lineNo}: ${fields.length} column${fields.length === 1 ? '' : 's'}; expected 2 to ${CSV_COLUMNS.length}: ${CSV_COLUMNS.join(',')}`,
      );
      return;
    }
    const [fleet = '', device = '', board = '', sensor = '', model = ''] = fields;
    const rowProblems: string[] = [];
    const fleetProblem = provisionFleetProblem(fleet);
    if (fleetProblem !== null)
      rowProblems.push(`${where(0)}: fleet id ${JSON.stringify(fleet)} ${fleetProblem}`);
    const deviceProblem = idProblem(device);
    if (deviceProblem !== null)
      rowProblems.push(`${where(1)}: device id ${JSON.stringify(device)} ${deviceProblem}`);
    if (board !== '' && !boardIds().includes(board))
      rowProblems.push(
        `${where(2)}: unknown board ${JSON.stringify(board)}; known boards: ${boardIds().join(', ')}`,
      );
    const sensorBoard = sensor.split(':')[1];
    if (board !== '' && sensorBoard !== undefined && !sensorBoard.includes('=') && sensorBoard !== board)
      rowProblems.push(
        `${where(3)}: sensor ${JSON.stringify(sensor)} names board ${sensorBoard}, the board column ${board}`,
      );
    if (board !== '' && sensor === '')
      rowProblems.push(
        `${where(3)}: a board is given without a sensor; give the sensor kind (e.g. ina219 or simulated)`,
      );
    const key = `${fleet}/${device}`;
    const earlier = seen.get(key);
    if (earlier !== undefined)
      rowProblems.push(`${name} line ${lineNo}: device ${key} is already on line ${earlier}`);
    if (rowProblems.length > 0) {
      problems.push(...rowProblems);
      return;
    }
    seen.set(key, lineNo);
    rows.push({
      fleet,
      device,
      ...(board === '' ? {} : { board }),
      ...(sensor === '' ? {} : { sensor: withBoard(sensor, board) }),
      ...(model === '' ? {} : { model }),
      source: `line ${lineNo} of ${name}`,
    });
  });
  if (problems.length > 0)
    throw new ConfigError(
      problems.length === 1
        ? (problems[0] as string)
        : `${problems.length} problems in ${name}:\n  ${problems.join('\n  ')}`,
    );
  if (rows.length === 0)
    throw new ConfigError(`${name} lists no devices (columns: ${CSV_COLUMNS.join(',')})`);
  return rows;
}

/** The sensor spec with the board as its second part (`ina219` + rpi4 → `ina219:rpi4`), as the agent reads it. */
function withBoard(sensor: string, board: string): string {
  if (board === '') return sensor;
  const [kind = '', ...rest] = sensor.split(':');
  if (rest[0] === board) return sensor;
  return [kind, board, ...rest].join(':');
}
