import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { EngineError, throwIfAborted } from '../../errors';
import { ensureFreeSpace } from '../download/diskSpace';
import { formatBytes } from '../download/downloadProgress';
import { COMPONENT_NAMES, type ComponentName, readModelFolder } from '../modelFolder';
import { DOWNLOAD_RECORD } from '../modelStore';
import { type ComponentOutcome, convertComponent } from './componentConversion';
import { copyTree } from './copyTree';

/** The record of finished components, inside the partial folder only, so a rerun can resume. */
const RECORD_FILE = '.sdxl-assets-convert.json';
const PARTIAL_SUFFIX = '.partial';

export type ComponentAction = 'float16' | 'kept-float32' | 'already-float16';

export interface ConversionProgress {
  component: ComponentName;
  /** 1-based position among the components. */
  index: number;
  count: number;
  action: ComponentAction;
  /** True when a finished component from an interrupted run was verified and kept. */
  resumed: boolean;
  bytesDone: number;
  bytesTotal: number;
}

export interface ComponentReport {
  component: ComponentName;
  action: ComponentAction;
  resumed: boolean;
  /** Why the component stayed float32, when it did. */
  reason?: string;
  blockedNodes: Record<string, number>;
  bytesBefore: number;
  bytesAfter: number;
}

export interface ConversionReport {
  outDir: string;
  components: ComponentReport[];
  bytesBefore: number;
  bytesAfter: number;
}

export interface ConversionOptions {
  /** Default: the model folder's path with "-fp16" appended. */
  outDir?: string;
  signal?: AbortSignal;
  onProgress?: (progress: ConversionProgress) => void;
}

interface FileStamp {
  name: string;
  size: number;
  mtimeMs: number;
}

interface ComponentRecord {
  source: FileStamp[];
  output: Array<Omit<FileStamp, 'mtimeMs'>>;
  report: ComponentReport;
}

type ConversionRecord = Partial<Record<ComponentName, ComponentRecord>>;

/** The folder `convert --fp16` writes when no --out is given. */
export function defaultFloat16Dir(modelDir: string): string {
  return `${resolve(modelDir)}-fp16`;
}

/**
 * Converts an ONNX model folder to float16 weights into a new folder of the same layout. The
 * work goes to `<out>.partial`, one component at a time (each written under a temporary name and
 * renamed when whole), and the folder is renamed to `<out>` at the end; a run that stops keeps
 * its finished components, which the next run verifies against their sources and keeps.
 */
export async function convertModelFolderToFloat16(modelDir: string, options: ConversionOptions = {}): Promise<ConversionReport> {
  const model = readModelFolder(modelDir);
  const outDir = resolve(options.outDir ?? defaultFloat16Dir(model.dir));
  if (existsSync(outDir)) {
    throw new EngineError(`${outDir} already exists; remove it or choose another output folder.`, 'bad-request');
  }
  if (!relative(model.dir, outDir).startsWith('..')) {
    throw new EngineError(`The output folder ${outDir} is inside the model folder; choose a folder beside it.`, 'bad-request');
  }
  const partial = `${outDir}${PARTIAL_SUFFIX}`;
  const record = await readRecord(partial);

  const components = COMPONENT_NAMES.filter((c) => model.onnx[c] !== undefined);
  const plans = await Promise.all(components.map(async (component) => planComponent(model.dir, model.family, component)));
  const bytesTotal = plans.reduce((n, p) => n + p.sourceBytes, 0);
  const resumable = new Map<ComponentName, ComponentRecord>();
  for (const plan of plans) {
    const previous = record[plan.component];
    if (previous && (await stillValid(previous, plan.source, join(partial, plan.component)))) resumable.set(plan.component, previous);
  }
  await mkdir(dirname(outDir), { recursive: true });
  const neededBytes = plans.filter((p) => !resumable.has(p.component)).reduce((n, p) => n + p.neededBytes, 0);
  await ensureFreeSpace(
    dirname(outDir),
    neededBytes,
    (free) =>
      new EngineError(
        `Not enough free disk space in ${dirname(outDir)}: the float16 copy needs about ${formatBytes(neededBytes)}, ${formatBytes(free)} is free.`,
        'bad-request',
      ),
  );
  await mkdir(partial, { recursive: true });

  let bytesDone = 0;
  const reports: ComponentReport[] = [];
  for (const [i, plan] of plans.entries()) {
    throwIfAborted(options.signal);
    const progress = (resumed: boolean) =>
      options.onProgress?.({ component: plan.component, index: i + 1, count: plans.length, action: plan.action, resumed, bytesDone, bytesTotal });
    const kept = resumable.get(plan.component);
    if (kept) {
      bytesDone += plan.sourceBytes;
      progress(true);
      reports.push({ ...kept.report, resumed: true });
      continue;
    }
    progress(false);
    const report = await writeComponent(model.dir, partial, plan, options.signal, (bytes) => {
      bytesDone += bytes;
      progress(false);
    });
    record[plan.component] = { source: plan.source, output: await outputSizes(join(partial, plan.component)), report };
    await writeRecord(partial, record);
    reports.push(report);
  }

  throwIfAborted(options.signal);
  await copyRest(model.dir, partial);
  await rm(join(partial, RECORD_FILE), { force: true });
  await rename(partial, outDir);
  return {
    outDir,
    components: reports,
    bytesBefore: reports.reduce((n, r) => n + r.bytesBefore, 0),
    bytesAfter: reports.reduce((n, r) => n + r.bytesAfter, 0),
  };
}

interface ComponentPlan {
  component: ComponentName;
  action: Exclude<ComponentAction, 'already-float16'>;
  reason?: string;
  source: FileStamp[];
  sourceBytes: number;
  /** Disk space the output may take: half the weights when converting, all of them when copying. */
  neededBytes: number;
}

async function planComponent(modelRoot: string, family: string, component: ComponentName): Promise<ComponentPlan> {
  const dir = join(modelRoot, component);
  const source = await stamps(dir);
  const sourceBytes = source.reduce((n, s) => n + s.size, 0);
  const upcast = component.startsWith('vae_') && family !== 'sd' ? await vaeNeedsFloat32(dir) : undefined;
  if (upcast) return { component, action: 'kept-float32', reason: upcast, source, sourceBytes, neededBytes: sourceBytes };
  return { component, action: 'float16', source, sourceBytes, neededBytes: Math.ceil(sourceBytes / 2) };
}

/**
 * diffusers upcasts an SDXL VAE to float32 unless its config sets force_upcast to false
 * (AutoencoderKL's default is true; the fp16-fix VAE sets false): the original SDXL VAE
 * overflows in float16. SD 1.x/2.x pipelines never upcast, so their VAEs are converted.
 */
async function vaeNeedsFloat32(dir: string): Promise<string | undefined> {
  const configPath = join(dir, 'config.json');
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
  } catch {
    return 'its config.json is missing or unreadable, so nothing says it is safe in float16';
  }
  if (config.force_upcast === false) return undefined;
  return config.force_upcast === true
    ? 'its config sets force_upcast (the SDXL VAE overflows in float16)'
    : 'its config does not set force_upcast to false (diffusers upcasts by default)';
}

async function writeComponent(
  modelRoot: string,
  partial: string,
  plan: ComponentPlan,
  signal: AbortSignal | undefined,
  onBytes: (bytes: number) => void,
): Promise<ComponentReport> {
  const target = join(partial, plan.component);
  const temporary = `${target}.tmp`;
  await rm(target, { recursive: true, force: true });
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary);
  let outcome: ComponentOutcome | undefined;
  try {
    if (plan.action === 'kept-float32') {
      await copyTree(join(modelRoot, plan.component), temporary);
      onBytes(plan.sourceBytes);
    } else {
      outcome = await convertComponent(plan.component, join(modelRoot, plan.component), temporary, { signal, onBytes });
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw diskFull(error, partial) ?? error;
  }
  const bytesAfter = (await stamps(target)).reduce((n, s) => n + s.size, 0);
  const action: ComponentAction = plan.action === 'kept-float32' ? plan.action : outcome?.converted === false ? 'already-float16' : 'float16';
  return {
    component: plan.component,
    action,
    resumed: false,
    ...(plan.reason ? { reason: plan.reason } : {}),
    blockedNodes: outcome?.blockedNodes ?? {},
    bytesBefore: plan.sourceBytes,
    bytesAfter,
  };
}

/**
 * Tokenizers, scheduler, model_index.json and whatever else is not a converted component. A
 * download record stays behind: it lists the float32 files, which the copy does not have.
 */
async function copyRest(modelRoot: string, partial: string): Promise<void> {
  for (const entry of await readdir(modelRoot, { withFileTypes: true })) {
    if ((COMPONENT_NAMES as readonly string[]).includes(entry.name) && entry.isDirectory()) continue;
    if (entry.name === DOWNLOAD_RECORD) continue;
    await copyTree(join(modelRoot, entry.name), join(partial, entry.name));
  }
}

async function stamps(dir: string): Promise<FileStamp[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => e.name).sort();
  return Promise.all(
    files.map(async (name) => {
      const info = await stat(join(dir, name));
      return { name, size: info.size, mtimeMs: info.mtimeMs };
    }),
  );
}

/** A finished component counts only if its sources are unchanged and its files are all there, whole. */
async function stillValid(previous: ComponentRecord, source: FileStamp[], outputDir: string): Promise<boolean> {
  const same = (a: ReadonlyArray<Partial<FileStamp>>, b: ReadonlyArray<Partial<FileStamp>>) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(previous.source, source) || !existsSync(outputDir)) return false;
  return same(previous.output, await outputSizes(outputDir));
}

/** Output files are checked by name and size: their times change when the folder is copied or moved. */
async function outputSizes(dir: string): Promise<Array<Omit<FileStamp, 'mtimeMs'>>> {
  return (await stamps(dir)).map(({ name, size }) => ({ name, size }));
}

async function readRecord(partial: string): Promise<ConversionRecord> {
  try {
    return JSON.parse(await readFile(join(partial, RECORD_FILE), 'utf8')) as ConversionRecord;
  } catch {
    return {};
  }
}

async function writeRecord(partial: string, record: ConversionRecord): Promise<void> {
  const path = join(partial, RECORD_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(record, null, 1));
  await rename(`${path}.tmp`, path);
}

function diskFull(error: unknown, partial: string): EngineError | undefined {
  if ((error as NodeJS.ErrnoException | null)?.code !== 'ENOSPC') return undefined;
  return new EngineError(
    `The disk filled up while writing ${basename(partial)}; free some space and run the conversion again to resume.`,
    'bad-request',
  );
}
