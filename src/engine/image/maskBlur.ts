// diffusers' VaeImageProcessor.blur is PIL's ImageFilter.GaussianBlur(radius): Pillow approximates
// the Gaussian by three box blurs of a fractional radius per axis (Pillow's BoxBlur.c, after
// Gwosdek et al. 2011, "Theoretical foundations of Gaussian convolution by extended box
// filtering"), in 8-bit fixed point. This is that algorithm, so a blurred mask matches PIL's.
import type { GrayImage } from './maskImage';

const PASSES = 3;

/** The mask blurred as PIL's GaussianBlur(radius) blurs an "L" image; radius 0 returns it unchanged. */
export function gaussianBlurMask(image: GrayImage, radius: number): GrayImage {
  if (radius <= 0) return image;
  const box = extendedBoxRadius(radius);
  const { width, height } = image;
  let rows: Uint8Array = Uint8Array.from(image.data);
  for (let pass = 0; pass < PASSES; pass++) rows = blurLines(rows, width, height, box);
  let columns: Uint8Array = transpose(rows, width, height);
  for (let pass = 0; pass < PASSES; pass++) columns = blurLines(columns, height, width, box);
  return { data: transpose(columns, height, width), width, height };
}

/**
 * Pillow's _gaussian_blur_radius: the box radius l + a whose three passes have the Gaussian's
 * variance radius², in float32 as the C code computes it.
 */
export function extendedBoxRadius(radius: number): number {
  const f = Math.fround;
  const sigma2 = f(f(f(radius) * f(radius)) / PASSES);
  const boxLength = f(Math.sqrt(12 * sigma2 + 1));
  const whole = f(Math.floor((boxLength - 1) / 2));
  const a = f(f(2 * whole + 1) * f(f(whole * f(whole + 1)) - f(3 * sigma2)));
  const fraction = f(a / f(6 * f(sigma2 - f(f(whole + 1) * f(whole + 1)))));
  return f(whole + fraction);
}

/**
 * One box pass along every line: each output is the mean of the 2r+1 pixels around it plus the
 * fractional weight of the next one on each side, edge pixels repeating beyond the line
 * (Pillow's ImagingLineBoxBlur8 with its 24-bit weights ww and fw).
 */
function blurLines(data: Uint8Array, lineLength: number, lines: number, floatRadius: number): Uint8Array {
  const radius = Math.trunc(floatRadius);
  const ww = Math.trunc(Math.fround((1 << 24) / Math.fround(Math.fround(floatRadius * 2) + 1)));
  const fw = Math.trunc(((1 << 24) - (radius * 2 + 1) * ww) / 2);
  const last = lineLength - 1;
  const out = new Uint8Array(data.length);
  for (let line = 0; line < lines; line++) {
    const base = line * lineLength;
    const at = (x: number) => data[base + (x < 0 ? 0 : x > last ? last : x)];
    let acc = 0;
    for (let x = -radius; x <= radius; x++) acc += at(x);
    for (let x = 0; x < lineLength; x++) {
      if (x > 0) acc += at(x + radius) - at(x - radius - 1);
      const bulk = acc * ww + (at(x - radius - 1) + at(x + radius + 1)) * fw;
      out[base + x] = Math.floor((bulk + (1 << 23)) / (1 << 24));
    }
  }
  return out;
}

function transpose(data: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[x * height + y] = data[y * width + x];
  return out;
}
