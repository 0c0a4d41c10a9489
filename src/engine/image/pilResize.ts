// PIL's Image.resize with LANCZOS (the filter diffusers' VaeImageProcessor resamples with) or
// BICUBIC (PIL's default, which its fill mode's edge bands get). The algorithm of Pillow's
// Resample.c: per output pixel, the filter's weights over the source pixels its footprint covers
// (widened by the scale when shrinking), normalised, turned into 22-bit fixed point; a horizontal
// pass to 8 bits, then a vertical one. Written for 8-bit pictures of any channel count, so
// inpainting's crop is resized to the same bytes as in diffusers.

const PRECISION_BITS = 32 - 8 - 2;

/** Resample.c's filters: the kernel and its support in source pixels. */
const FILTERS = {
  lanczos: { support: 3, kernel: (x: number) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
  // Keys' cubic convolution with a = −0.5.
  bicubic: { support: 2, kernel: bicubic },
} as const;

export type ResizeFilter = keyof typeof FILTERS;

/** Interleaved 8-bit pixels of `channels` channels. */
export interface Pixels8 {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The source region resampled, in source pixels: PIL's `box`; absent, the whole picture. */
export interface ResizeBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function pilResize<T extends Pixels8>(image: T, width: number, height: number, filter: ResizeFilter = 'lanczos', box?: ResizeBox): T {
  const { x0, y0, x1, y1 } = box ?? { x0: 0, y0: 0, x1: image.width, y1: image.height };
  const channels = image.data.length / (image.width * image.height);
  const horizontal = weights(image.width, x0, x1, width, FILTERS[filter]);
  const vertical = weights(image.height, y0, y1, height, FILTERS[filter]);
  // Resample.c's need_horizontal and need_vertical, comparing the box's far edge with the output size as it does.
  const needHorizontal = width !== image.width || x0 !== 0 || x1 !== width;
  const needVertical = height !== image.height || y0 !== 0 || y1 !== height;
  // Only the source rows the vertical pass reads go through the horizontal one.
  const firstRow = vertical.bounds[0];
  const lastRow = vertical.bounds[(height - 1) * 2] + vertical.bounds[(height - 1) * 2 + 1];
  let rows = image.data;
  let rowCount = image.height;
  let rowOffset = 0;
  if (needHorizontal) {
    rowCount = lastRow - firstRow;
    rows = new Uint8Array(width * rowCount * channels);
    for (let y = 0; y < rowCount; y++) {
      const source = (y + firstRow) * image.width * channels;
      for (let x = 0; x < width; x++) {
        const [start, count] = [horizontal.bounds[x * 2], horizontal.bounds[x * 2 + 1]];
        for (let c = 0; c < channels; c++) {
          let sum = 1 << (PRECISION_BITS - 1);
          for (let k = 0; k < count; k++) sum += image.data[source + (start + k) * channels + c] * horizontal.kernel[x * horizontal.size + k];
          rows[(y * width + x) * channels + c] = clip8(sum);
        }
      }
    }
    rowOffset = firstRow;
  }
  if (!needVertical) return { ...image, data: needHorizontal ? rows : Uint8Array.from(rows), width, height };
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const [start, count] = [vertical.bounds[y * 2] - rowOffset, vertical.bounds[y * 2 + 1]];
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 1 << (PRECISION_BITS - 1);
        for (let k = 0; k < count; k++) sum += rows[((start + k) * width + x) * channels + c] * vertical.kernel[y * vertical.size + k];
        out[(y * width + x) * channels + c] = clip8(sum);
      }
    }
  }
  return { ...image, data: out, width, height };
}

/**
 * Resample.c's precompute_coeffs and normalize_coeffs_8bpc for one axis: each output pixel's first
 * source pixel and count, and its weights in fixed point, `size` per pixel.
 */
function weights(
  inSize: number,
  in0: number,
  in1: number,
  outSize: number,
  filter: { support: number; kernel: (x: number) => number },
): { bounds: Int32Array; kernel: Int32Array; size: number } {
  const scale = (in1 - in0) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kernel = new Int32Array(outSize * size);
  const k = new Float64Array(size);
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const min = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - min;
    let total = 0;
    for (let x = 0; x < count; x++) {
      k[x] = filter.kernel((x + min - center + 0.5) / filterScale);
      total += k[x];
    }
    for (let x = 0; x < count; x++) {
      const w = total !== 0 ? k[x] / total : k[x];
      kernel[xx * size + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = min;
    bounds[xx * 2 + 1] = count;
  }
  return { bounds, kernel, size };
}

function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function clip8(value: number): number {
  if (value >= 255 << PRECISION_BITS) return 255;
  if (value <= 0) return 0;
  return value >> PRECISION_BITS;
}
