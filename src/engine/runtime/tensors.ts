import { Tensor } from 'onnxruntime-node';
import { EngineError } from '../errors';
import { fromFloat16, toFloat16 } from './float16';
import type { ValueSignature } from './sessionSignature';

/** Float data in the element type the session declares: float32 maths stays ours, the cast is at the boundary. */
export function floatTensor(signature: ValueSignature, data: Float32Array, dims: readonly number[]): Tensor {
  switch (signature.type) {
    case 'float32':
      return new Tensor('float32', data, dims);
    case 'float16':
      return new Tensor('float16', toFloat16(data), dims);
    case 'float64':
      return new Tensor('float64', Float64Array.from(data), dims);
    default:
      throw unsupported(signature, 'float32, float16 or float64');
  }
}

export function integerTensor(signature: ValueSignature, values: ArrayLike<number>, dims: readonly number[]): Tensor {
  switch (signature.type) {
    case 'int32':
      return new Tensor('int32', Int32Array.from(values), dims);
    case 'int64': {
      const data = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
      return new Tensor('int64', data, dims);
    }
    default:
      throw unsupported(signature, 'int32 or int64');
  }
}

/** Model output as float32, whatever precision the export computes in. */
export function tensorToFloat32(tensor: Tensor, what: string): Float32Array {
  switch (tensor.type) {
    case 'float32':
      return tensor.data as Float32Array;
    case 'float16':
      return fromFloat16(tensor.data as Uint16Array);
    case 'float64':
      return Float32Array.from(tensor.data as Float64Array);
    default:
      throw new EngineError(`${what} has element type ${tensor.type}; expected a float type.`, 'model-folder');
  }
}

function unsupported(signature: ValueSignature, expected: string): EngineError {
  return new EngineError(
    `Input "${signature.name}" has element type ${signature.type}; expected ${expected}.`,
    'model-folder',
  );
}

/** Joins float arrays end to end; a single part is returned as it is, without a copy. */
export function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
