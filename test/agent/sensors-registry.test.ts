import { describe, expect, it } from 'vitest';
import { BOARDS, boardById, recogniseBoard, UnknownBoardError } from '../../agent/boards/index.js';
import { createSensor, SENSORS, SensorConfigError } from '../../agent/sensors/index.js';
import { SimulatedSensor } from '../../agent/sensors/simulated.js';

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

describe('board registry', () => {
  it('finds every board by its id', () => {
    for (const board of BOARDS) expect(boardById(board.id)).toBe(board);
  });

  it('throws UnknownBoardError naming the id and listing the known boards', () => {
    expect(() => boardById('pi-zero')).toThrow(UnknownBoardError);
    expect(() => boardById('pi-zero')).toThrow(/"pi-zero".*rpi4, rpi5, jetson-orin-nano/);
  });

  it('has unique ids', () => {
    expect(new Set(boardIds).size).toBe(boardIds.length);
  });

  it.each([
    ['Raspberry Pi 4 Model B Rev 1.4', 'rpi4'],
    ['Raspberry Pi 5 Model B Rev 1.0', 'rpi5'],
    ['NVIDIA Jetson Orin Nano Developer Kit', 'jetson-orin-nano'],
  ])('recognises %s as %s', (model, id) => {
    expect(recogniseBoard(model)?.id).toBe(id);
  });

  it.each(['Raspberry Pi 3 Model B Plus Rev 1.3', 'QEMU Standard PC', ''])(
    'recognises no board in %j',
    (model) => {
      expect(recogniseBoard(model)).toBeUndefined();
    },
  );

  describe.each(BOARDS.map((board) => [board.id, board] as const))('profile %s', (_id, board) => {
    it.each(['idleW', 'loadW', 'embodiedKgCo2e'] as const)('has low ≤ central ≤ high for %s', (field) => {
      const figure = board[field];
      expect(figure.low).toBeLessThanOrEqual(figure.central);
      expect(figure.central).toBeLessThanOrEqual(figure.high);
      expect(figure.low).toBeGreaterThan(0);
      expect(figure.source.length).toBeGreaterThan(0);
    });

    it('draws less power at idle than at load (central values)', () => {
      expect(board.idleW.central).toBeLessThan(board.loadW.central);
    });

    it('has a positive whole number of CPU cores', () => {
      expect(Number.isInteger(board.cpuCores)).toBe(true);
      expect(board.cpuCores).toBeGreaterThan(0);
    });
  });
});
