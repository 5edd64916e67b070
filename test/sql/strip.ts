/**
 * Test helper: a statement tree without what depends on where and how it was written
 * (positions, and the `text` of statements other than pass-through ones), for comparing
 * the meaning of two parses.
 */
export function stripLayout(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripLayout);
  if (node === null || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  const isStatement = 'start' in record;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'position' || key === 'start') continue;
    if (key === 'text' && isStatement && record.kind !== 'pass_through') continue;
    out[key] = stripLayout(value);
  }
  return out;
}
