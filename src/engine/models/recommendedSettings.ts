import type { SettingsRequest } from '../../protocol/recipe';
import type { CatalogEntry } from './catalogSchema';

/**
 * The given settings with a catalog model's recommended ones where a setting is not given: what
 * `generate`, `build` and the editor's manifest jobs all start from, so that they make one image.
 */
export function withRecommended<T extends SettingsRequest>(given: T, recommended: CatalogEntry['recommended'] | undefined): T {
  if (!recommended) return given;
  return {
    ...given,
    width: given.width ?? recommended.width,
    height: given.height ?? recommended.height,
    steps: given.steps ?? recommended.steps,
    guidance: given.guidance ?? recommended.guidance,
    sampler: given.sampler ?? recommended.sampler,
    timestepSpacing: given.timestepSpacing ?? recommended.timestepSpacing,
  };
}
