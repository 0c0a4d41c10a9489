// Float32 tensor data to float16, with onnxconverter-common's clamping (float16.py,
// convert_np_to_float16: defaults min_positive_val 1e-7, max_finite_val 1e4): values too large
// for float16 become ±1e4 rather than infinity, and tiny non-zero values ±1e-7 rather than zero.
import { float32ToFloat16Bits } from '../../runtime/float16';
import { ElemType, TENSOR, type TensorView } from './onnxModel';
import { all, bytesField } from './protoWire';

const MIN_POSITIVE = 1e-7;
const MAX_FINITE = 1e4;

const floatBits = (value: number) => new Uint32Array(Float32Array.of(value).buffer)[0];
const MIN_POSITIVE_BITS = floatBits(MIN_POSITIVE);
const MAX_FINITE_BITS = floatBits(MAX_FINITE);
const INFINITY_BITS = 0x7f800000;
/** 2^-14, float16's smallest normal: below it float16ToBits' general path handles subnormals. */
const SMALLEST_NORMAL_BITS = 0x38800000;

/**
 * Little-endian float32 bytes (any alignment) to little-endian float16 bytes. The common case,
 * a normal float16, is done inline on the bits with round-to-nearest-even (this loop runs over
 * billions of weights); the rare rest goes through the general conversion.
 */
export function float32BytesToFloat16(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 4 !== 0) throw new Error(`float32 data of ${bytes.length} bytes is not a whole number of values`);
  const bits = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) : alignedCopy(bytes);
  const half = new Uint16Array(bits.length);
  const scratch = new Float32Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    let magnitude = x & 0x7fffffff;
    if (magnitude > MAX_FINITE_BITS && magnitude < INFINITY_BITS) magnitude = MAX_FINITE_BITS;
    else if (magnitude !== 0 && magnitude < MIN_POSITIVE_BITS) magnitude = MIN_POSITIVE_BITS;
    if (magnitude >= SMALLEST_NORMAL_BITS && magnitude < INFINITY_BITS) {
      const rest = magnitude & 0x1fff;
      let h = (magnitude >>> 13) - 0x1c000;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
      half[i] = sign | h;
    } else {
      scratchBits[0] = magnitude;
      half[i] = sign | float32ToFloat16Bits(scratch[0]);
    }
  }
  return new Uint8Array(half.buffer);
}

function alignedCopy(bytes: Uint8Array): Uint32Array {
  const bits = new Uint32Array(bytes.length / 4);
  new Uint8Array(bits.buffer).set(bytes);
  return bits;
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
  return Buffer.concat(all(tensor.fields, TENSOR.floatData).map((f) => f.data));
}
