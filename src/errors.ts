/**
 * One error family for everything sqlml reports to a user. Each has a stable `code`
 * (for the HTTP API and tests) and a one-sentence message that names the thing at fault.
 */
export type ErrorCode =
  | 'syntax'
  | 'unknown_model'
  | 'model_exists'
  | 'bad_option'
  | 'bad_recipe'
  | 'bad_column'
  | 'bad_target'
  | 'empty_input'
  | 'training_failed'
  | 'database'
  | 'connection'
  | 'bad_url'
  | 'cancelled'
  | 'result_too_large'
  | 'unsupported'
  | 'internal';

export class SqlmlError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqlmlError';
    this.code = code;
  }
}

/** A statement that does not parse; `line`/`column` are 1-based positions in the script. */
export class SqlSyntaxError extends SqlmlError {
  readonly line: number;
  readonly column: number;
  readonly expected: string;
  readonly found: string;
  constructor(line: number, column: number, expected: string, found: string) {
    super('syntax', `line ${line}, column ${column}: expected ${expected}, found ${found}`);
    this.name = 'SqlSyntaxError';
    this.line = line;
    this.column = column;
    this.expected = expected;
    this.found = found;
  }
}

/** An error the database reported; the driver's error (SQLSTATE, position...) is kept as `cause`. */
export class DatabaseError extends SqlmlError {
  constructor(message: string, cause?: unknown) {
    super('database', message, { cause });
    this.name = 'DatabaseError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
