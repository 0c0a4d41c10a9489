import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GalleryFile } from '../panel/panelBackend';
import { readRecipeFromFile } from '../../engine/image/recipeMetadata';
import { isImagePath } from '../imageFiles';
import { isInside, workspaceRelative } from '../outputFiles';

/**
 * The images in the output folder (and its sub-folders) and the `kept` results written outside
 * it, newest first, with their recipes. Files in the output folder without a recipe are still
 * listed: the user may have put them there on purpose. A kept result is listed only while it
 * is still there with a recipe; one deleted, moved or overwritten by another picture is not.
 */
export async function scanGallery(root: string, folder: string, limit = 200, kept: readonly string[] = []): Promise<GalleryFile[]> {
  const inFolder = await Promise.all((await listImages(folder)).map(async (path) => withTime(path)));
  const outside = await keptWithRecipes(kept.filter((path) => !isInside(folder, path)));
  const all = [...inFolder.filter((file) => file !== undefined), ...outside];
  all.sort((a, b) => b.modifiedMs - a.modifiedMs);
  return Promise.all(
    all.slice(0, limit).map(async (file) => ({
      path: file.path,
      relativePath: workspaceRelative(root, file.path),
      recipe: file.recipe ?? (await readRecipeFromFile(file.path).catch(() => null)) ?? undefined,
      modifiedMs: file.modifiedMs,
    })),
  );
}

interface Found {
  path: string;
  modifiedMs: number;
  recipe?: GalleryFile['recipe'];
}

/** Undefined for a file that went between the listing and the look. */
async function withTime(path: string): Promise<Found | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? { path, modifiedMs: info.mtimeMs } : undefined;
}

async function keptWithRecipes(paths: readonly string[]): Promise<Found[]> {
  const found = await Promise.all(
    [...new Set(paths)].map(async (path) => {
      if (!isImagePath(path)) return undefined;
      const file = await withTime(path);
      const recipe = file && (await readRecipeFromFile(path).catch(() => null));
      return file && recipe ? { ...file, recipe } : undefined;
    }),
  );
  return found.filter((file) => file !== undefined);
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
