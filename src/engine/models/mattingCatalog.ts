import { EngineError } from '../errors';
import { type CatalogChecks, FieldReader, isObject, parseChecks } from './catalogSchema';
import { readMattingFolder } from './mattingFolder';
import { readDownloadRecord, storedModelDir } from './modelStore';

/**
 * A background-matting model in the catalog (models.json's "matting" list): single files from a
 * Hub repository, the ONNX model and its preprocessor_config.json, downloaded like the diffusion
 * models into a folder that readMattingFolder reads.
 */
export interface MattingEntry {
  kind: 'matting';
  id: string;
  displayName: string;
  description: string;
  repo: string;
  revision: string;
  /** Always "": the files are named from the repository's top. */
  pathPrefix: '';
  /** The ONNX file and preprocessor_config.json, relative to the repository's top. */
  files: string[];
  subfolders: [];
  exclude: [];
  sizeBytes: number;
  licence: { name: string; url: string; nonCommercial: boolean };
  checked?: CatalogChecks;
}

/** The "matting" list of a catalog, checked field by field; a catalog without one has none. */
export function parseMattingCatalog(value: unknown, source: string): MattingEntry[] {
  const fail = (where: string, problem: string): never => {
    throw new EngineError(`Model catalog ${source}: ${where} ${problem}`, 'bad-request');
  };
  if (!isObject(value) || value.matting === undefined) return [];
  if (!Array.isArray(value.matting)) return fail('"matting"', 'must be an array.');
  const entries = (value.matting as unknown[]).map((raw, index) => {
    if (!isObject(raw)) return fail(`matting[${index}]`, 'must be an object.');
    const name = typeof raw.id === 'string' && raw.id ? `matting entry "${raw.id}"` : `matting[${index}]`;
    const field = new FieldReader(raw, (key, problem) => fail(`${name}, field "${key}"`, problem));
    const licence = new FieldReader(field.object('licence'), (key, problem) => fail(`${name}, field "licence.${key}"`, problem));
    const files = field.paths('files');
    if (!files.some((file) => file.endsWith('.onnx')) || !files.some((file) => file.endsWith('preprocessor_config.json'))) {
      fail(`${name}, field "files"`, 'must name the .onnx model and its preprocessor_config.json.');
    }
    const checked = raw.checked === undefined ? undefined : parseChecks(raw.checked, (key, problem) => fail(`${name}, field "checked${key}"`, problem));
    const entry: MattingEntry = {
      kind: 'matting',
      id: field.string('id', /^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
      displayName: field.string('displayName'),
      description: field.string('description'),
      repo: field.string('repo', /^[\w.-]+\/[\w.-]+$/, '"org/name"'),
      revision: field.string('revision', /^[\w.\-/]+$/, 'a commit sha or a branch or tag name'),
      pathPrefix: '',
      files,
      subfolders: [],
      exclude: [],
      sizeBytes: field.number('sizeBytes', 1, Number.MAX_SAFE_INTEGER, true),
      licence: { name: licence.string('name'), url: licence.string('url', /^https:\/\/\S+$/, 'an https URL'), nonCommercial: licence.boolean('nonCommercial') },
      ...(checked ? { checked } : {}),
    };
    return entry;
  });
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) fail(`matting entry "${entry.id}"`, 'appears twice.');
    seen.add(entry.id);
  }
  return entries;
}

/** The folder of a matting model downloaded already (any revision), or undefined. */
export function locateMattingModel(entry: MattingEntry, modelsDir: string): string | undefined {
  const dir = storedModelDir(modelsDir, entry);
  const record = readDownloadRecord(dir);
  if (!record?.complete || record.id !== entry.id) return undefined;
  try {
    readMattingFolder(dir);
    return dir;
  } catch {
    return undefined;
  }
}
