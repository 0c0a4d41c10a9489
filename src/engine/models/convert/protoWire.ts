// The protobuf wire format (protobuf.dev/programming-guides/encoding), read into a flat list of
// fields so that a message can be edited field by field and written back with every field the
// editor does not know about kept byte for byte.

export const enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  Fixed32 = 5,
}

export interface Field {
  field: number;
  wire: Wire;
  /** The value's bytes without the tag: the varint, the fixed bytes, or a length-delimited payload. */
  data: Uint8Array;
}

/** Encoded bytes kept as a list of pieces, so that large tensors are written without being concatenated. */
export interface Encoded {
  size: number;
  parts: Uint8Array[];
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

export function parseMessage(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [tag, afterTag] = readVarint(bytes, pos);
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n) as Wire;
    let end: number;
    let start = afterTag;
    switch (wire) {
      case Wire.Varint:
        end = readVarint(bytes, afterTag)[1];
        break;
      case Wire.Fixed64:
        end = afterTag + 8;
        break;
      case Wire.Fixed32:
        end = afterTag + 4;
        break;
      case Wire.Bytes: {
        const [length, afterLength] = readVarint(bytes, afterTag);
        start = afterLength;
        end = afterLength + Number(length);
        break;
      }
      default:
        throw new Error(`unsupported protobuf wire type ${wire as number} at byte ${pos}`);
    }
    if (end > bytes.length || field === 0) throw new Error(`truncated or corrupt protobuf message at byte ${pos}`);
    fields.push({ field, wire, data: bytes.subarray(start, end) });
    pos = end;
  }
  return fields;
}

function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = pos; i < bytes.length && i < pos + 10; i++) {
    const byte = bytes[i];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, i + 1];
    shift += 7n;
  }
  throw new Error(`truncated protobuf varint at byte ${pos}`);
}

export function varintValue(field: Field): bigint {
  return readVarint(field.data, 0)[0];
}

export function stringValue(field: Field): string {
  return textDecoder.decode(field.data);
}

export function first(fields: readonly Field[], number: number): Field | undefined {
  return fields.find((f) => f.field === number);
}

export function all(fields: readonly Field[], number: number): Field[] {
  return fields.filter((f) => f.field === number);
}

export function firstString(fields: readonly Field[], number: number): string | undefined {
  const found = first(fields, number);
  return found ? stringValue(found) : undefined;
}

export function firstInt(fields: readonly Field[], number: number): number | undefined {
  const found = first(fields, number);
  return found ? Number(BigInt.asIntN(64, varintValue(found))) : undefined;
}

/** Values of a repeated varint field, packed or not (parsers must accept both). */
export function repeatedInts(fields: readonly Field[], number: number): number[] {
  const values: number[] = [];
  for (const f of all(fields, number)) {
    if (f.wire === Wire.Varint) {
      values.push(Number(BigInt.asIntN(64, varintValue(f))));
      continue;
    }
    let pos = 0;
    while (pos < f.data.length) {
      const [value, next] = readVarint(f.data, pos);
      values.push(Number(BigInt.asIntN(64, value)));
      pos = next;
    }
  }
  return values;
}

export function encodeVarint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

export function varintField(field: number, value: number | bigint): Field {
  return { field, wire: Wire.Varint, data: encodeVarint(value) };
}

export function bytesField(field: number, data: Uint8Array): Field {
  return { field, wire: Wire.Bytes, data };
}

export function stringField(field: number, value: string): Field {
  return bytesField(field, textEncoder.encode(value));
}

/** A nested message field whose body is already encoded in pieces. */
export interface MessageField {
  field: number;
  body: Encoded;
}

/** Encodes fields in order; a MessageField's body is spliced in without copying its pieces. */
export function encodeFields(fields: ReadonlyArray<Field | MessageField>): Encoded {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (part: Uint8Array) => {
    parts.push(part);
    size += part.length;
  };
  for (const f of fields) {
    if ('body' in f) {
      push(encodeVarint(f.field * 8 + Wire.Bytes));
      push(encodeVarint(f.body.size));
      for (const part of f.body.parts) push(part);
      continue;
    }
    push(encodeVarint(f.field * 8 + f.wire));
    if (f.wire === Wire.Bytes) push(encodeVarint(f.data.length));
    push(f.data);
  }
  return { size, parts };
}

export function messageField(field: number, fields: ReadonlyArray<Field | MessageField>): MessageField {
  return { field, body: encodeFields(fields) };
}

/** The field as a plain Field when its body is small enough to flatten (names, attributes). */
export function flatten(encoded: Encoded): Uint8Array {
  const out = new Uint8Array(encoded.size);
  let offset = 0;
  for (const part of encoded.parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
