import assert from 'node:assert/strict';
import sharp from 'sharp';

/** How far 8-bit RGB pixels are from a reference PNG's: the largest level difference and the share of values that differ. */
export async function uint8ErrorsAgainstPng(rgb: Uint8Array, png: string): Promise<{ worst: number; share: number }> {
  const expected = await sharp(png).removeAlpha().raw().toBuffer();
  assert.equal(rgb.length, expected.length, 'the file has the reference size');
  let worst = 0;
  let off = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(expected[i] - rgb[i]);
    worst = Math.max(worst, d);
    if (d > 0) off++;
  }
  return { worst, share: off / expected.length };
}
