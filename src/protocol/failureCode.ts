// Why a job or a download ended without its result: the codes the engine's errors carry, the ones
// a failed job sends over IPC, and the one test of cancellation that every room applies.

/** The engine's own reasons, each one the user can act on. */
export type EngineErrorCode =
  | 'bad-request'
  | 'model-folder'
  | 'provider'
  | 'non-finite'
  | 'cancelled'
  | 'image-input'
  | 'download';

/** Node's codes for file-system refusals that the environment caused; they reach the host as they are, so it can tell them apart. */
export const SYSTEM_ERROR_CODES = [
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
  'EEXIST',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EMFILE',
  'EIO',
] as const;
export type SystemErrorCode = (typeof SYSTEM_ERROR_CODES)[number];

/** A failed job's code: the engine's reason, the file system's, or 'internal' for a bug (its stack goes to the log). */
export type FailureCode = EngineErrorCode | SystemErrorCode | 'internal';

export function isSystemErrorCode(code: unknown): code is SystemErrorCode {
  return (SYSTEM_ERROR_CODES as readonly unknown[]).includes(code);
}

/**
 * Whether an error is a cancellation: the engine's errors in this process and the job errors the
 * host makes from the engine's messages both carry the code.
 */
export function isCancelled(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'cancelled';
}
