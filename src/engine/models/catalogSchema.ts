import { EngineError } from '../errors';
import { SAMPLERS, TIMESTEP_SPACINGS, type SamplerName, type TimestepSpacing } from '../../protocol/recipe';

export const MODEL_FAMILIES = ['sdxl', 'sdxl-turbo', 'sdxl-refiner', 'sd-turbo', 'sd15', 'sd2'] as const;
export type CatalogFamily = (typeof MODEL_FAMILIES)[number];

export const PRECISIONS = ['fp32', 'fp16'] as const;
export const SPEED_CLASSES = ['fast', 'standard'] as const;

export interface CatalogEntry {
  id: string;
  displayName: string;
  description: string;
  family: CatalogFamily;
  /** Hugging Face repository, "org/name". */
  repo: string;
  /** A commit sha, or a branch or tag name when no commit is pinned. */
  revision: string;
  /** Folder inside the repository that holds the ONNX layout; "" for the repository's top. */
  pathPrefix: string;
  /** Single files to fetch, relative to the prefix. */
  files: string[];
  /** Folders fetched whole, relative to the prefix, minus `exclude`. */
  subfolders: string[];
  /** File-name patterns (`*`, `?`) left out: the PyTorch and OpenVINO weights that share the ONNX folders. */
  exclude: string[];
  precision: (typeof PRECISIONS)[number];
  /** Approximate download size, for choosing; the listing's sizes are what is checked. */
  sizeBytes: number;
  speedClass: (typeof SPEED_CLASSES)[number];
  licence: { name: string; url: string; nonCommercial: boolean };
  recommended: {
    width: number;
    height: number;
    steps: number;
    guidance: number;
    sampler: SamplerName;
    timestepSpacing: TimestepSpacing;
  };
  /** Where the entry's facts were read; for people keeping the catalog, never for behaviour. */
  checked?: CatalogChecks;
}

export interface CatalogChecks {
  /** The day the pages were read, YYYY-MM-DD. */
  date: string;
  pages: Array<{ url: string; confirms: string }>;
  /** Facts the pages did not settle, said rather than guessed. */
  unconfirmed: string[];
}

export type Json = Record<string, unknown>;

/**
 * Checks the catalog's shape field by field, so that a bad edit names the entry and the field
 * instead of surfacing later as an undefined somewhere in a download.
 */
export function parseCatalog(value: unknown, source: string): CatalogEntry[] {
  const fail = (where: string, problem: string): never => {
    throw new EngineError(`Model catalog ${source}: ${where} ${problem}`, 'bad-request');
  };
  if (!isObject(value)) return fail('the top level', 'must be an object with "version" and "models".');
  if (value.version !== 1) fail('"version"', `must be 1, got ${JSON.stringify(value.version)}.`);
  if (!Array.isArray(value.models) || value.models.length === 0) fail('"models"', 'must be a non-empty array.');
  const entries = (value.models as unknown[]).map((raw, index) => parseEntry(raw, index, fail));
  if (value.notListed !== undefined) checkNotListed(value.notListed, fail);
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) fail(`entry "${entry.id}"`, 'appears twice.');
    seen.add(entry.id);
  }
  return entries;
}

function parseEntry(raw: unknown, index: number, fail: (where: string, problem: string) => never): CatalogEntry {
  if (!isObject(raw)) return fail(`models[${index}]`, 'must be an object.');
  const name = typeof raw.id === 'string' && raw.id ? `entry "${raw.id}"` : `models[${index}]`;
  const field = new FieldReader(raw, (key, problem) => fail(`${name}, field "${key}"`, problem));
  const id = field.string('id', /^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"');
  const licence = field.object('licence');
  const recommended = field.object('recommended');
  const licenceField = new FieldReader(licence, (key, problem) => fail(`${name}, field "licence.${key}"`, problem));
  const recommendedField = new FieldReader(recommended, (key, problem) => fail(`${name}, field "recommended.${key}"`, problem));
  const checked = raw.checked === undefined ? undefined : parseChecks(raw.checked, (key, problem) => fail(`${name}, field "checked${key}"`, problem));
  return {
    id,
    displayName: field.string('displayName'),
    description: field.string('description'),
    family: field.choice('family', MODEL_FAMILIES),
    repo: field.string('repo', /^[\w.-]+\/[\w.-]+$/, '"org/name"'),
    revision: field.string('revision', /^[\w.\-/]+$/, 'a commit sha or a branch or tag name'),
    pathPrefix: field.relativePath('pathPrefix', true),
    files: field.paths('files'),
    subfolders: field.paths('subfolders'),
    exclude: field.strings('exclude'),
    precision: field.choice('precision', PRECISIONS),
    sizeBytes: field.number('sizeBytes', 1, Number.MAX_SAFE_INTEGER, true),
    speedClass: field.choice('speedClass', SPEED_CLASSES),
    licence: {
      name: licenceField.string('name'),
      url: licenceField.string('url', /^https:\/\/\S+$/, 'an https URL'),
      nonCommercial: licenceField.boolean('nonCommercial'),
    },
    recommended: {
      width: recommendedField.number('width', 64, 4096, true),
      height: recommendedField.number('height', 64, 4096, true),
      steps: recommendedField.number('steps', 1, 1000, true),
      guidance: recommendedField.number('guidance', 0, 100, false),
      sampler: recommendedField.choice('sampler', SAMPLERS),
      timestepSpacing: recommendedField.choice('timestepSpacing', TIMESTEP_SPACINGS),
    },
    ...(checked ? { checked } : {}),
  };
}

const HUB_PAGE = /^https:\/\/huggingface\.co\/\S+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The record of which stored Hub page confirmed what: pages are Hub URLs, each with what it showed. */
export function parseChecks(raw: unknown, fail: (key: string, problem: string) => never): CatalogChecks {
  if (!isObject(raw)) return fail('', `must be an object, got ${show(raw)}.`);
  const field = new FieldReader(raw, (key, problem) => fail(`.${key}`, problem));
  const date = field.string('date', DAY, 'a day, YYYY-MM-DD');
  if (!Array.isArray(raw.pages) || raw.pages.length === 0) fail('.pages', 'must be a non-empty array of { url, confirms }.');
  const pages = (raw.pages as unknown[]).map((page, index) => {
    if (!isObject(page)) return fail(`.pages[${index}]`, `must be an object, got ${show(page)}.`);
    const pageField = new FieldReader(page, (key, problem) => fail(`.pages[${index}].${key}`, problem));
    return { url: pageField.string('url', HUB_PAGE, 'a https://huggingface.co/ page'), confirms: pageField.string('confirms') };
  });
  return { date, pages, unconfirmed: raw.unconfirmed === undefined ? [] : field.strings('unconfirmed') };
}

/** Repositories looked at and left out, with why: validated so that the trail stays readable, never loaded. */
function checkNotListed(raw: unknown, fail: (where: string, problem: string) => never): void {
  if (!Array.isArray(raw)) fail('"notListed"', `must be an array, got ${show(raw)}.`);
  (raw as unknown[]).forEach((item, index) => {
    if (!isObject(item)) fail(`notListed[${index}]`, `must be an object, got ${show(item)}.`);
    const field = new FieldReader(item as Json, (key, problem) => fail(`notListed[${index}], field "${key}"`, problem));
    field.string('repo', /^[\w.-]+\/[\w.-]+$/, '"org/name"');
    field.string('reason');
    const pages = field.strings('pages');
    const bad = pages.find((url) => !HUB_PAGE.test(url));
    if (bad !== undefined) fail(`notListed[${index}], field "pages"`, `holds ${show(bad)}, which is not a https://huggingface.co/ page.`);
  });
}

export class FieldReader {
  constructor(
    private readonly fields: Json,
    private readonly fail: (key: string, problem: string) => never,
  ) {}

  string(key: string, pattern?: RegExp, patternText?: string): string {
    const value = this.fields[key];
    if (typeof value !== 'string' || value.trim() === '') return this.fail(key, `must be a non-empty string, got ${show(value)}.`);
    if (pattern && !pattern.test(value)) return this.fail(key, `must be ${patternText}, got ${show(value)}.`);
    return value;
  }

  strings(key: string): string[] {
    const value = this.fields[key];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
      return this.fail(key, `must be an array of non-empty strings, got ${show(value)}.`);
    }
    return value as string[];
  }

  /** Paths inside the repository: forward slashes, no "..", nothing absolute. */
  relativePath(key: string, allowEmpty: boolean): string {
    const value = this.fields[key];
    if (typeof value !== 'string' || (!allowEmpty && value === '') || !isSafeRelativePath(value, allowEmpty)) {
      return this.fail(key, `must be a relative path inside the repository with "/" and no "..", got ${show(value)}.`);
    }
    return value.replace(/\/+$/, '');
  }

  paths(key: string): string[] {
    const values = this.strings(key);
    const bad = values.find((value) => !isSafeRelativePath(value, false));
    if (bad !== undefined) this.fail(key, `holds ${show(bad)}, which is not a relative path inside the repository.`);
    return values.map((value) => value.replace(/\/+$/, ''));
  }

  number(key: string, min: number, max: number, integer: boolean): number {
    const value = this.fields[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      return this.fail(key, `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${show(value)}.`);
    }
    return value;
  }

  boolean(key: string): boolean {
    const value = this.fields[key];
    if (typeof value !== 'boolean') return this.fail(key, `must be true or false, got ${show(value)}.`);
    return value;
  }

  choice<T extends string>(key: string, choices: readonly T[]): T {
    const value = this.fields[key];
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      return this.fail(key, `must be one of ${choices.join(', ')}, got ${show(value)}.`);
    }
    return value as T;
  }

  object(key: string): Json {
    const value = this.fields[key];
    if (!isObject(value)) return this.fail(key, `must be an object, got ${show(value)}.`);
    return value;
  }
}

/** True for "a/b/c" style paths that stay inside the folder they are joined to. */
export function isSafeRelativePath(path: string, allowEmpty: boolean): boolean {
  if (path === '') return allowEmpty;
  if (path.startsWith('/') || path.includes('\\') || /^[a-zA-Z]:/.test(path)) return false;
  return path
    .replace(/\/+$/, '')
    .split('/')
    .every((part) => part !== '' && part !== '.' && part !== '..');
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
