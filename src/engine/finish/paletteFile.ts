import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { EngineError } from '../errors';
import { formatHexColor, parseHexColor } from './fitSize';
import { MAX_PALETTE_COLORS } from './palette';

/**
 * The colours of a palette file as `#rrggbb`, in the file's order: `.hex` (one `rrggbb` a line,
 * as Lospec publishes them) or `.gpl` (GIMP's palette: a `GIMP Palette` header, `Name:` and
 * `Columns:` lines, `#` comments, then `R G B name` rows).
 */
export async function readPaletteFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new EngineError(`Cannot read the palette file ${path}: ${(error as Error).message}`, 'image-input');
  }
  const ext = extname(path).toLowerCase();
  const colors = ext === '.gpl' ? gplColors(text, path) : ext === '.hex' ? hexColors(text, path) : undefined;
  if (colors === undefined) throw new EngineError(`${path}: a palette file is .hex or .gpl.`, 'image-input');
  if (colors.length === 0 || colors.length > MAX_PALETTE_COLORS) {
    throw new EngineError(`${path} holds ${colors.length} colours; a palette has 1 to ${MAX_PALETTE_COLORS}.`, 'image-input');
  }
  return colors;
}

function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line) => line.trim());
}

function hexColors(text: string, path: string): string[] {
  return lines(text)
    .filter((line) => line !== '' && !line.startsWith(';') && !line.startsWith('//'))
    .map((line, i) => {
      try {
        return formatHexColor(parseHexColor(line));
      } catch {
        throw new EngineError(`${path}: "${line}" (colour ${i + 1}) is not rrggbb.`, 'image-input');
      }
    });
}

function gplColors(text: string, path: string): string[] {
  const [header, ...rest] = lines(text);
  if (header !== 'GIMP Palette') throw new EngineError(`${path} does not start with "GIMP Palette".`, 'image-input');
  const colors: string[] = [];
  for (const line of rest) {
    if (line === '' || line.startsWith('#') || /^(Name|Columns):/i.test(line)) continue;
    const match = /^(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})(\s|$)/.exec(line);
    const channels = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [];
    if (channels.length !== 3 || channels.some((c) => c > 255)) {
      throw new EngineError(`${path}: "${line}" is not an "R G B name" row.`, 'image-input');
    }
    colors.push(formatHexColor(channels));
  }
  return colors;
}
