// Float32 tensor data to float16, with onnxconverter-common's clamping (float16.py,
// convert_np_to_float16: defaults min_positive_val 1e-7, max_finite_val 1e4): values too large
// for float16 become ±1e4 rather than infinity, and tiny non-zero values ±1e-7 rather than zero.
import { toFloat16 } from '../../runtime/float16';
import { ElemType, TENSOR, type TensorView } from './onnxModel';
import { all, bytesField } from './protoWire';

const MIN_POSITIVE = 1e-7;
const MAX_FINITE = 1e4;

/** Little-endian float32 bytes (any alignment) to little-endian float16 bytes. */
export function float32BytesToFloat16(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 4 !== 0) throw new Error(`float32 data of ${bytes.length} bytes is not a whole number of values`);
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v > 0 && v < MIN_POSITIVE) values[i] = MIN_POSITIVE;
    else if (v < 0 && v > -MIN_POSITIVE) values[i] = -MIN_POSITIVE;
    else if (v > MAX_FINITE && v !== Infinity) values[i] = MAX_FINITE;
    else if (v < -MAX_FINITE && v !== -Infinity) values[i] = -MAX_FINITE;
  }
  const half = toFloat16(values);
  return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
}

/** Converts a tensor whose data is inside the protobuf (raw_data or float_data) to float16 raw_data. */
export function convertTensorToFloat16(tensor: TensorView): void {
  tensor.replaceData(ElemType.FLOAT16, [bytesField(TENSOR.rawData, float32BytesToFloat16(inlineFloat32Bytes(tensor)))]);
}

/** The tensor's float32 values as little-endian bytes, from raw_data or from float_data (packed or not). */
export function inlineFloat32Bytes(tensor: TensorView): Uint8Array {
  const raw = tensor.fields.find((f) => f.field === TENSOR.rawData);
  if (raw) return raw.data;
  // Packed, a field holds many floats; unpacked (fixed32 wire), one: either way its bytes are the values.
  const chunks = all(tensor.fields, TENSOR.floatData).map((f) => f.data);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
