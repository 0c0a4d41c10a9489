/** Interleaved 8-bit RGB, the form the decoder's output and the encoder's input take. */
export interface RawImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}
