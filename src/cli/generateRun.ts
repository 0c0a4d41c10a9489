import { dirname, join, parse } from 'node:path';
import { densityFiles, iconSetFiles, type SetFile } from '../engine/finish/assetSet';
import { finishImage } from '../engine/finish/finishImage';
import type { RawImage } from '../engine/finish/rawImage';
import { writeFileSet } from '../engine/image/writeFileSet';
import type { OutputSize, Recipe } from '../protocol/recipe';
import type { FinishPlan } from './finishOptions';
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
      for (const path of await writeFinished(plan, image, i, signal)) process.stdout.write(`${path}\n`);
      i++;
    }
  } finally {
    await engine.unload();
  }
}

/** The image's finished file, or its icon set or density variants; resolves to the paths written. */
async function writeFinished(plan: GenerationPlan, image: GeneratedImage, index: number, signal: AbortSignal): Promise<string[]> {
  const { finish, output } = plan;
  if (finish.iconSet || finish.densities) return writeSet(image, finish, output, signal);
  const finished = await finishImage(image, finish.steps);
  return [await writeOutput(output, { ...finished, recipe: { ...image.recipe, ...finish.steps } }, index)];
}

/**
 * An icon set (into the --out folder) or density variants (beside --out FILE, or prompt-seed
 * names in the folder), written all together or not at all.
 */
async function writeSet(image: GeneratedImage, finish: FinishPlan, target: OutputTarget, signal: AbortSignal): Promise<string[]> {
  const { out, toFolder, format } = target;
  const recipe = { ...image.recipe, ...finish.steps };
  let folder = out;
  let files: SetFile[];
  if (finish.iconSet) {
    files = await iconSetFiles(image, recipe, signal);
  } else {
    const output = finish.steps.output as OutputSize;
    folder = toFolder ? out : dirname(out);
    const stem = toFolder ? `${promptSlug(recipe.prompt)}-${recipe.seed}` : parse(out).name;
    const extension = toFolder ? extensionOf(format) : parse(out).ext.slice(1);
    files = await densityFiles(image, { ...recipe, output }, finish.densities ?? [1], stem, { format, extension, embedRecipe: true }, signal);
  }
  const written = files.map(({ name, data }) => ({ path: join(folder, name), data }));
  await writeFileSet(written, signal);
  return written.map(({ path }) => path);
}

/**
 * Exclusive creation: a name another process took meanwhile moves on to the next free one. A
 * folder gets prompt-seed names; a file name is the first image's, numbered for the rest.
 */
function writeOutput({ out, toFolder, format }: OutputTarget, image: RawImage & { recipe: Recipe; channels?: 3 | 4 }, index: number): Promise<string> {
  const { rgb, channels, width, height, recipe } = image;
  if (toFolder) {
    const path = join(out, `${promptSlug(recipe.prompt)}-${recipe.seed}.${extensionOf(format)}`);
    return writeImage(path, rgb, width, height, { format, channels, recipe, ifExists: 'next-free' });
  }
  return writeImage(out, rgb, width, height, {
    format,
    channels,
    recipe,
    ...(index === 0 ? { ifExists: 'fail' } : { ifExists: 'next-free', firstNumber: index + 1 }),
  });
}
