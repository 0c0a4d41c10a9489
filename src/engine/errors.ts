import type { EngineErrorCode, SystemErrorCode } from '../protocol/failureCode';

export type { EngineErrorCode };

/**
 * An error the user can act on (bad input, a model folder that does not fit, a numeric
 * overflow with a known fix, a file name taken). The CLI prints its message as one line and the
 * server sends its code to the host; anything else is a bug and keeps its stack.
 */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: EngineErrorCode | SystemErrorCode,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export class CancelledError extends EngineError {
  constructor() {
    super('Generation cancelled.', 'cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}
