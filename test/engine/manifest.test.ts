import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { finishFacts, finishSteps } from '../../src/engine/manifest/assetFinish';
import { staleReasons } from '../../src/engine/manifest/assetStaleness';
import { parseJsonTree, JsonSyntaxError } from '../../src/engine/manifest/jsonTree';
import { ENTRY_FIELDS, PRESET_FIELDS } from '../../src/engine/manifest/manifest';
import { emptyLock, lockedAsset } from '../../src/engine/manifest/manifestLock';
import { buildOrder } from '../../src/engine/manifest/manifestStatus';
import { parseManifest } from '../../src/engine/manifest/parseManifest';
import { OUTPUT_FITS, SAMPLERS, TILINGS, type Recipe } from '../../src/protocol/recipe';
import { testRecipe } from '../support/recipe';
import { repoRoot } from '../support/shared';

const manifestText = (assets: unknown[], presets: Record<string, unknown> = {}) => JSON.stringify({ presets, assets }, null, 2);
const parse = (assets: unknown[], presets?: Record<string, unknown>) => parseManifest(manifestText(assets, presets), '/project/assets.sdxl.json');

describe('manifest parsing', () => {
  test('a preset fills what the entry leaves out; the entry wins; paths resolve against the manifest', () => {
    const { manifest, problems } = parse(
      [{ output: 'img/fox.png', prompt: 'a fox', preset: 'small', steps: 4, source: 'sketch.png', strength: 0.4 }],
      { small: { model: 'models/tiny', width: 32, height: 32, steps: 2 } },
    );
    assert.deepEqual(problems, []);
    const [asset] = manifest.assets;
    assert.deepEqual(asset?.settings, { model: 'models/tiny', width: 32, height: 32, steps: 4, strength: 0.4, prompt: 'a fox' });
    assert.deepEqual(asset?.stated, ['height', 'model', 'prompt', 'steps', 'strength', 'width']);
    assert.equal(asset?.outputPath, '/project/img/fox.png');
    assert.equal(asset?.sourcePath, '/project/sketch.png');
    assert.equal(asset?.format, 'png');
  });

  test('each mistake names the entry and the field, and points at it in the text', () => {
    const text = manifestText([
      { output: 'a.png', prompt: 'x', model: 'm', steps: 0 },
      { output: 'b.gif', prompt: 'x', model: 'm' },
      { output: '../c.png', prompt: 'x', model: 'm' },
      { output: 'd.png', model: 'm' },
      { output: 'e.png', prompt: 'x' },
      { output: 'a.png', prompt: 'y', model: 'm' },
      { output: 'f.png', prompt: 'x', model: 'm', strength: 0.5 },
      { output: 'g.png', prompt: 'x', model: 'm', seed: -1 },
    ]);
    const { manifest, problems } = parseManifest(text, '/p/assets.sdxl.json');
    assert.deepEqual(problems.map((p) => p.message), [
      'assets[0] "a.png": steps must be a whole number of 1 or more, got 0',
      'assets[1] "b.gif": output must end in .png, .webp, .jpg or .jpeg',
      'assets[2] "../c.png": output must be a path inside the manifest\'s folder, without ".."',
      'assets[3] "d.png": "prompt" is missing',
      'assets[4] "e.png": no model; give "model" (a folder or catalog id) in the entry or in its preset',
      'assets[6] "f.png": strength applies only to image-to-image; give an input image too.',
      'assets[7] "g.png": seed must be a whole number from 0 to 9007199254740991, got -1',
    ]);
    assert.equal(text.slice(problems[0]!.start, problems[0]!.end), '0');
    assert.deepEqual(manifest.assets.map((a) => a.index), [5]);
  });

  test('a repeated output is refused on the later entry', () => {
    const { problems } = parse([
      { output: 'a.png', prompt: 'x', model: 'm' },
      { output: './a.png', prompt: 'y', model: 'm' },
    ]);
    assert.deepEqual(problems.map((p) => p.message), ['assets[1] "a.png": output is the same file as assets[0]\'s; each asset needs its own file']);
  });

  test('JSON mistakes and repeated keys say where they are', () => {
    assert.throws(() => parseJsonTree('{\n  "a": 1,\n  "a": 2\n}'), (e: unknown) => e instanceof JsonSyntaxError && e.message === 'field "a" appears twice at line 3, column 3');
    const { problems } = parseManifest('{ "assets": [ }', '/p/assets.sdxl.json');
    assert.match(problems[0]!.message, /^not valid JSON: unexpected "}" at line 1, column 15$/);
  });

  test('sources are built before the entries made from them; a cycle is refused', () => {
    const { manifest } = parse([
      { output: 'b.png', prompt: 'x', model: 'm', source: 'a.png' },
      { output: 'a.png', prompt: 'x', model: 'm' },
      { output: 'c.png', prompt: 'x', model: 'm', source: 'd.png' },
      { output: 'd.png', prompt: 'x', model: 'm', source: 'c.png' },
    ]);
    const { order, problems } = buildOrder(manifest);
    assert.deepEqual(order.map((a) => a.output), ['a.png', 'b.png']);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!.message, /depends on itself through/);
  });

  test('the schema VS Code validates with lists exactly the fields the parser takes', () => {
    const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'assets.sdxl.schema.json'), 'utf8'));
    const entry = schema.properties.assets.items.properties;
    assert.deepEqual(Object.keys(entry).sort(), [...ENTRY_FIELDS].sort());
    assert.deepEqual(Object.keys(schema.properties.presets.additionalProperties.properties).sort(), [...PRESET_FIELDS].sort());
    assert.deepEqual(entry.sampler.enum, [...SAMPLERS]);
    assert.deepEqual(entry.exactSize.properties.fit.enum, [...OUTPUT_FITS]);
    assert.deepEqual(Object.keys(entry.pixelArt.properties).sort(), ['colors', 'factor', 'palette']);
    assert.deepEqual(entry.tiling.enum, [...TILINGS]);
    assert.deepEqual(entry.background.oneOf.map((choice: { const?: string; properties?: object }) => choice.const ?? Object.keys(choice.properties ?? {}).sort()), [
      'transparent',
      ['isolateSubject', 'matting', 'mode'],
    ]);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: ['assets.sdxl.json'], url: './schemas/assets.sdxl.schema.json' }]);
  });
});

describe('post-processing in the manifest', () => {
  test("a preset's finishing steps apply; an entry's step replaces the preset's of that kind; defaults are written out as the CLI records them", () => {
    const { manifest, problems } = parse(
      [
        { output: 'a.png', prompt: 'x', preset: 'sprite' },
        { output: 'b.png', prompt: 'x', preset: 'sprite', exactSize: { width: 20, height: 10, fit: 'contain' } },
        { output: 'c.png', prompt: 'x', model: 'm', pixelArt: { factor: 1, palette: 'pico8.hex' } },
      ],
      { sprite: { model: 'm', exactSize: { width: 16, height: 16 }, pixelArt: { factor: 2 } } },
    );
    assert.deepEqual(problems, []);
    const [a, b, c] = manifest.assets;
    assert.deepEqual(a?.finish, { exactSize: { width: 16, height: 16, fit: 'cover', focus: [0.5, 0.5] }, pixelArt: { factor: 2, colors: 16 } });
    assert.deepEqual(b?.finish, { exactSize: { width: 20, height: 10, fit: 'contain', background: '#ffffff' }, pixelArt: { factor: 2, colors: 16 } });
    assert.deepEqual(c?.finish, { pixelArt: { factor: 1, palette: 'pico8.hex' } });
    assert.equal('exactSize' in (a?.settings ?? {}), false, 'finishing steps are no generation settings');
  });

  test('wrong finishing steps are named with what they expect', () => {
    const { manifest, problems } = parse(
      [
        { output: 'a.png', prompt: 'x', model: 'm', exactSize: { width: 0, height: 10 } },
        { output: 'b.png', prompt: 'x', model: 'm', exactSize: { width: 10, height: 10, fit: 'stretch' } },
        { output: 'c.png', prompt: 'x', model: 'm', exactSize: { width: 10, height: 10, fit: 'cover', background: '#000000' } },
        { output: 'd.png', prompt: 'x', model: 'm', pixelArt: { factor: 2, colors: 8, palette: 'p.hex' } },
        { output: 'e.png', prompt: 'x', model: 'm', pixelArt: { factor: 2, palette: 'p.png' } },
      ],
      { bad: { pixelArt: { factor: 0 } } },
    );
    assert.equal(manifest.assets.length, 0);
    const messages = problems.map((p) => p.message);
    assert.match(messages[0]!, /^presets\.bad: pixelArt must be \{ "factor".*its factor must be a whole number of 1 or more, got \{"factor":0\}$/);
    assert.match(messages[1]!, /^assets\[0\] "a\.png": exactSize must be .*its width must be a whole number from 1 to 4096/);
    assert.match(messages[2]!, /^assets\[1\] "b\.png": exactSize .*its fit must be one of cover, contain, crop/);
    assert.match(messages[3]!, /^assets\[2\] "c\.png": exactSize .*"background" fills the padding of fit "contain"/);
    assert.match(messages[4]!, /^assets\[3\] "d\.png": pixelArt .*"colors" or "palette", not both/);
    assert.match(messages[5]!, /^assets\[4\] "e\.png": pixelArt .*its palette must be the path of a \.hex or \.gpl file/);
    assert.equal(messages.length, 6);
  });

  test("a changed fit or a changed palette file makes the asset stale; the palette's colours are compared, not its path", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-finish-'));
    try {
      writeFileSync(join(dir, 'two.hex'), 'ff0000\n0000ff\n');
      const { manifest } = parseManifest(
        manifestText([{ output: 'a.png', prompt: 'a fox', model: 'm', exactSize: { width: 8, height: 8 }, pixelArt: { factor: 2, palette: 'two.hex' } }]),
        join(dir, 'assets.sdxl.json'),
      );
      const asset = manifest.assets[0]!;
      const steps = await finishSteps(asset.finish, dir);
      assert.deepEqual(steps, { output: { width: 8, height: 8, fit: 'cover', focus: [0.5, 0.5] }, pixelArt: { factor: 2, palette: ['#ff0000', '#0000ff'] } });
      const made = testRecipe({ model: 'm', ...steps });
      assert.deepEqual(staleReasons(asset, manifest, { recipe: made, lock: emptyLock(), finish: steps }), []);
      const contain = { ...made, output: { width: 8, height: 8, fit: 'contain' as const, background: '#ffffff' } };
      assert.deepEqual(staleReasons(asset, manifest, { recipe: contain, lock: emptyLock(), finish: steps }), [
        'exactSize changed: the file has {"width":8,"height":8,"fit":"contain","background":"#ffffff"}, the manifest says {"width":8,"height":8,"fit":"cover","focus":[0.5,0.5]}',
      ]);
      writeFileSync(join(dir, 'two.hex'), 'ff0000\n00ff00\n');
      const edited = await finishFacts(asset.finish, dir);
      assert.deepEqual(staleReasons(asset, manifest, { recipe: made, lock: emptyLock(), finish: edited }), [
        'pixelArt changed: the file has {"factor":2,"palette":["#ff0000","#0000ff"]}, the manifest says {"factor":2,"palette":["#ff0000","#00ff00"]}',
      ]);
      rmSync(join(dir, 'two.hex'));
      const [reason] = staleReasons(asset, manifest, { recipe: made, lock: emptyLock(), finish: await finishFacts(asset.finish, dir) });
      assert.match(reason!, /Cannot read the palette file .*two\.hex/);
      assert.deepEqual(staleReasons(asset, manifest, { recipe: testRecipe({ model: 'm' }), lock: emptyLock(), finish: steps }), [
        'exactSize changed: the file has nothing, the manifest says {"width":8,"height":8,"fit":"cover","focus":[0.5,0.5]}',
        'pixelArt changed: the file has nothing, the manifest says {"factor":2,"palette":["#ff0000","#0000ff"]}',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('post-processing removed from the entry makes a finished file stale', () => {
    const { manifest } = parse([{ output: 'a.png', prompt: 'a fox', model: 'm' }]);
    const made = testRecipe({ model: 'm', pixelArt: { factor: 2, colors: 16 } });
    assert.deepEqual(staleReasons(manifest.assets[0]!, manifest, { recipe: made, lock: emptyLock() }), [
      'pixelArt changed: the file has {"factor":2,"colors":16}, the manifest says nothing',
    ]);
  });
});

describe('background and tiling in the manifest', () => {
  test('"transparent" or an object with its defaults written out; a preset may state them; contain then pads clear', () => {
    const { manifest, problems } = parse(
      [
        { output: 'a.png', prompt: 'x', model: 'm', background: 'transparent', tiling: 'both' },
        { output: 'b.webp', prompt: 'x', preset: 'cutout' },
        { output: 'c.png', prompt: 'x', preset: 'cutout', background: { mode: 'transparent', matting: 'models/tiny-matting' } },
        { output: 'd.png', prompt: 'x', model: 'm', background: 'transparent', exactSize: { width: 8, height: 8, fit: 'contain', background: '#123456' } },
      ],
      { cutout: { model: 'm', background: { mode: 'transparent', isolateSubject: true }, exactSize: { width: 16, height: 16, fit: 'contain' } } },
    );
    assert.deepEqual(problems, []);
    const [a, b, c, d] = manifest.assets;
    assert.deepEqual(a?.background, { matting: 'birefnet-lite', isolateSubject: false });
    assert.equal(a?.settings.tiling, 'both');
    assert.ok(a?.stated.includes('tiling'), 'the lock remembers tiling as a stated setting');
    assert.deepEqual(b?.background, { matting: 'birefnet-lite', isolateSubject: true });
    assert.deepEqual(b?.finish.exactSize, { width: 16, height: 16, fit: 'contain' }, 'no padding colour: transparent');
    assert.deepEqual(c?.background, { matting: 'models/tiny-matting', isolateSubject: false }, "the entry's background replaces the preset's whole");
    assert.equal(d?.finish.exactSize?.background, '#123456', 'a stated padding colour stays');
    assert.equal('background' in (a?.settings ?? {}), false, 'the background is no generation setting');
  });

  test('wrong values and a JPEG output are named', () => {
    const { manifest, problems } = parse([
      { output: 'a.png', prompt: 'x', model: 'm', tiling: 'diagonal' },
      { output: 'b.png', prompt: 'x', model: 'm', background: 'white' },
      { output: 'c.png', prompt: 'x', model: 'm', background: { mode: 'transparent', feather: 2 } },
      { output: 'd.jpg', prompt: 'x', model: 'm', background: 'transparent' },
    ]);
    assert.equal(manifest.assets.length, 0);
    const messages = problems.map((p) => p.message);
    assert.match(messages[0]!, /^assets\[0\] "a\.png": tiling must be one of x, y, both/);
    assert.match(messages[1]!, /^assets\[1\] "b\.png": background must be "transparent", or \{ "mode"/);
    assert.match(messages[2]!, /^assets\[2\] "c\.png": background must be .*without "feather"/);
    assert.match(messages[3]!, /^assets\[3\] "d\.jpg": JPEG has no alpha channel/);
    assert.equal(messages.length, 4);
  });

  test('staleness: a background added, removed or changed, or another tiling, makes the file stale', () => {
    const { manifest } = parse([
      { output: 'a.png', prompt: 'a fox', model: 'm', background: { mode: 'transparent', isolateSubject: true, matting: 'models/tiny-matting' }, tiling: 'x' },
      { output: 'b.png', prompt: 'a fox', model: 'm' },
    ]);
    const [cutout, plain] = manifest.assets;
    const made = testRecipe({ model: 'm', tiling: 'x', background: { mode: 'transparent', matting: 'tiny-matting', isolateSubject: true } });
    const facts = (r: Recipe) => ({ recipe: r, lock: emptyLock() });
    assert.deepEqual(staleReasons(cutout!, manifest, facts(made)), [], 'the matting folder is compared by its name, as the recipe records it');
    assert.deepEqual(staleReasons(cutout!, manifest, facts({ ...made, background: { ...made.background!, isolateSubject: false } })), [
      'background.isolateSubject changed: the file has false, the manifest says true',
    ]);
    assert.deepEqual(staleReasons(cutout!, manifest, facts({ ...made, background: { ...made.background!, matting: 'birefnet-lite' } })), [
      'background matted by "birefnet-lite", the manifest says "models/tiny-matting"',
    ]);
    const { background: _background, ...opaque } = made;
    assert.deepEqual(staleReasons(cutout!, manifest, facts(opaque)), ['background changed: the file is opaque, the manifest asks for a transparent background']);
    assert.deepEqual(staleReasons(cutout!, manifest, facts({ ...made, tiling: 'both' })), ['tiling changed: the file has "both", the manifest says "x"']);
    const { tiling: _tiling, ...plainMade } = opaque;
    assert.deepEqual(staleReasons(plain!, manifest, facts(plainMade)), []);
    assert.deepEqual(staleReasons(plain!, manifest, facts(opaque)), ['tiling changed: the file has "x", the manifest asks for none']);
    assert.deepEqual(staleReasons(plain!, manifest, facts({ ...plainMade, background: made.background })), [
      'background changed: the file has a transparent background, the manifest asks for none',
    ]);
  });
});

describe('the matting model in the lock', () => {
  const { manifest } = parse([
    { output: 'a.png', prompt: 'a fox', model: 'm', background: { mode: 'transparent', matting: 'models/tiny-matting' } },
    { output: 'b.png', prompt: 'a fox', model: 'm' },
  ]);
  const [cutout, plain] = manifest.assets;
  const made = testRecipe({ model: 'm', background: { mode: 'transparent', matting: 'tiny-matting', isolateSubject: false } });

  test('the lock records the matting model and its files\' digest beside the diffusion model\'s', () => {
    const digests = new Map([['m', 'model-digest'], ['models/tiny-matting', 'matting-digest']]);
    const locked = lockedAsset(cutout!, 1, digests, undefined);
    assert.deepEqual([locked.modelDigest, locked.matting, locked.mattingDigest], ['model-digest', 'models/tiny-matting', 'matting-digest']);
    const opaque = lockedAsset(plain!, 1, digests, undefined);
    assert.equal('matting' in opaque || 'mattingDigest' in opaque, false);
  });

  test('replaced matting files make the asset stale; the same files, or files not hashed, do not', () => {
    const lock = { ...emptyLock(), assets: { 'a.png': lockedAsset(cutout!, 1, new Map([['models/tiny-matting', 'd1']]), undefined) } };
    const facts = (digest?: string) => ({ recipe: { ...made, seed: 1 }, lock, ...(digest ? { modelDigests: new Map([['models/tiny-matting', digest]]) } : {}) });
    assert.deepEqual(staleReasons(cutout!, manifest, facts('d2')), ['the files of matting model "models/tiny-matting" changed since it was made']);
    assert.deepEqual(staleReasons(cutout!, manifest, facts('d1')), []);
    assert.deepEqual(staleReasons(cutout!, manifest, facts()), []);
  });
});

describe('staleness compares recipes', () => {
  const { manifest } = parse([{ output: 'fox.png', prompt: 'a fox', model: 'models/tiny', steps: 30 }]);
  const asset = manifest.assets[0]!;

  test('a file whose recipe has what the entry states is fresh, whatever else the model chose', () => {
    assert.deepEqual(staleReasons(asset, manifest, { recipe: testRecipe({ sampler: 'ddim', width: 64 }), lock: emptyLock() }), []);
  });

  test('tiling asked for without a tile size matches the size the engine recorded; a stated size must match', () => {
    const { manifest: tiled, problems } = parse([
      { output: 'a.png', prompt: 'a fox', model: 'm', vaeTiling: {} },
      { output: 'b.png', prompt: 'a fox', model: 'm', vaeTiling: { tileSize: 256 } },
      { output: 'c.png', prompt: 'a fox', model: 'm', vaeTiling: { tile: 256 } },
    ]);
    assert.deepEqual(problems.map((p) => p.message), ['assets[2] "c.png": vaeTiling must be an object with an optional tileSize, e.g. {} or { "tileSize": 512 }, got {"tile":256}']);
    const [any, sized] = tiled.assets;
    const made = testRecipe({ model: 'm', vaeTiling: { tileSize: 512 } });
    assert.deepEqual(staleReasons(any!, tiled, { recipe: made, lock: emptyLock() }), []);
    assert.deepEqual(staleReasons(sized!, tiled, { recipe: made, lock: emptyLock() }), ['vaeTiling changed: the file has {"tileSize":512}, the manifest says {"tileSize":256}']);
    assert.deepEqual(staleReasons(any!, tiled, { recipe: testRecipe({ model: 'm' }), lock: emptyLock() }), ['vaeTiling changed: the file has nothing, the manifest says {}']);
  });

  test('missing, without a recipe, a changed setting, another model, another seed than the lock', () => {
    assert.deepEqual(staleReasons(asset, manifest, { recipe: null, lock: emptyLock() }), ['missing']);
    assert.deepEqual(staleReasons(asset, manifest, { recipe: 'none', lock: emptyLock() }), ['the file carries no SDXL Assets recipe']);
    assert.deepEqual(staleReasons(asset, manifest, { recipe: testRecipe({ steps: 20 }), lock: emptyLock() }), [
      'steps changed: the file has 20, the manifest says 30',
    ]);
    assert.deepEqual(staleReasons(asset, manifest, { recipe: testRecipe({ model: 'other' }), lock: emptyLock() }), [
      'made with model "other", the manifest says "models/tiny"',
    ]);
    const lock = { ...emptyLock(), assets: { 'fox.png': { seed: 9, model: 'models/tiny', stated: asset.stated, modelDigest: 'd1' } } };
    assert.deepEqual(staleReasons(asset, manifest, { recipe: testRecipe(), lock }), ['seed changed: the file has 1, the lock says 9']);
    assert.deepEqual(staleReasons(asset, manifest, { recipe: testRecipe({ seed: 9 }), lock, modelDigests: new Map([['models/tiny', 'd2']]) }), [
      'the files of model "models/tiny" changed since it was made',
    ]);
  });
});
