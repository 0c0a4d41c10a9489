/** The parts of a job, in order, as progress reports name them. */
export type Phase = 'load' | 'encode' | 'denoise' | 'decode' | 'background';

/** How every progress display names a phase: the panel, the notification, the status bar and the CLI. */
export const PHASE_LABELS: Record<Phase, string> = {
  load: 'Loading the model…',
  encode: 'Encoding the prompt…',
  denoise: 'Denoising…',
  decode: 'Decoding the image…',
  background: 'Removing the background…',
};
