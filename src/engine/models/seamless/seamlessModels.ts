import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Tiling } from '../../../protocol/recipe';
import { EngineError } from '../../errors';
import { encodeModel, parseModel } from '../convert/onnxModel';
import { pointAtRealData, type SessionModel } from '../linkedWeights';
import { writeEncoded } from '../convert/encodedFile';
import type { Encoded } from '../convert/protoWire';
import { defaultModelsDir } from '../modelStore';
import { UnsupportedConvError, wrapConvolutions } from './circularPadding';

/** Bumped when the rewrite changes, so that graphs cached by an older one are not used. */
const REWRITE_VERSION = 1;

/** `$SDXL_ASSETS_SEAMLESS_CACHE`, else `seamless/` in the user cache folder beside the models. */
export function seamlessCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SDXL_ASSETS_SEAMLESS_CACHE) return resolve(env.SDXL_ASSETS_SEAMLESS_CACHE);
  return join(dirname(defaultModelsDir({ ...env, SDXL_ASSETS_MODELS: '' })), 'seamless');
}

/**
 * The model at `source` with circular padding along the tiled axes, rewritten once into
 * `cacheDir` and reused while the source file keeps its real path, size and modification time.
 * The user's folder is only read. External weights are not copied: the rewritten graph points at
 * the source's data file where it really lies (a Hugging Face snapshot's blob).
 */
export async function seamlessModel(source: string, tiling: Tiling, cacheDir: string): Promise<SessionModel> {
  const real = await realpath(source);
  const info = await stat(real);
  const pathKey = hash(real).slice(0, 12);
  const identity = hash(JSON.stringify({ real, size: info.size, mtimeMs: info.mtimeMs, tiling, version: REWRITE_VERSION })).slice(0, 12);
  const prefix = `${pathKey}-${basename(dirname(source))}-${tiling}-`;
  const target = join(cacheDir, `${prefix}${identity}.onnx`);
  const model = parseModel(await readFile(real));
  const dataDir = await pointAtRealData(model, dirname(source), source);
  if (!(await exists(target))) {
    try {
      wrapConvolutions(model, tiling);
    } catch (error) {
      if (!(error instanceof UnsupportedConvError)) throw error;
      throw new EngineError(`${source} cannot tile seamlessly: ${error.message}.`, 'model-folder');
    }
    await mkdir(cacheDir, { recursive: true });
    await writeAtomically(target, encodeModel(model));
    await removeStale(cacheDir, prefix, basename(target));
  }
  return dataDir === undefined ? { path: target } : { path: target, externalDataDir: dataDir };
}

async function writeAtomically(target: string, encoded: Encoded): Promise<void> {
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeEncoded(temp, encoded);
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Graphs rewritten from an older version of the same source file and axis. */
async function removeStale(cacheDir: string, prefix: string, keep: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith(prefix) && name !== keep && name.endsWith('.onnx')) await unlink(join(cacheDir, name)).catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
