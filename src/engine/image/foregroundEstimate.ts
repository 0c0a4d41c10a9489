// Foreground colour behind semi-transparent edge pixels. An edge pixel of the generated image is
// a mix I = aF + (1 - a)B of the subject's colour F and the background's B; writing I with alpha
// a would composite the old background into every new one (the halo). The estimate here is
// Blur-Fusion (Forte & Pitié, "Approximate Fast Foreground Colour Estimation", ICIP 2021):
// blurred foreground and background colours from the pixels that are mostly one or the other,
// corrected by the residual of the compositing equation, run twice (wide, then narrow).

/** Window widths of the two passes, the paper's 90 and 6 pixels: a matte's soft edge is a few pixels wide at any image size. */
const PASSES = [90, 6] as const;
/** Keeps the blurred colour defined where the window holds no foreground (or no background) at all. */
const EPSILON = 1e-5;

/**
 * The foreground colour of each pixel, interleaved RGB in [0,1], from the image (interleaved RGB
 * in [0,1]) and its alpha (one value per pixel, [0,1]). Opaque pixels keep their colour exactly.
 */
export function estimateForeground(image: Float32Array, alpha: Float32Array, width: number, height: number): Float32Array {
  const pixels = width * height;
  if (image.length !== pixels * 3 || alpha.length !== pixels) {
    throw new Error(`expected ${pixels * 3} colour values and ${pixels} alpha values for ${width}x${height}`);
  }
  let foreground = image;
  let background = image;
  for (const window of PASSES) {
    const pass = blurFusionPass(image, alpha, foreground, background, width, height, window);
    foreground = pass.foreground;
    background = pass.background;
  }
  for (let i = 0; i < pixels; i++) {
    if (alpha[i] >= 1) for (let c = 0; c < 3; c++) foreground[i * 3 + c] = image[i * 3 + c];
  }
  return foreground;
}

function blurFusionPass(
  image: Float32Array,
  alpha: Float32Array,
  foreground: Float32Array,
  background: Float32Array,
  width: number,
  height: number,
  window: number,
): { foreground: Float32Array; background: Float32Array } {
  const pixels = width * height;
  const weightedF = new Float32Array(pixels * 3);
  const weightedB = new Float32Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const a = alpha[i];
    for (let c = 0; c < 3; c++) {
      weightedF[i * 3 + c] = foreground[i * 3 + c] * a;
      weightedB[i * 3 + c] = background[i * 3 + c] * (1 - a);
    }
  }
  const meanAlpha = boxMean(alpha, width, height, 1, window);
  const meanF = boxMean(weightedF, width, height, 3, window);
  const meanB = boxMean(weightedB, width, height, 3, window);
  const nextF = new Float32Array(pixels * 3);
  const nextB = new Float32Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const a = alpha[i];
    const blurredAlpha = meanAlpha[i];
    for (let c = 0; c < 3; c++) {
      const k = i * 3 + c;
      const f = meanF[k] / (blurredAlpha + EPSILON);
      const b = meanB[k] / (1 - blurredAlpha + EPSILON);
      // The compositing residual, given to the foreground in proportion to its share of the pixel.
      const corrected = f + a * (image[k] - a * f - (1 - a) * b);
      nextF[k] = corrected < 0 ? 0 : corrected > 1 ? 1 : corrected;
      nextB[k] = b;
    }
  }
  return { foreground: nextF, background: nextB };
}

/**
 * The mean over a window × window square around each pixel, interleaved channels, the square cut
 * at the image's borders (the mean is over the pixels inside): a pass along the rows, then one
 * along the columns.
 */
export function boxMean(values: Float32Array, width: number, height: number, channels: number, window: number): Float32Array {
  const half = Math.floor(window / 2);
  const rows = meanAlongLines(values, { lines: height, length: width, lineStep: width * channels, step: channels }, channels, half);
  return meanAlongLines(rows, { lines: width, length: height, lineStep: channels, step: width * channels }, channels, half);
}

interface Lines {
  lines: number;
  length: number;
  /** Where line k starts: k × lineStep (plus the channel). */
  lineStep: number;
  /** From one value of a line to the next. */
  step: number;
}

/** Each value replaced by the mean of the values within `half` of it on its line, by running sums. */
function meanAlongLines(values: Float32Array, { lines, length, lineStep, step }: Lines, channels: number, half: number): Float32Array {
  const out = new Float32Array(values.length);
  const sums = new Float64Array(length + 1);
  for (let line = 0; line < lines; line++) {
    for (let c = 0; c < channels; c++) {
      const first = line * lineStep + c;
      for (let i = 0; i < length; i++) sums[i + 1] = sums[i] + values[first + i * step];
      for (let i = 0; i < length; i++) {
        const from = Math.max(0, i - half);
        const to = Math.min(length, i + half + 1);
        out[first + i * step] = (sums[to] - sums[from]) / (to - from);
      }
    }
  }
  return out;
}
