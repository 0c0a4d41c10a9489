import type { OutputFormat } from '../../protocol/generationLimits';

const FORMATS: Readonly<Record<string, OutputFormat>> = { png: 'png', webp: 'webp', jpg: 'jpeg', jpeg: 'jpeg' };

/** The image format an output path's extension names; undefined for anything else. */
export function formatFromOutput(output: string): OutputFormat | undefined {
  const extension = /\.([^./\\]+)$/.exec(output)?.[1]?.toLowerCase();
  return extension === undefined ? undefined : FORMATS[extension];
}
