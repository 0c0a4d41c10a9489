// The recipe's home in JPEG and WebP files. XMP is UTF-8, unlike the EXIF strings libvips writes
// (it folds them to ASCII), so a prompt in any script survives.

const NAMESPACE = 'urn:sdxl-assets:xmp:1.0/';
const PREFIX = 'sdxlAssets';

/** An XMP packet holding the recipe JSON as the property sdxlAssets:recipe. */
export function recipeXmp(recipeJson: string): string {
  return [
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    `  <rdf:Description rdf:about="" xmlns:${PREFIX}="${NAMESPACE}">`,
    `   <${PREFIX}:recipe>${escapeJsonForXml(recipeJson)}</${PREFIX}:recipe>`,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}

/**
 * The recipe JSON from an XMP packet, or null. Accepts the element form we write and the
 * attribute form XMP editors may rewrite it to, under whatever prefix the namespace is bound to.
 */
export function readRecipeJsonFromXmp(xmp: string): string | null {
  const binding = new RegExp(`xmlns:([\\w.-]+)\\s*=\\s*["']${escapeRegExp(NAMESPACE)}["']`).exec(xmp);
  if (!binding) return null;
  const name = escapeRegExp(`${binding[1]}:recipe`);
  const element = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}\\s*>`).exec(xmp);
  const attribute = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(xmp);
  const raw = element?.[1] ?? attribute?.[1] ?? attribute?.[2];
  return raw === undefined ? null : unescapeXml(raw);
}

function escapeJsonForXml(text: string): string {
  // U+FFFE and U+FFFF are not XML characters; JSON lets us write them as escapes instead.
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function unescapeXml(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (entity, body: string) => {
    if (body[0] !== '#') return named[body];
    const code = body[1] === 'x' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
