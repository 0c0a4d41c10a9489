/** Interleaved 8-bit pixels, the form the decoder's output and the encoder's input take: RGB, or RGBA when `channels` is 4. */
export interface RawImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  /** 4 for RGBA (a transparent background); absent or 3 for RGB. */
  channels?: 3 | 4;
}

export function channelsOf(image: RawImage): 3 | 4 {
  return image.channels ?? 3;
}
