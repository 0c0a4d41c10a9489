import type { OutputFormat } from '../../protocol/generationLimits';
import type { GenerationSettings, VaeTiling } from '../../protocol/recipe';
import type { AssetBackground } from './assetBackground';
import { FINISH_FIELDS, type StatedFinish } from './assetFinish';

/** The manifest's file name; its lock sits beside it. */
export const MANIFEST_FILE = 'assets.sdxl.json';
export const LOCK_FILE = 'assets.sdxl.lock.json';

/**
 * Settings a preset or an entry may state, named as in the recipe so that an entry reads like
 * the recipe it produces. `model` and `refiner` are a folder (relative to the manifest) or a
 * catalog id, as the CLI's --model takes them.
 */
export const SETTING_FIELDS = [
  'model',
  'refiner',
  'negativePrompt',
  'width',
  'height',
  'steps',
  'guidance',
  'sampler',
  'karras',
  'timestepSpacing',
  'strength',
  'guidanceRescale',
  'promptWeighting',
  'refinerStart',
  'aestheticScore',
  'negativeAestheticScore',
  'vaeTiling',
  'tiling',
] as const;
export type SettingField = (typeof SETTING_FIELDS)[number];

/** What a preset may state: settings, a transparent background and post-processing. */
export const PRESET_FIELDS = [...SETTING_FIELDS, 'background', ...FINISH_FIELDS] as const;

/** Fields only an entry has: what it is, where it goes, and what makes it one image. */
export const ENTRY_FIELDS = ['output', 'prompt', 'preset', 'seed', 'source', ...PRESET_FIELDS] as const;

export type StatedSettings = Partial<Omit<GenerationSettings, 'seed' | 'initImage' | 'vaeTiling'>> & {
  model?: string;
  refiner?: string;
  /** Tiled VAE; without a tileSize, the VAE config's sample_size (what the recipe then records). */
  vaeTiling?: Partial<VaeTiling>;
};

/** One asset as the build sees it: its preset merged in, its paths resolved against the manifest. */
export interface ManifestAsset {
  /** Position in the `assets` array, from 0. */
  index: number;
  /** The output path as written in the manifest (relative to it, with forward slashes). */
  output: string;
  /** Absolute path of the output file. */
  outputPath: string;
  format: OutputFormat;
  preset?: string;
  model: string;
  refiner?: string;
  /** Absent: a seed is drawn once and kept in the lock. */
  seed?: number;
  /** Image-to-image input as written (relative to the manifest), and resolved. */
  source?: string;
  sourcePath?: string;
  /** The generation settings the preset and the entry state, prompt included; the rest comes from the model. */
  settings: StatedSettings & { prompt: string };
  /** Post-processing after decoding, the preset's steps replaced by the entry's, defaults written out. */
  finish: StatedFinish;
  /** A transparent background, made after decoding and before the finishing steps; absent: opaque. */
  background?: AssetBackground;
  /** Names of the settings stated (from the preset or the entry), sorted: what the lock remembers. */
  stated: string[];
  /** Where the entry's object starts and ends in the manifest's text. */
  start: number;
  end: number;
  /** Where its output path is written: what a Problems entry about the file underlines. */
  outputStart: number;
  outputEnd: number;
}

export interface Manifest {
  /** Absolute path of the manifest file. */
  path: string;
  /** Its folder, which every relative path in it starts from. */
  dir: string;
  assets: ManifestAsset[];
}

/** A manifest mistake, naming the entry and the field, with where it is in the file. */
export interface ManifestProblem {
  message: string;
  start: number;
  end: number;
}
