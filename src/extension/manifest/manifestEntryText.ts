import { DEFAULT_MATTING_MODEL } from '../../protocol/background';
import type { OutputSize, PixelArt, Recipe } from '../../protocol/recipe';
import { parseJsonTree, type JsonNode } from '../../engine/manifest/jsonTree';

/** An entry's fields in the order a person reads them: what, where, how. */
export type EntryFields = Record<string, string | number | boolean | null | { tileSize: number } | OutputSize | PixelArt | BackgroundField>;

/** A transparent background as an entry states it, shortest first: "transparent" for the catalog's matting model. */
type BackgroundField = 'transparent' | { mode: 'transparent'; isolateSubject?: boolean; matting?: string };

/**
 * The manifest entry that remakes the picture its recipe describes: every setting stated, so
 * the build reproduces it whatever the model's defaults, and the seed fixed. `model`, `refiner`
 * and `source` are as the manifest should name them (relative to it, or catalog ids).
 */
export function entryFromRecipe(recipe: Recipe, names: { output: string; model: string; refiner?: string; source?: string }): EntryFields {
  return {
    output: names.output,
    prompt: recipe.prompt,
    model: names.model,
    ...(recipe.negativePrompt !== null ? { negativePrompt: recipe.negativePrompt } : {}),
    width: recipe.width,
    height: recipe.height,
    steps: recipe.steps,
    guidance: recipe.guidance,
    sampler: recipe.sampler,
    ...(recipe.karras ? { karras: true } : {}),
    ...(recipe.timestepSpacing !== null ? { timestepSpacing: recipe.timestepSpacing } : {}),
    seed: recipe.seed,
    ...(names.source !== undefined ? { source: names.source } : {}),
    ...(recipe.strength !== undefined ? { strength: recipe.strength } : {}),
    ...(recipe.guidanceRescale !== undefined ? { guidanceRescale: recipe.guidanceRescale } : {}),
    ...(recipe.promptWeighting !== undefined ? { promptWeighting: recipe.promptWeighting } : {}),
    ...(names.refiner !== undefined ? { refiner: names.refiner } : {}),
    ...(recipe.refinerStart !== undefined ? { refinerStart: recipe.refinerStart } : {}),
    ...(recipe.aestheticScore !== undefined ? { aestheticScore: recipe.aestheticScore } : {}),
    ...(recipe.negativeAestheticScore !== undefined ? { negativeAestheticScore: recipe.negativeAestheticScore } : {}),
    ...(recipe.vaeTiling !== undefined ? { vaeTiling: { tileSize: recipe.vaeTiling.tileSize } } : {}),
    ...(recipe.tiling !== undefined ? { tiling: recipe.tiling } : {}),
    ...(recipe.background !== undefined ? { background: backgroundField(recipe.background) } : {}),
    // The recipe calls the exact size `output`; in an entry that is the file's path.
    ...(recipe.output !== undefined ? { exactSize: recipe.output } : {}),
    ...(recipe.pixelArt !== undefined ? { pixelArt: recipe.pixelArt } : {}),
  };
}

/** The recipe names a matting model by its folder's name: the catalog's id, or a folder for the user to place. */
function backgroundField({ matting, isolateSubject }: NonNullable<Recipe['background']>): BackgroundField {
  if (matting === DEFAULT_MATTING_MODEL && !isolateSubject) return 'transparent';
  return { mode: 'transparent', ...(isolateSubject ? { isolateSubject } : {}), ...(matting !== DEFAULT_MATTING_MODEL ? { matting } : {}) };
}

/** One line per entry, as the sample manifests write them, so a manifest stays easy to scan and diff. */
export function entryLine(entry: EntryFields): string {
  return `{ ${Object.entries(entry)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(', ')} }`;
}

/** A new manifest holding one entry. */
export function newManifestText(entry: EntryFields): string {
  return `{\n  "presets": {},\n  "assets": [\n    ${entryLine(entry)}\n  ]\n}\n`;
}

/** The edit that adds an entry at the end of a manifest's "assets": `length` characters at `offset` become `text`. */
export interface TextInsertion {
  offset: number;
  length: number;
  text: string;
}

/**
 * The insertion that appends `entry` to the manifest's "assets" array, indented like the entry
 * before it. Throws when the text is not a manifest with an "assets" array, or already has an
 * entry for the same output.
 */
export function appendEntry(text: string, entry: EntryFields): TextInsertion {
  const root = parseJsonTree(text);
  const assets = root.kind === 'object' ? root.members.find((m) => m.key === 'assets')?.value : undefined;
  if (assets?.kind !== 'array') throw new Error('The manifest has no "assets" array to add to; fix it first.');
  const taken = assets.items.find((item) => outputOf(item) === entry.output);
  if (taken) throw new Error(`The manifest already has an entry for ${String(entry.output)}.`);
  const last = assets.items[assets.items.length - 1];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (!last) {
    // The empty array's inside (spaces, line breaks) gives way to the entry on a line of its own.
    const indent = lineIndent(text, assets.start);
    return { offset: assets.start + 1, length: assets.end - assets.start - 2, text: `${eol}${indent}  ${entryLine(entry)}${eol}${indent}` };
  }
  return { offset: last.end, length: 0, text: `,${eol}${lineIndent(text, last.start)}${entryLine(entry)}` };
}

function outputOf(item: JsonNode): unknown {
  if (item.kind !== 'object') return undefined;
  const output = item.members.find((m) => m.key === 'output')?.value;
  return output?.kind === 'value' ? output.value : undefined;
}

function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}
