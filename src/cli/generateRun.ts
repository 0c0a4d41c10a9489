import { join } from 'node:path';
import { Engine, type GeneratedImage } from '../engine/engine';
import { planSummary } from '../engine/memory/memoryPlan';
import { promptSlug } from '../engine/image/fileNames';
import { writeImage } from '../engine/image/writeImage';
import type { StepInfo } from '../engine/pipelines/denoiseLoop';
import type { TileInfo } from '../engine/pipelines/vaeRuns';
import type { Phase } from '../protocol/phase';
import type { GenerationPlan, OutputTarget } from './generatePlan';
import { extensionOf } from './outputPaths';
import { ProgressReporter } from './progress';

/** Runs the plan's images in one engine, each written as soon as it is made and its path printed. */
export async function runGeneration(plan: GenerationPlan, signal: AbortSignal): Promise<void> {
  const engine = new Engine({
    provider: plan.provider,
    lowMemory: plan.lowMemory,
    ...(plan.memoryPlan === undefined ? {} : { memory: { plan: plan.memoryPlan } }),
    events: {
      onFallback: (provider, reason) => process.stderr.write(`provider ${provider} not used: ${reason}\n`),
      onPlan: (chosen) => process.stderr.write(`${planSummary(chosen)}\n`),
    },
  });
  const batch = plan.seeds.length;
  try {
    let progress: ProgressReporter | undefined;
    const hooksFor = (first: number, count: number) => {
      progress = new ProgressReporter(batch === 1 ? '' : count === 1 ? `[${first + 1}/${batch}] ` : `[${first + 1}-${first + count}/${batch}] `);
      const reporter = progress;
      return {
        signal,
        onPhase: (phase: Phase) => reporter.phase(phase),
        onStep: (info: StepInfo) => reporter.step(info),
        onTile: (info: TileInfo) => reporter.tile(info),
      };
    };
    let i = 0;
    for await (const image of engine.generateMany(plan.request, plan.seeds, hooksFor)) {
      progress?.done();
      progress = undefined;
      process.stdout.write(`${await writeOutput(plan.output, image, i)}\n`);
      i++;
    }
  } finally {
    await engine.unload();
  }
}

/**
 * Exclusive creation: a name another process took meanwhile moves on to the next free one. A
 * folder gets prompt-seed names; a file name is the first image's, numbered for the rest.
 */
function writeOutput({ out, toFolder, format }: OutputTarget, image: GeneratedImage, index: number): Promise<string> {
  const { rgb, width, height, recipe } = image;
  if (toFolder) {
    const path = join(out, `${promptSlug(recipe.prompt)}-${recipe.seed}.${extensionOf(format)}`);
    return writeImage(path, rgb, width, height, { format, recipe, ifExists: 'next-free' });
  }
  return writeImage(out, rgb, width, height, {
    format,
    recipe,
    ...(index === 0 ? { ifExists: 'fail' } : { ifExists: 'next-free', firstNumber: index + 1 }),
  });
}
