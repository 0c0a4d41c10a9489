// Prints the engine's cost on one execution provider (`--provider`, default cpu):
// - by default, tiny SDXL models through the whole engine at SDXL's 1024×1024 latent size:
//   session creation per component, then per step the wall time, the time inside ONNX
//   Runtime and the engine's own overhead, and the host↔device copies where the engine counts them;
// - with `--unet PATH`, one UNet model alone (e.g. the full-size one scripts/gpu-bench/buildUnet.ts
//   writes): session creation and the time per step at each `--shapes` entry;
// - with `--optimized-cache`, whether ONNX Runtime's optimised-model file shortens that UNet's
//   session creation.
// `--json FILE` also writes the numbers, for scripts/gpu-bench.sh's table.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../../src/engine/engine';
import type { ComponentName } from '../../src/engine/models/modelFolder';
import type { StepInfo } from '../../src/engine/pipelines/denoiseLoop';
import type { SamplerName } from '../../src/protocol/recipe';
import { PROVIDER_CHOICES, type ProviderName } from '../../src/protocol/providerChoice';
import { buildTinySdxl } from '../support/tinyModels';
import { createUnetSession, median, parseShape, timeOptimizedCache, timeUnet } from './unetBench';

/** The copies the engine may count per step; optional so the bench compiles whether or not it does. */
type CountedStep = StepInfo & { hostToDeviceBytes?: number; deviceToHostBytes?: number };

interface SamplerTiming {
  stepMs: number;
  modelMs: number;
  overheadMs: number;
  jobMs: number;
  hostToDeviceBytes: number | undefined;
  deviceToHostBytes: number | undefined;
}

const { values: args } = parseArgs({
  options: {
    provider: { type: 'string', default: 'cpu' },
    unet: { type: 'string' },
    shapes: { type: 'string', default: '1024x1024x2,512x512x1' },
    runs: { type: 'string', default: '3' },
    size: { type: 'string', default: '1024' },
    steps: { type: 'string', default: '20' },
    'optimized-cache': { type: 'boolean', default: false },
    batches: { type: 'string', default: '1,2,4' },
    json: { type: 'string' },
  },
});

const provider = args.provider as ProviderName;
if (provider === ('auto' as string) || !PROVIDER_CHOICES.includes(provider)) {
  throw new Error(`--provider must be one of ${PROVIDER_CHOICES.filter((p) => p !== 'auto').join(', ')}`);
}
const results: Record<string, unknown> = { provider };

async function benchUnet(path: string): Promise<void> {
  const modelPath = statSync(path).isDirectory() ? join(path, 'model.onnx') : path;
  const { session, ms } = await createUnetSession(modelPath, provider);
  console.log(`${provider}: unet session created in ${(ms / 1000).toFixed(2)} s`);
  const timings = [];
  try {
    for (const shape of args.shapes.split(',').map(parseShape)) {
      const t = await timeUnet(session, shape, Number(args.runs));
      timings.push(t);
      console.log(
        `${provider}: ${t.width}x${t.height} batch ${t.batch}: ${(t.stepMs / 1000).toFixed(3)} s/step ` +
          `(ONNX Runtime run ${(t.runMs / 1000).toFixed(3)} s; first run ${(t.firstMs / 1000).toFixed(2)} s)` +
          `${t.finite ? '' : ', OUTPUT NOT FINITE'}`,
      );
    }
  } finally {
    await session.release();
  }
  results.unet = { path: modelPath, sessionMs: ms, timings };
}

async function benchPipeline(): Promise<void> {
  const size = Number(args.size);
  const steps = Number(args.steps);
  const dir = mkdtempSync(join(tmpdir(), 'sdxl-bench-'));
  try {
    buildTinySdxl(dir);
    const loads: Partial<Record<ComponentName, number>> = {};
    const engine = new Engine({ provider, lowMemory: false, events: { onLoad: (component, _, ms) => (loads[component] = ms) } });
    const model = await engine.model(dir);
    // One at a time, so each component's time is its own.
    for (const component of ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder'] as const) await model.sessions.get(component);
    for (const [component, ms] of Object.entries(loads)) console.log(`${provider}: ${component} session created in ${ms.toFixed(0)} ms`);

    const run = async (sampler: SamplerName) => {
      const infos: CountedStep[] = [];
      const request = { modelDir: dir, prompt: 'a lighthouse on a cliff', negativePrompt: 'blurry', width: size, height: size, steps, guidance: 5, seed: 1, sampler };
      await engine.generate(request, { onStep: (info) => infos.push(info) });
      return infos;
    };
    await run('euler');
    const samplers: Record<string, SamplerTiming> = {};
    for (const sampler of ['euler', 'euler-a', 'dpmpp-2m', 'pndm'] as const) {
      const jobStarted = performance.now();
      const infos = await run(sampler);
      const jobMs = performance.now() - jobStarted;
      const wall = median(infos.map((s) => s.stepMs));
      const inside = median(infos.map((s) => s.modelMs));
      const overhead = median(infos.map((s) => s.stepMs - s.modelMs));
      console.log(
        `${sampler.padEnd(9)} step ${wall.toFixed(2)} ms (ONNX Runtime run ${inside.toFixed(2)} ms, ours ${overhead.toFixed(2)} ms = ${((overhead / wall) * 100).toFixed(1)}%), job ${jobMs.toFixed(0)} ms`,
      );
      const counted = (bytes: Array<number | undefined>) => {
        const known = bytes.filter((b) => b !== undefined);
        return known.length > 0 ? median(known) : undefined;
      };
      const up = counted(infos.map((s) => s.hostToDeviceBytes));
      const down = counted(infos.map((s) => s.deviceToHostBytes));
      if (up !== undefined || down !== undefined) {
        const kib = (bytes: number | undefined) => (bytes === undefined ? '?' : (bytes / 1024).toFixed(0));
        console.log(`          copies per step: ${kib(up)} KiB up, ${kib(down)} KiB down`);
      }
      samplers[sampler] = { stepMs: wall, modelMs: inside, overheadMs: overhead, jobMs, hostToDeviceBytes: up, deviceToHostBytes: down };
    }
    results.batches = await benchBatches(engine, dir, size, steps);
    if (args['optimized-cache']) await benchOptimizedCache(join(dir, 'unet', 'model.onnx'));
    await engine.unload();
    console.log(`latent 1x4x${size / 8}x${size / 8}, ${steps} steps, guidance 5 (UNet batch 2)`);
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    const overheads = Object.values(samplers).map((s) => s.overheadMs);
    console.log(`overhead per step: ${Math.max(...overheads).toFixed(2)} ms`);
    results.pipeline = { size, steps, sessionMs: loads, samplers };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Images per second for batches of seeds of one prompt: shared UNet calls on a GPU, one job per image on the CPU. */
async function benchBatches(engine: Engine, dir: string, size: number, steps: number): Promise<Record<string, unknown>[]> {
  const rows = [];
  for (const images of args.batches.split(',').map(Number)) {
    const seeds = Array.from({ length: images }, (_, i) => i + 1);
    const request = { modelDir: dir, prompt: 'a lighthouse on a cliff', negativePrompt: 'blurry', width: size, height: size, steps, guidance: 5 };
    let calls = 0;
    const countCall = () => {
      calls++;
      return {};
    };
    const started = performance.now();
    const made = [];
    for await (const image of engine.generateMany(request, seeds, countCall)) made.push(image.recipe.seed);
    const seconds = (performance.now() - started) / 1000;
    const shared = calls < images;
    console.log(
      `batch ${images}: ${(images / seconds).toFixed(3)} images/s (${seconds.toFixed(1)} s; ${shared ? `UNet calls of ${2 * images / calls} rows` : 'one job per image'})`,
    );
    rows.push({ images: made.length, seconds, imagesPerSecond: made.length / seconds, shared });
  }
  return rows;
}

async function benchOptimizedCache(modelPath: string): Promise<void> {
  const t = await timeOptimizedCache(modelPath, provider);
  const show = (ms: number | string) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(2)} s` : `failed (${ms})`);
  console.log(
    `${provider}: unet session from the model ${show(t.plainMs)}, writing the optimized model ${show(t.writeMs)}, ` +
      `from the optimized model: level disabled ${show(t.disabledMs)}, level basic ${show(t.basicMs)}`,
  );
  results.optimizedCache = t;
}

async function main(): Promise<void> {
  if (args.unet !== undefined) {
    await benchUnet(args.unet);
    if (args['optimized-cache']) {
      const path = statSync(args.unet).isDirectory() ? join(args.unet, 'model.onnx') : args.unet;
      await benchOptimizedCache(path);
    }
  } else {
    await benchPipeline();
  }
  if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  // The GPU script's table says why a stage has no numbers.
  results.error = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  process.exitCode = 1;
});
