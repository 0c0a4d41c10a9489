/** The parts of a job, in order, as progress reports name them. */
export type Phase = 'load' | 'encode' | 'denoise' | 'decode';
