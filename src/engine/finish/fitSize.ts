import sharp, { type Sharp } from 'sharp';
import type { OutputSize } from '../../protocol/recipe';
import { EngineError } from '../errors';
import type { RawImage } from './rawImage';

/**
 * The picture at exactly `output.width` × `output.height`. cover scales until both sides are
 * filled and cuts the overflow around the focus; contain scales until both fit and pads with the
 * background; crop cuts the size out unscaled around the focus. Scaling is sharp's lanczos3.
 */
export async function fitToSize(image: RawImage, output: OutputSize): Promise<RawImage> {
  const { width, height, fit } = output;
  const [fx, fy] = output.focus ?? [0.5, 0.5];
  if (fit === 'crop') {
    if (width > image.width || height > image.height) {
      throw new EngineError(
        `crop cuts ${width}x${height} out of the generated ${image.width}x${image.height} without scaling; ask for a size within it or use cover.`,
        'bad-request',
      );
    }
    return raw(input(image).extract(window(fx, fy, image.width, image.height, width, height)), width, height);
  }
  const scale = fit === 'cover' ? Math.max(width / image.width, height / image.height) : Math.min(width / image.width, height / image.height);
  // Rounding may land a pixel short of the target side, which cover then could not fill.
  const side = (generated: number, target: number) => {
    const scaled = Math.max(1, Math.round(generated * scale));
    return fit === 'cover' ? Math.max(target, scaled) : Math.min(target, scaled);
  };
  const scaledWidth = side(image.width, width);
  const scaledHeight = side(image.height, height);
  const pipeline = input(image).resize(scaledWidth, scaledHeight, { fit: 'fill', kernel: 'lanczos3' });
  if (fit === 'cover') {
    return raw(pipeline.extract(window(fx, fy, scaledWidth, scaledHeight, width, height)), width, height);
  }
  const left = Math.floor((width - scaledWidth) / 2);
  const top = Math.floor((height - scaledHeight) / 2);
  const background = parseHexColor(output.background ?? '#ffffff');
  const padded = pipeline.extend({
    left,
    right: width - scaledWidth - left,
    top,
    bottom: height - scaledHeight - top,
    background: { r: background[0], g: background[1], b: background[2] },
  });
  return raw(padded, width, height);
}

/** The cut of `width` × `height` centred on the focus, moved inside the picture where the focus is near an edge. */
function window(fx: number, fy: number, fromWidth: number, fromHeight: number, width: number, height: number) {
  const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max);
  return {
    left: clamp(Math.round(fx * fromWidth - width / 2), fromWidth - width),
    top: clamp(Math.round(fy * fromHeight - height / 2), fromHeight - height),
    width,
    height,
  };
}

function input(image: RawImage): Sharp {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } });
}

async function raw(pipeline: Sharp, width: number, height: number): Promise<RawImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`resizing gave ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`);
  }
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** `#rrggbb` (or `rrggbb`) to its three bytes; anything else is refused with the text shown. */
export function parseHexColor(text: string): [number, number, number] {
  const match = /^#?([0-9a-f]{6})$/i.exec(text.trim());
  if (!match) throw new EngineError(`"${text}" is not a colour; write it as #rrggbb.`, 'bad-request');
  const value = parseInt(match[1], 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

export function formatHexColor([r, g, b]: readonly number[]): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
