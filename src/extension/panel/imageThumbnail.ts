import sharp from 'sharp';

/** Long side of a thumbnail: the panel shows the input picture at most about this wide. */
const THUMBNAIL_SIZE = 512;

/**
 * A small WebP of a picture as a data: URL, for pictures the webview may not load by URI: those
 * outside the workspace folders (its local resource roots). Opening those roots up would
 * reload the page; the picture itself is only read.
 */
export async function thumbnailDataUrl(path: string, size = THUMBNAIL_SIZE): Promise<string> {
  const webp = await sharp(path)
    .autoOrient()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  return `data:image/webp;base64,${webp.toString('base64')}`;
}
