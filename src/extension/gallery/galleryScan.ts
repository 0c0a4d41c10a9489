import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GalleryFile } from '../panel/panelBackend';
import { readRecipeFromFile } from '../../engine/image/recipeMetadata';
import { isImagePath } from '../imageFiles';
import { workspaceRelative } from '../outputFiles';

/**
 * The images in the output folder (and its sub-folders), newest first, with their recipes.
 * Files without a recipe are still listed: the user may have put them there on purpose.
 */
export async function scanGallery(root: string, folder: string, limit = 200): Promise<GalleryFile[]> {
  const paths = await listImages(folder);
  const withTimes = await Promise.all(paths.map(async (path) => ({ path, modifiedMs: (await stat(path)).mtimeMs })));
  withTimes.sort((a, b) => b.modifiedMs - a.modifiedMs);
  return Promise.all(
    withTimes.slice(0, limit).map(async ({ path, modifiedMs }) => ({
      path,
      relativePath: workspaceRelative(root, path),
      recipe: (await readRecipeFromFile(path).catch(() => null)) ?? undefined,
      modifiedMs,
    })),
  );
}

async function listImages(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(folder, entry.name);
      if (entry.name.startsWith('.')) return [];
      if (entry.isDirectory()) return listImages(path);
      return entry.isFile() && isImagePath(entry.name) ? [path] : [];
    }),
  );
  return nested.flat();
}
