import { existsSync } from 'node:fs';
import nodePath, { relative, resolve, sep } from 'node:path';
import { promptSlug } from '../engine/image/fileNames';

export interface NameValues {
  prompt: string;
  seed: number;
  model: string;
  date: Date;
  /** Image-to-image: the input picture's file name, for ${source}. */
  source?: string;
}

export const DEFAULT_TEMPLATE = '${prompt}-${seed}';
/** Image-to-image results say where they came from, whatever the template for new pictures. */
export const IMAGE_TO_IMAGE_TEMPLATE = '${source}-img2img-${seed}';

const EXTENSIONS = { png: 'png', webp: 'webp', jpeg: 'jpg' } as const;

/** Raised for settings that would put a file outside the workspace folder. */
export class OutputLocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputLocationError';
  }
}

/**
 * The file a new image goes to: `outputDirectory` (relative to the workspace folder) and
 * `fileNameTemplate` expanded, with -2, -3, … appended until the name is free. This is only the
 * name proposed: the engine creates the file exclusively and, when another window or process
 * took the name meanwhile, moves on to the next free one and reports the name it wrote. Variables: ${prompt} (slug), ${seed}, ${model}, ${date}, ${time},
 * ${counter} (the free-name counter itself, when the template wants it somewhere else), and
 * for image-to-image ${source} (the input's file name without its extension).
 * Values are slugs without separators; the template itself may contain `/` for
 * sub-folders, but nothing may resolve outside the workspace folder.
 */
export function outputPathFor(
  root: string,
  outputDirectory: string,
  template: string,
  values: NameValues,
  format: keyof typeof EXTENSIONS,
  taken: ReadonlySet<string> = new Set(),
): string {
  const folder = outputFolder(root, outputDirectory);
  const withCounter = template.includes('${counter}');
  for (let counter = 1; counter < 100_000; counter++) {
    const stem = expand(template || DEFAULT_TEMPLATE, values, counter);
    const suffix = !withCounter && counter > 1 ? `-${counter}` : '';
    const path = resolve(folder, `${stem}${suffix}.${EXTENSIONS[format]}`);
    ensureInside(root, path, `sdxlAssets.fileNameTemplate "${template}"`);
    if (!existsSync(path) && !taken.has(path)) return path;
  }
  throw new OutputLocationError(`No free file name for template "${template}" in ${folder}.`);
}

/** The output directory setting as a folder inside the workspace folder `root`; anything else is refused. */
export function outputFolder(root: string, outputDirectory: string): string {
  const folder = resolve(root, outputDirectory);
  ensureInside(root, folder, `sdxlAssets.outputDirectory "${outputDirectory}"`);
  return folder;
}

function expand(template: string, values: NameValues, counter: number): string {
  const iso = values.date.toISOString();
  const variables: Record<string, string> = {
    prompt: promptSlug(values.prompt),
    seed: String(values.seed),
    model: promptSlug(values.model, 64),
    date: iso.slice(0, 10),
    time: iso.slice(11, 19).replace(/:/g, ''),
    counter: String(counter),
  };
  if (values.source !== undefined) {
    const name = nodePath.basename(values.source);
    variables.source = promptSlug(name.slice(0, name.length - nodePath.extname(name).length));
  }
  return template.replace(/\$\{(\w+)\}/g, (match, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new OutputLocationError(`Unknown variable ${match} in sdxlAssets.fileNameTemplate.`);
    return value;
  });
}

function ensureInside(root: string, path: string, what: string): void {
  if (!isInside(root, path)) {
    throw new OutputLocationError(`${what} would write outside the workspace folder (${path}); use a path inside ${root}.`);
  }
}

/** Whether `path` is `folder` or lies below it; `pathApi` lets tests use Windows paths anywhere. */
export function isInside(folder: string, path: string, pathApi: typeof nodePath = nodePath): boolean {
  const rel = pathApi.relative(pathApi.resolve(folder), pathApi.resolve(path));
  return !(rel === '..' || rel.startsWith(`..${pathApi.sep}`) || pathApi.isAbsolute(rel));
}

/** `/`-separated path relative to the workspace folder, as shown to users and put into Markdown. */
export function workspaceRelative(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}
