// AUTOMATIC1111's "parameters" text (its infotext), the de facto standard that image viewers,
// civitai and A1111's own PNG Info tab read. Mirrors modules/processing.py create_infotext and
// modules/infotext_utils.py parse_generation_parameters.
import { ISOLATE_SUBJECT_WORDS } from '../../protocol/background';
import type { Recipe, SamplerName } from '../../protocol/recipe';

const A1111_SAMPLERS: Record<SamplerName, string> = {
  euler: 'Euler',
  'euler-a': 'Euler a',
  ddim: 'DDIM',
  'dpmpp-2m': 'DPM++ 2M',
  lcm: 'LCM',
  pndm: 'PLMS',
};

/** A1111's re_param: `key: value` pairs, values JSON-quoted when they hold commas, colons or newlines. */
const PARAM_PATTERN = /\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

export function formatA1111Parameters(recipe: Recipe): string {
  const params: [string, string | number][] = [
    ['Steps', recipe.steps],
    ['Sampler', A1111_SAMPLERS[recipe.sampler]],
    ['Schedule type', scheduleType(recipe)],
    ['CFG scale', recipe.guidance],
    ['Seed', recipe.seed],
    ['Size', `${recipe.width}x${recipe.height}`],
    ['Model', recipe.model],
  ];
  // A1111 writes it for img2img only, after the model.
  if (recipe.strength !== undefined) params.push(['Denoising strength', recipe.strength]);
  // A1111's img2img inpainting keys (modules/img2img.py, processing.py): written when inpainting.
  if (recipe.mask !== undefined || recipe.outpaint !== undefined) {
    params.push(['Mask blur', recipe.maskBlur ?? 0]);
    if (recipe.inpaintArea === 'masked') {
      params.push(['Inpaint area', 'Only masked']);
      params.push(['Masked area padding', recipe.maskPadding ?? 0]);
    }
  }
  // Not an A1111 key (its outpainting scripts write none): the margins the canvas grew by.
  if (recipe.outpaint !== undefined) {
    const { left, top, right, bottom } = recipe.outpaint;
    params.push(['Outpaint', `${left} ${top} ${right} ${bottom}`]);
  }
  // A1111 1.6's refiner keys (modules/processing_scripts/refiner.py).
  if (recipe.refiner !== undefined) params.push(['Refiner', recipe.refiner]);
  if (recipe.refinerStart !== undefined) params.push(['Refiner switch at', recipe.refinerStart]);
  // A1111 writes "Tiling: True" for its (two-axis) tiling; one axis is written by its name.
  if (recipe.tiling !== undefined) params.push(['Tiling', recipe.tiling === 'both' ? 'True' : recipe.tiling]);
  if (recipe.provider !== undefined) params.push(['ONNX provider', recipe.provider.provider]);
  // Not A1111 keys: they say how the file differs from the picture the settings above make.
  if (recipe.output !== undefined) params.push(['Output size', outputText(recipe)]);
  if (recipe.pixelArt !== undefined) {
    const { factor, colors, palette } = recipe.pixelArt;
    params.push(['Pixel art', `${factor}x nearest, ${palette ? `palette ${palette.join(' ')}` : `${colors} colours median cut`}`]);
  }
  if (recipe.background !== undefined) {
    params.push(['Background', `${recipe.background.mode} (${recipe.background.matting})`]);
    if (recipe.background.isolateSubject) params.push(['Isolate subject prompt', ISOLATE_SUBJECT_WORDS]);
  }
  const line = params.map(([key, value]) => `${key}: ${quote(String(value))}`).join(', ');
  const negative = recipe.negativePrompt ? `\nNegative prompt: ${recipe.negativePrompt}` : '';
  return `${recipe.prompt}${negative}\n${line}`.trim();
}

function outputText({ output, background }: Recipe): string {
  if (!output) return '';
  const padding = output.background ?? (background ? 'transparent' : '#ffffff');
  const where = output.fit === 'contain' ? ` on ${padding}` : output.focus ? ` at ${output.focus.join(' ')}` : '';
  return `${output.width}x${output.height} ${output.fit}${where}`;
}

/**
 * Since A1111 1.9 "Automatic" means the sampler's own default, which is Karras for DPM++ 2M;
 * "Uniform" is what Automatic means for the other samplers.
 */
function scheduleType(recipe: Recipe): string {
  if (recipe.karras) return 'Karras';
  return recipe.sampler === 'dpmpp-2m' ? 'Uniform' : 'Automatic';
}

function quote(value: string): string {
  // json.dumps(ensure_ascii=False) and JSON.stringify escape the same characters.
  return /[,:\n]/.test(value) ? JSON.stringify(value) : value;
}

/**
 * The settings an A1111 infotext states, for prefilling a generation. Keys that are missing,
 * malformed or name something we cannot reproduce (another sampler) are left out; the model is
 * left out because A1111 checkpoint names do not name our model folders.
 */
export function parseA1111Parameters(text: string): Partial<Recipe> {
  const lines = text.replace(/\r\n?/g, '\n').trim().split('\n');
  let paramLine = lines.pop() ?? '';
  if ([...paramLine.matchAll(PARAM_PATTERN)].length < 3) {
    lines.push(paramLine);
    paramLine = '';
  }

  let prompt = '';
  let negative = '';
  let inNegative = false;
  for (const raw of lines) {
    let line = raw.trim();
    if (line.startsWith('Negative prompt:')) {
      inNegative = true;
      line = line.slice('Negative prompt:'.length).trim();
    }
    if (inNegative) negative += (negative === '' ? '' : '\n') + line;
    else prompt += (prompt === '' ? '' : '\n') + line;
  }

  const params = new Map<string, string>();
  for (const [, key, value] of paramLine.matchAll(PARAM_PATTERN)) params.set(key, unquote(value.trim()));

  // A1111 encodes an empty negative prompt as zeroed embeddings for SDXL, which is our null.
  const result: Partial<Recipe> = { prompt, negativePrompt: negative === '' ? null : negative };
  const steps = wholeNumber(params.get('Steps'));
  if (steps !== undefined && steps >= 1) result.steps = steps;
  const guidance = params.get('CFG scale');
  if (guidance !== undefined && /^\d+(\.\d+)?(e[-+]?\d+)?$/i.test(guidance)) result.guidance = Number(guidance);
  const seed = wholeNumber(params.get('Seed'));
  if (seed !== undefined) result.seed = seed;
  const size = /^(\d+)x(\d+)$/.exec(params.get('Size') ?? '');
  if (size) {
    result.width = Number(size[1]);
    result.height = Number(size[2]);
  }
  Object.assign(result, parseSampler(params.get('Sampler'), params.get('Schedule type')));
  const tiling = params.get('Tiling');
  if (tiling === 'True') result.tiling = 'both';
  else if (tiling === 'x' || tiling === 'y') result.tiling = tiling;
  return result;
}

function parseSampler(name: string | undefined, schedule: string | undefined): Partial<Recipe> {
  if (name === undefined) return {};
  // Before 1.9 the schedule was part of the sampler name ("DPM++ 2M Karras").
  const legacyKarras = / karras$/i.test(name);
  const base = legacyKarras ? name.slice(0, -' karras'.length) : name;
  const entry = Object.entries(A1111_SAMPLERS).find(([, label]) => label.toLowerCase() === base.toLowerCase());
  if (!entry) return {};
  const sampler = entry[0] as SamplerName;
  const karras =
    legacyKarras || schedule === 'Karras' || (schedule === 'Automatic' && sampler === 'dpmpp-2m');
  return { sampler, karras };
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}
