import type { Tensor } from 'onnxruntime-node';
import type { LoadedComponent } from '../runtime/modelSessions';
import type { Conditioning, PromptEmbeddings } from './promptEncoding';
import type { TimeIds } from './microConditioning';
import { EngineError } from '../errors';
import { isDynamic, type ValueSignature } from '../runtime/sessionSignature';
import { hostBytes, keepsTensorsOnDevice, toDevice } from '../runtime/deviceTensors';
import { concatFloat32, floatTensor, integerTensor, tensorToFloat32 } from '../runtime/tensors';

/** The UNet's noise prediction for one step: the conditional half and, under guidance, the unconditional one. */
export interface NoisePrediction {
  cond: Float32Array;
  uncond?: Float32Array;
}

type Feeds = Record<string, Tensor>;

/** Whether the export's batch axis is free, so that several images can share one UNet call. */
export function unetTakesBatches(unet: LoadedComponent): boolean {
  return isDynamic(unet.signature.input('sample').shape[0]);
}

/**
 * Feeds the UNet in whatever form its export declares: conditioning tensors are built once
 * per job, and classifier-free guidance is one batch-2 call when the batch axis allows it,
 * two batch-1 calls when the export fixed it at 1. Several images of one prompt (seeds of a
 * batch) go in one call of 2N, laid out as diffusers does: every unconditional row, then
 * every conditional one.
 */
export class UnetRunner {
  /** halves: how many of the guidance halves (1 or 2) a call carries; each holds every image. */
  private readonly conditioning: { halves: number; feeds: Feeds }[];
  private readonly sample: ValueSignature;
  private readonly timestep: ValueSignature;
  private batchBuffer: Float32Array | undefined;
  /** Set once the constant feeds live on the device (WebGPU); until then they go up with each run. */
  private onDevice: Promise<void> | undefined;
  private uploadedBytes = 0;
  /** The last predict's host↔device traffic; undefined on the CPU, where there is no device. */
  lastCopies: { hostToDeviceBytes: number; deviceToHostBytes: number } | undefined;

  constructor(
    private readonly unet: LoadedComponent,
    private readonly latentShape: readonly number[],
    cond: Conditioning,
    /** SDXL's time ids, fed with the pooled text_embeds; SD UNets take neither. */
    timeIds?: TimeIds,
    /** [time_cond_proj_dim] guidance embedding, for a UNet with a timestep_cond input (LCM). */
    timestepCond?: Float32Array,
    private readonly images = 1,
  ) {
    const signature = unet.signature;
    this.sample = signature.input('sample');
    this.timestep = signature.input('timestep');
    const halves: { embeddings: PromptEmbeddings; ids?: readonly number[] }[] = [
      ...(cond.negative ? [{ embeddings: cond.negative, ids: timeIds?.negative }] : []),
      { embeddings: cond.positive, ids: timeIds?.positive },
    ];
    const batchDim = this.sample.shape[0];
    const batched = halves.length === 1 || isDynamic(batchDim) || batchDim === halves.length;
    if (images > 1 && !isDynamic(batchDim)) {
      throw new Error(`a UNet export with a fixed batch of ${batchDim} cannot take ${images} images in one call`);
    }
    const groups = batched ? [halves] : halves.map((half) => [half]);
    this.conditioning = groups.map((halvesOfCall) => {
      const group = halvesOfCall.flatMap((half) => new Array<typeof half>(images).fill(half));
      const n = group.length;
      const feeds: Feeds = {
        encoder_hidden_states: floatTensor(
          signature.input('encoder_hidden_states'),
          concatFloat32(group.map((h) => h.embeddings.tokens)),
          [n, cond.sequenceLength, cond.tokenDim],
        ),
      };
      if (timeIds) {
        const pooled = group.map((h) => h.embeddings.pooled);
        if (pooled.some((p) => p === undefined)) throw new Error('SDXL conditioning without pooled text_embeds');
        feeds.text_embeds = floatTensor(signature.input('text_embeds'), concatFloat32(pooled as Float32Array[]), [n, cond.pooledDim]);
        const ids = Float32Array.from(group.flatMap((h) => h.ids ?? []));
        feeds.time_ids = floatTensor(signature.input('time_ids'), ids, [n, timeIds.positive.length]);
      }
      if (timestepCond) {
        const repeated = concatFloat32(group.map(() => timestepCond));
        feeds.timestep_cond = floatTensor(signature.input('timestep_cond'), repeated, [n, timestepCond.length]);
      } else if (signature.inputs.has('timestep_cond')) {
        throw new EngineError(
          'unet/model.onnx takes a timestep_cond (an LCM UNet) but unet/config.json gives no time_cond_proj_dim.',
          'model-folder',
        );
      }
      return { halves: halvesOfCall.length, feeds };
    });
    signature.output('out_sample');
  }

  async predict(scaledLatents: Float32Array, timestep: number): Promise<NoisePrediction> {
    return (await this.predictMany([scaledLatents], timestep))[0];
  }

  /** One prediction per image, in the order given, from one call per guidance group. */
  async predictMany(scaled: readonly Float32Array[], timestep: number): Promise<NoisePrediction[]> {
    if (scaled.length !== this.images) throw new Error(`the runner was built for ${this.images} images, got ${scaled.length}`);
    if (keepsTensorsOnDevice(this.unet.provider)) await (this.onDevice ??= this.moveConditioningToDevice());
    const outputs: Float32Array[] = [];
    let up = this.uploadedBytes;
    let down = 0;
    this.uploadedBytes = 0;
    for (const { halves, feeds: conditioning } of this.conditioning) {
      const feeds: Feeds = {
        ...conditioning,
        sample: floatTensor(this.sample, this.stacked(scaled, halves), [halves * this.images, ...this.latentShape.slice(1)]),
        timestep: this.timestepTensor(timestep),
      };
      const result = await this.unet.session.run(feeds, ['out_sample']);
      up += hostBytes(Object.values(feeds));
      down += hostBytes([result.out_sample as Tensor]);
      outputs.push(tensorToFloat32(result.out_sample, 'unet out_sample'));
    }
    this.lastCopies = this.unet.provider === 'cpu' ? undefined : { hostToDeviceBytes: up, deviceToHostBytes: down };
    const all = concatFloat32(outputs);
    // Rows of the output, not of the input: an inpainting UNet takes more channels than it returns.
    const halves = this.conditioning.reduce((sum, group) => sum + group.halves, 0);
    const size = all.length / (halves * this.images);
    const row = (index: number) => all.subarray(index * size, (index + 1) * size);
    const guided = halves === 2;
    return scaled.map((_, k) => (guided ? { uncond: row(k), cond: row(this.images + k) } : { cond: row(k) }));
  }

  /** Frees the device copies of the conditioning; the runner is done. */
  dispose(): void {
    for (const { feeds } of this.conditioning) {
      for (const tensor of Object.values(feeds)) if (tensor.location === 'gpu-buffer') tensor.dispose();
    }
  }

  /**
   * The text conditioning, time ids and guidance embedding are the same at every step: on a
   * provider that can keep them, they go to the device once per job instead of once per step.
   * The latents still cross each step, since the samplers run on the host.
   */
  private async moveConditioningToDevice(): Promise<void> {
    for (const group of this.conditioning) {
      const bytes = hostBytes(Object.values(group.feeds));
      // A saving, not a requirement: feeds that cannot be moved keep going up with each run.
      const moved = await toDevice(group.feeds).catch(() => undefined);
      if (!moved) return;
      group.feeds = moved;
      this.uploadedBytes += bytes;
    }
  }

  /**
   * The call's sample: every image once per guidance half. One buffer serves every step because
   * a run is done with its inputs when it resolves.
   */
  private stacked(scaled: readonly Float32Array[], halves: number): Float32Array {
    if (halves * scaled.length === 1) return scaled[0];
    const size = scaled[0].length;
    const buffer = this.batchBuffer?.length === size * halves * scaled.length ? this.batchBuffer : new Float32Array(size * halves * scaled.length);
    this.batchBuffer = buffer;
    for (let h = 0; h < halves; h++) scaled.forEach((data, k) => buffer.set(data, (h * scaled.length + k) * size));
    return buffer;
  }

  /**
   * Optimum >= 1.24 exports a rank-0 float timestep; older exports take int64 of rank 1, fed
   * as [t] (Optimum's ORTUnet unsqueezes it) and cast by truncation as numpy's astype does.
   */
  private timestepTensor(timestep: number): Tensor {
    const declared = this.timestep;
    const length = declared.shape[0];
    const dims = declared.shape.length === 0 ? [] : [isDynamic(length) ? 1 : (length as number)];
    const count = dims.length === 0 ? 1 : dims[0];
    if (declared.type.startsWith('float')) {
      return floatTensor(declared, new Float32Array(count).fill(timestep), dims);
    }
    if (declared.type === 'int64' || declared.type === 'int32') {
      return integerTensor(declared, new Array<number>(count).fill(Math.trunc(timestep)), dims);
    }
    throw new EngineError(`unet timestep has unsupported element type ${declared.type}.`, 'model-folder');
  }
}
