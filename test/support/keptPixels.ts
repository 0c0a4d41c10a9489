import assert from 'node:assert/strict';

/**
 * Where an inpainting mask keeps the picture (the blurred mask is 0): how many 8-bit RGB values there
 * are, and how many of them differ from the source's. Both pictures are interleaved RGB of the mask's size.
 */
export function keptValuesChanged(rgb: Uint8Array, source: Uint8Array, mask: Uint8Array): { kept: number; changed: number } {
  assert.equal(rgb.length, mask.length * 3, 'the picture has the mask size');
  assert.equal(source.length, rgb.length, 'the source has the picture size');
  let kept = 0;
  let changed = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== 0) continue;
    for (let c = 0; c < 3; c++) {
      kept++;
      if (rgb[i * 3 + c] !== source[i * 3 + c]) changed++;
    }
  }
  return { kept, changed };
}
