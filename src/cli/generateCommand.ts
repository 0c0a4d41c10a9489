import { DEFAULT_MATTING_MODEL, ISOLATE_SUBJECT_WORDS } from '../protocol/background';
import { SAMPLERS, TILINGS, TIMESTEP_SPACINGS } from '../protocol/recipe';
import { MAX_MASK_BLUR, OUTPAINT_MULTIPLE } from '../protocol/generationLimits';
import { DEFAULT_MASK_PADDING } from '../engine/models/generationSettings';
import { PROVIDER_CHOICES } from '../protocol/providerChoice';
import { MEMORY_PLANS } from '../engine/memory/memoryPlan';
import { parseGenerateArguments } from './generateArguments';
import { resolveGeneration } from './generatePlan';
import { runGeneration } from './generateRun';
import { FINISH_USAGE } from './finishOptions';
import { IMAGE_FORMATS } from './outputPaths';

export const GENERATE_USAGE = `sdxl-assets generate --model DIR_OR_ID --prompt TEXT --out FILE_OR_DIR [options]
  --model DIR_OR_ID          a model folder, or a catalog id (sdxl-assets models), downloaded on
                             first use; a catalog model's recommended settings are the defaults
  --negative TEXT            negative prompt (none: zeroed, as diffusers does for SDXL)
  --width N, --height N      image size in pixels (default: the model's trained size)
  --steps N                  denoising steps (default 30)
  --guidance G               classifier-free guidance scale; <= 1 turns it off (default 5)
  --seed S                   seed of the torch-compatible noise (default: random, recorded)
  --sampler NAME             ${SAMPLERS.join('|')} (default: the model's scheduler)
  --karras                   Karras sigmas (euler, dpmpp-2m)
  --timestep-spacing S       ${TIMESTEP_SPACINGS.join('|')} (default: the model's scheduler config)
  --batch N                  N images with seeds S, S+1, … each regenerable alone
  --provider P               ${PROVIDER_CHOICES.join('|')} (default auto)
  --format F                 ${IMAGE_FORMATS.join('|')} (default: from --out, else png)
  --low-memory               load each model part only while it runs (forces the one-at-a-time
                             memory plan; without it the engine chooses from the free memory)
  --memory-plan P            ${MEMORY_PLANS.join('|')}: force a memory plan
  --init-image FILE          image-to-image: start from this image (PNG, JPEG, WebP, …);
                             size defaults to the image's own, rounded down to the UNet's multiple
  --strength S               with --init-image: how far to move from it, above 0 and at most 1
                             (default 0.5; 1 when inpainting)
  --mask FILE                inpaint: repaint where the mask is white, keep where black (grey
                             between); a mask with transparency uses its alpha (opaque repaints)
  --mask-blur PX             with --mask: Gaussian blur of the mask, 0 to ${MAX_MASK_BLUR} px (default 0)
  --inpaint-area full|masked with --mask: denoise the whole picture (default), or only a crop
                             around the mask at --width x --height (default: the model's size),
                             pasted back through the (blurred) mask
  --mask-padding PX          with --inpaint-area masked: margin around the mask (default ${DEFAULT_MASK_PADDING})
  --outpaint L,T,R,B         with --init-image: extend the picture by these margins (multiples of
                             ${OUTPAINT_MULTIPLE} px), fill them from its edges and repaint them (with any --mask)
  --guidance-rescale R       rescale the guided prediction (diffusers' guidance_rescale), 0 to 1 (default 0)
  --prompt-weighting         AUTOMATIC1111 syntax: (word:1.2), (word), [word], \\( ; prompts past 75
                             tokens in 77-token chunks (default off: read as diffusers does)
  --tile AXES                ${TILINGS.join('|')}: seamless tiles (AUTOMATIC1111's Tiling): the image
                             wraps around across its width (x), its height (y) or both
  --refiner DIR_OR_ID        hand the latents over to this SDXL refiner at --refiner-start
                             (diffusers' base + refiner ensemble; the refiner decodes)
  --refiner-start F          share of the steps the base runs before the refiner, 0 to 1 (default 0.8)
  --aesthetic-score A        refiner only: the aesthetic score it is conditioned on (default 6)
  --negative-aesthetic-score A   refiner only: the negative side's score (default 2.5)
  --vae-tiling               decode (and encode) in diffusers' overlapping VAE tiles, at the VAE
                             config's tile size (SDXL: 1024 px): less memory for large images
  --vae-tile-size PX         VAE tiling with smaller tiles, a multiple of 32 px (implies --vae-tiling)
  --background transparent   remove the background after decoding (PNG or WebP with alpha, edge
                             colours decontaminated) with the catalog's matting model
  --matting-model DIR_OR_ID  with --background: the matting model folder or catalog id
                             (default ${DEFAULT_MATTING_MODEL}, downloaded on first use)
  --isolate-subject          with --background: append "${ISOLATE_SUBJECT_WORDS}"
                             to the prompt (the recipe keeps your prompt and this flag)
  --recipe IMAGE             start from the recipe stored in an image this tool made
                             (options given explicitly override it)
${FINISH_USAGE}`;

/** Parse, then resolve every setting and check it before any model loads, then run. */
export async function generateCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const plan = await resolveGeneration(parseGenerateArguments(argv), signal);
  await runGeneration(plan, signal);
}
