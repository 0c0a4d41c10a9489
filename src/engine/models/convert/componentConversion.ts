import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { EngineError, throwIfAborted } from '../../errors';
import { type Float16GraphResult, hasFloat32, rewriteGraphForFloat16 } from './float16Graph';
import { convertTensorToFloat16, float32BytesToFloat16 } from './float16Tensor';
import { ElemType, encodeModel, externalDataFields, type ModelView, parseModel, type TensorView } from './onnxModel';
import { writeAll, writeEncoded } from './encodedFile';
import { copyTree } from './copyTree';

export const MODEL_FILE = 'model.onnx';
export const DATA_FILE = 'model.onnx_data';

/** Bytes per element of the TensorProto data types, for external data that omits its length. */
const ELEMENT_BYTES: Readonly<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

export interface ComponentOutcome {
  /** False when the component had no float32 to convert and was copied as it is. */
  converted: boolean;
  float16Tensors: number;
  /** Initializers left float32 because only blocked ops read them. */
  keptFloat32: string[];
  blockedNodes: Record<string, number>;
}

export interface ComponentOptions {
  signal?: AbortSignal;
  /** Called with the number of source bytes just processed. */
  onBytes?: (bytes: number) => void;
}

/**
 * Writes `sourceDir`'s model in float16 into the empty folder `targetDir`. Weights in external
 * data are read, converted and written one tensor at a time, so memory holds the graph and one
 * tensor; weights inside model.onnx (under protobuf's 2 GB limit) are converted in memory.
 */
export async function convertComponent(
  component: string,
  sourceDir: string,
  targetDir: string,
  options: ComponentOptions = {},
): Promise<ComponentOutcome> {
  const modelBytes = await readFile(join(sourceDir, MODEL_FILE));
  const model = parseOnnx(component, modelBytes);
  const dataFiles = new Set(model.graph.initializers.flatMap((t) => (t.external ? [t.external.location] : [])));
  // config.json and anything else beside the model travel unchanged.
  await copyTree(sourceDir, targetDir, new Set([MODEL_FILE, ...dataFiles]));
  if (!hasFloat32(model.graph)) {
    for (const file of [MODEL_FILE, ...dataFiles]) {
      throwIfAborted(options.signal);
      await copyTree(join(sourceDir, file), join(targetDir, file));
    }
    options.onBytes?.(modelBytes.length);
    return { converted: false, float16Tensors: 0, keptFloat32: [], blockedNodes: {} };
  }
  const rewrite = rewriteGraphForFloat16(model.graph, component);
  const float16Tensors = await convertInitializers(component, model, rewrite, sourceDir, targetDir, options);
  throwIfAborted(options.signal);
  await writeEncoded(join(targetDir, MODEL_FILE), encodeModel(model));
  options.onBytes?.(modelBytes.length);
  return {
    converted: true,
    float16Tensors,
    keptFloat32: [...rewrite.keptFloat32],
    blockedNodes: Object.fromEntries(rewrite.blockedNodes),
  };
}

function parseOnnx(component: string, bytes: Uint8Array): ModelView {
  try {
    return parseModel(bytes);
  } catch (error) {
    throw new EngineError(`${component}/${MODEL_FILE} is not a readable ONNX model: ${(error as Error).message}.`, 'model-folder');
  }
}

async function convertInitializers(
  component: string,
  model: ModelView,
  rewrite: Float16GraphResult,
  sourceDir: string,
  targetDir: string,
  options: ComponentOptions,
): Promise<number> {
  const sources = new Map<string, FileHandle>();
  let target: FileHandle | undefined;
  let targetOffset = 0;
  let converted = 0;
  const toConvert = (t: TensorView) => t.dataType === ElemType.FLOAT && !rewrite.keptFloat32.has(t.name);
  try {
    for (const tensor of model.graph.initializers) {
      throwIfAborted(options.signal);
      const where = tensor.external;
      if (!where) {
        if (toConvert(tensor)) {
          convertTensorToFloat16(tensor);
          converted++;
        }
        continue;
      }
      const path = resolve(sourceDir, where.location);
      if (relative(sourceDir, path).startsWith('..')) {
        throw new EngineError(`${component}/${MODEL_FILE} points its weights outside its folder (${where.location}).`, 'model-folder');
      }
      let source = sources.get(path);
      if (!source) {
        source = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
          throw new EngineError(`${component}/${where.location} is missing: ${MODEL_FILE} keeps its weights there.`, 'model-folder');
        });
        sources.set(path, source);
      }
      const length = Number.isNaN(where.length) ? tensor.elementCount * (ELEMENT_BYTES[tensor.dataType] ?? Number.NaN) : where.length;
      if (!Number.isSafeInteger(length)) throw new EngineError(`${component}: tensor "${tensor.name}" has external data of unknown length.`, 'model-folder');
      const data = new Uint8Array(length);
      const { bytesRead } = await source.read(data, 0, length, where.offset);
      if (bytesRead !== length) {
        throw new EngineError(`${component}/${where.location} is truncated: tensor "${tensor.name}" needs bytes up to ${where.offset + length}.`, 'model-folder');
      }
      const convert = toConvert(tensor);
      const out = convert ? float32BytesToFloat16(data) : data;
      target ??= await open(join(targetDir, DATA_FILE), 'w');
      await writeAll(target, out, targetOffset);
      tensor.replaceData(convert ? ElemType.FLOAT16 : tensor.dataType, externalDataFields({ location: DATA_FILE, offset: targetOffset, length: out.length }));
      targetOffset += out.length;
      if (convert) converted++;
      options.onBytes?.(length);
    }
    if (target) await target.sync();
  } finally {
    await target?.close();
    for (const source of sources.values()) await source.close();
  }
  return converted;
}
