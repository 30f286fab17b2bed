// The error of a bad configuration value (flag, environment variable or config file). Its own file
// so that option schemas can throw it without importing cli/config.ts, which imports the schemas.

import { EdgewattError } from '../common/errors.js';

export class ConfigError extends EdgewattError {
  override readonly name = 'ConfigError';
}
