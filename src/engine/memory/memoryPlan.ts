// Which of a model's ONNX sessions live when, chosen before a job from what each component
// needs and what the machine has free. Pure: the numbers come in, the plan and its reasons go
// out, so every choice can be tested without gigabytes of weights.
import type { ComponentName } from '../models/modelFolder';

/**
 * From fastest to leanest. all-loaded keeps every session between jobs; release-text-encoders
 * frees the text encoders once the prompt is encoded, before the UNet runs, and the VAE after
 * its run (small to load again, and the working memory a VAE run leaves behind goes only with
 * its session), so only the UNet stays between jobs; one-at-a-time frees each component when
 * its phase ends, so the VAE loads only after the UNet is released (the engine's `lowMemory`).
 */
export const MEMORY_PLANS = ['all-loaded', 'release-text-encoders', 'one-at-a-time'] as const;
export type MemoryPlanName = (typeof MEMORY_PLANS)[number];

/** What one component takes while loaded and while it runs, in bytes. */
export interface ComponentNeed {
  component: ComponentName;
  /** Components of one phase (the text encoders) are loaded together and released together. */
  phase: string;
  weights: number;
  /** Working memory of one run at the job's size and batch. */
  activations: number;
  /**
   * Whether its working memory stays allocated after a run while the session lives: the UNet's
   * arena, reused every step, and what a VAE run leaves behind even without an arena (measured).
   */
  keepsWorkingMemory: boolean;
}

/** Free memory where the weights will live; bytes undefined when the provider does not say. */
export interface MemoryBudget {
  bytes: number | undefined;
  /** Where the figure comes from, or why there is none, for the log. */
  source: string;
}

export interface PlanRequest {
  /** The job's components in the order their phases run. */
  needs: readonly ComponentNeed[];
  budget: MemoryBudget;
  /** A plan the user chose (`--low-memory`, the lowMemory setting, or a test). */
  forced?: { plan: MemoryPlanName; by: string };
  /**
   * The tile that lets the VAE decode fit in `availableBytes` and the working memory it then
   * needs; absent when the job's tiling is already decided (the user asked, or no decoder).
   */
  tiledDecode?: (availableBytes: number) => { tileSize: number; activations: number } | undefined;
}

export interface MemoryPlan {
  name: MemoryPlanName;
  /** Components whose session is released when their phase ends. */
  releaseAfterPhase: ComponentName[];
  /** Estimated peak of this plan, and of every plan, in bytes. */
  peak: number;
  peaks: Record<MemoryPlanName, number>;
  /** Whether the estimate fits the budget (true when there is no figure to compare with). */
  fits: boolean;
  /** Tiles for the VAE, chosen because no plan fitted with a whole decode. */
  vaeTiling?: { tileSize: number };
  /** One line per reason, for the log and `info`. */
  reasons: string[];
}

/** Room kept free for the rest of the process and the system: estimates are estimates. */
const HEADROOM = 0.9;

export function releasedAfterPhase(plan: MemoryPlanName, needs: readonly ComponentNeed[]): ComponentName[] {
  if (plan === 'all-loaded') return [];
  if (plan === 'release-text-encoders') return needs.map((n) => n.component).filter((c) => c !== 'unet');
  return needs.map((n) => n.component);
}

/**
 * The peak of two jobs in a row, since what the first keeps loaded is there when the second
 * loads the rest: at each phase, the weights of every resident session, the working memory
 * kept by those that keep it, and the running component's own working memory.
 */
export function estimatePeak(plan: MemoryPlanName, needs: readonly ComponentNeed[]): number {
  const released = new Set(releasedAfterPhase(plan, needs));
  const phases = [...new Set(needs.map((n) => n.phase))].map((phase) => needs.filter((n) => n.phase === phase));
  const resident = new Set<ComponentNeed>();
  const ran = new Set<ComponentNeed>();
  let peak = 0;
  for (let job = 0; job < 2; job++) {
    for (const phase of phases) {
      for (const need of phase) resident.add(need);
      for (const need of phase) {
        let inUse = need.activations;
        for (const other of resident) {
          inUse += other.weights;
          if (other !== need && other.keepsWorkingMemory && ran.has(other)) inUse += other.activations;
        }
        peak = Math.max(peak, inUse);
        ran.add(need);
      }
      for (const need of phase) {
        if (released.has(need.component)) {
          resident.delete(need);
          ran.delete(need);
        }
      }
    }
  }
  return peak;
}

/**
 * The fastest plan whose estimated peak fits in the budget, less headroom; else, when a tiled
 * VAE decode makes a plan fit, that plan with tiles; else the leanest.
 */
export function chooseMemoryPlan(request: PlanRequest): MemoryPlan {
  const whole = choosePlan(request);
  const decode = request.needs.find((n) => n.component === 'vae_decoder');
  const usable = request.budget.bytes === undefined ? undefined : request.budget.bytes * HEADROOM;
  if (whole.fits || !request.tiledDecode || !decode || usable === undefined) return whole;
  const tiling = request.tiledDecode(usable - decode.weights);
  if (!tiling) return whole;
  const needs = request.needs.map((n) => (n === decode ? { ...n, activations: tiling.activations } : n));
  const tiled = choosePlan({ ...request, needs });
  const reason = `the whole VAE decode needs about ${gib(decode.activations)} working: decoding in ${tiling.tileSize} px tiles, about ${gib(tiling.activations)}`;
  return { ...tiled, vaeTiling: { tileSize: tiling.tileSize }, reasons: [...tiled.reasons.slice(0, -1), reason, ...tiled.reasons.slice(-1)] };
}

function choosePlan(request: PlanRequest): MemoryPlan {
  const { needs, budget, forced } = request;
  const peaks = Object.fromEntries(MEMORY_PLANS.map((plan) => [plan, estimatePeak(plan, needs)])) as Record<MemoryPlanName, number>;
  const usable = budget.bytes === undefined ? undefined : budget.bytes * HEADROOM;
  const fitsIn = (plan: MemoryPlanName) => usable === undefined || peaks[plan] <= usable;
  const reasons = [`free: ${budget.bytes === undefined ? 'unknown' : gib(budget.bytes)} (${budget.source})`, needsLine(needs)];

  let name: MemoryPlanName;
  if (forced) {
    name = forced.plan;
    reasons.push(`${name} chosen by ${forced.by}`);
  } else if (usable === undefined) {
    name = 'all-loaded';
    reasons.push(`free memory unknown: all sessions stay loaded (estimated peak ${gib(peaks[name])}); --low-memory frees each after its phase`);
  } else {
    name = MEMORY_PLANS.find(fitsIn) ?? 'one-at-a-time';
    for (const plan of MEMORY_PLANS) {
      if (plan === name) break;
      reasons.push(`${plan} would peak at about ${gib(peaks[plan])}, more than ${gib(usable)} (${Math.round(HEADROOM * 100)} % of free)`);
    }
  }
  const fits = fitsIn(name);
  if (fits) {
    reasons.push(`${name}: estimated peak ${gib(peaks[name])}${usable === undefined ? '' : ` of ${gib(usable)} usable`}`);
  } else {
    reasons.push(
      `${name}: estimated peak ${gib(peaks[name])} does not fit in ${gib(usable ?? 0)} usable: expect swapping or an out-of-memory failure; a smaller image or fp16 weights need less`,
    );
  }
  return { name, releaseAfterPhase: releasedAfterPhase(name, needs), peak: peaks[name], peaks, fits, reasons };
}

/** The plan in one line, for a log. */
export function planSummary(plan: MemoryPlan): string {
  return `memory plan: ${plan.name} (${plan.reasons.join('; ')})`;
}

function needsLine(needs: readonly ComponentNeed[]): string {
  return needs.map((n) => `${n.component} ${gib(n.weights)} + ${gib(n.activations)} working`).join(', ');
}

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
