import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine';
import { EngineError, throwIfAborted } from '../engine/errors';
import { finishImage } from '../engine/finish/finishImage';
import { writeImage } from '../engine/image/writeImage';
import { finishSteps } from '../engine/manifest/assetFinish';
import { claimFile } from '../engine/manifest/exclusiveClaim';
import { LOCK_FILE, MANIFEST_FILE, type Manifest, type ManifestAsset } from '../engine/manifest/manifest';
import { lockedAsset, readLock, updateLock, type ManifestLock } from '../engine/manifest/manifestLock';
import { buildOrder, manifestStatus, recipeOf, type AssetStatus } from '../engine/manifest/manifestStatus';
import { hashCachePath, hashFile, readHashCache, writeHashCache, type HashCache } from '../engine/manifest/modelHashes';
import { describeProblems, entryName, parseManifest } from '../engine/manifest/parseManifest';
import { assetSettings } from '../engine/manifest/assetSettings';
import { staleReasons } from '../engine/manifest/assetStaleness';
import { PROVIDER_CHOICES } from '../protocol/providerChoice';
import { mattingKeys } from '../engine/manifest/mattingModels';
import { hashModel, mattingForBuild, mattingIfHere, modelForBuild, modelIfHere } from './manifestModels';
import type { CliModel } from './modelArgument';
import { ProgressReporter } from './progress';
import { parseChoice, UsageError } from './usageError';

export const BUILD_USAGE = `sdxl-assets build [--check] [--manifest FILE] [PATH…]
  Makes the assets of ${MANIFEST_FILE} whose file is missing or whose embedded recipe no longer
  matches the entry (or whose model files changed since ${LOCK_FILE}); leaves the others alone.
  PATH…                      only these outputs, or the outputs under these folders (and their sources)
  --check                    make nothing: list what is stale and exit 3 if anything is (for CI)
  --manifest FILE            the manifest (default: ./${MANIFEST_FILE})
  --provider P               ${PROVIDER_CHOICES.join('|')} (default auto)
  --low-memory               load each model part only while it runs`;

/** Exit status of `build --check` when an asset is stale: apart from 1 (refused) and 2 (usage). */
export const STALE_EXIT_CODE = 3;

export async function buildCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      check: { type: 'boolean' },
      manifest: { type: 'string' },
      provider: { type: 'string' },
      'low-memory': { type: 'boolean' },
    },
  });
  const provider = parseChoice('provider', values.provider, PROVIDER_CHOICES) ?? 'auto';
  const manifestPath = resolve(values.manifest ?? MANIFEST_FILE);
  const text = await readFile(manifestPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    throw new UsageError(`No manifest at ${manifestPath}; run in the folder of ${MANIFEST_FILE} or give --manifest FILE.`);
  });
  const { manifest, problems } = parseManifest(text, manifestPath);
  const { order, problems: cycles } = buildOrder(manifest);
  if (problems.length + cycles.length > 0) {
    throw new EngineError(`the manifest has mistakes:\n${describeProblems(text, manifestPath, [...problems, ...cycles])}`, 'bad-request');
  }
  const selected = selectAssets(order, positionals);
  const lockPath = join(manifest.dir, LOCK_FILE);
  const lock = await readLock(lockPath);

  const cachePath = hashCachePath();
  const cache = await readHashCache(cachePath);
  const models = new Map<string, { model: CliModel } & HashedFolder>();
  for (const key of modelKeys(selected)) {
    const model = modelIfHere(key, manifest.dir);
    if (model === undefined || !existsSync(model.dir)) {
      process.stderr.write(`model "${key}" is not here: its files are not compared with the lock\n`);
      continue;
    }
    models.set(key, { model, ...(await hashModel(key, model.dir, cache, signal)) });
  }
  const mattings = new Map<string, HashedFolder>();
  for (const key of mattingKeys(selected)) {
    const dir = mattingIfHere(key, manifest.dir);
    if (dir === undefined || !existsSync(dir)) {
      process.stderr.write(`matting model "${key}" is not here: its files are not compared with the lock\n`);
      continue;
    }
    mattings.set(key, await hashModel(key, dir, cache, signal));
  }
  await saveCache(cachePath, cache);
  const digests = folderDigests(models, mattings);
  const statuses = await manifestStatus(manifest, selected, lock, digests);
  const stale = statuses.filter((s) => s.reasons.length > 0);

  if (values.check) {
    for (const { asset, reasons } of stale) process.stdout.write(`stale ${asset.output}: ${reasons.join('; ')}\n`);
    process.stderr.write(stale.length === 0 ? `all ${statuses.length} assets are up to date\n` : `${stale.length} of ${statuses.length} assets are stale; run sdxl-assets build\n`);
    return stale.length === 0 ? 0 : STALE_EXIT_CODE;
  }

  await adoptFresh(statuses, lock, lockPath, digests, signal);
  const builder = new AssetBuilder(manifest, lockPath, models, mattings, cache, cachePath, provider, values['low-memory'] === true, signal);
  let built = 0;
  // Outputs another build is making: what is made from them waits for that build, not for stale bytes.
  const elsewhere = new Set<string>();
  try {
    for (const [i, { asset }] of stale.entries()) {
      const label = `[${i + 1}/${stale.length}] ${asset.output}: `;
      if (asset.sourcePath !== undefined && elsewhere.has(asset.sourcePath)) {
        process.stderr.write(`${label}its source is being made by another build, which makes this one too\n`);
        elsewhere.add(asset.outputPath);
        continue;
      }
      const result = await builder.build(asset, label);
      if (result === 'built') built++;
      if (result === 'busy') elsewhere.add(asset.outputPath);
    }
  } finally {
    await builder.dispose();
  }
  const parts = [`${built} built`, `${statuses.length - stale.length} up to date`, ...(elsewhere.size ? [`${elsewhere.size} left to another build`] : [])];
  process.stderr.write(`${parts.join(', ')}\n`);
  return 0;
}

/** The assets the PATH arguments name (files or folders, from the working directory), with the sources they need. */
function selectAssets(order: readonly ManifestAsset[], paths: readonly string[]): ManifestAsset[] {
  if (paths.length === 0) return [...order];
  const wanted = new Set<ManifestAsset>();
  for (const path of paths) {
    const target = resolve(path);
    const matches = order.filter((a) => a.outputPath === target || a.outputPath.startsWith(target.endsWith(sep) ? target : target + sep));
    if (matches.length === 0) throw new UsageError(`${path} is no asset of the manifest, nor a folder holding one.`);
    for (const match of matches) wanted.add(match);
  }
  const byOutput = new Map(order.map((a) => [a.outputPath, a]));
  for (const asset of [...wanted]) {
    for (let source = sourceAsset(asset, byOutput); source && !wanted.has(source); source = sourceAsset(source, byOutput)) wanted.add(source);
  }
  return order.filter((a) => wanted.has(a));
}

function sourceAsset(asset: ManifestAsset, byOutput: Map<string, ManifestAsset>): ManifestAsset | undefined {
  return asset.sourcePath === undefined ? undefined : byOutput.get(asset.sourcePath);
}

function modelKeys(assets: readonly ManifestAsset[]): string[] {
  return [...new Set(assets.flatMap((a) => (a.refiner === undefined ? [a.model] : [a.model, a.refiner])))];
}

/**
 * Up-to-date files the lock does not describe yet (made before the manifest listed them, or by
 * the editor) are recorded as they are: their seed, so that a later rebuild keeps it.
 */
async function adoptFresh(
  statuses: readonly AssetStatus[],
  lock: ManifestLock,
  lockPath: string,
  digests: ReadonlyMap<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const adopt = statuses.filter(({ asset, reasons, recipe }) => {
    const locked = lock.assets[asset.output];
    const matting = asset.background?.matting;
    const unhashed = (locked?.modelDigest === undefined && digests.has(asset.model)) || (matting !== undefined && locked?.mattingDigest === undefined && digests.has(matting));
    const news = locked === undefined || locked.stated.join() !== asset.stated.join() || unhashed;
    return reasons.length === 0 && typeof recipe === 'object' && recipe !== null && news;
  });
  if (adopt.length === 0) return;
  await updateLock(
    lockPath,
    (current) => {
      for (const { asset, recipe, sourceSha256 } of adopt) {
        if (typeof recipe !== 'object' || recipe === null) continue;
        current.assets[asset.output] = lockedAsset(asset, recipe.seed, digests, sourceSha256 ?? current.assets[asset.output]?.sourceSha256);
      }
    },
    signal,
  );
}

/** Makes stale assets one at a time with one engine, so that a model is loaded once for all its assets. */
class AssetBuilder {
  private engine: Engine | undefined;

  constructor(
    private readonly manifest: Manifest,
    private readonly lockPath: string,
    private readonly models: Map<string, { model: CliModel } & HashedFolder>,
    /** The matting models' file hashes, by the manifest's name for each. */
    private readonly mattings: Map<string, HashedFolder>,
    private readonly cache: HashCache,
    private readonly cachePath: string,
    private readonly provider: (typeof PROVIDER_CHOICES)[number],
    private readonly lowMemory: boolean,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Claims the output (a hidden `.NAME.building` file beside it), checks again that it is still
   * stale (another build may just have made it), generates, replaces the file in one rename, and
   * records it in the lock. Interrupted, it leaves the old file, or none, and no claim.
   */
  async build(asset: ManifestAsset, label: string): Promise<'built' | 'busy' | 'fresh'> {
    await mkdir(dirname(asset.outputPath), { recursive: true });
    const claim = await claimFile(join(dirname(asset.outputPath), `.${basename(asset.outputPath)}.building`));
    if (claim === 'busy') {
      process.stderr.write(`${label}another build is making it\n`);
      return 'busy';
    }
    try {
      const lock = await readLock(this.lockPath);
      const recipe = await recipeOf(asset.outputPath);
      const digests = folderDigests(this.models, this.mattings);
      if (asset.sourcePath !== undefined && !existsSync(asset.sourcePath)) {
        throw new EngineError(`${entryName(asset.index, asset.output)}: its source ${asset.source} is not there (paths are relative to the manifest).`, 'image-input');
      }
      const sourceNow = asset.sourcePath === undefined ? undefined : await hashFile(asset.sourcePath);
      const finish = await finishSteps(asset.finish, this.manifest.dir).catch((error: unknown) => {
        if (error instanceof EngineError) throw new EngineError(`${entryName(asset.index, asset.output)}: ${error.message}`, error.code);
        throw error;
      });
      const facts = { recipe, lock, modelDigests: digests, finish, ...(sourceNow !== undefined ? { sourceSha256: sourceNow } : {}) };
      if (staleReasons(asset, this.manifest, facts).length === 0) return 'fresh';
      const model = await this.model(asset.model);
      const refiner = asset.refiner === undefined ? undefined : await this.model(asset.refiner);
      // Without a seed in the entry or the lock the engine draws one, and the lock keeps it from then on.
      const seed = asset.seed ?? lock.assets[asset.output]?.seed;
      const { background } = asset;
      const mattingDir = background && (await mattingForBuild(background.matting, this.manifest.dir, this.signal));
      const matting = background && mattingDir ? await this.matting(background.matting, mattingDir) : undefined;
      const request = {
        ...assetSettings(asset, seed, model.model.entry?.recommended),
        modelDir: model.model.dir,
        ...(refiner ? { refinerDir: refiner.model.dir } : {}),
        ...(background && mattingDir ? { transparentBackground: { mattingDir, isolateSubject: background.isolateSubject } } : {}),
      };
      const engine = (this.engine ??= new Engine({
        provider: this.provider,
        lowMemory: this.lowMemory,
        events: { onFallback: (name, reason) => process.stderr.write(`provider ${name} not used: ${reason}\n`) },
      }));
      const progress = new ProgressReporter(label);
      const image = await engine.generate(request, {
        signal: this.signal,
        onPhase: (phase) => progress.phase(phase),
        onStep: (info) => progress.step(info),
      });
      progress.done();
      throwIfAborted(this.signal);
      // The source as the manifest names it, relative to the manifest, so the recipe means the same on every machine.
      const made = { ...image.recipe, ...finish };
      const recorded = asset.source === undefined ? made : { ...made, initImage: asset.source };
      const finished = await finishImage(image, finish);
      await writeImage(asset.outputPath, finished.rgb, finished.width, finished.height, {
        format: asset.format,
        channels: finished.channels,
        recipe: recorded,
        ifExists: 'replace',
      });
      await updateLock(this.lockPath, (current) => {
        current.models[asset.model] = { name: image.recipe.model, files: model.files };
        if (refiner && asset.refiner !== undefined && image.recipe.refiner !== undefined) {
          current.models[asset.refiner] = { name: image.recipe.refiner, files: refiner.files };
        }
        if (background && matting && image.recipe.background) current.models[background.matting] = { name: image.recipe.background.matting, files: matting.files };
        current.assets[asset.output] = lockedAsset(asset, image.recipe.seed, folderDigests(this.models, this.mattings), sourceNow);
      });
      process.stdout.write(`${relative(process.cwd(), asset.outputPath) || asset.outputPath}\n`);
      return 'built';
    } finally {
      await claim();
    }
  }

  /** A model not hashed yet (a catalog model downloaded just now) is hashed before its first asset is recorded. */
  private async model(key: string) {
    let known = this.models.get(key);
    if (!known) {
      const model = await modelForBuild(key, this.manifest.dir, this.signal);
      known = { model, ...(await hashModel(key, model.dir, this.cache, this.signal)) };
      this.models.set(key, known);
      await saveCache(this.cachePath, this.cache);
    }
    return known;
  }

  /** A matting model not hashed yet (downloaded just now) is hashed before its first asset is recorded. */
  private async matting(key: string, dir: string): Promise<HashedFolder> {
    let known = this.mattings.get(key);
    if (!known) {
      known = await hashModel(key, dir, this.cache, this.signal);
      this.mattings.set(key, known);
      await saveCache(this.cachePath, this.cache);
    }
    return known;
  }

  async dispose(): Promise<void> {
    await this.engine?.unload();
  }
}

type HashedFolder = { files: Record<string, string>; digest: string };

/** Every hashed folder's digest by the manifest's name for it: the diffusion models', then the matting models'. */
function folderDigests(...folders: ReadonlyMap<string, HashedFolder>[]): Map<string, string> {
  return new Map(folders.flatMap((folder) => [...folder].map(([key, hashed]) => [key, hashed.digest] as const)));
}

async function saveCache(path: string, cache: HashCache): Promise<void> {
  await writeHashCache(path, cache).catch((error: Error) => process.stderr.write(`could not save the hash cache ${path}: ${error.message}\n`));
}
