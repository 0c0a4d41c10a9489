import { basename } from 'node:path';
import type { Recipe } from '../../protocol/recipe';

/** Command URIs of the hover's actions on the image. */
export interface HoverCommands {
  regenerate: string;
  vary: string;
  open: string;
  addToManifest: string;
}

/**
 * The preview's longer side. VS Code's hover is about 250 px high by default: the picture
 * must leave room for the recipe and the links under it, or they need scrolling.
 */
const PREVIEW_SIDE = 112;

/**
 * The hover over a link to a generated image: the picture, its recipe, and links that
 * regenerate it, vary it, open its settings in the panel or record it in the manifest. Everything from the file is
 * escaped: a prompt is text, never Markdown.
 */
export function recipeHoverMarkdown(recipe: Recipe, imageUri: string, commands: HoverCommands): string {
  const lines = [
    `![${escapeMarkdownText(recipe.prompt)}](${uriForMarkdown(imageUri)}|${previewSize(recipe.width, recipe.height)})`,
    '',
    `**Prompt:** ${escapeMarkdownText(recipe.prompt) || '*(none)*'}  `,
  ];
  if (recipe.negativePrompt) lines.push(`**Negative:** ${escapeMarkdownText(recipe.negativePrompt)}  `);
  lines.push(escapeMarkdownText(recipeSummary(recipe)) + '  ');
  if (recipe.initImage !== undefined) {
    lines.push(escapeMarkdownText(`Image to image from ${basename(recipe.initImage)}, strength ${recipe.strength ?? ''}`));
  }
  lines.push(
    '',
    [
      `[Regenerate](${commands.regenerate} "Make the same image again, as a new file")`,
      `[Vary](${commands.vary} "The same recipe with a new seed, as a new file")`,
      `[Open in panel](${commands.open} "Put these settings into the Generate Image panel")`,
      `[Add to Manifest](${commands.addToManifest} "Record it in assets.sdxl.json, so a build can make it again")`,
    ].join(' · '),
  );
  return lines.join('\n');
}

/** `width=…,height=…` fitting the picture into the preview's square, so a tall one is no taller than a wide one. */
export function previewSize(width: number, height: number): string {
  const scale = PREVIEW_SIDE / Math.max(width, height, 1);
  return `width=${Math.max(1, Math.round(width * scale))},height=${Math.max(1, Math.round(height * scale))}`;
}

/** "seed 42 · 30 steps · euler-a · guidance 5 · 1024×1024 · model sdxl-base" */
export function recipeSummary(recipe: Recipe): string {
  return [
    `seed ${recipe.seed}`,
    `${recipe.steps} steps`,
    recipe.karras ? `${recipe.sampler} Karras` : recipe.sampler,
    `guidance ${recipe.guidance}`,
    `${recipe.width}×${recipe.height}`,
    `model ${recipe.model}`,
  ].join(' · ');
}

/** `command:` URI that runs `command` with these arguments, as a trusted hover link does. */
export function commandUri(command: string, args: readonly unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

/** On one line, with every character Markdown could read as syntax escaped. */
export function escapeMarkdownText(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_{}[\]()#+\-.!|<>~&$]/g, '\\$&');
}

/** Parentheses left in a URI would end a bare link destination early. */
function uriForMarkdown(uri: string): string {
  return uri.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
