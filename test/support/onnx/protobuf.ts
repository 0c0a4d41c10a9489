// The chained writer the ONNX test builders use, over the engine's protobuf wire encoding
// (src/engine/models/convert/protoWire.ts) so that tests and `convert` write the same bytes.
import {
  bytesField,
  encodeFields,
  encodeVarint,
  type Field,
  flatten,
  type MessageField,
  stringField,
  varintField,
  Wire,
} from '../../../src/engine/models/convert/protoWire';

/** Collects fields in call order; a nested message's pieces are spliced in, not copied, until finish. */
export class ProtoWriter {
  private readonly fields: Array<Field | MessageField> = [];

  /** int32, int64, uint64, bool and enum fields. Negative values take ten bytes, as protobuf's int64 does. */
  varint(field: number, value: number | bigint): this {
    return this.push(varintField(field, safeInteger(value)));
  }

  fixed32(field: number, value: number): this {
    return this.fixed(field, Wire.Fixed32, 4, (view) => view.setUint32(0, value >>> 0, true));
  }

  fixed64(field: number, value: bigint): this {
    return this.fixed(field, Wire.Fixed64, 8, (view) => view.setBigUint64(0, BigInt.asUintN(64, value), true));
  }

  /** A `float` field: the IEEE single's bits on the fixed32 wire type. */
  float(field: number, value: number): this {
    return this.fixed(field, Wire.Fixed32, 4, (view) => view.setFloat32(0, value, true));
  }

  bytes(field: number, value: Uint8Array): this {
    return this.push(bytesField(field, value));
  }

  string(field: number, value: string): this {
    return this.push(stringField(field, value));
  }

  message(field: number, child: ProtoWriter): this {
    return this.push({ field, body: encodeFields(child.fields) });
  }

  /** A `[packed = true]` repeated varint field: one length-delimited record holding every value. */
  packedVarints(field: number, values: ReadonlyArray<number | bigint>): this {
    const parts = values.map((value) => encodeVarint(safeInteger(value)));
    return this.push(bytesField(field, flatten({ size: parts.reduce((sum, part) => sum + part.length, 0), parts })));
  }

  finish(): Uint8Array {
    return flatten(encodeFields(this.fields));
  }

  private fixed(field: number, wire: Wire, size: number, write: (view: DataView) => void): this {
    const data = new Uint8Array(size);
    write(new DataView(data.buffer));
    return this.push({ field, wire, data });
  }

  private push(field: Field | MessageField): this {
    this.fields.push(field);
    return this;
  }
}

/** A number past 2^53 has already lost its low bits, so it is refused rather than written wrong. */
function safeInteger(value: number | bigint): number | bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`varint ${value} is not a safe integer`);
  return value;
}
