// Prints the engine's own cost per denoising step: wall time minus the time inside ONNX
// Runtime, on tiny models at SDXL's 1024×1024 latent size (128×128), 20 steps, guidance on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine';
import type { StepInfo } from '../../src/engine/pipelines/denoiseLoop';
import type { SamplerName } from '../../src/engine/recipe';
import { buildTinySdxl } from '../support/tinyModels';

const STEPS = 20;
const SIZE = 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function run(engine: Engine, modelDir: string, sampler: SamplerName): Promise<StepInfo[]> {
  const steps: StepInfo[] = [];
  await engine.generate(
    { modelDir, prompt: 'a lighthouse on a cliff', negativePrompt: 'blurry', width: SIZE, height: SIZE, steps: STEPS, guidance: 5, seed: 1, sampler },
    { onStep: (info) => steps.push(info) },
  );
  return steps;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sdxl-bench-'));
  try {
    buildTinySdxl(dir);
    const engine = new Engine({ provider: 'cpu', lowMemory: false });
    const loadStarted = performance.now();
    const model = await engine.model(dir);
    await Promise.all(
      (['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder'] as const).map((c) => model.sessions.get(c)),
    );
    const loadMs = performance.now() - loadStarted;

    await run(engine, dir, 'euler');
    const overheads: number[] = [];
    for (const sampler of ['euler', 'euler-a', 'dpmpp-2m', 'pndm'] as const) {
      const jobStarted = performance.now();
      const steps = await run(engine, dir, sampler);
      const jobMs = performance.now() - jobStarted;
      const wall = median(steps.map((s) => s.stepMs));
      const inside = median(steps.map((s) => s.modelMs));
      const overhead = median(steps.map((s) => s.stepMs - s.modelMs));
      overheads.push(overhead);
      console.log(
        `${sampler.padEnd(9)} step ${wall.toFixed(2)} ms (ONNX Runtime run ${inside.toFixed(2)} ms, ours ${overhead.toFixed(2)} ms = ${((overhead / wall) * 100).toFixed(1)}%), job ${jobMs.toFixed(0)} ms`,
      );
    }
    await engine.unload();
    console.log(`latent 1x4x${SIZE / 8}x${SIZE / 8}, ${STEPS} steps, guidance 5 (UNet batch 2)`);
    console.log(`model load: ${loadMs.toFixed(0)} ms`);
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    console.log(`overhead per step: ${Math.max(...overheads).toFixed(2)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
