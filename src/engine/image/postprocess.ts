// Conversions between the VAE's float tensors and 8-bit RGB, bit-exact with diffusers'
// VaeImageProcessor so that our PNGs equal the reference pipeline's byte for byte.

/**
 * The decoder output [1,3,H,W] mapped to [0,1] as float32 [H,W,3], as diffusers returns it for
 * output_type 'np'. The maths is torch's float32 `(x / 2 + 0.5).clamp(0, 1)`: halving is exact,
 * and rounding the double sum to float32 equals float32 addition (a double has more than twice
 * float32's precision, so rounding twice is harmless). NaN stays NaN; check with findNonFinite first.
 */
export function decodedToFloatHwc(decoded: Float32Array, width: number, height: number): Float32Array {
  const plane = pixelCount(width, height);
  if (decoded.length !== plane * 3) {
    throw new Error(`expected a [1,3,${height},${width}] tensor (${plane * 3} values), got ${decoded.length} values`);
  }
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let i = 0; i < plane; i++) {
      const value = Math.fround(decoded[offset + i] / 2 + 0.5);
      out[i * 3 + c] = value < 0 ? 0 : value > 1 ? 1 : value;
    }
  }
  return out;
}

/** The decoder output [1,3,H,W] as interleaved 8-bit RGB, exactly as diffusers' numpy_to_pil makes it. */
export function decodedToRgb(decoded: Float32Array, width: number, height: number): Uint8Array {
  return unitFloatToBytes(decodedToFloatHwc(decoded, width, height));
}

/**
 * numpy's `(x * 255).round().astype(uint8)` on a float32 array: the product is rounded to
 * float32 (numpy keeps float32 * int in float32), then to the nearest integer with ties to even.
 * Values outside [0,1] are the caller's bug; NaN becomes 0 by the typed-array conversion.
 */
export function unitFloatToBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundHalfToEven(Math.fround(values[i] * 255));
  return out;
}

function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Index of the first NaN or infinity, or -1. */
export function findNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) return i;
  }
  return -1;
}

/**
 * Interleaved 8-bit pixels to the VAE encoder's input [1,3,H,W] in [-1,1], as diffusers'
 * VaeImageProcessor.preprocess computes it in float32: `u8 / 255`, then `2 * x - 1`.
 * With 4 channels the image is first flattened onto white in 8 bits with the same truncating
 * formula as sharp's `flatten({ background: 'white' })`, so an RGBA input gives the model what
 * the flattened file would.
 */
export function rgbToModelInput(rgb: Uint8Array, width: number, height: number, channels: 3 | 4): Float32Array {
  const plane = pixelCount(width, height);
  if (rgb.length !== plane * channels) {
    throw new Error(`expected ${plane * channels} bytes for ${width}x${height}x${channels}, got ${rgb.length}`);
  }
  const toUnit = new Float32Array(256);
  for (let u = 0; u < 256; u++) toUnit[u] = Math.fround(2 * Math.fround(u / 255) - 1);
  const out = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    const alpha = channels === 4 ? rgb[i * 4 + 3] : 255;
    for (let c = 0; c < 3; c++) {
      const value = rgb[i * channels + c];
      out[c * plane + i] = toUnit[Math.floor((value * alpha + 255 * (255 - alpha)) / 255)];
    }
  }
  return out;
}

function pixelCount(width: number, height: number): number {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`image size must be positive whole numbers, got ${width}x${height}`);
  }
  return width * height;
}
