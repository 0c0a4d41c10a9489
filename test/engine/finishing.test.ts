import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { fitToSize } from '../../src/engine/finish/fitSize';
import { buildIco } from '../../src/engine/finish/ico';
import { mapToPalette, medianCutPalette } from '../../src/engine/finish/palette';
import { readPaletteFile } from '../../src/engine/finish/paletteFile';
import { downscaleNearest, toPixelArt } from '../../src/engine/finish/pixelArt';
import type { RawImage } from '../../src/engine/finish/rawImage';
import { formatA1111Parameters } from '../../src/engine/image/a1111Parameters';
import { parseRecipe, serializeRecipe } from '../../src/engine/image/recipeMetadata';
import { writeFileSet } from '../../src/engine/image/writeFileSet';
import type { Recipe } from '../../src/protocol/recipe';
import { distinctColors, readIco } from '../support/ico';
import { tempFolder } from '../support/tempFolder';

const work = tempFolder('sdxl-finishing');

/** A picture whose every pixel says where it is: red = x, green = y, blue = x + y. */
function gradient(width: number, height: number): RawImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set([x, y, (x + y) & 255], (y * width + x) * 3);
  }
  return { rgb, width, height };
}

const pixel = (image: RawImage, x: number, y: number) => [...image.rgb.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];

describe('exact output sizes', () => {
  test('crop cuts the asked window around the focus, unscaled, and keeps it inside the picture', async () => {
    const image = gradient(64, 48);
    const centred = await fitToSize(image, { width: 20, height: 10, fit: 'crop', focus: [0.5, 0.5] });
    assert.deepEqual([centred.width, centred.height], [20, 10]);
    assert.deepEqual(pixel(centred, 0, 0), [22, 19, 41]);
    const corner = await fitToSize(image, { width: 20, height: 10, fit: 'crop', focus: [1, 0] });
    assert.deepEqual(pixel(corner, 0, 0), [44, 0, 44]);
    await assert.rejects(fitToSize(image, { width: 80, height: 10, fit: 'crop' }), /without scaling/);
  });

  test('cover fills the size and keeps the focused side; contain pads with the background', async () => {
    const image = gradient(64, 32);
    const left = await fitToSize(image, { width: 16, height: 16, fit: 'cover', focus: [0, 0.5] });
    const right = await fitToSize(image, { width: 16, height: 16, fit: 'cover', focus: [1, 0.5] });
    assert.deepEqual([left.width, left.height], [16, 16]);
    // Scaled by 1/2: the left cut shows x from 0 to 31, the right one from 32 to 63.
    assert.ok(pixel(left, 8, 8)[0] < 32 && pixel(right, 8, 8)[0] >= 32, `${pixel(left, 8, 8)} ${pixel(right, 8, 8)}`);
    const contained = await fitToSize(image, { width: 40, height: 40, fit: 'contain', background: '#102030' });
    assert.deepEqual([contained.width, contained.height], [40, 40]);
    // 64x32 fits as 40x20, centred: rows 0–9 and 30–39 are padding.
    for (const y of [0, 9, 30, 39]) assert.deepEqual(pixel(contained, 20, y), [0x10, 0x20, 0x30], `row ${y}`);
    assert.notDeepEqual(pixel(contained, 20, 20), [0x10, 0x20, 0x30]);
  });
});

describe('palette and pixel art', () => {
  test('median cut gives at most k colours, the same ones every time, and the mapping uses only them', () => {
    const image = gradient(64, 64);
    const palette = medianCutPalette(image, 8);
    assert.equal(palette.length, 8);
    assert.deepEqual(medianCutPalette(image, 8), palette);
    const mapped = mapToPalette(image, palette);
    const allowed = new Set(palette.map((c) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`));
    for (const color of distinctColors(mapped.rgb, 3)) assert.ok(allowed.has(color), color);
    const two = { rgb: new Uint8Array([0, 0, 0, 0, 0, 0, 255, 255, 255]), width: 3, height: 1 };
    assert.deepEqual(medianCutPalette(two, 16), [[0, 0, 0], [255, 255, 255]]);
  });

  test('nearest-neighbour keeps the centre pixel of each block and never blends', () => {
    const image = gradient(12, 8);
    const small = downscaleNearest(image, 4);
    assert.deepEqual([small.width, small.height], [3, 2]);
    assert.deepEqual(pixel(small, 0, 0), pixel(image, 2, 2));
    assert.deepEqual(pixel(small, 2, 1), pixel(image, 10, 6));
    const art = toPixelArt(image, { factor: 2, palette: ['#000000', '#ffffff'] });
    assert.deepEqual([...distinctColors(art.rgb, 3)].sort(), ['#000000']);
  });

  test('.hex and .gpl palette files are read in order, bad rows named', async () => {
    const hex = join(work, 'p.hex');
    writeFileSync(hex, 'FF0044\r\n#29adff\n\n000000\n');
    assert.deepEqual(await readPaletteFile(hex), ['#ff0044', '#29adff', '#000000']);
    const gpl = join(work, 'p.gpl');
    writeFileSync(gpl, 'GIMP Palette\nName: two\nColumns: 2\n#\n255   0  77\tred\n  0 0 0 Black ink\n');
    assert.deepEqual(await readPaletteFile(gpl), ['#ff004d', '#000000']);
    writeFileSync(gpl, 'GIMP Palette\n300 0 0 too red\n');
    await assert.rejects(readPaletteFile(gpl), /"300 0 0 too red" is not an "R G B name" row/);
    writeFileSync(join(work, 'p.txt'), 'ff0044');
    await assert.rejects(readPaletteFile(join(work, 'p.txt')), /\.hex or \.gpl/);
  });
});

describe('favicon.ico', () => {
  test('holds each PNG whole behind a directory entry with its side, 256 written as 0', async () => {
    const pngs = await Promise.all(
      [16, 32, 256].map(async (size) => ({
        size,
        png: new Uint8Array(await sharp({ create: { width: size, height: size, channels: 3, background: '#336699' } }).png().toBuffer()),
      })),
    );
    const ico = buildIco(pngs);
    assert.equal(ico[6 + 32], 0, 'a 256 entry is written as 0');
    const entries = readIco(ico);
    assert.deepEqual(entries.map((e) => [e.size, e.planes, e.bitCount]), [[16, 1, 32], [32, 1, 32], [256, 1, 32]]);
    for (const [i, entry] of entries.entries()) {
      assert.deepEqual(entry.png, pngs[i].png);
      assert.equal((await sharp(entry.png).metadata()).width, pngs[i].size);
    }
  });
});

describe('writeFileSet', () => {
  test('a taken name leaves nothing of the set behind, and the taken file untouched', async () => {
    const folder = join(work, 'set');
    const first = [{ path: join(folder, 'a.png'), data: new Uint8Array([1]) }];
    await writeFileSet(first);
    const set = ['b.png', 'c.png', 'a.png', 'd.png'].map((name) => ({ path: join(folder, name), data: new Uint8Array([2]) }));
    await assert.rejects(writeFileSet(set), /a\.png already exists/);
    assert.deepEqual(readdirSync(folder), ['a.png']);
    assert.deepEqual([...readFileSync(join(folder, 'a.png'))], [1]);
  });

  test('a cancel before linking writes nothing', async () => {
    const folder = join(work, 'cancelled');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(writeFileSet([{ path: join(folder, 'x.png'), data: new Uint8Array([1]) }], controller.signal), /cancel/i);
    assert.ok(!existsSync(join(folder, 'x.png')));
    assert.deepEqual(existsSync(folder) ? readdirSync(folder) : [], []);
  });
});

describe('the recipe records the finishing steps', () => {
  const recipe: Recipe = {
    version: 1, model: 'tiny', prompt: 'a fox', negativePrompt: null, width: 64, height: 64, steps: 2, guidance: 5,
    sampler: 'euler', karras: false, timestepSpacing: null, seed: 3,
  };

  test('round-trips in a fixed key order; old recipes without them still read', () => {
    const finished: Recipe = {
      ...recipe,
      pixelArt: { palette: ['#000000', '#ffffff'], factor: 4 },
      output: { fit: 'cover', height: 20, width: 30, focus: [0.25, 0.5] },
    };
    const json = serializeRecipe(finished);
    assert.ok(json.endsWith('"output":{"width":30,"height":20,"fit":"cover","focus":[0.25,0.5]},"pixelArt":{"factor":4,"palette":["#000000","#ffffff"]}}'), json);
    assert.deepEqual(parseRecipe(json), finished);
    assert.deepEqual(parseRecipe(serializeRecipe(recipe)), recipe);
    assert.throws(() => parseRecipe(JSON.stringify({ ...recipe, output: { width: 30, height: 20, fit: 'stretch' } })), /recipe field "output"/);
    assert.throws(() => parseRecipe(JSON.stringify({ ...recipe, pixelArt: { factor: 2, colors: 8, palette: ['#000000'] } })), /recipe field "pixelArt"/);
  });

  test('the A1111 parameters line states them', () => {
    const text = formatA1111Parameters({ ...recipe, output: { width: 30, height: 20, fit: 'contain', background: '#ffffff' }, pixelArt: { factor: 4, colors: 16 } });
    assert.match(text, /, Output size: 30x20 contain on #ffffff, Pixel art: "4x nearest, 16 colours median cut"$/);
  });
});

describe('an alpha channel through the finishing steps', () => {
  /** Opaque red on the left half, transparent black on the right: a cut-out's edge at its hardest. */
  function halfCut(width: number, height: number): RawImage {
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width / 2; x++) rgba.set([255, 0, 0, 255], (y * width + x) * 4);
    }
    return { rgb: rgba, width, height, channels: 4 };
  }
  const rgbaAt = (image: RawImage, x: number, y: number) => [...image.rgb.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4)];

  test('scaling keeps RGBA and premultiplies: the edge fades in alpha, not into black', async () => {
    const image = halfCut(64, 32);
    for (const size of [{ width: 20, height: 10 }, { width: 150, height: 75 }]) {
      const scaled = await fitToSize(image, { ...size, fit: 'cover', focus: [0.5, 0.5] });
      assert.equal(scaled.channels, 4);
      assert.equal(scaled.rgb.length, size.width * size.height * 4);
      const partial = [];
      for (let x = 0; x < scaled.width; x++) {
        const [r, g, b, a] = rgbaAt(scaled, x, 5);
        if (a === 0 || a === 255) continue;
        partial.push(a);
        // Unpremultiplied blending would mix in the transparent pixels' black: r near a.
        assert.ok(r >= 250 && g <= 2 && b <= 2, `column ${x}: ${[r, g, b, a]}`);
      }
      assert.ok(partial.length >= 1, `the edge has partly transparent pixels at ${size.width}x${size.height}`);
    }
  });

  test('contain pads an RGBA picture with transparency, or with the colour given', async () => {
    const image = halfCut(64, 32);
    const clear = await fitToSize(image, { width: 40, height: 40, fit: 'contain' });
    const coloured = await fitToSize(image, { width: 40, height: 40, fit: 'contain', background: '#102030' });
    for (const y of [0, 9, 30, 39]) {
      assert.deepEqual(rgbaAt(clear, 5, y), [0, 0, 0, 0], `row ${y}`);
      assert.deepEqual(rgbaAt(coloured, 5, y), [0x10, 0x20, 0x30, 255], `row ${y}`);
    }
    assert.deepEqual(rgbaAt(clear, 5, 20), [255, 0, 0, 255]);
    const rgb = await fitToSize(gradient(64, 32), { width: 40, height: 40, fit: 'contain' });
    assert.equal(rgb.channels, undefined);
    assert.deepEqual(pixel(rgb, 5, 0), [255, 255, 255], 'an RGB picture still pads white');
  });

  test('pixel art: palette from the visible pixels only, alpha 0 or 255, transparent pixels black', () => {
    const width = 32;
    const height = 16;
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // Left: a visible gradient with alphas from 128 up; right: blue hidden under alpha below 128.
        const visible = x < width / 2;
        rgba.set(visible ? [x * 8, y * 8, 40, 128 + x * 8] : [0, 0, 255, x * 3], (y * width + x) * 4);
      }
    }
    const image: RawImage = { rgb: rgba, width, height, channels: 4 };
    const palette = medianCutPalette(image, 4);
    assert.equal(palette.length, 4);
    for (const [, , b] of palette) assert.equal(b, 40, 'no hidden blue in the palette');
    const art = toPixelArt(image, { factor: 2, colors: 4 });
    assert.deepEqual([art.width, art.height, art.channels], [16, 8, 4]);
    const allowed = new Set(palette.map((c) => c.join(',')));
    let opaque = 0;
    let clear = 0;
    for (let i = 0; i < art.rgb.length; i += 4) {
      const [r, g, b, a] = art.rgb.subarray(i, i + 4);
      if (a === 255) {
        opaque++;
        assert.ok(allowed.has([r, g, b].join(',')), `${[r, g, b]} is a palette colour`);
      } else {
        clear++;
        assert.deepEqual([r, g, b, a], [0, 0, 0, 0]);
      }
    }
    assert.deepEqual([opaque, clear], [64, 64], 'the left half stays, the right half is cut away');
    const given = toPixelArt(image, { factor: 4, palette: ['#000000', '#ffffff'] });
    assert.deepEqual(new Set([...given.rgb].filter((_, i) => i % 4 === 3)), new Set([0, 255]));
  });

  test('a picture with no visible pixel becomes an all-transparent sprite', () => {
    const image: RawImage = { rgb: new Uint8Array(8 * 8 * 4).fill(60), width: 8, height: 8, channels: 4 };
    assert.deepEqual(medianCutPalette(image, 8), []);
    const art = toPixelArt(image, { factor: 2, colors: 8 });
    assert.deepEqual([...new Set(art.rgb)], [0]);
    assert.equal(art.rgb.length, 4 * 4 * 4);
  });
});
