// An ONNX model that passes each input through unchanged, encoded by hand: run on the GPU with
// its outputs left there, it is how host data becomes a device tensor, since onnxruntime-node
// offers no other way to create one. Field numbers from onnx/onnx.proto.

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
  const valueInfo = (name: string, value: IdentityValue) =>
    message([
      stringField(1, name),
      messageField(
        2,
        message([
          messageField(
            1,
            message([
              varintField(1, ELEMENT_TYPES[value.type]),
              messageField(2, message(Array.from({ length: value.rank }, (_, d) => messageField(1, message([stringField(2, `${value.name}_${d}`)]))))),
            ]),
          ),
        ]),
      ),
    ]);
  const graph = message([
    ...values.map((v) => messageField(1, message([stringField(1, v.name), stringField(2, `${v.name}_on_device`), stringField(4, 'Identity')]))),
    stringField(2, 'upload'),
    ...values.map((v) => messageField(11, valueInfo(v.name, v))),
    ...values.map((v) => messageField(12, valueInfo(`${v.name}_on_device`, v))),
  ]);
  return message([varintField(1, 8), messageField(7, graph), messageField(8, message([stringField(1, ''), varintField(2, 17)]))]);
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varint(field << 3), ...varint(value)]);
}

function messageField(field: number, body: Uint8Array): Uint8Array {
  return message([Uint8Array.from([...varint((field << 3) | 2), ...varint(body.length)]), body]);
}

function stringField(field: number, value: string): Uint8Array {
  return messageField(field, new TextEncoder().encode(value));
}

function message(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
