import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isInside, workspaceRelative } from '../outputFiles';

const KEPT_RESULTS_KEY = 'sdxlAssets.keptResults';

/** How many results outside the output folder the gallery remembers; the oldest go first. */
export const KEPT_RESULTS_LIMIT = 200;

/** The part of VS Code's Memento this store uses. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

/**
 * Results the extension wrote outside the output folder (inpainting writes next to the picture
 * it edits), remembered in the workspace's state so the gallery still finds them after a reload.
 * Paths inside the workspace folder are kept relative to it, so they survive the folder moving.
 */
export class KeptResults {
  constructor(private readonly state: StateStore) {}

  /** Absolute paths, most recently kept first. */
  paths(root: string): string[] {
    return this.stored().map((path) => resolve(root, path));
  }

  async keep(root: string, path: string): Promise<void> {
    const entry = isInside(root, path) ? workspaceRelative(root, path) : resolve(path);
    const others = this.stored().filter((stored) => resolve(root, stored) !== resolve(root, entry));
    await this.state.update(KEPT_RESULTS_KEY, [entry, ...others].slice(0, KEPT_RESULTS_LIMIT));
  }

  /** Forgets the remembered files that are gone (deleted, moved), so they stop taking places. */
  async forgetMissing(root: string): Promise<void> {
    // Asynchronously: this runs before every gallery scan, on the extension host, for up to KEPT_RESULTS_LIMIT files.
    const checked = this.stored();
    const there = await Promise.all(checked.map((path) => access(resolve(root, path)).then(() => true, () => false)));
    const gone = new Set(checked.filter((_, index) => !there[index]));
    // Read again: a result kept during the checks must stay.
    if (gone.size > 0) await this.state.update(KEPT_RESULTS_KEY, this.stored().filter((path) => !gone.has(path)));
  }

  private stored(): string[] {
    const value = this.state.get<unknown>(KEPT_RESULTS_KEY);
    return Array.isArray(value) ? value.filter((path): path is string => typeof path === 'string') : [];
  }
}
