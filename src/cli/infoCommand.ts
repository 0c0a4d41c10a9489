import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { ComponentName, ModelFolder } from '../engine/models/modelFolder';
import { familyLabel, INPAINT_UNET_CHANNELS, readModelFolder, sizeMultiple } from '../engine/models/modelFolder';
import { defaultSampler, resolveSettings } from '../engine/models/generationSettings';
import { autoProviderOrder, bundledProviders } from '../engine/runtime/autoProviders';
import type { ProviderName } from '../protocol/providerChoice';
import { createSession, providerCandidates } from '../engine/runtime/providers';
import { SessionSignature } from '../engine/runtime/sessionSignature';
import { createScheduler } from '../engine/schedulers/scheduler';
import { componentNeeds } from '../engine/memory/componentNeeds';
import { freeMemory } from '../engine/memory/freeMemory';
import { chooseMemoryPlan, gib, MEMORY_PLANS } from '../engine/memory/memoryPlan';
import { localModel } from './modelArgument';
import { UsageError } from './usageError';

export const INFO_USAGE = 'sdxl-assets info --model DIR_OR_ID';

/** Family, components with their declared inputs and outputs, and which providers load. */
export async function infoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, strict: true, options: { model: { type: 'string' } } });
  if (!values.model) throw new UsageError('--model DIR_OR_ID is required.');
  const model = readModelFolder(localModel(values.model).dir);
  const out: string[] = [
    `model: ${model.name} (${model.dir})`,
    `family: ${model.family} (${familyLabel(model.details)})`,
    `prediction: ${model.details.predictionType}; timestep spacing: ${createScheduler(defaultSampler(model), model.schedulerConfig).config.timestep_spacing}`,
    `sampler: ${defaultSampler(model)}; size multiple: ${sizeMultiple(model)} px; VAE scaling ${model.vae.scalingFactor}`,
    `defaults: ${familyDefaultsLine(model)}`,
    ...refinerLines(model),
    ...inpaintingLines(model),
  ];
  for (const [component, path] of Object.entries(model.onnx) as [ComponentName, string][]) {
    const { session } = await createSession(path, ['cpu'], { keepArena: false });
    const signature = new SessionSignature(component, session);
    await session.release();
    const describe = (values: SessionSignature['inputs']) =>
      [...values.values()].map((v) => `${v.name} ${v.type}[${v.shape.join(',')}]`).join(', ');
    out.push(`${component}:`, `  inputs:  ${describe(signature.inputs)}`, `  outputs: ${describe(signature.outputs)}`);
  }
  const providers = await providerLines(model.onnx.text_encoder ?? model.onnx.unet!);
  out.push(...providers.lines, ...memoryLines(model, providers.chosen ?? 'cpu'));
  process.stdout.write(`${out.join('\n')}\n`);
}

/** What a generate call without options would use, so a user sees a Turbo's 1 step up front. */
function familyDefaultsLine(model: ModelFolder): string {
  const settings = resolveSettings({ prompt: '', seed: 0 }, model);
  const steps = `${settings.steps} step${settings.steps === 1 ? '' : 's'}`;
  return `${settings.width}×${settings.height}, ${steps}, guidance ${settings.guidance}`;
}

/** A refiner is used differently from every other family, so info says how. */
function refinerLines(model: ModelFolder): string[] {
  const lines: string[] = [];
  const imageToImage = resolveSettings({ prompt: '', seed: 0, initImage: 'image' }, model, { width: 1024, height: 1024 });
  if (model.details.requiresAestheticsScore) {
    lines.push(
      `time ids: size, crop, aesthetic score (default ${imageToImage.aestheticScore}, negative ${imageToImage.negativeAestheticScore})`,
    );
  }
  if (model.family === 'sdxl-refiner') {
    lines.push(`use: image-to-image (--init-image, default strength ${imageToImage.strength}), or --refiner after an SDXL base`);
  }
  return lines;
}

/** A 9-channel inpainting UNet repaints under a mask and nothing else, so info says so. */
function inpaintingLines(model: ModelFolder): string[] {
  if (model.unet.inChannels !== INPAINT_UNET_CHANNELS) return [];
  return ['use: inpainting only (9-channel UNet: latents, mask, masked image): --init-image with --mask or --outpaint'];
}

/** The memory plan a generate call without options would get now on `auto`'s provider, and why. */
function memoryLines(model: ModelFolder, provider: ProviderName): string[] {
  const settings = resolveSettings({ prompt: '', seed: 0 }, model);
  const shape = { width: settings.width, height: settings.height, batch: 1, guidance: settings.guidance > 1, imageToImage: false };
  const plan = chooseMemoryPlan({ needs: componentNeeds(model, shape), budget: freeMemory(provider) });
  const peaks = MEMORY_PLANS.map((name) => `${name} ${gib(plan.peaks[name])}`).join(', ');
  return [
    `memory plan at ${settings.width}×${settings.height} on ${provider}: ${plan.name}`,
    ...plan.reasons.map((reason) => `  ${reason}`),
    `  estimated peaks: ${peaks}`,
  ];
}

/** What `auto` picks here and why, then whether each provider loads a real component. */
async function providerLines(probe: string): Promise<{ lines: string[]; chosen: ProviderName | undefined }> {
  const auto = providerCandidates('auto');
  const lines = [`providers (auto tries ${auto.candidates.join(', then ')}; loading tried on ${basename(dirname(probe))}):`];
  for (const skip of auto.skipped) lines.push(`  ${skip.provider}: left out by auto: ${skip.reason}`);
  let chosen: ProviderName | undefined;
  const tried = new Set<ProviderName>([...autoProviderOrder(), ...(bundledProviders() as Set<ProviderName>)]);
  for (const provider of tried) {
    try {
      const { session } = await createSession(probe, [provider], { keepArena: false });
      await session.release();
      if (chosen === undefined && auto.candidates.includes(provider)) chosen = provider;
      lines.push(`  ${provider}: loads`);
    } catch (error) {
      lines.push(`  ${provider}: does not load (${(error as Error).message})`);
    }
  }
  lines.push(`auto: ${chosen ?? 'nothing loads'}`);
  return { lines, chosen };
}
