import type { InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../errors';

export type Dim = number | string;

export interface ValueSignature {
  name: string;
  type: string;
  /** Declared dims; a string or negative number is dynamic. */
  shape: Dim[];
}

/** What a session declares, read once so that callers adapt to the export instead of assuming it. */
export class SessionSignature {
  readonly inputs: ReadonlyMap<string, ValueSignature>;
  readonly outputs: ReadonlyMap<string, ValueSignature>;

  constructor(
    readonly component: string,
    session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>,
  ) {
    this.inputs = toMap(session.inputMetadata);
    this.outputs = toMap(session.outputMetadata);
  }

  input(name: string): ValueSignature {
    return this.require(this.inputs, name, 'input');
  }

  output(name: string): ValueSignature {
    return this.require(this.outputs, name, 'output');
  }

  private require(map: ReadonlyMap<string, ValueSignature>, name: string, kind: string): ValueSignature {
    const value = map.get(name);
    if (!value) {
      const names = [...map.keys()].join(', ');
      throw new EngineError(
        `${this.component}/model.onnx has no ${kind} named "${name}" (it has: ${names}).`,
        'model-folder',
      );
    }
    return value;
  }
}

export function isDynamic(dim: Dim | undefined): boolean {
  return typeof dim !== 'number' || dim < 0;
}

function toMap(metadata: readonly InferenceSession.ValueMetadata[]): Map<string, ValueSignature> {
  const map = new Map<string, ValueSignature>();
  for (const value of metadata) {
    if (!value.isTensor) continue;
    map.set(value.name, { name: value.name, type: value.type, shape: [...value.shape] });
  }
  return map;
}
