/** Strings for quoting properties: NUL-free, rich in quotes, backslashes, `$`, line breaks, MySQL's \Z and non-ASCII. */
import fc from 'fast-check';

export const trickyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\\', "'", '"', '`', '$', '\n', '\r', '\t', '\x1a', '%', '_', 'é', '中', '😀'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !c.includes('\0')),
  ),
  maxLength: 24,
});
