import sharp, { type Sharp } from 'sharp';
import type { OutputSize } from '../../protocol/recipe';
import { EngineError } from '../errors';
import { channelsOf, type RawImage } from './rawImage';

/**
 * The picture at exactly `output.width` × `output.height`. cover scales until both sides are
 * filled and cuts the overflow around the focus; contain scales until both fit and pads with the
 * background (transparent for an RGBA picture unless a colour is given); crop cuts the size out
 * unscaled around the focus. Scaling is sharp's lanczos3, which premultiplies an alpha channel
 * first, so transparent pixels lend no colour to the edge.
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
    return raw(input(image).extract(window(fx, fy, image.width, image.height, width, height)), width, height, channelsOf(image));
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
    return raw(pipeline.extract(window(fx, fy, scaledWidth, scaledHeight, width, height)), width, height, channelsOf(image));
  }
  const left = Math.floor((width - scaledWidth) / 2);
  const top = Math.floor((height - scaledHeight) / 2);
  const padded = pipeline.extend({
    left,
    right: width - scaledWidth - left,
    top,
    bottom: height - scaledHeight - top,
    background: paddingColor(output.background, channelsOf(image)),
  });
  return raw(padded, width, height, channelsOf(image));
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

/** A given colour pads opaque; without one an RGBA picture pads with transparency and an RGB one with white. */
function paddingColor(background: string | undefined, channels: 3 | 4): { r: number; g: number; b: number; alpha: number } {
  if (background === undefined && channels === 4) return { r: 0, g: 0, b: 0, alpha: 0 };
  const [r, g, b] = parseHexColor(background ?? '#ffffff');
  return { r, g, b, alpha: 1 };
}

function input(image: RawImage): Sharp {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: channelsOf(image) } });
}

async function raw(pipeline: Sharp, width: number, height: number, channels: 3 | 4): Promise<RawImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== channels) {
    throw new Error(`resizing gave ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x${channels}`);
  }
  const rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return channels === 4 ? { rgb, width, height, channels } : { rgb, width, height };
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
