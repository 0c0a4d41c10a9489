import { dirname, isAbsolute, posix, resolve } from 'node:path';
import { MAX_SEED, settingsProblem } from '../../protocol/generationLimits';
import { SAMPLERS, TILINGS, TIMESTEP_SPACINGS } from '../../protocol/recipe';
import { backgroundProblem, statedBackground } from './assetBackground';
import { finishFieldProblem, statedFinishStep, type StatedFinish } from './assetFinish';
import { formatFromOutput } from './outputFormat';
import { lineColumn, parseJsonTree, JsonSyntaxError, jsonValue, type JsonMember, type JsonNode } from './jsonTree';
import {
  ENTRY_FIELDS,
  PRESET_FIELDS,
  SETTING_FIELDS,
  type Manifest,
  type ManifestAsset,
  type ManifestProblem,
  type StatedSettings,
} from './manifest';

export interface ParsedManifest {
  manifest: Manifest;
  /** Every mistake found; the entries they concern are left out of `manifest.assets`. */
  problems: ManifestProblem[];
}

type Check = (value: unknown) => string | undefined;

const positiveWhole: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 1 ? undefined : 'a whole number of 1 or more');
const finiteNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'a number');
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const nonEmptyText: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'a non-empty string');

/** The type of each field; the ranges and combinations are the generation limits' (src/protocol/generationLimits.ts). */
const FIELD_CHECKS: Readonly<Record<string, Check>> = {
  model: nonEmptyText,
  refiner: nonEmptyText,
  prompt: (v) => (typeof v === 'string' ? undefined : 'a string'),
  negativePrompt: (v) => (v === null || typeof v === 'string' ? undefined : 'a string, or null for none'),
  width: positiveWhole,
  height: positiveWhole,
  steps: positiveWhole,
  guidance: finiteNumber,
  sampler: (v) => ((SAMPLERS as readonly unknown[]).includes(v) ? undefined : `one of ${SAMPLERS.join(', ')}`),
  karras: boolean,
  timestepSpacing: (v) => (v === null || (TIMESTEP_SPACINGS as readonly unknown[]).includes(v) ? undefined : `null or one of ${TIMESTEP_SPACINGS.join(', ')}`),
  strength: finiteNumber,
  guidanceRescale: finiteNumber,
  promptWeighting: boolean,
  refinerStart: finiteNumber,
  aestheticScore: finiteNumber,
  negativeAestheticScore: finiteNumber,
  vaeTiling: (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => k === 'tileSize') ? undefined : 'an object with an optional tileSize, e.g. {} or { "tileSize": 512 }',
  tiling: (v) => ((TILINGS as readonly unknown[]).includes(v) ? undefined : `one of ${TILINGS.join(', ')} (seamless tiles along x, y or both)`),
  background: backgroundProblem,
  output: nonEmptyText,
  preset: nonEmptyText,
  seed: (v) => (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_SEED ? undefined : `a whole number from 0 to ${MAX_SEED}`),
  source: nonEmptyText,
  exactSize: (v) => finishFieldProblem('exactSize', v),
  pixelArt: (v) => finishFieldProblem('pixelArt', v),
};

/**
 * Reads a manifest's text: `presets` (named settings, defined once) and `assets` (each an output
 * path, a prompt, a preset and/or settings, an optional seed and source image). Every problem is
 * collected with its place, so the editor can mark them all and the CLI can name them all.
 */
export function parseManifest(text: string, path: string): ParsedManifest {
  const manifestPath = resolve(path);
  const dir = dirname(manifestPath);
  const manifest: Manifest = { path: manifestPath, dir, assets: [] };
  const problems: ManifestProblem[] = [];
  let root: JsonNode;
  try {
    root = parseJsonTree(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    problems.push({ message: `not valid JSON: ${error.message}`, start: error.offset, end: error.offset + 1 });
    return { manifest, problems };
  }
  const problem = (message: string, node: { start: number; end: number }) => problems.push({ message, start: node.start, end: node.end });
  if (root.kind !== 'object') {
    problem('the manifest must be a JSON object with "assets" (and optionally "presets")', root);
    return { manifest, problems };
  }
  for (const member of root.members) {
    if (!['$schema', 'presets', 'assets'].includes(member.key)) {
      problem(`unknown top-level field "${member.key}"; the manifest has "presets" and "assets"`, keyRange(member));
    }
  }
  const presets = readPresets(member(root, 'presets'), problem);
  const assetsNode = member(root, 'assets');
  if (assetsNode === undefined || assetsNode.kind !== 'array') {
    problem('"assets" must be an array of entries, each with "output" and "prompt"', assetsNode ?? root);
    return { manifest, problems };
  }
  const outputs = new Map<string, number>();
  assetsNode.items.forEach((node, index) => {
    const asset = readAsset(node, index, dir, presets, problem);
    if (!asset) return;
    const earlier = outputs.get(asset.outputPath);
    if (earlier !== undefined) {
      problem(`${entryName(index, asset.output)}: output is the same file as assets[${earlier}]'s; each asset needs its own file`, fieldNode(node, 'output') ?? node);
      return;
    }
    outputs.set(asset.outputPath, index);
    manifest.assets.push(asset);
  });
  for (const asset of manifest.assets) {
    if (asset.sourcePath !== undefined && outputs.get(asset.sourcePath) === asset.index) {
      problem(`${entryName(asset.index, asset.output)}: source is the entry's own output`, fieldNode(assetsNode.items[asset.index]!, 'source')!);
    }
  }
  manifest.assets = manifest.assets.filter((a) => a.sourcePath === undefined || outputs.get(a.sourcePath) !== a.index);
  return { manifest, problems };
}

/** How messages name an entry: its index and its output, which is what the user searches for. */
export function entryName(index: number, output: string | undefined): string {
  return output === undefined ? `assets[${index}]` : `assets[${index}] "${output}"`;
}

/** A line for each problem, with where it is, for the command line. */
export function describeProblems(text: string, path: string, problems: readonly ManifestProblem[]): string {
  return problems.map((p) => `${path} (${lineColumn(text, p.start)}): ${p.message}`).join('\n');
}

type Report = (message: string, node: { start: number; end: number }) => void;

/** A preset's fields as stated: settings and finishing steps, checked but not yet split. */
type PresetFields = Record<string, unknown>;

function readPresets(node: JsonNode | undefined, problem: Report): Map<string, { settings: PresetFields; node: JsonNode }> {
  const presets = new Map<string, { settings: PresetFields; node: JsonNode }>();
  if (node === undefined) return presets;
  if (node.kind !== 'object') {
    problem('"presets" must be an object of named settings, e.g. { "icon": { "width": 512, "height": 512 } }', node);
    return presets;
  }
  for (const { key, value } of node.members) {
    const name = `presets.${key}`;
    if (value.kind !== 'object') {
      problem(`${name} must be an object of settings`, value);
      continue;
    }
    const settings: Record<string, unknown> = {};
    let ok = true;
    for (const field of value.members) {
      if (!(PRESET_FIELDS as readonly string[]).includes(field.key)) {
        const hint = (ENTRY_FIELDS as readonly string[]).includes(field.key) ? ' (it belongs to each entry, not to a preset)' : '';
        problem(`${name}: unknown field "${field.key}"${hint}; a preset takes ${PRESET_FIELDS.join(', ')}`, keyRange(field));
        ok = false;
        continue;
      }
      const fieldValue = jsonValue(field.value);
      const wrong = FIELD_CHECKS[field.key]!(fieldValue);
      if (wrong !== undefined) {
        problem(`${name}: ${field.key} must be ${wrong}, got ${JSON.stringify(fieldValue)}`, field.value);
        ok = false;
        continue;
      }
      settings[field.key] = fieldValue;
    }
    if (ok) presets.set(key, { settings, node: value });
  }
  return presets;
}

function readAsset(
  node: JsonNode,
  index: number,
  manifestDir: string,
  presets: Map<string, { settings: PresetFields }>,
  problem: Report,
): ManifestAsset | undefined {
  if (node.kind !== 'object') {
    problem(`assets[${index}] must be an object with "output" and "prompt"`, node);
    return undefined;
  }
  const outputNode = fieldNode(node, 'output');
  const output = outputNode === undefined ? undefined : jsonValue(outputNode);
  const name = entryName(index, typeof output === 'string' ? output : undefined);
  const fields: Record<string, unknown> = {};
  let ok = true;
  for (const field of node.members) {
    const check = FIELD_CHECKS[field.key];
    if (check === undefined || !(ENTRY_FIELDS as readonly string[]).includes(field.key)) {
      problem(`${name}: unknown field "${field.key}"; an entry takes ${ENTRY_FIELDS.join(', ')}`, keyRange(field));
      ok = false;
      continue;
    }
    const value = jsonValue(field.value);
    const wrong = check(value);
    if (wrong !== undefined) {
      problem(`${name}: ${field.key} must be ${wrong}, got ${JSON.stringify(value)}`, field.value);
      ok = false;
      continue;
    }
    fields[field.key] = value;
  }
  for (const required of ['output', 'prompt'] as const) {
    if (fields[required] === undefined && !node.members.some((m) => m.key === required)) {
      problem(`${name}: "${required}" is missing`, node);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const outputText = fields.output as string;
  const outputPath = resolve(manifestDir, outputText);
  const format = formatFromOutput(outputText);
  if (isAbsolute(outputText) || outputText.split(/[/\\]/).includes('..')) {
    problem(`${name}: output must be a path inside the manifest's folder, without ".."`, fieldNode(node, 'output')!);
    return undefined;
  }
  if (format === undefined) {
    problem(`${name}: output must end in .png, .webp, .jpg or .jpeg`, fieldNode(node, 'output')!);
    return undefined;
  }
  let presetSettings: PresetFields = {};
  if (fields.preset !== undefined) {
    const preset = presets.get(fields.preset as string);
    if (!preset) {
      const known = [...presets.keys()];
      problem(`${name}: preset "${String(fields.preset)}" is not defined under "presets"${known.length ? ` (there are ${known.join(', ')})` : ''}`, fieldNode(node, 'preset')!);
      return undefined;
    }
    presetSettings = preset.settings;
  }
  const stated: Record<string, unknown> = { ...presetSettings };
  for (const field of PRESET_FIELDS) if (fields[field] !== undefined) stated[field] = fields[field];
  const own: Record<string, unknown> = {};
  for (const field of SETTING_FIELDS) if (stated[field] !== undefined) own[field] = stated[field];
  const settings = { ...own, prompt: fields.prompt as string } as StatedSettings & { prompt: string };
  const background = stated.background === undefined ? undefined : statedBackground(stated.background);
  if (background && format === 'jpeg') {
    problem(`${name}: JPEG has no alpha channel; a transparent background needs an output ending in .png or .webp`, fieldNode(node, 'output')!);
    return undefined;
  }
  const finish: StatedFinish = {
    ...(stated.exactSize !== undefined ? { exactSize: statedFinishStep('exactSize', stated.exactSize, background !== undefined) } : {}),
    ...(stated.pixelArt !== undefined ? { pixelArt: statedFinishStep('pixelArt', stated.pixelArt) } : {}),
  };
  if (settings.model === undefined) {
    problem(`${name}: no model; give "model" (a folder or catalog id) in the entry or in its preset`, node);
    return undefined;
  }
  const source = fields.source as string | undefined;
  const { model, refiner, ...generation } = settings;
  const limit = settingsProblem({ ...generation, ...(source !== undefined ? { initImage: source } : {}), seed: fields.seed });
  if (limit !== undefined) {
    problem(`${name}: ${limit}`, node);
    return undefined;
  }
  if (refiner !== undefined && source !== undefined) {
    problem(`${name}: a refiner runs after the base from noise; for image-to-image name the refiner as the model`, fieldNode(node, 'refiner') ?? node);
    return undefined;
  }
  return {
    index,
    output: posix.normalize(outputText.replace(/\\/g, '/')),
    outputPath,
    format,
    ...(fields.preset !== undefined ? { preset: fields.preset as string } : {}),
    model,
    ...(refiner !== undefined ? { refiner } : {}),
    ...(fields.seed !== undefined ? { seed: fields.seed as number } : {}),
    ...(source !== undefined ? { source, sourcePath: resolve(manifestDir, source) } : {}),
    settings,
    finish,
    ...(background ? { background } : {}),
    stated: Object.keys(settings).sort(),
    start: node.start,
    end: node.end,
    outputStart: fieldNode(node, 'output')!.start,
    outputEnd: fieldNode(node, 'output')!.end,
  };
}

function member(node: JsonNode, key: string): JsonNode | undefined {
  return node.kind === 'object' ? node.members.find((m) => m.key === key)?.value : undefined;
}

function fieldNode(node: JsonNode, key: string): JsonNode | undefined {
  return member(node, key);
}

function keyRange(field: JsonMember): { start: number; end: number } {
  return { start: field.keyStart, end: field.keyStart + JSON.stringify(field.key).length };
}
