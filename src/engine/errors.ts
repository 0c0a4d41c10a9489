/**
 * An error the user can act on (bad input, a model folder that does not fit, a numeric
 * overflow with a known fix). The CLI prints its message as one line; anything else is a bug
 * and keeps its stack.
 */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: EngineErrorCode,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export type EngineErrorCode =
  | 'bad-request'
  | 'model-folder'
  | 'provider'
  | 'non-finite'
  | 'cancelled'
  | 'image-input'
  | 'download';

export class CancelledError extends EngineError {
  constructor() {
    super('Generation cancelled.', 'cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}
