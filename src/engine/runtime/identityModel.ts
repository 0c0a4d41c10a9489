// An ONNX model that passes each input through unchanged, encoded by hand: run on the GPU with
// its outputs left there, it is how host data becomes a device tensor, since onnxruntime-node
// offers no other way to create one. Field numbers from onnx/onnx.proto.
import { encodeFields, flatten, messageField, stringField, varintField } from '../models/convert/protoWire';

/** ONNX TensorProto.DataType codes of the element types the engine feeds. */
const ELEMENT_TYPES: Record<string, number> = { float32: 1, int32: 6, int64: 7, float16: 10 };

export interface IdentityValue {
  name: string;
  type: string;
  rank: number;
}

export function identityElementTypeSupported(type: string): boolean {
  return type in ELEMENT_TYPES;
}

/** Inputs keep their names; output i is `<name>_on_device`. Every dimension is symbolic. */
export function encodeIdentityModel(values: readonly IdentityValue[]): Uint8Array {
  const valueInfo = (name: string, value: IdentityValue) => [
    stringField(1, name),
    messageField(2, [
      messageField(1, [
        varintField(1, ELEMENT_TYPES[value.type]),
        messageField(2, Array.from({ length: value.rank }, (_, d) => messageField(1, [stringField(2, `${value.name}_${d}`)]))),
      ]),
    ]),
  ];
  const graph = [
    ...values.map((v) => messageField(1, [stringField(1, v.name), stringField(2, `${v.name}_on_device`), stringField(4, 'Identity')])),
    stringField(2, 'upload'),
    ...values.map((v) => messageField(11, valueInfo(v.name, v))),
    ...values.map((v) => messageField(12, valueInfo(`${v.name}_on_device`, v))),
  ];
  return flatten(encodeFields([varintField(1, 8), messageField(7, graph), messageField(8, [stringField(1, ''), varintField(2, 17)])]));
}
