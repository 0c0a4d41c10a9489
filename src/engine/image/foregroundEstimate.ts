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
 * at the image's borders (the mean is over the pixels inside). Two separable passes of running sums.
 */
export function boxMean(values: Float32Array, width: number, height: number, channels: number, window: number): Float32Array {
  const half = Math.floor(window / 2);
  const rows = new Float32Array(values.length);
  const line = new Float64Array(Math.max(width, height) + 1);
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < channels; c++) {
      line[0] = 0;
      for (let x = 0; x < width; x++) line[x + 1] = line[x] + values[(y * width + x) * channels + c];
      for (let x = 0; x < width; x++) {
        const from = Math.max(0, x - half);
        const to = Math.min(width, x + half + 1);
        rows[(y * width + x) * channels + c] = (line[to] - line[from]) / (to - from);
      }
    }
  }
  const out = new Float32Array(values.length);
  for (let x = 0; x < width; x++) {
    for (let c = 0; c < channels; c++) {
      line[0] = 0;
      for (let y = 0; y < height; y++) line[y + 1] = line[y] + rows[(y * width + x) * channels + c];
      for (let y = 0; y < height; y++) {
        const from = Math.max(0, y - half);
        const to = Math.min(height, y + half + 1);
        out[(y * width + x) * channels + c] = (line[to] - line[from]) / (to - from);
      }
    }
  }
  return out;
}
