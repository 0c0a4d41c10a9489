// One text-to-image job in this process under a forced memory plan, then its peak resident
// memory (VmHWM): run once per case, so every peak is a fresh process's own.
//   node --import tsx scripts/full-models/measurePeak.ts --model DIR --size PX --plan P [--jobs N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Engine } from '../../src/engine/engine';
import { MEMORY_PLANS, planSummary, type MemoryPlanName } from '../../src/engine/memory/memoryPlan';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    size: { type: 'string', default: '512' },
    plan: { type: 'string' },
    jobs: { type: 'string', default: '1' },
    steps: { type: 'string', default: '1' },
  },
});
const plan = args.plan as MemoryPlanName | undefined;
if (args.model === undefined || (plan !== undefined && !MEMORY_PLANS.includes(plan))) {
  throw new Error(`usage: measurePeak --model DIR [--size PX] [--plan ${MEMORY_PLANS.join('|')}] [--jobs N] [--steps N]`);
}
const size = Number(args.size);
const modelDir = args.model;
const engine = new Engine({
  provider: 'cpu',
  lowMemory: false,
  ...(plan ? { memory: { plan } } : {}),
  events: { onPlan: (chosen) => console.error(planSummary(chosen)) },
});
async function main(): Promise<void> {
  const started = performance.now();
  const phases: string[] = [];
  let current = 'start';
  let phaseStart = started;
  const endPhase = (next: string) => {
    const now = performance.now();
    phases.push(`${current} ${((now - phaseStart) / 1000).toFixed(0)} s`);
    current = next;
    phaseStart = now;
  };
  for (let job = 0; job < Number(args.jobs); job++) {
    await engine.generate(
      { modelDir, prompt: 'a lighthouse on a cliff', seed: 1, steps: Number(args.steps), width: size, height: size, guidance: 5 },
      {
        onPhase: endPhase,
      },
    );
  }
  endPhase('end');
  await engine.unload();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  console.log(
    JSON.stringify({
      model: args.model,
      size,
      plan: plan ?? 'auto',
      jobs: Number(args.jobs),
      peakGiB: +(kib('VmHWM') / 2 ** 20).toFixed(2),
      seconds: Math.round((performance.now() - started) / 1000),
      phases: phases.join(', '),
    }),
  );
}

void main();
