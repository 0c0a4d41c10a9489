/**
 * Planar float channels [C,H,W] resized to [C,toHeight,toWidth] by bilinear interpolation with
 * pixel centres at half-integers, the sampling of torch's F.interpolate(mode='bilinear',
 * align_corners=False), which BiRefNet's own inference uses to bring its mask back to the image.
 * Not antialiased: shrinking by more than 2× skips pixels.
 */
export function resizeBilinear(
  planes: Float32Array,
  channels: number,
  width: number,
  height: number,
  toWidth: number,
  toHeight: number,
): Float32Array {
  if (planes.length !== channels * width * height) {
    throw new Error(`expected ${channels * width * height} values for ${channels}x${height}x${width}, got ${planes.length}`);
  }
  if (toWidth === width && toHeight === height) return planes.slice();
  const xs = samplePositions(width, toWidth);
  const ys = samplePositions(height, toHeight);
  const out = new Float32Array(channels * toWidth * toHeight);
  for (let c = 0; c < channels; c++) {
    const plane = c * width * height;
    const target = c * toWidth * toHeight;
    for (let y = 0; y < toHeight; y++) {
      const { low: y0, high: y1, weight: wy } = ys[y];
      for (let x = 0; x < toWidth; x++) {
        const { low: x0, high: x1, weight: wx } = xs[x];
        const top = planes[plane + y0 * width + x0] * (1 - wx) + planes[plane + y0 * width + x1] * wx;
        const bottom = planes[plane + y1 * width + x0] * (1 - wx) + planes[plane + y1 * width + x1] * wx;
        out[target + y * toWidth + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

interface Sample {
  low: number;
  high: number;
  weight: number;
}

function samplePositions(from: number, to: number): Sample[] {
  const scale = from / to;
  return Array.from({ length: to }, (_, i) => {
    const source = Math.max(0, (i + 0.5) * scale - 0.5);
    const low = Math.min(Math.floor(source), from - 1);
    const high = Math.min(low + 1, from - 1);
    return { low, high, weight: source - low };
  });
}
