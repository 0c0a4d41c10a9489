import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { parseLock } from '../../src/engine/manifest/manifestLock';
import { runCli } from '../support/cli';
import { repoRoot } from '../support/shared';
import { writeTinyMatting } from '../support/tinyMatting';
import { buildTinySdxl } from '../support/tinyModels';

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'manifest-project');
const OUTPUTS = ['icons/fox.png', 'icons/owl.png', 'banners/forest.webp', 'icons/fox-night.png', 'sprites/fox.png'];

let work = '';
let model = '';
const env = () => ({ SDXL_ASSETS_HASH_CACHE: join(work, 'file-hashes.json') });

before(() => {
  work = mkdtempSync(join(tmpdir(), 'sdxl-build-'));
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});

after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the sample project with the tiny model inside it, where the manifest's presets look for it. */
function project(name: string): string {
  const dir = join(work, name);
  cpSync(FIXTURE, dir, { recursive: true });
  cpSync(model, join(dir, 'models', 'tiny-sdxl'), { recursive: true });
  return dir;
}

const build = (dir: string, args: string[] = [], options: { signalAfterStderr?: RegExp } = {}) =>
  runCli(['build', ...args], { cwd: dir, env: env(), ...options });

const lines = (text: string) => text.trim().split('\n').filter((l) => l !== '');
const mtimes = (dir: string) => OUTPUTS.map((o) => statSync(join(dir, o)).mtimeMs);
const editManifest = (dir: string, edit: (text: string) => string) => {
  const path = join(dir, 'assets.sdxl.json');
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
};
/** Files a build must never leave behind: temporary images, claims, the lock's claim. */
const leftovers = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(tmp|building|claim)$/.test(f));

describe('sdxl-assets build', () => {
  let dir = '';
  before(() => {
    dir = project('main');
  });

  test('makes every asset of the manifest, presets applied, and records seeds and model hashes in the lock', async () => {
    const result = await build(dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout).sort(), OUTPUTS.map((o) => join(...o.split('/'))).sort());
    assert.match(result.stderr, /5 built, 0 up to date/);
    const fox = await readRecipeFromFile(join(dir, 'icons/fox.png'));
    assert.deepEqual([fox?.prompt, fox?.width, fox?.height, fox?.steps, fox?.sampler, fox?.negativePrompt, fox?.seed], ['a red fox, flat icon', 32, 32, 2, 'euler', 'blurry, text', 7]);
    const forest = await readRecipeFromFile(join(dir, 'banners/forest.webp'));
    assert.deepEqual([forest?.width, forest?.height, forest?.steps, forest?.guidance, forest?.sampler, forest?.seed], [64, 32, 3, 3, 'euler-a', 11]);
    const night = await readRecipeFromFile(join(dir, 'icons/fox-night.png'));
    assert.deepEqual([night?.initImage, night?.strength, night?.steps], ['icons/fox.png', 0.5, 4]);
    const lock = parseLock(readFileSync(join(dir, 'assets.sdxl.lock.json'), 'utf8'), 'lock');
    const owl = await readRecipeFromFile(join(dir, 'icons/owl.png'));
    assert.equal(lock.assets['icons/owl.png']?.seed, owl?.seed, 'the drawn seed is kept in the lock');
    assert.equal(lock.models['models/tiny-sdxl']?.name, 'tiny-sdxl');
    assert.match(lock.models['models/tiny-sdxl']?.files['unet/model.onnx'] ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(leftovers(dir), []);
  });

  test('a second build makes nothing and touches no file; --check passes', async () => {
    const before = mtimes(dir);
    const result = await build(dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /0 built, 5 up to date/);
    assert.deepEqual(mtimes(dir), before);
    const check = await build(dir, ['--check']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stderr, /all 5 assets are up to date/);
  });

  test('editing one prompt: --check fails naming that entry, build remakes exactly it with its locked seed', async () => {
    const lockBefore = parseLock(readFileSync(join(dir, 'assets.sdxl.lock.json'), 'utf8'), 'lock');
    const before = mtimes(dir);
    editManifest(dir, (text) => text.replace('an owl, flat icon', 'a snowy owl, flat icon'));
    const check = await build(dir, ['--check']);
    assert.equal(check.code, 3, check.stderr);
    assert.deepEqual(lines(check.stdout), [
      'stale icons/owl.png: prompt changed: the file has "an owl, flat icon", the manifest says "a snowy owl, flat icon"',
    ]);
    assert.match(check.stderr, /1 of 5 assets are stale/);
    assert.deepEqual(mtimes(dir), before, '--check makes nothing');

    const result = await build(dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [join('icons', 'owl.png')]);
    assert.match(result.stderr, /1 built, 4 up to date/);
    const after = mtimes(dir);
    assert.deepEqual(after.filter((_, i) => i !== 1), before.filter((_, i) => i !== 1));
    const owl = await readRecipeFromFile(join(dir, 'icons/owl.png'));
    assert.equal(owl?.prompt, 'a snowy owl, flat icon');
    assert.equal(owl?.seed, lockBefore.assets['icons/owl.png']?.seed);
    assert.equal((await build(dir, ['--check'])).code, 0);
  });

  test("an asset made from another is stale when its source is; PATH arguments build only what they name (and its sources)", async () => {
    editManifest(dir, (text) => text.replace('"a red fox, flat icon"', '"a red fox, flat icon, bold"').replace('"a pine forest at dusk"', '"a pine forest at dawn"'));
    const check = await build(dir, ['--check']);
    assert.equal(check.code, 3);
    assert.deepEqual(lines(check.stdout).map((l) => l.split(':')[0]), ['stale icons/fox.png', 'stale banners/forest.webp', 'stale icons/fox-night.png']);
    assert.match(check.stdout, /fox-night\.png: its source icons\/fox\.png is rebuilt first/);
    const result = await build(dir, ['icons/fox-night.png']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [join('icons', 'fox.png'), join('icons', 'fox-night.png')]);
    const still = await build(dir, ['--check']);
    assert.deepEqual(lines(still.stdout), ['stale banners/forest.webp: prompt changed: the file has "a pine forest at dusk", the manifest says "a pine forest at dawn"']);
    assert.equal((await build(dir, ['banners'])).code, 0);
    assert.equal((await build(dir, ['--check'])).code, 0);
  });

  test('removing a setting the asset was built with makes it stale: the model default applies now', async () => {
    editManifest(dir, (text) => text.replace('"steps": 4, ', ''));
    const check = await build(dir, ['--check', 'icons/fox-night.png']);
    assert.equal(check.code, 3);
    assert.match(check.stdout, /fox-night\.png: steps changed: the file has 4, the manifest says 2/);
    editManifest(dir, (text) => text.replace('"preset": "icon", "seed": 3', '"preset": "icon", "steps": 4, "seed": 3'));
  });

  test("post-processing: the preset's exact size and palette file make the file; a changed fit or palette rebuilds exactly that asset", async () => {
    const sprite = join(dir, 'sprites/fox.png');
    const made = await readRecipeFromFile(sprite);
    assert.deepEqual(made?.output, { width: 12, height: 8, fit: 'cover', focus: [0.5, 0.5] });
    assert.deepEqual(made?.pixelArt, { factor: 2, palette: ['#1a1c2c', '#b13e53', '#f4b41a', '#41a6f6'] });
    assert.deepEqual([made?.width, made?.height], [32, 32], 'the recipe keeps the generated size');
    const pixels = await sharp(sprite).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([pixels.info.width, pixels.info.height], [12, 8]);
    const colours = new Set<string>();
    for (let i = 0; i < pixels.data.length; i += 3) colours.add(`#${[...pixels.data.subarray(i, i + 3)].map((c) => c.toString(16).padStart(2, '0')).join('')}`);
    assert.ok([...colours].every((c) => made?.pixelArt?.palette?.includes(c)), `colours outside the palette: ${[...colours].join(', ')}`);

    const before = mtimes(dir);
    editManifest(dir, (text) => text.replace('"fit": "cover"', '"fit": "contain"'));
    const check = await build(dir, ['--check']);
    assert.equal(check.code, 3);
    assert.deepEqual(lines(check.stdout), [
      'stale sprites/fox.png: exactSize changed: the file has {"width":12,"height":8,"fit":"cover","focus":[0.5,0.5]}, the manifest says {"width":12,"height":8,"fit":"contain","background":"#ffffff"}',
    ]);
    const result = await build(dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [join('sprites', 'fox.png')]);
    const sprite2 = await readRecipeFromFile(sprite);
    assert.deepEqual(sprite2?.output, { width: 12, height: 8, fit: 'contain', background: '#ffffff' });
    assert.equal(sprite2?.seed, 5);
    assert.deepEqual((await sharp(sprite).metadata()).width, 12);
    const after = mtimes(dir);
    assert.deepEqual(after.slice(0, 4), before.slice(0, 4), 'the other assets are left alone');

    writeFileSync(join(dir, 'palettes/four.hex'), '1a1c2c\nb13e53\nf4b41a\n38b764\n');
    const paletteCheck = await build(dir, ['--check']);
    assert.equal(paletteCheck.code, 3);
    assert.match(paletteCheck.stdout, /^stale sprites\/fox\.png: pixelArt changed: /);
    assert.equal(lines(paletteCheck.stdout).length, 1);
    assert.equal((await build(dir)).code, 0);
    assert.deepEqual((await readRecipeFromFile(sprite))?.pixelArt?.palette, ['#1a1c2c', '#b13e53', '#f4b41a', '#38b764']);
    assert.equal((await build(dir, ['--check'])).code, 0);
  });

  test('changed model files make every asset of that model stale', async () => {
    const project2 = project('model-change');
    assert.equal((await build(project2, ['icons/fox.png'])).code, 0);
    const config = join(project2, 'models/tiny-sdxl/scheduler/scheduler_config.json');
    writeFileSync(config, `${readFileSync(config, 'utf8')}\n`);
    const check = await build(project2, ['--check', 'icons/fox.png']);
    assert.equal(check.code, 3);
    assert.match(check.stdout, /^stale icons\/fox\.png: the files of model "models\/tiny-sdxl" changed since it was made$/m);
  });

  test('the same manifest and lock built again elsewhere give byte-identical files', async () => {
    const first = project('repro-a');
    assert.equal((await build(first)).code, 0);
    const second = project('repro-b');
    cpSync(join(first, 'assets.sdxl.lock.json'), join(second, 'assets.sdxl.lock.json'));
    const result = await build(second);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /5 built/);
    for (const output of OUTPUTS) {
      assert.ok(readFileSync(join(first, output)).equals(readFileSync(join(second, output))), `${output} differs between the two builds`);
    }
    assert.equal(readFileSync(join(first, 'assets.sdxl.lock.json'), 'utf8'), readFileSync(join(second, 'assets.sdxl.lock.json'), 'utf8'));
  });

  test('two builds at once make each asset once', async () => {
    const dir2 = project('parallel');
    const [a, b] = await Promise.all([build(dir2), build(dir2)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const written = [...lines(a.stdout), ...lines(b.stdout)];
    assert.equal(new Set(written).size, written.length, `an asset was made twice: ${written.join(', ')}`);
    assert.deepEqual(leftovers(dir2), []);
    // Whatever one build skipped because the other was making it, is done now.
    const check = await build(dir2, ['--check']);
    assert.equal(check.code, 0, check.stdout);
    const lock = parseLock(readFileSync(join(dir2, 'assets.sdxl.lock.json'), 'utf8'), 'lock');
    assert.deepEqual(Object.keys(lock.assets).sort(), [...OUTPUTS].sort());
  });

  test('Ctrl+C leaves no partial file or claim, and the next build resumes where it stopped', async () => {
    const dir3 = project('interrupted');
    const stopped = await build(dir3, [], { signalAfterStderr: /\[2\/5\] .*step 1\// });
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.deepEqual(leftovers(dir3), []);
    const made = lines(stopped.stdout);
    assert.ok(made.length >= 1 && made.length < OUTPUTS.length, made.join(', '));
    // Every file there is whole: it carries its recipe.
    for (const output of OUTPUTS.filter((o) => existsSync(join(dir3, o)))) assert.ok(await readRecipeFromFile(join(dir3, output)), output);
    assert.equal(OUTPUTS.filter((o) => existsSync(join(dir3, o))).length, made.length);
    const resumed = await build(dir3);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`${OUTPUTS.length - made.length} built, ${made.length} up to date`));
  });

  test('manifest mistakes name the entry and the field, with the line, and exit 1 before any work', async () => {
    const dir4 = project('mistakes');
    editManifest(dir4, (text) =>
      text
        .replace('"preset": "banner", "seed": 11', '"preset": "banners", "seed": 11')
        .replace('"prompt": "an owl, flat icon"', '"prompt": "an owl, flat icon", "stpes": 3')
        .replace('"steps": 3,', '"steps": "3",'),
    );
    const result = await build(dir4);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /line 16, column \d+\): presets\.banner: steps must be a whole number of 1 or more, got "3"/);
    assert.match(result.stderr, /assets\[1\] "icons\/owl\.png": unknown field "stpes"/);
    assert.match(result.stderr, /assets\[2\] "banners\/forest\.webp": preset "banners" is not defined under "presets" \(there are icon, sprite\)/);
    assert.equal(existsSync(join(dir4, 'icons')), false);
  });

  test('--check of a project never built lists every asset as missing', async () => {
    const dir5 = project('fresh');
    const check = await build(dir5, ['--check']);
    assert.equal(check.code, 3);
    assert.deepEqual(lines(check.stdout), OUTPUTS.map((o) => `stale ${o}: missing`));
  });
});

describe('sdxl-assets build: a transparent, seamless asset', () => {
  test('background and tiling make an RGBA file that wraps; a changed isolateSubject or tiling rebuilds it', async () => {
    const dir = join(work, 'cutout');
    cpSync(model, join(dir, 'models', 'tiny-sdxl'), { recursive: true });
    writeTinyMatting(join(dir, 'models', 'tiny-matting'));
    const entry = {
      output: 'sprites/cutout.png', prompt: 'a red fox', model: 'models/tiny-sdxl', width: 32, height: 32, steps: 2, seed: 5,
      tiling: 'x', background: { mode: 'transparent', matting: 'models/tiny-matting' }, exactSize: { width: 24, height: 16, fit: 'contain' },
    };
    writeFileSync(join(dir, 'assets.sdxl.json'), JSON.stringify({ assets: [entry] }, null, 2));
    const cutoutEnv = { ...env(), SDXL_ASSETS_SEAMLESS_CACHE: join(work, 'seamless-cache') };
    const run = (args: string[] = []) => runCli(['build', ...args], { cwd: dir, env: cutoutEnv });
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    const path = join(dir, 'sprites/cutout.png');
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [24, 16, 4]);
    // 32x32 into 24x16 is 16x16 centred: the first four columns are clear padding.
    assert.deepEqual([...data.subarray(0, 4)], [0, 0, 0, 0]);
    const recipe = await readRecipeFromFile(path);
    assert.deepEqual([recipe?.tiling, recipe?.background], ['x', { mode: 'transparent', matting: 'tiny-matting', isolateSubject: false }]);
    assert.deepEqual(recipe?.output, { width: 24, height: 16, fit: 'contain' });
    const check = await run(['--check']);
    assert.equal(check.code, 0, check.stdout);

    // The recipe names the matting model by its folder only: the lock keeps its files' hashes, so a replaced ONNX file is noticed.
    const lock = parseLock(readFileSync(join(dir, 'assets.sdxl.lock.json'), 'utf8'), 'lock');
    const onnx = join(dir, 'models', 'tiny-matting', 'onnx', 'model.onnx');
    assert.equal(lock.assets['sprites/cutout.png']?.matting, 'models/tiny-matting');
    assert.match(lock.assets['sprites/cutout.png']?.mattingDigest ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(lock.models['models/tiny-matting']?.name, 'tiny-matting');
    assert.match(lock.models['models/tiny-matting']?.files['onnx/model.onnx'] ?? '', /^[0-9a-f]{64}$/);
    const original = readFileSync(onnx);
    writeFileSync(onnx, Buffer.concat([original, Buffer.from([0])]));
    const replaced = await run(['--check']);
    writeFileSync(onnx, original);
    assert.equal(replaced.code, 3, replaced.stderr);
    assert.match(replaced.stdout, /^stale sprites\/cutout\.png: the files of matting model "models\/tiny-matting" changed since it was made$/m);
    assert.equal((await run(['--check'])).code, 0, 'the same file again is the same model');

    writeFileSync(join(dir, 'assets.sdxl.json'), JSON.stringify({ assets: [{ ...entry, background: { ...entry.background, isolateSubject: true } }] }, null, 2));
    const stale = await run(['--check']);
    assert.equal(stale.code, 3);
    assert.match(stale.stdout, /stale sprites\/cutout\.png: background\.isolateSubject changed: the file has false, the manifest says true/);
    const { tiling: _tiling, ...untiled } = entry;
    writeFileSync(join(dir, 'assets.sdxl.json'), JSON.stringify({ assets: [untiled] }, null, 2));
    const plain = await run(['--check']);
    assert.equal(plain.code, 3);
    assert.match(plain.stdout, /tiling changed: the file has "x", the manifest asks for none/);
    const rebuilt = await run();
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.equal((await readRecipeFromFile(path))?.tiling, undefined);
  });
});
