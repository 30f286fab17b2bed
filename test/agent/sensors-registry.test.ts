import { describe, expect, it } from 'vitest';
import { createSensor, SENSORS, SensorConfigError } from '../../agent/sensors/index.js';
import { SimulatedSensor } from '../../agent/sensors/simulated.js';
import { BOARDS } from '../../protocol/boards/index.js';

const boardIds = BOARDS.map((board) => board.id);

function configErrorOf(spec: string): SensorConfigError {
  try {
    createSensor(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(SensorConfigError);
    return error as SensorConfigError;
  }
  throw new Error(`createSensor(${JSON.stringify(spec)}) did not throw`);
}

describe('createSensor', () => {
  it.each(boardIds)('creates a simulated sensor for board %s', (id) => {
    const sensor = createSensor(`simulated:${id}`);
    expect(sensor).toBeInstanceOf(SimulatedSensor);
    expect(sensor.label).toBe(`simulated:${id}`);
    expect(sensor.provenance).toBe('estimated');
  });

  it('rejects an unknown kind, naming it and listing the kinds and boards', () => {
    const { message } = configErrorOf('nope:rpi4');
    expect(message).toContain('"nope:rpi4"');
    for (const kind of SENSORS.map((s) => s.kind)) expect(message).toContain(kind);
    for (const id of boardIds) expect(message).toContain(id);
  });

  it('rejects an unknown board, naming it and listing the known boards', () => {
    const { message } = configErrorOf('simulated:nope');
    expect(message).toContain('"nope"');
    expect(message).toContain('simulated:nope');
    for (const id of boardIds) expect(message).toContain(id);
  });

  it('rejects extra colon-separated parts, naming the spec and listing the options', () => {
    const { message } = configErrorOf('simulated:rpi4:x');
    expect(message).toContain('"simulated:rpi4:x"');
    expect(message).toContain('simulated');
    for (const id of boardIds) expect(message).toContain(id);
  });

  it('rejects an empty spec with the list of kinds', () => {
    const { message } = configErrorOf('');
    for (const kind of SENSORS.map((s) => s.kind)) expect(message).toContain(kind);
  });

  it("rejects 'simulated' without a board, naming it and listing every board", () => {
    const { message } = configErrorOf('simulated');
    expect(message).toContain('simulated');
    for (const id of boardIds) expect(message).toContain(id);
  });
});

describe('sensor matching: a board lists the sensors that can measure it', () => {
  it('names only registered sensor kinds in every board', () => {
    const kinds = SENSORS.map((s) => s.kind);
    for (const board of BOARDS) for (const kind of board.sensors) expect(kinds).toContain(kind);
  });

  it.each([
    ['jetson-ina3221:rpi4', 'Raspberry Pi 4 Model B (rpi4)', 'ina219, ina226'],
    ['pi5-pmic:rpi4', 'Raspberry Pi 4 Model B (rpi4)', 'ina219, ina226'],
    ['pi5-pmic:jetson-nano', 'NVIDIA Jetson Nano (jetson-nano)', 'jetson-ina3221, ina219, ina226'],
    ['rapl:esp32', 'ESP32-class microcontroller board (esp32)', 'ina219, ina226'],
  ])('refuses %s, naming the board and its sensors', (spec, board, sensors) => {
    const { message } = configErrorOf(spec);
    expect(message).toContain(JSON.stringify(spec));
    expect(message).toContain(board);
    expect(message).toContain(`its sensors are ${sensors}`);
  });

  it('lets only the estimates (simulated, replay) name a board that does not list them', () => {
    const anyBoard = SENSORS.filter((factory) => factory.fitsAnyBoard === true).map(
      (factory) => factory.kind,
    );
    expect(anyBoard.sort()).toEqual(['replay', 'simulated']);
    expect(createSensor('replay:esp32:file=trace.csv').label).toBe('replay:esp32');
  });

  it.each(BOARDS.flatMap((board) => board.sensors.map((kind) => `${kind}:${board.id}`)))(
    'creates %s (a sensor the board lists), labelled with the board',
    (spec) => {
      expect(createSensor(spec).label).toBe(spec);
    },
  );
});
