import type { InferenceSession } from 'onnxruntime-node';
import type { ComponentName, ModelFolder } from '../models/modelFolder';
import { EngineError } from '../errors';
import { loadableModel } from '../models/linkedWeights';
import { seamlessCacheDir, seamlessModel } from '../models/seamless/seamlessModels';
import type { Tiling } from '../../protocol/recipe';
import type { ProviderChoice, ProviderName, ProviderReport, ProviderSkip } from '../../protocol/providerChoice';
import { createSession, providerCandidates } from './providers';
import { SessionSignature } from './sessionSignature';

export interface LoadedComponent {
  session: InferenceSession;
  signature: SessionSignature;
  provider: ProviderName;
}

export interface SessionEvents {
  onLoad?: (component: ComponentName, provider: ProviderName, ms: number) => void;
  /** A provider `auto` passed over, reported once per model with the reason. */
  onFallback?: (provider: ProviderName, reason: string) => void;
  /** Where the model runs and what was passed over, after the UNet (or the first component) loads. */
  onReport?: (report: ProviderReport, component: ComponentName) => void;
}

/**
 * The ONNX sessions of one model folder. Sessions stay loaded between jobs, except those the
 * memory plan releases when their phase ends (in low-memory mode, every one, so the text
 * encoders, UNet and VAE never hold memory at the same time). The UNet keeps its CPU arena: it
 * runs every step with the same shapes. A component the plan releases keeps one too, since it
 * goes with the session; one that stays loaded gives its working memory back after each run,
 * or the arena would hold a VAE decode's gigabytes through the next job.
 */
export class ModelSessions {
  private readonly loaded = new Map<ComponentName, Promise<LoadedComponent>>();
  /** Narrowed as providers fail, so each failure is paid for and reported once. */
  private candidates: ProviderName[];
  private readonly skipped: ProviderSkip[];
  /** Where each component last loaded, kept after a low-memory release so the report still holds. */
  private readonly loadedOn = new Map<ComponentName, ProviderName>();
  /** Components released when their phase ends, from the job's memory plan. */
  private releaseAfterPhase: ReadonlySet<ComponentName>;
  private tiling: Tiling | undefined;

  constructor(
    readonly model: ModelFolder,
    private readonly choice: ProviderChoice,
    lowMemory: boolean,
    private readonly events: SessionEvents = {},
    /** Where the UNet and VAE rewritten for seamless tiles are kept. */
    private readonly cacheDir: string = seamlessCacheDir(),
  ) {
    this.releaseAfterPhase = new Set(lowMemory ? (Object.keys(model.onnx) as ComponentName[]) : []);
    const { candidates, skipped } = providerCandidates(choice);
    this.candidates = candidates;
    this.skipped = [...skipped];
    for (const failure of skipped) events.onFallback?.(failure.provider, failure.reason);
  }

  /** The provider the UNet (else the first component) runs on, and every provider passed over; undefined before any load. */
  report(): ProviderReport | undefined {
    const provider = this.loadedOn.get('unet') ?? this.loadedOn.values().next().value;
    if (provider === undefined) return undefined;
    return { choice: this.choice, provider, skipped: [...this.skipped] };
  }

  get(component: ComponentName): Promise<LoadedComponent> {
    let pending = this.loaded.get(component);
    if (!pending) {
      pending = this.load(component);
      this.loaded.set(component, pending);
      pending.catch(() => this.loaded.delete(component));
    }
    return pending;
  }

  /**
   * Seamless tiles for the next jobs: the UNet and VAE load with circular padding along these
   * axes (undefined: as trained). Sessions loaded with other padding are released.
   */
  async setTiling(tiling: Tiling | undefined): Promise<void> {
    if (tiling === this.tiling) return;
    this.tiling = tiling;
    await Promise.all(PADDED_COMPONENTS.map((component) => this.release(component)));
  }

  /** Where the next session will load: the provider earlier components loaded on, else the first candidate. */
  expectedProvider(): ProviderName {
    return this.loadedOn.get('unet') ?? this.loadedOn.values().next().value ?? this.candidates[0] ?? 'cpu';
  }

  /** The components loaded now, whose memory a new plan can count on getting back. */
  loadedComponents(): ComponentName[] {
    return [...this.loaded.keys()];
  }

  /**
   * Follows a job's memory plan: its components are released after their phases from now on,
   * and those loaded now are released at once, so an earlier job's sessions do not push the
   * new job past the plan's peak.
   */
  async follow(releaseAfterPhase: readonly ComponentName[]): Promise<void> {
    this.releaseAfterPhase = new Set(releaseAfterPhase);
    for (const component of releaseAfterPhase) await this.release(component);
  }

  /** Ends a component's phase: the plan may release its session. */
  async done(component: ComponentName): Promise<void> {
    if (this.releaseAfterPhase.has(component)) await this.release(component);
  }

  async release(component: ComponentName): Promise<void> {
    const pending = this.loaded.get(component);
    if (!pending) return;
    this.loaded.delete(component);
    const loaded = await pending.catch(() => undefined);
    await loaded?.session.release();
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.loaded.keys()].map((component) => this.release(component)));
  }

  private async load(component: ComponentName): Promise<LoadedComponent> {
    const path = this.model.onnx[component];
    if (!path) throw new EngineError(`${this.model.dir} has no ${component}/model.onnx.`, 'model-folder');
    const started = performance.now();
    const keepArena = component === 'unet' || this.releaseAfterPhase.has(component);
    const tiling = this.tiling;
    const file = tiling !== undefined && PADDED_COMPONENTS.includes(component) ? await seamlessModel(path, tiling, this.cacheDir) : await loadableModel(path);
    const created = await createSession(file, this.candidates, { keepArena });
    if (created.failures.length > 0) {
      this.candidates = this.candidates.filter((p) => !created.failures.some((f) => f.provider === p));
      for (const failure of created.failures) {
        this.skipped.push(failure);
        this.events.onFallback?.(failure.provider, failure.reason);
      }
    }
    this.loadedOn.set(component, created.provider);
    const report = this.report();
    if (report && (component === 'unet' || this.loadedOn.size === 1)) this.events.onReport?.(report, component);
    this.events.onLoad?.(component, created.provider, performance.now() - started);
    return {
      session: created.session,
      signature: new SessionSignature(component, created.session),
      provider: created.provider,
    };
  }
}

/** The components with convolutions: the text encoders have none. */
const PADDED_COMPONENTS: readonly ComponentName[] = ['unet', 'vae_decoder', 'vae_encoder'];
