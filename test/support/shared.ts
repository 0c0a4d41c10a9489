import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..');

/** The steering repo's shared/ folder sits beside the checkout, in CI too. */
export const sharedDir = process.env.SDXL_ASSETS_SHARED ?? resolve(repoRoot, '..', 'shared');
export const referenceDir = resolve(sharedDir, 'reference');
export const clipDataDir = resolve(sharedDir, 'data', 'clip');

/**
 * node:test's `skip` option: false when the reference folder is there, otherwise the
 * visible reason the test was skipped.
 */
export function skipWithoutShared(...parts: string[]): false | string {
  return skipWithoutFile(resolve(sharedDir, ...parts), 'reference data');
}

/** node:test's `skip` option for `what` at `path`: false when it is there, otherwise the visible reason. */
export function skipWithoutFile(path: string, what: string): false | string {
  return existsSync(path) ? false : `${what} not found at ${path}`;
}

export function readReferenceJson<T>(name: string): T {
  return JSON.parse(readFileSync(resolve(referenceDir, name), 'utf8')) as T;
}
