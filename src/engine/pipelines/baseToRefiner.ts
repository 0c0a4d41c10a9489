import type { GenerationSettings } from '../../protocol/recipe';
import type { Scheduler } from '../schedulers/scheduler';
import { EngineError } from '../errors';
import { roundHalfEven } from '../schedulers/timesteps';
import { validateSettings } from '../models/generationSettings';
import {
  decodeLatents,
  denoiseLatents,
  encodeConditioning,
  initialNoise,
  jobScheduler,
  type PipelineHooks,
  type PipelineModels,
  type PipelineResult,
} from './stages';

/**
 * diffusers' "ensemble of expert denoisers" (SDXL report, Podell et al. 2023, §2.5): the base's
 * StableDiffusionXLPipeline with denoising_end = refinerStart and output_type "latent", then the
 * refiner's StableDiffusionXLImg2ImgPipeline with denoising_start = refinerStart on those latents,
 * which it neither re-encodes nor noises. One torch.Generator feeds both, as when the same
 * generator object is passed to the two pipelines. Each side encodes the prompt with its own
 * text encoders and runs its own scheduler config with the job's sampler and steps.
 */
export async function baseToRefiner(
  { model: base, refiner }: PipelineModels,
  settings: GenerationSettings,
  hooks: PipelineHooks = {},
): Promise<PipelineResult> {
  if (refiner === undefined) throw new EngineError('A refiner hand-off needs a refiner folder.', 'bad-request');
  const baseModel = base.sessions.model;
  const refinerModel = refiner.sessions.model;
  validateSettings(settings, baseModel);
  validateSettings(settings, refinerModel);
  const start = settings.refinerStart;
  if (start === undefined) throw new EngineError('A refiner hand-off needs a refiner start.', 'bad-request');
  if (settings.initImage !== undefined) {
    throw new EngineError(
      'A base→refiner hand-off starts from noise; for image-to-image, run the refiner on the image by itself.',
      'bad-request',
    );
  }
  const baseScheduler = jobScheduler(settings, baseModel.schedulerConfig);
  const refinerScheduler = jobScheduler(settings, refinerModel.schedulerConfig);
  const baseSteps = stepsBeforeCutoff(baseScheduler, start);
  const refinerBegin = refinerBeginIndex(refinerScheduler, start);
  const refinerSteps = refinerScheduler.timesteps.length - refinerBegin;
  if (baseSteps === 0 || refinerSteps === 0) {
    const who = baseSteps === 0 ? 'the base' : 'the refiner';
    throw new EngineError(
      `With ${settings.steps} steps, a refiner start of ${start} leaves ${who} no step; use more steps or a refiner start nearer 0.5.`,
      'bad-request',
    );
  }
  const total = baseSteps + refinerSteps;

  const baseConditioning = await encodeConditioning(base.sessions, base.tokenizers, settings, hooks);
  const { latentShape, generator, initial } = initialNoise(baseModel, settings, baseScheduler);
  const handedOver = await denoiseLatents(
    base.sessions,
    initial,
    { settings, conditioning: baseConditioning, scheduler: baseScheduler, generator, latentShape, beginIndex: 0, endIndex: baseSteps },
    withStepOffset(hooks, 0, total),
  );

  const refinerConditioning = await encodeConditioning(refiner.sessions, refiner.tokenizers, settings, hooks);
  refinerScheduler.setBeginIndex(refinerBegin);
  const latents = await denoiseLatents(
    refiner.sessions,
    handedOver,
    { settings, conditioning: refinerConditioning, scheduler: refinerScheduler, generator, latentShape, beginIndex: refinerBegin },
    withStepOffset(hooks, baseSteps, total),
  );
  hooks.onPhase?.('decode');
  const decoded = await decodeLatents(refiner.sessions, latents, latentShape, settings.vaeTiling, hooks);
  return { latents, latentShape, decoded };
}

/** diffusers' discrete_timestep_cutoff: int(round(T − fraction·T)), Python's round being half-to-even. */
function timestepCutoff(scheduler: Scheduler, fraction: number): number {
  const trainSteps = scheduler.config.num_train_timesteps;
  return roundHalfEven(trainSteps - fraction * trainSteps);
}

/** StableDiffusionXLPipeline with denoising_end: the timesteps at or above the cutoff run. */
export function stepsBeforeCutoff(scheduler: Scheduler, denoisingEnd: number): number {
  const cutoff = timestepCutoff(scheduler, denoisingEnd);
  return scheduler.timesteps.filter((t) => t >= cutoff).length;
}

/**
 * StableDiffusionXLImg2ImgPipeline.get_timesteps with denoising_start: the timesteps below the
 * cutoff run, one more for a second-order scheduler so that it never stops between its two
 * evaluations of one step.
 */
export function refinerBeginIndex(scheduler: Scheduler, denoisingStart: number): number {
  const cutoff = timestepCutoff(scheduler, denoisingStart);
  let steps = scheduler.timesteps.filter((t) => t < cutoff).length;
  if (scheduler.order === 2 && steps % 2 === 0) steps += 1;
  return scheduler.timesteps.length - steps;
}

/** Reports the two loops as one run of `total` steps. */
function withStepOffset(hooks: PipelineHooks, offset: number, total: number): PipelineHooks {
  const { onStep } = hooks;
  return { ...hooks, ...(onStep ? { onStep: (info) => onStep({ ...info, step: info.step + offset, total }) } : {}) };
}
