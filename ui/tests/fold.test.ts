// Diacritic folding matches the Rust rule (NFD, marks dropped, đ → d, lowercase), so typing
// without accents finds Vietnamese names.
import { describe, expect, it } from 'vitest';
import { fold, matches } from '../src/lib/fold';

describe('fold', () => {
  it('drops tones and vowel marks and turns đ into d', () => {
    expect(fold('Đặng')).toBe('dang');
    expect(fold('Nguyễn Văn Bằng')).toBe('nguyen van bang');
    expect(fold('ĐỖ THỊ HƯƠNG')).toBe('do thi huong');
    expect(fold('  Trần   Thu\tHà ')).toBe('tran thu ha');
  });

  it('treats decomposed and precomposed input alike', () => {
    const decomposed = 'Nguyễn'.normalize('NFD');
    expect(decomposed).not.toBe('Nguyễn');
    expect(fold(decomposed)).toBe(fold('Nguyễn'));
  });

  it('matches every word of the query anywhere in the text', () => {
    expect(matches('Đặng Văn Bằng', 'dang')).toBe(true);
    expect(matches('Nguyễn Văn Bằng', 'nguyen van bang')).toBe(true);
    expect(matches('Nguyễn Văn Bằng', 'bang nguyen')).toBe(true);
    expect(matches('Nguyễn Văn Bằng', 'NGUYỄN')).toBe(true);
    expect(matches('Nguyễn Văn Bằng', 'dang')).toBe(false);
    expect(matches('12 Ngõ 5', '')).toBe(true);
  });
});
