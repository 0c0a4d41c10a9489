import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { formatA1111Parameters } from '../../src/engine/image/a1111Parameters';
import { insertPngTextChunks, readPngTextChunks } from '../../src/engine/image/pngText';
import { readImageMetadata, readRecipeFromFile, serializeRecipe } from '../../src/engine/image/recipeMetadata';
import { encodeImage, writeImage } from '../../src/engine/image/writeImage';
import type { Recipe } from '../../src/protocol/recipe';
import { tempFolder } from '../support/tempFolder';

const root = tempFolder('sdxl-assets-image');
let folderCount = 0;
const freshFolder = () => {
  const dir = join(root, `case-${folderCount++}`);
  mkdirSync(dir);
  return dir;
};

const width = 24;
const height = 16;
const rgb = new Uint8Array(width * height * 3).map((_, i) => (i * 37 + (i >> 5) * 11) & 255);

const recipe: Recipe = {
  version: 1,
  model: 'sdxl-base-1.0',
  prompt: 'a red potion bottle, game icon, (glowing:1.2)',
  negativePrompt: 'blurry, text',
  width,
  height,
  steps: 30,
  guidance: 7,
  sampler: 'euler-a',
  karras: false,
  timestepSpacing: null,
  seed: 42,
};
const japanese: Recipe = { ...recipe, prompt: 'ドット絵の剣、ゲームアイコン', negativePrompt: 'ぼやけ' };

interface PngChunk {
  type: string;
  data: Buffer;
  crcOk: boolean;
}

function pngChunks(file: Buffer): PngChunk[] {
  const chunks: PngChunk[] = [];
  for (let offset = 8; offset < file.length; ) {
    const length = file.readUInt32BE(offset);
    const end = offset + 12 + length;
    chunks.push({
      type: file.toString('latin1', offset + 4, offset + 8),
      data: file.subarray(offset + 8, end - 4),
      crcOk: crc32(file.subarray(offset + 4, end - 4)) === file.readUInt32BE(end - 4),
    });
    offset = end;
  }
  return chunks;
}

async function rawPixels(path: string) {
  return sharp(path).raw().toBuffer({ resolveWithObject: true });
}

describe('PNG', () => {
  test('pixels, text chunks and recipe round-trip; the file stays valid', async () => {
    const path = join(freshFolder(), 'potion.png');
    await writeImage(path, rgb, width, height, { format: 'png', recipe });

    const { data, info } = await rawPixels(path);
    assert.equal((await sharp(path).metadata()).format, 'png');
    assert.deepEqual([info.width, info.height, info.channels], [width, height, 3]);
    assert.deepEqual(new Uint8Array(data), rgb);

    const file = readFileSync(path);
    const chunks = pngChunks(file);
    assert.ok(chunks.every((chunk) => chunk.crcOk));
    assert.deepEqual(chunks.slice(0, 3).map((chunk) => chunk.type), ['IHDR', 'tEXt', 'iTXt']);
    assert.ok(chunks.findIndex((chunk) => chunk.type === 'IDAT') > 2);
    assert.equal(chunks.at(-1)?.type, 'IEND');

    const texts = readPngTextChunks(file);
    assert.equal(texts.get('parameters'), formatA1111Parameters(recipe));
    assert.equal(texts.get('sdxl-assets-recipe'), serializeRecipe(recipe));
    assert.deepEqual(await readRecipeFromFile(path), recipe);
  });

  test('non-Latin-1 parameters go to iTXt as UTF-8', async () => {
    const path = join(freshFolder(), 'sword.png');
    await writeImage(path, rgb, width, height, { format: 'png', recipe: japanese });
    const chunks = pngChunks(readFileSync(path));
    assert.ok(chunks.every((chunk) => chunk.crcOk));
    const parameters = chunks.find((chunk) => chunk.data.toString('latin1').startsWith('parameters\0'));
    assert.equal(parameters?.type, 'iTXt');
    const metadata = await readImageMetadata(path);
    assert.deepEqual(metadata.recipe, japanese);
    assert.equal(metadata.parameters, formatA1111Parameters(japanese));
    assert.ok(metadata.parameters?.startsWith('ドット絵の剣'));
    await sharp(path).raw().toBuffer();
  });

  test('without a recipe there is no metadata', async () => {
    const path = join(freshFolder(), 'plain.png');
    await writeImage(path, rgb, width, height, { format: 'png' });
    assert.deepEqual(await readImageMetadata(path), { recipe: null, parameters: null });
  });

  test('inserting replaces earlier chunks with the same keyword', async () => {
    const png = await encodeImage(rgb, width, height, { format: 'png', recipe });
    const again = insertPngTextChunks(png, [{ keyword: 'parameters', text: 'café' }]);
    const chunks = pngChunks(again);
    assert.equal(chunks.filter((chunk) => chunk.data.toString('latin1').startsWith('parameters\0')).length, 1);
    const texts = readPngTextChunks(again);
    assert.equal(texts.get('parameters'), 'café');
    assert.equal(texts.get('sdxl-assets-recipe'), serializeRecipe(recipe));
    assert.deepEqual((await sharp(again).raw().toBuffer({ resolveWithObject: true })).info.width, width);
  });

  test('reads zTXt and compressed iTXt as other writers make them', async () => {
    const png = await encodeImage(rgb, width, height, { format: 'png' });
    const chunk = (type: string, data: Buffer) => {
      const out = Buffer.alloc(data.length + 12);
      out.writeUInt32BE(data.length);
      out.write(type, 4, 'latin1');
      data.copy(out, 8);
      out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
      return out;
    };
    const ztxt = chunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(Buffer.from('naïve', 'latin1'))]));
    const itxt = chunk(
      'iTXt',
      Buffer.concat([Buffer.from('Title\0\x01\0ja\0題\0', 'utf8'), deflateSync(Buffer.from('剣の絵', 'utf8'))]),
    );
    const ihdrEnd = 8 + 12 + 13;
    const withText = Buffer.concat([png.subarray(0, ihdrEnd), ztxt, itxt, png.subarray(ihdrEnd)]);
    const texts = readPngTextChunks(withText);
    assert.equal(texts.get('Comment'), 'naïve');
    assert.equal(texts.get('Title'), '剣の絵');
  });

  test('a text chunk with a bad CRC is an error', async () => {
    const png = Buffer.from(await encodeImage(rgb, width, height, { format: 'png', recipe }));
    const at = png.indexOf('parameters\0', 0, 'latin1') + 11;
    png[at] ^= 1;
    assert.throws(() => readPngTextChunks(png), /tEXt chunk "parameters" has a bad CRC/);
  });

  test('rejects bad keywords and NUL in text', async () => {
    const png = await encodeImage(rgb, width, height, { format: 'png' });
    assert.throws(() => insertPngTextChunks(png, [{ keyword: '', text: 'x' }]), /keyword/);
    assert.throws(() => insertPngTextChunks(png, [{ keyword: 'a'.repeat(80), text: 'x' }]), /keyword/);
    assert.throws(() => insertPngTextChunks(png, [{ keyword: ' lead', text: 'x' }]), /keyword/);
    assert.throws(() => insertPngTextChunks(png, [{ keyword: 'k', text: 'a\0b' }]), /NUL/);
  });
});

for (const format of ['webp', 'jpeg'] as const) {
  describe(format, () => {
    test('recipe in XMP and parameters in EXIF UserComment round-trip', async () => {
      const path = join(freshFolder(), `potion.${format}`);
      await writeImage(path, rgb, width, height, { format, recipe });
      const { format: written, width: w, height: h } = await sharp(path).metadata();
      assert.deepEqual([written, w, h], [format, width, height]);
      await rawPixels(path);
      const metadata = await readImageMetadata(path);
      assert.deepEqual(metadata.recipe, recipe);
      assert.equal(metadata.parameters, formatA1111Parameters(recipe));
    });

    test('a Japanese prompt survives in the recipe (EXIF keeps ASCII only)', async () => {
      const path = join(freshFolder(), `sword.${format}`);
      await writeImage(path, rgb, width, height, { format, recipe: japanese, quality: 80 });
      const metadata = await readImageMetadata(path);
      assert.deepEqual(metadata.recipe, japanese);
      assert.match(metadata.parameters ?? '', /^\?+/);
    });

    test('a parameters text ending in ")" is kept whole', async () => {
      const path = join(freshFolder(), `model.${format}`);
      const named = { ...recipe, model: 'sdxl (v1)' };
      await writeImage(path, rgb, width, height, { format, recipe: named });
      assert.equal((await readImageMetadata(path)).parameters, formatA1111Parameters(named));
    });

    test('quality changes the encoding', async () => {
      const low = await encodeImage(rgb, width, height, { format, quality: 10 });
      const high = await encodeImage(rgb, width, height, { format });
      assert.ok(low.length < high.length);
    });
  });
}

test('a recipe too large for JPEG metadata is an error, not a silent loss', async () => {
  const dir = freshFolder();
  const huge = { ...recipe, prompt: 'x'.repeat(70_000) };
  await assert.rejects(
    writeImage(join(dir, 'huge.jpg'), rgb, width, height, { format: 'jpeg', recipe: huge }),
    /too large for jpeg/,
  );
  assert.deepEqual(readdirSync(dir), []);
});

describe('atomic write', () => {
  test('leaves only the target, creating missing folders, and refuses to replace an old file', async () => {
    const dir = freshFolder();
    const path = join(dir, 'nested', 'deeper', 'icon.png');
    assert.equal(await writeImage(path, rgb, width, height, { format: 'png', recipe }), path);
    const before = readFileSync(path);
    await assert.rejects(
      writeImage(path, new Uint8Array(rgb.length), width, height, { format: 'png' }),
      (error: Error & { code?: string }) => error.code === 'EEXIST' && /icon\.png already exists and was not overwritten/.test(error.message),
    );
    assert.deepEqual(readdirSync(join(dir, 'nested', 'deeper')), ['icon.png']);
    assert.deepEqual(readFileSync(path), before);
  });

  test('replace (a manifest asset remade) swaps the file for the new one whole, leaving no temporary file', async () => {
    const dir = freshFolder();
    const path = join(dir, 'fox.png');
    writeFileSync(path, 'outdated');
    assert.equal(await writeImage(path, rgb, width, height, { format: 'png', recipe, ifExists: 'replace' }), path);
    assert.deepEqual(await readRecipeFromFile(path), recipe);
    assert.deepEqual(readdirSync(dir), ['fox.png']);
  });

  test('next-free moves on to stem-2, stem-3 and can start further on', async () => {
    const dir = freshFolder();
    const path = join(dir, 'fox.png');
    writeFileSync(path, 'precious');
    assert.equal(await writeImage(path, rgb, width, height, { format: 'png', ifExists: 'next-free' }), join(dir, 'fox-2.png'));
    assert.equal(await writeImage(path, rgb, width, height, { format: 'png', ifExists: 'next-free' }), join(dir, 'fox-3.png'));
    assert.equal(
      await writeImage(path, rgb, width, height, { format: 'png', ifExists: 'next-free', firstNumber: 5 }),
      join(dir, 'fox-5.png'),
    );
    assert.equal(readFileSync(path, 'utf8'), 'precious');
    assert.deepEqual(readdirSync(dir).sort(), ['fox-2.png', 'fox-3.png', 'fox-5.png', 'fox.png']);
  });

  test('many writers racing for one name each get their own file', async () => {
    const dir = freshFolder();
    const path = join(dir, 'race.png');
    const images = Array.from({ length: 12 }, (_, k) => new Uint8Array(rgb.length).fill(k * 20));
    const paths = await Promise.all(images.map((pixels) => writeImage(path, pixels, width, height, { format: 'png', ifExists: 'next-free' })));
    assert.equal(new Set(paths).size, images.length);
    assert.equal(readdirSync(dir).length, images.length);
    const firstBytes = await Promise.all(paths.map(async (p) => (await rawPixels(p)).data[0]));
    assert.deepEqual(firstBytes.sort((a, b) => a - b), images.map((pixels) => pixels[0]).sort((a, b) => a - b));
  });

  test('invalid dimensions leave neither target nor temporary file', async () => {
    const dir = freshFolder();
    const path = join(dir, 'bad.webp');
    await assert.rejects(writeImage(path, rgb, width + 1, height, { format: 'webp' }), /expected 1200 bytes/);
    await assert.rejects(writeImage(path, rgb, 0, height, { format: 'webp' }), /positive/);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a failed link removes the temporary file and keeps what was there', async () => {
    const dir = freshFolder();
    const target = join(dir, 'taken.png');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'x');
    await assert.rejects(writeImage(target, rgb, width, height, { format: 'png' }));
    assert.deepEqual(readdirSync(dir), ['taken.png']);
    assert.deepEqual(readdirSync(target), ['keep.txt']);
  });
});
