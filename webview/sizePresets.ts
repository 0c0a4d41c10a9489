/** SDXL's trained aspect buckets (about one megapixel each); other sizes drift off-distribution. */
export const SIZE_PRESETS = [
  { width: 1024, height: 1024 },
  { width: 1152, height: 896 },
  { width: 896, height: 1152 },
  { width: 1216, height: 832 },
  { width: 832, height: 1216 },
  { width: 1344, height: 768 },
  { width: 768, height: 1344 },
  { width: 1536, height: 640 },
  { width: 640, height: 1536 },
] as const;

export const CUSTOM_SIZE = 'custom';

export interface Size {
  width: number;
  height: number;
}

/** The select's value for a size: `1152x896`, or `custom` when it is not a trained bucket. */
export function sizePresetValue(size: Size): string {
  const preset = SIZE_PRESETS.find((p) => p.width === size.width && p.height === size.height);
  return preset ? `${preset.width}x${preset.height}` : CUSTOM_SIZE;
}

/** The size a preset value stands for; undefined for `custom` or anything unknown. */
export function parseSizePreset(value: string): Size | undefined {
  const preset = SIZE_PRESETS.find((p) => `${p.width}x${p.height}` === value);
  return preset ? { width: preset.width, height: preset.height } : undefined;
}

export function sizePresetLabel(size: Size): string {
  const shape = size.width === size.height ? 'square' : size.width > size.height ? 'landscape' : 'portrait';
  return `${size.width} × ${size.height} (${shape})`;
}
