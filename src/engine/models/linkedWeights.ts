import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EngineError } from '../errors';
import { encodeModel, externalDataFields, parseModel } from './convert/onnxModel';

/** What a session loads: a model file, and where its external weights are when not beside it. */
export interface SessionModel {
  path: string;
  /**
   * The folder the weights' `location`s are relative to. ONNX Runtime (1.30) refuses a location
   * that is absolute or leaves the model's folder, even through a symbolic link, so a graph kept
   * elsewhere is loaded from bytes with this folder as session.model_external_initializers_file_folder_path.
   */
  externalDataDir?: string;
  /** The graph itself when it differs from the file at `path` (its locations rewritten). */
  bytes?: Uint8Array;
}

/**
 * The model at `source` as a session can load it when its external weights are symbolic links
 * that lead out of its folder, as in a Hugging Face cache snapshot (links into `blobs/`):
 * ONNX Runtime 1.30 refuses those ("External data path escapes model directory"), so the graph is
 * given as bytes whose locations name the real files, with their folder beside it.
 */
export async function loadableModel(source: string): Promise<string | SessionModel> {
  const entries = await readdir(dirname(source), { withFileTypes: true });
  if (!entries.some((entry) => entry.isSymbolicLink() && entry.name !== basename(source))) return source;
  const model = parseModel(await readFile(source));
  const externalDataDir = await pointAtRealData(model, dirname(source), source);
  if (externalDataDir === undefined) return source;
  return { path: source, bytes: Buffer.concat(encodeModel(model).parts), externalDataDir };
}

/**
 * Rewrites each external `location` to its file's real name and returns the one real folder they
 * share, or undefined when the weights are inside the graph.
 */
export async function pointAtRealData(model: ReturnType<typeof parseModel>, modelDir: string, source: string): Promise<string | undefined> {
  const folders = new Set<string>();
  const realFiles = new Map<string, string>();
  for (const tensor of model.graph.initializers) {
    const where = tensor.external;
    if (!where) continue;
    let real = realFiles.get(where.location);
    if (real === undefined) {
      try {
        real = await realpath(join(modelDir, where.location));
      } catch {
        throw new EngineError(`${source} keeps its weights in ${where.location}, which is missing beside it.`, 'model-folder');
      }
      realFiles.set(where.location, real);
    }
    folders.add(dirname(real));
    tensor.replaceData(tensor.dataType, externalDataFields({ ...where, location: basename(real) }));
  }
  if (folders.size > 1) {
    throw new EngineError(`${source} keeps its weights in files in several folders; ONNX Runtime loads a graph's weights from one folder.`, 'model-folder');
  }
  return folders.values().next().value;
}

