// Search folding, the same rule as the Rust `gocua_domain::text::fold`: NFD, combining marks
// dropped, đ → d, lowercase, whitespace collapsed. "Nguyễn Văn Bằng" and "nguyen van bang" meet.

export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/đ/g, 'd')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Every word of the query occurs in the text (both folded); an empty query matches all. */
export function matches(text: string, query: string): boolean {
  const words = fold(query).split(' ').filter(Boolean);
  if (words.length === 0) return true;
  const hay = fold(text);
  return words.every((w) => hay.includes(w));
}
