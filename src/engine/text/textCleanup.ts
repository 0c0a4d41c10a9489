// Mirrors transformers' slow CLIPTokenizer without ftfy (BasicTokenizer(strip_accents=False, do_split_on_punc=False)):
// transformers does not depend on ftfy, so that is what typical diffusers installs run.

/** Python's unicodedata "C*" categories go, except the three control characters BERT treats as whitespace. */
const DROPPED = /[\0\uFFFD]|(?![\t\n\r])\p{C}/gu;
const TO_SPACE = /[\t\n\r\p{Zs}]/gu;
/** BasicTokenizer._is_chinese_char: these become words of their own, so BPE never merges across them. */
const CJK = new RegExp(
  '[\\u4E00-\\u9FFF\\u3400-\\u4DBF\\u{20000}-\\u{2A6DF}\\u{2A700}-\\u{2B73F}\\u{2B740}-\\u{2B81F}' +
    '\\u{2B820}-\\u{2CEAF}\\uF900-\\uFAFF\\u{2F800}-\\u{2FA1F}]',
  'gu',
);

/**
 * The text CLIP's pre-tokenisation regex runs on: control and format characters removed, CJK ideographs spaced
 * apart, NFC, whitespace runs collapsed to one space and trimmed, lower-cased. No HTML unescaping: only OpenAI's
 * and ftfy's paths do that.
 */
export function cleanText(text: string): string {
  const words = text
    .replace(DROPPED, '')
    .replace(TO_SPACE, ' ')
    .replace(CJK, ' $& ')
    .normalize('NFC')
    .split(/\s+/)
    .filter((word) => word !== '');
  return words.join(' ').toLowerCase();
}
