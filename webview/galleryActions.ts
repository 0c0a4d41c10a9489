import { finishedSize } from '../src/protocol/finishSteps';
import type { GalleryAction, GalleryItem } from '../src/protocol/panelProtocol';
import { denoisingSteps } from '../src/protocol/denoisingSteps';

export interface GalleryActionInfo {
  action: GalleryAction;
  label: string;
  /** A codicon name. */
  icon: string;
}

/** In the order the buttons appear; a Record first, so a new action cannot be left without a button. */
const ACTIONS: Record<GalleryAction, Omit<GalleryActionInfo, 'action'>> = {
  open: { label: 'Open', icon: 'link-external' },
  reveal: { label: 'Reveal in Explorer', icon: 'folder-opened' },
  copyPath: { label: 'Copy relative path', icon: 'copy' },
  insertMarkdown: { label: 'Insert into Markdown', icon: 'markdown' },
  useAsInit: { label: 'Use as image-to-image input', icon: 'file-media' },
  inpaint: { label: 'Inpaint…', icon: 'paintcan' },
  vary: { label: 'Vary', icon: 'sparkle' },
  reuse: { label: 'Reuse settings', icon: 'history' },
  addToManifest: { label: 'Add to Manifest', icon: 'checklist' },
  delete: { label: 'Delete', icon: 'trash' },
};

export const GALLERY_ACTIONS: readonly GalleryActionInfo[] = (Object.keys(ACTIONS) as GalleryAction[]).map(
  (action) => ({ action, ...ACTIONS[action] }),
);

export function isGalleryAction(value: string | undefined): value is GalleryAction {
  return value !== undefined && Object.prototype.hasOwnProperty.call(ACTIONS, value);
}

/** What a screen reader hears on each button: the action and which image it acts on. */
export function galleryActionLabel(info: GalleryActionInfo, item: GalleryItem): string {
  return `${info.label}: ${item.relativePath}`;
}

/**
 * The line under a thumbnail: what makes this image different from its neighbours. An
 * image-to-image result counts the steps that ran, which the strength decides, and names
 * its source picture.
 */
export function galleryItemDetails(item: GalleryItem): string {
  const recipe = item.recipe;
  if (!recipe) return 'No recipe in the file';
  const file = finishedSize(recipe);
  const finished = file.width !== recipe.width || file.height !== recipe.height ? ` from ${recipe.width} × ${recipe.height}` : '';
  const size = `seed ${recipe.seed} · ${file.width} × ${file.height}${finished}`;
  if (recipe.initImage === undefined || recipe.strength === undefined) return `${size} · ${recipe.steps} steps`;
  const ran = denoisingSteps(recipe.steps, recipe.strength);
  return `${size} · ${ran} of ${recipe.steps} steps at strength ${recipe.strength} · from ${fileName(recipe.initImage)}`;
}

/** The last part of a path written on any system: recipes travel between machines. */
function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** Alt text: the prompt describes the picture better than its file name. */
export function galleryItemAlt(item: GalleryItem): string {
  return item.recipe?.prompt.trim() || item.relativePath;
}
