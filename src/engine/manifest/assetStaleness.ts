import { basename, resolve } from 'node:path';
import { orderedOutput, orderedPixelArt } from '../../protocol/finishSteps';
import type { FinishSteps, Recipe } from '../../protocol/recipe';
import { backgroundReasons } from './assetBackground';
import { finishStepsWithoutFiles } from './assetFinish';
import type { LockedAsset, ManifestLock } from './manifestLock';
import type { Manifest, ManifestAsset } from './manifest';

/** Why an asset needs a build; none means its file is what the entry describes. */
export type StaleReason = string;

export interface AssetFacts {
  /** The file's recipe; null when there is no file, 'none' when the file carries none (or a damaged one). */
  recipe: Recipe | null | 'none';
  lock: ManifestLock;
  /** The current digest of each model folder (matting models too) by the manifest's name for it, where known; absent: not checked. */
  modelDigests?: ReadonlyMap<string, string>;
  /** The source image's current SHA-256, where known. */
  sourceSha256?: string;
  /** Outputs of this manifest that are themselves about to be rebuilt. */
  rebuilding?: ReadonlySet<string>;
  /**
   * The finishing steps the asset asks for, its palette file read (see finishSteps), or why they
   * cannot be had. Absent: compared only where no file is needed.
   */
  finish?: FinishSteps | { problem: string };
}

/**
 * What makes an asset stale, compared as recipes, never as bytes (GPU kernels and ONNX Runtime
 * versions may round differently): the file is missing or carries no recipe; a setting the entry
 * states differs from the recipe's; a setting it stated when built is no longer stated (the
 * model's default now applies); the seed is not the entry's or the locked one; the model, its
 * files or the source image changed; the transparent background or a finishing step differs.
 * Settings the entry leaves to the model are taken as built.
 */
export function staleReasons(asset: ManifestAsset, manifest: Manifest, facts: AssetFacts): StaleReason[] {
  if (facts.recipe === null) return ['missing'];
  if (facts.recipe === 'none') return ['the file carries no SDXL Assets recipe'];
  const recipe = facts.recipe;
  const locked: LockedAsset | undefined = facts.lock.assets[asset.output];
  const reasons: StaleReason[] = [];
  const { model: _model, refiner: _refiner, ...generation } = asset.settings;
  const { model, refiner } = asset;
  for (const [field, wanted] of Object.entries(generation)) {
    const made = (recipe as unknown as Record<string, unknown>)[field];
    if (!sameSetting(field, made, wanted)) reasons.push(`${field} changed: the file has ${shown(made)}, the manifest says ${shown(wanted)}`);
  }
  const lockedName = (key: string) => facts.lock.models[key]?.name;
  if (locked !== undefined && locked.model !== model) reasons.push(`model changed from "${locked.model}" to "${model}"`);
  else if (!sameModel(recipe.model, model, lockedName(model))) reasons.push(`made with model "${recipe.model}", the manifest says "${model}"`);
  if (locked !== undefined && locked.refiner !== refiner) {
    reasons.push(refiner === undefined ? `refiner "${locked.refiner}" was removed` : `refiner is now "${refiner}"`);
  } else if (refiner === undefined ? recipe.refiner !== undefined : !sameModel(recipe.refiner, refiner, lockedName(refiner))) {
    reasons.push(refiner === undefined ? `made with refiner "${recipe.refiner}", the manifest names none` : `refiner is now "${refiner}"`);
  }
  const seed = asset.seed ?? locked?.seed;
  if (seed !== undefined && recipe.seed !== seed) reasons.push(`seed changed: the file has ${recipe.seed}, ${asset.seed !== undefined ? 'the manifest' : 'the lock'} says ${seed}`);
  for (const field of locked?.stated ?? []) {
    if (field !== 'tiling' && !asset.stated.includes(field)) reasons.push(`${field} is no longer set, so the model's default applies`);
  }
  // No model has a tiling default: an entry without one asks for an ordinary image, lock or not.
  if (generation.tiling === undefined && recipe.tiling !== undefined) reasons.push(`tiling changed: the file has ${shown(recipe.tiling)}, the manifest asks for none`);
  const madeFrom = recipe.initImage === undefined ? undefined : resolve(manifest.dir, recipe.initImage);
  if (madeFrom !== asset.sourcePath) {
    reasons.push(asset.source === undefined ? 'source removed' : `source is now ${asset.source}`);
  } else if (asset.source !== undefined) {
    if (facts.rebuilding?.has(asset.sourcePath!)) reasons.push(`its source ${asset.source} is rebuilt first`);
    else if (facts.sourceSha256 !== undefined && locked?.sourceSha256 !== undefined && locked.sourceSha256 !== facts.sourceSha256) {
      reasons.push(`its source ${asset.source} changed`);
    }
  }
  reasons.push(...backgroundReasons(asset.background, recipe));
  reasons.push(...finishReasons(asset, recipe, facts.finish));
  for (const [key, digest] of [[model, locked?.modelDigest], [refiner, locked?.refinerDigest]] as const) {
    const now = key === undefined ? undefined : facts.modelDigests?.get(key);
    if (now !== undefined && digest !== undefined && now !== digest) reasons.push(`the files of model "${key}" changed since it was made`);
  }
  const matting = asset.background?.matting;
  const mattingNow = matting === undefined ? undefined : facts.modelDigests?.get(matting);
  // A digest locked for another matting model is that model's: the name change is reported above.
  if (mattingNow !== undefined && locked?.matting === matting && locked.mattingDigest !== undefined && mattingNow !== locked.mattingDigest) {
    reasons.push(`the files of matting model "${matting}" changed since it was made`);
  }
  return reasons;
}

/** A finishing step is shown whole unless it holds a long palette. */
const FINISH_SHOWN = 100;

/** A changed fit, size or palette (a palette file's colours included) is a changed recipe. */
function finishReasons(asset: ManifestAsset, recipe: Recipe, known: AssetFacts['finish']): StaleReason[] {
  if (known !== undefined && 'problem' in known) return [known.problem];
  const wanted = known ?? finishStepsWithoutFiles(asset.finish);
  if (wanted === undefined) return [];
  const reasons: StaleReason[] = [];
  const steps = [
    ['exactSize', recipe.output && orderedOutput(recipe.output), wanted.output],
    ['pixelArt', recipe.pixelArt && orderedPixelArt(recipe.pixelArt), wanted.pixelArt],
  ] as const;
  for (const [field, made, asked] of steps) {
    if (JSON.stringify(made) !== JSON.stringify(asked)) reasons.push(`${field} changed: the file has ${shown(made, FINISH_SHOWN)}, the manifest says ${shown(asked, FINISH_SHOWN)}`);
  }
  return reasons;
}

/**
 * Whether a recipe's model name is the manifest's model: the name the lock recorded for it,
 * else the folder's own name (a catalog id or path names it by its last part, a Hugging Face
 * cache folder by its repository).
 */
function sameModel(made: string | undefined, manifestModel: string, lockedName: string | undefined): boolean {
  if (made === undefined) return false;
  if (lockedName !== undefined) return made === lockedName;
  const last = basename(manifestModel.replace(/[/\\]+$/, ''));
  return made === manifestModel || made === last || made.endsWith(`/${last}`);
}

/** Equal values; tiling asked for without a tile size matches the size the engine chose and recorded. */
function sameSetting(field: string, made: unknown, wanted: unknown): boolean {
  if (field !== 'vaeTiling') return made === wanted;
  const tileSize = (wanted as { tileSize?: number }).tileSize;
  return typeof made === 'object' && made !== null && (tileSize === undefined || (made as { tileSize?: number }).tileSize === tileSize);
}

function shown(value: unknown, limit = 60): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > limit ? `${text.slice(0, limit - 3)}…"` : text;
}
