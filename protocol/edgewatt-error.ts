// The one base class of edgewatt's own errors. It lives in protocol/ because protocol/ imports
// nothing of ours and every component may import protocol/: so protocol's own errors can extend it
// too. Guards and the errors of known failures are in common/errors.ts.

export interface EdgewattErrorOptions {
  /** The error this one explains (kept for --debug). */
  cause?: unknown;
  /** What to do about it, in one sentence ("is the broker running? check --broker"). */
  hint?: string;
  /** Stable machine-readable code; by default derived from the class name (ConfigError → CONFIG). */
  code?: string;
}

/** "BrokerUnreachableError" → "BROKER_UNREACHABLE". */
export function codeOfName(name: string): string {
  return name
    .replace(/Error$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase();
}

export class EdgewattError extends Error {
  override readonly name: string = 'EdgewattError';
  readonly hint: string | undefined;
  private readonly givenCode: string | undefined;

  constructor(message?: string, options: EdgewattErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.givenCode = options.code;
  }

  /** Stable code for scripts and metrics; the class name's by default. */
  get code(): string {
    return this.givenCode ?? codeOfName(this.name);
  }
}
