import { basename, dirname } from 'node:path';
import { isSystemErrorCode, type SystemErrorCode } from '../protocol/failureCode';

/** What the user can do about each environment failure; the operating system's words say what happened. */
const ADVICE: Readonly<Record<SystemErrorCode, string>> = {
  EACCES: 'choose a folder you can write to, or change its permissions',
  EPERM: 'choose a folder you can write to, or change its permissions',
  EROFS: 'the file system is read-only; choose another folder',
  ENOSPC: 'the disk is full; free some space or choose another disk',
  EDQUOT: 'your disk quota is used up; free some space or choose another disk',
  EEXIST: 'it was left as it is; choose another name',
  ENOENT: 'check the path',
  ENOTDIR: 'a part of the path is a file, not a folder; check the path',
  EISDIR: 'it is a folder; give a file name',
  EMFILE: 'too many files are open; close some programs and try again',
  EIO: 'the disk reported an input/output error; check it',
};

/**
 * One line for a file system error that the environment caused (no permission, a full disk…),
 * naming the file; undefined for anything else. A writer's temporary file is named by the folder
 * it was in, since the user never asked for it.
 */
export function systemErrorLine(error: unknown): string | undefined {
  const { code, syscall, path } = (error ?? {}) as NodeJS.ErrnoException;
  if (!isSystemErrorCode(code) || !(error instanceof Error)) return undefined;
  // The engine's own file errors (a name taken meanwhile) already say what to do.
  if (syscall === undefined) return error.message;
  const reason = error.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '');
  const target = typeof path !== 'string' ? '' : basename(path).endsWith('.tmp') ? ` in ${dirname(path)}` : ` ${path}`;
  return `cannot ${syscall}${target}: ${reason} (${code}); ${ADVICE[code]}.`;
}
