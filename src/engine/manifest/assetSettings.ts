import type { SettingsRequest } from '../../protocol/recipe';
import type { CatalogEntry } from '../models/catalogSchema';
import { withRecommended } from '../models/recommendedSettings';
import type { ManifestAsset } from './manifest';

/**
 * The generation request of an asset, the same from the CLI and the editor so that both make
 * the same image: the settings the entry states, then, as `generate` does, a catalog model's
 * recommended ones, the seed (absent: the engine draws one) and the source image's path.
 */
export function assetSettings(
  asset: ManifestAsset,
  seed: number | undefined,
  recommended: CatalogEntry['recommended'] | undefined,
): SettingsRequest {
  const { model: _model, refiner: _refiner, ...stated } = asset.settings;
  const settings: SettingsRequest = withRecommended(stated, recommended);
  return {
    ...settings,
    ...(seed !== undefined ? { seed } : {}),
    ...(asset.sourcePath !== undefined ? { initImage: asset.sourcePath } : {}),
  };
}
