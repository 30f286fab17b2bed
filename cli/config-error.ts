// The error of a bad configuration value (flag, environment variable or config file). Its own file
// so that option schemas can throw it without importing cli/config.ts, which imports the schemas.

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
