import { join } from 'node:path';
import { before } from 'node:test';

/**
 * One folder under `root` for each builder, named by its key and filled by it before the tests
 * of the file or describe block that called this; the folders' paths, by the same keys.
 */
export function tinyModelFolders<Name extends string>(root: string, builders: Record<Name, (dir: string) => void>): Record<Name, string> {
  const names = Object.keys(builders) as Name[];
  const dirs = Object.fromEntries(names.map((name) => [name, join(root, name)])) as Record<Name, string>;
  before(() => {
    for (const name of names) builders[name](dirs[name]);
  });
  return dirs;
}
