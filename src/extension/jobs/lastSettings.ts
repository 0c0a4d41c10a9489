import type { Memento } from 'vscode';
import type { ModelChoice, PanelSettings } from '../../protocol/panelProtocol';

const LAST_SEED_KEY = 'sdxlAssets.lastSeed';
const LAST_SETTINGS_KEY = 'sdxlAssets.lastSettings';

/** What the workspace remembers of generation: the form of the panel's last Generate and the seed of the last image made. */
export class LastSettings {
  constructor(private readonly state: Memento) {}

  seed(): number | undefined {
    return this.state.get<number>(LAST_SEED_KEY);
  }

  async rememberSeed(seed: number): Promise<void> {
    await this.state.update(LAST_SEED_KEY, seed);
  }

  async rememberForm(form: PanelSettings): Promise<void> {
    await this.state.update(LAST_SETTINGS_KEY, form);
  }

  /**
   * The last Generate's form as text-to-image of one picture, over `defaults`. A model folder
   * that is not among `models` or no longer loads gives way to the default one, and a refiner
   * folder to none.
   */
  form(models: readonly ModelChoice[], defaults: PanelSettings): PanelSettings {
    const last = this.state.get<PanelSettings>(LAST_SETTINGS_KEY);
    if (!last) return defaults;
    const { initImage: _initImage, inpaint: _inpaint, ...textToImage } = last;
    const usable = (dir: string) => models.some((m) => m.dir === dir && !m.problem);
    return {
      ...defaults,
      ...textToImage,
      modelDir: usable(last.modelDir) ? last.modelDir : defaults.modelDir,
      refinerDir: textToImage.refinerDir && usable(textToImage.refinerDir) ? textToImage.refinerDir : '',
      batch: 1,
    };
  }
}
