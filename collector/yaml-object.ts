// Reads the text of a collector file (an experiment, a scenario) as YAML or JSON (JSON is YAML 1.2)
// into an object for its validator: a syntax error says its line and the first line of why, and
// anything but an object says what the file should hold; both as the caller's own error class.

import { parse as parseYaml, YAMLParseError } from 'yaml';

/**
 * The object `text` holds. Otherwise throws `refuse(message)`: `<origin>: not valid YAML or JSON
 * at line n: why`, or `<origin>: <notAnObject>` for a value that is not an object.
 */
export function parseYamlObject(
  text: string,
  origin: string,
  notAnObject: string,
  refuse: (message: string) => Error,
): object {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw refuse(`${origin}: not valid YAML or JSON${where}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw refuse(`${origin}: ${notAnObject}`);
  return raw;
}
