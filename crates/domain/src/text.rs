//! Vietnamese text: search folding, dictionary-order sort keys, roster order, name splitting and
//! display normalisation for names typed by volunteers or imported from ward spreadsheets.
//!
//! Everything here runs once per name on import (tens of thousands of rows), so each function
//! allocates its output and nothing per character.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Search key: no tones, no vowel marks, `đ` → `d`, lowercase, single spaces, trimmed.
///
/// Volunteers type names on phones with or without an IME, so "Nguyễn", "Nguyen" and a
/// decomposed "Nguyễn" must all meet at the same key.
pub fn fold(s: &str) -> String {
    let mut out = Collapsed::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        // NFD(NFC(s)) == NFD(s), and the combining marks are dropped anyway, so a per-char
        // canonical decomposition without reordering is enough.
        decompose_canonical(c, |d| {
            if is_combining_mark(d) {
                return;
            }
            // Lowercase after decomposing: İ is I + dot above, so it folds to a plain i. No
            // lowercase of a decomposed letter has marks or a decomposition of its own (the
            // every-char test checks), so one pass keeps fold idempotent.
            for l in d.to_lowercase() {
                // NFD keeps đ whole: the stroke is not a combining mark.
                out.push(if l == 'đ' { 'd' } else { l });
            }
        });
    }
    out.finish()
}

/// Display form for storage: NFC, runs of whitespace collapsed to one space, trimmed.
///
/// NFC so that equal names are byte-equal whatever keyboard or spreadsheet produced them.
pub fn normalize_display(s: &str) -> String {
    let mut out = Collapsed::with_capacity(s.len());
    for c in s.nfc() {
        out.push(c);
    }
    out.finish()
}

/// A phone number as lists and exports show it to roles that do not need it whole:
/// "0912345678" → "0912 *** 678". Too short to mask safely: all hidden.
pub fn mask_phone(phone: &str) -> String {
    mask(phone, " *** ", false)
}

/// A CCCD / personal id number as lists show it: "001088012345" → "0010*****345".
pub fn mask_id_number(id: &str) -> String {
    mask(id, "*", true)
}

fn mask(s: &str, stars: &str, per_char: bool) -> String {
    let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.is_empty() {
        return String::new();
    }
    if chars.len() < 8 {
        return "***".into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    let middle = if per_char {
        stars.repeat(chars.len() - 7)
    } else {
        stars.to_string()
    };
    format!("{head}{middle}{tail}")
}

/// A full Vietnamese name split into its parts: "Nguyễn Thị Minh Khai" is family "Nguyễn",
/// middle "Thị Minh", given "Khai".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NameParts {
    pub family: String,
    pub middle: String,
    pub given: String,
}

/// Splits on whitespace: the first word is the family name, the last the given name, the rest
/// the middle name(s) joined by single spaces. A one-word name is taken as a given name,
/// which is how single-name entries (monks, children registered by nickname) are used.
pub fn split_name(full: &str) -> NameParts {
    let mut words = full.split_whitespace();
    let given = words.next_back().unwrap_or_default().to_owned();
    let family = words.next().unwrap_or_default().to_owned();
    let mut middle = String::new();
    for w in words {
        if !middle.is_empty() {
            middle.push(' ');
        }
        middle.push_str(w);
    }
    NameParts {
        family,
        middle,
        given,
    }
}

/// Byte string whose `memcmp` order is Vietnamese dictionary order.
///
/// Levels, each compared left to right and separated by a byte below every weight:
/// 1. letters in the order a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z
///    (f j w z where the Latin alphabet puts them, as ICU's `vi` collation does), ASCII digits
///    before letters, other letters and digits of any script after `z` by code point;
///    whitespace and dashes separate words and sort below every letter, so
///    "An" < "An Bình" < "Anh"; other punctuation and symbols are ignored;
/// 2. tones, per word, in the order none, huyền, hỏi, ngã, sắc, nặng, then marks foreign to
///    Vietnamese; the tone belongs to the syllable, so "Hoà" and "Hòa" (old and new tone
///    placement) get the same key, unlike ICU which would order them;
/// 3. case per letter, lowercase first.
///
/// Canonically equivalent input (NFC, NFD, marks typed in any order) gives the same key.
pub fn sort_key(s: &str) -> Vec<u8> {
    let mut key = KeyBuilder::with_capacity(s.len());
    key.feed_str(s);
    key.finish()
}

/// Roster order: given name first, then family name, then middle names, which is how ward
/// lists are read ("An" is looked up under A whatever the family). Equal to `sort_key` of
/// "given family middle…".
pub fn roster_key(full_name: &str) -> Vec<u8> {
    let mut key = KeyBuilder::with_capacity(full_name.len());
    let mut words = full_name.split_whitespace();
    if let Some(given) = words.next_back() {
        key.feed_str(given);
    }
    for w in words {
        key.word_break();
        key.feed_str(w);
    }
    key.finish()
}

/// Output buffer that turns any run of whitespace into one space and drops it at both ends,
/// without a second pass.
struct Collapsed {
    buf: String,
    gap: bool,
}

impl Collapsed {
    fn with_capacity(n: usize) -> Self {
        Collapsed {
            buf: String::with_capacity(n),
            gap: false,
        }
    }

    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.gap = true;
            return;
        }
        if self.gap && !self.buf.is_empty() {
            self.buf.push(' ');
        }
        self.gap = false;
        self.buf.push(c);
    }

    fn finish(self) -> String {
        self.buf
    }
}

// Key layout. The level and word separators are the two lowest bytes and appear nowhere else
// (multi-byte weights only use bytes >= 0x80 after their lead byte), so a shorter level or
// word always sorts first and the key can be split on 0x00.
const LEVEL_SEP: u8 = 0x00;
const WORD_SEP: u8 = 0x01;
const P_DIGIT0: u8 = 0x10;
/// Digits a number is padded to; house and team numbers are far shorter.
const NUMBER_WIDTH: usize = 8;
const P_LETTER0: u8 = 0x20;
/// Lead byte of a letter outside the Vietnamese/Latin alphabet, followed by its code point.
const P_OTHER: u8 = 0xFE;
/// Huyền; the other tones follow in order.
const S_TONE0: u8 = 0x02;
const TONE_COUNT: u8 = 5;
/// Lead byte of a non-Vietnamese mark (diaeresis, cedilla…), followed by its code point.
const S_OTHER: u8 = 0x08;
const T_LOWER: u8 = 0x02;
const T_UPPER: u8 = 0x03;

/// Vowel modifiers that make separate letters (ă â ê ô ơ ư), hence primary differences.
const BREVE: u8 = 1 << 0;
const CIRCUMFLEX: u8 = 1 << 1;
const HORN: u8 = 1 << 2;
const MODIFIER_MARKS: [(u8, char); 3] = [
    (BREVE, '\u{306}'),
    (CIRCUMFLEX, '\u{302}'),
    (HORN, '\u{31B}'),
];

/// Beyond this many foreign marks on one letter the largest code points are dropped; keeping
/// the smallest (not the first) keeps the key independent of mark order.
const MAX_OTHER_MARKS: usize = 4;

#[derive(Clone, Copy)]
enum Base {
    /// Lowercase ASCII letter or 'đ'.
    Letter(char),
    Digit(u8),
    /// Lowercased letter or digit of another script.
    Other(char),
}

/// A base character with the marks gathered after it, which in NFD input arrive as separate
/// chars and in any order.
struct Element {
    base: Base,
    upper: bool,
    /// Bit i set for tone i in `S_TONE0` order; a set, so the order of typing does not matter.
    tones: u8,
    modifiers: u8,
    others: [char; MAX_OTHER_MARKS],
    n_others: usize,
}

impl Element {
    fn new(base: Base, upper: bool) -> Self {
        Element {
            base,
            upper,
            tones: 0,
            modifiers: 0,
            others: ['\0'; MAX_OTHER_MARKS],
            n_others: 0,
        }
    }

    fn add_mark(&mut self, m: char) {
        match m {
            '\u{300}' => self.tones |= 1 << 0,
            '\u{309}' => self.tones |= 1 << 1,
            '\u{303}' => self.tones |= 1 << 2,
            '\u{301}' => self.tones |= 1 << 3,
            '\u{323}' => self.tones |= 1 << 4,
            '\u{306}' => self.modifiers |= BREVE,
            '\u{302}' => self.modifiers |= CIRCUMFLEX,
            '\u{31B}' => self.modifiers |= HORN,
            _ => self.add_other(m),
        }
    }

    /// Keeps `others` a sorted set of the smallest marks seen.
    fn add_other(&mut self, m: char) {
        let n = self.n_others;
        let pos = match self.others[..n].binary_search(&m) {
            Ok(_) => return,
            Err(pos) => pos,
        };
        if pos >= MAX_OTHER_MARKS {
            return;
        }
        let end = n.min(MAX_OTHER_MARKS - 1);
        self.others.copy_within(pos..end, pos + 1);
        self.others[pos] = m;
        self.n_others = end + 1;
    }
}

/// Index in a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z, and the
/// modifiers used up to form the letter; the rest are foreign marks (e.g. a horn on `a`).
fn letter_index(c: char, modifiers: u8) -> (u8, u8) {
    let has = |m: u8| modifiers & m != 0;
    match c {
        // An `a` with both circumflex and breve is not Vietnamese; a fixed precedence keeps
        // the key independent of mark order.
        'a' if has(CIRCUMFLEX) => (2, CIRCUMFLEX),
        'a' if has(BREVE) => (1, BREVE),
        'a' => (0, 0),
        'b' => (3, 0),
        'c' => (4, 0),
        'd' => (5, 0),
        'đ' => (6, 0),
        'e' if has(CIRCUMFLEX) => (8, CIRCUMFLEX),
        'e' => (7, 0),
        'o' if has(CIRCUMFLEX) => (19, CIRCUMFLEX),
        'o' if has(HORN) => (20, HORN),
        'o' => (18, 0),
        'u' if has(HORN) => (27, HORN),
        'u' => (26, 0),
        // The remaining letters carry no modifiers, so their index is a fixed shift from ASCII.
        'f'..='n' => (c as u8 - b'f' + 9, 0),
        'p'..='t' => (c as u8 - b'p' + 21, 0),
        'v'..='z' => (c as u8 - b'v' + 28, 0),
        // Unreachable by construction (`Base::Letter` only holds a–z and đ); sorting such a
        // char with 'a' is harmless.
        _ => (0, 0),
    }
}

/// Three bytes, each >= 0x80, whose order is code point order: keeps 0x00 and 0x01 out of
/// multi-byte weights.
fn push_code_point(out: &mut Vec<u8>, c: char) {
    let v = c as u32;
    out.extend_from_slice(&[
        0x80 | ((v >> 14) & 0x7F) as u8,
        0x80 | ((v >> 7) & 0x7F) as u8,
        0x80 | (v & 0x7F) as u8,
    ]);
}

fn lowercase_single(c: char) -> char {
    let mut lower = c.to_lowercase();
    if lower.len() == 1 {
        lower.next().unwrap_or(c)
    } else {
        c
    }
}

/// Builds the three levels in one pass over the input; they are joined at the end.
struct KeyBuilder {
    primary: Vec<u8>,
    secondary: Vec<u8>,
    tertiary: Vec<u8>,
    pending: Option<Element>,
    /// An element has been emitted, so a later word needs a separator before it.
    started: bool,
    /// Whitespace seen since the last element.
    gap: bool,
}

impl KeyBuilder {
    fn with_capacity(n: usize) -> Self {
        KeyBuilder {
            // Room for both separators and one tertiary byte per letter in the final key.
            primary: Vec::with_capacity(2 * n + 2),
            secondary: Vec::with_capacity(8),
            tertiary: Vec::with_capacity(n),
            pending: None,
            started: false,
            gap: false,
        }
    }

    fn feed_str(&mut self, s: &str) {
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() {
                // Numbers sort by value ("Tổ 2" < "Tổ 10"): a run of digits is fed without its
                // leading zeros, left-padded to NUMBER_WIDTH, so byte order is numeric order
                // for every number shorter than that.
                let mut run = String::from(c);
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    run.push(d);
                    chars.next();
                }
                let digits = run.trim_start_matches('0');
                let digits = if digits.is_empty() { "0" } else { digits };
                for _ in digits.len()..NUMBER_WIDTH {
                    self.feed_decomposed('0');
                }
                for d in digits.chars() {
                    self.feed_decomposed(d);
                }
                continue;
            }
            if c.is_ascii() {
                self.feed_decomposed(c);
            } else {
                decompose_canonical(c, |d| self.feed_decomposed(d));
            }
        }
    }

    fn word_break(&mut self) {
        self.flush();
        self.gap = true;
    }

    fn feed_decomposed(&mut self, d: char) {
        if !d.is_ascii() && is_combining_mark(d) {
            // A mark with nothing to sit on (after a space or punctuation) carries no meaning.
            if let Some(e) = &mut self.pending {
                e.add_mark(d);
            }
            return;
        }
        self.flush();
        let (base, upper) = match d {
            'a'..='z' => (Base::Letter(d), false),
            'A'..='Z' => (Base::Letter(d.to_ascii_lowercase()), true),
            'đ' => (Base::Letter('đ'), false),
            'Đ' => (Base::Letter('đ'), true),
            '0'..='9' => (Base::Digit(d as u8 - b'0'), false),
            // Dashes join compound names ("Ngô-Văn"), which read as two words.
            '-' | '\u{2010}'..='\u{2015}' => {
                self.gap = true;
                return;
            }
            _ if d.is_whitespace() => {
                self.gap = true;
                return;
            }
            _ if d.is_alphanumeric() => (Base::Other(lowercase_single(d)), d.is_uppercase()),
            // Punctuation and symbols: "Nguyễn V. An" should sit next to "Nguyễn V An".
            _ => return,
        };
        self.pending = Some(Element::new(base, upper));
    }

    fn flush(&mut self) {
        let Some(mut e) = self.pending.take() else {
            return;
        };
        if self.started && self.gap {
            self.primary.push(WORD_SEP);
            self.secondary.push(WORD_SEP);
        }
        self.started = true;
        self.gap = false;

        let mut unused = e.modifiers;
        match e.base {
            Base::Letter(c) => {
                let (index, used) = letter_index(c, e.modifiers);
                unused &= !used;
                self.primary.push(P_LETTER0 + index);
            }
            Base::Digit(d) => self.primary.push(P_DIGIT0 + d),
            Base::Other(c) => {
                self.primary.push(P_OTHER);
                push_code_point(&mut self.primary, c);
            }
        }
        for (bit, mark) in MODIFIER_MARKS {
            if unused & bit != 0 {
                e.add_other(mark);
            }
        }
        for tone in 0..TONE_COUNT {
            if e.tones & (1 << tone) != 0 {
                self.secondary.push(S_TONE0 + tone);
            }
        }
        for &m in &e.others[..e.n_others] {
            self.secondary.push(S_OTHER);
            push_code_point(&mut self.secondary, m);
        }
        self.tertiary.push(if e.upper { T_UPPER } else { T_LOWER });
    }

    fn finish(mut self) -> Vec<u8> {
        self.flush();
        let mut key = self.primary;
        key.reserve(self.secondary.len() + self.tertiary.len() + 2);
        key.push(LEVEL_SEP);
        key.extend_from_slice(&self.secondary);
        key.push(LEVEL_SEP);
        key.extend_from_slice(&self.tertiary);
        key
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_keep_only_the_ends() {
        use super::{mask_id_number, mask_phone};
        assert_eq!(mask_phone("0912345678"), "0912 *** 678");
        assert_eq!(mask_phone("0912 345 678"), "0912 *** 678");
        assert_eq!(mask_id_number("001088012345"), "0010*****345");
        assert_eq!(mask_id_number("012345678"), "0123**678");
        assert_eq!(mask_phone("12345"), "***");
        assert_eq!(mask_phone(""), "");
    }

    use super::*;
    use expect_test::{Expect, expect};
    use proptest::prelude::*;

    const ALPHABET: [char; 33] = [
        'a', 'ă', 'â', 'b', 'c', 'd', 'đ', 'e', 'ê', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n',
        'o', 'ô', 'ơ', 'p', 'q', 'r', 's', 't', 'u', 'ư', 'v', 'w', 'x', 'y', 'z',
    ];
    const TONE_SIGNS: [char; 5] = ['`', '?', '~', '\'', '.'];

    fn check_fold(input: &str, expect: Expect) {
        expect.assert_eq(&fold(input));
    }

    fn check_normalize_display(input: &str, expect: Expect) {
        expect.assert_debug_eq(&normalize_display(input));
    }

    fn check_split_name(input: &str, expect: Expect) {
        let NameParts {
            family,
            middle,
            given,
        } = split_name(input);
        expect.assert_eq(&format!("{family:?} {middle:?} {given:?}"));
    }

    fn check_sort_key(input: &str, expect: Expect) {
        expect.assert_eq(&render_key(&sort_key(input)));
    }

    fn check_roster_key(input: &str, expect: Expect) {
        expect.assert_eq(&render_key(&roster_key(input)));
    }

    fn levels(key: &[u8]) -> Vec<&[u8]> {
        key.split(|&b| b == LEVEL_SEP).collect()
    }

    fn read_code_point(bytes: &mut impl Iterator<Item = u8>) -> char {
        let v = (0..3).fold(0u32, |v, _| {
            (v << 7) | u32::from(bytes.next().unwrap() & 0x7F)
        });
        char::from_u32(v).unwrap()
    }

    /// Decodes a key as "primary | secondary | tertiary" so snapshots can be read: letters,
    /// tones as ` ? ~ ' . (- for none), foreign marks as <U+XXXX>, case as l/U; words are
    /// split by spaces on every level.
    fn render_key(key: &[u8]) -> String {
        let levels = levels(key);
        assert_eq!(levels.len(), 3, "{key:?}");
        let mut primary = String::new();
        let mut word_lens = vec![0];
        let mut bytes = levels[0].iter().copied();
        while let Some(b) = bytes.next() {
            match b {
                WORD_SEP => {
                    primary.push(' ');
                    word_lens.push(0);
                    continue;
                }
                P_OTHER => primary.push_str(&format!("<{}>", read_code_point(&mut bytes))),
                P_LETTER0.. => primary.push(ALPHABET[usize::from(b - P_LETTER0)]),
                P_DIGIT0.. => primary.push(char::from(b'0' + b - P_DIGIT0)),
                _ => panic!("bad primary byte {b:#x}"),
            }
            *word_lens.last_mut().unwrap() += 1;
        }
        let mut secondary = Vec::new();
        for word in levels[1].split(|&b| b == WORD_SEP) {
            let mut rendered = String::new();
            let mut bytes = word.iter().copied();
            while let Some(b) = bytes.next() {
                if b == S_OTHER {
                    let m = read_code_point(&mut bytes);
                    rendered.push_str(&format!("<U+{:04X}>", u32::from(m)));
                } else {
                    rendered.push(TONE_SIGNS[usize::from(b - S_TONE0)]);
                }
            }
            secondary.push(if rendered.is_empty() {
                "-".to_owned()
            } else {
                rendered
            });
        }
        let mut tertiary = Vec::new();
        let mut rest = levels[2];
        for len in word_lens {
            let (word, tail) = rest.split_at(len);
            tertiary.push(
                word.iter()
                    .map(|&b| if b == T_UPPER { 'U' } else { 'l' })
                    .collect(),
            );
            rest = tail;
        }
        assert!(rest.is_empty(), "{key:?}");
        let tertiary: Vec<String> = tertiary;
        format!(
            "{primary} | {} | {}",
            secondary.join(" "),
            tertiary.join(" ")
        )
    }

    /// Asserts `expected` is strictly increasing under `key`, and that sorting a shuffled copy
    /// restores it (reversed first, so equal keys would show up as a wrong order).
    fn assert_order(key: fn(&str) -> Vec<u8>, expected: &[&str]) {
        for pair in expected.windows(2) {
            assert!(
                key(pair[0]) < key(pair[1]),
                "{:?} should sort before {:?}",
                pair[0],
                pair[1]
            );
        }
        let mut shuffled: Vec<&str> = expected.iter().rev().copied().collect();
        shuffled.rotate_left(expected.len() / 3);
        shuffled.sort_by_cached_key(|s| key(s));
        assert_eq!(shuffled, expected);
    }

    #[test]
    fn fold_cases() {
        check_fold("Nguyễn Văn Bằng", expect!["nguyen van bang"]);
        check_fold("Đặng Thị Ánh", expect!["dang thi anh"]);
        check_fold("ĐỖ  ĐỨC\tĐẠT ", expect!["do duc dat"]);
        check_fold("Nguye\u{302}\u{303}n", expect!["nguyen"]);
        check_fold("Nguye\u{303}\u{302}n", expect!["nguyen"]);
        check_fold(
            "\u{a0} Phường\u{3000}Trúc Bạch\n",
            expect!["phuong truc bach"],
        );
        check_fold("Hoà / Hòa", expect!["hoa / hoa"]);
        check_fold("İstanbul Müller", expect!["istanbul muller"]);
        check_fold("", expect![""]);
    }

    #[test]
    fn fold_treats_precomposed_and_decomposed_alike() {
        for s in [
            "Nguyễn Văn Bằng",
            "Đặng Thị Ánh",
            "Lưu Quỳnh Hương",
            "Ỷ Lan",
        ] {
            let nfd: String = s.nfd().collect();
            assert_ne!(nfd, s);
            assert_eq!(fold(&nfd), fold(s), "{s}");
        }
    }

    #[test]
    fn fold_is_idempotent_for_every_char() {
        let mut s = String::new();
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            s.clear();
            s.push(c);
            let once = fold(&s);
            assert_eq!(fold(&once), once, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn normalize_display_cases() {
        check_normalize_display(
            "  Nguye\u{302}\u{303}n \u{a0}Văn\tA  ",
            expect![[r#"
            "Nguyễn Văn A"
        "#]],
        );
        check_normalize_display(
            "Hoà",
            expect![[r#"
            "Hoà"
        "#]],
        );
        check_normalize_display(
            "\n\t ",
            expect![[r#"
            ""
        "#]],
        );
    }

    #[test]
    fn split_name_cases() {
        check_split_name(
            "Nguyễn Thị Minh Khai",
            expect![[r#""Nguyễn" "Thị Minh" "Khai""#]],
        );
        check_split_name("  Lê \t An ", expect![[r#""Lê" "" "An""#]]);
        check_split_name("Tuấn", expect![[r#""" "" "Tuấn""#]]);
        check_split_name(" ", expect![[r#""" "" """#]]);
        check_split_name("Tôn Nữ Thị Hà", expect![[r#""Tôn" "Nữ Thị" "Hà""#]]);
    }

    #[test]
    fn numbers_sort_by_value() {
        let mut names = [
            "Tổ công tác 10",
            "Tổ công tác 2",
            "Tổ công tác 1",
            "Tổ 02",
            "Tổ 3",
            "Ngõ 120",
            "Ngõ 12",
        ];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(
            names,
            [
                "Ngõ 12",
                "Ngõ 120",
                "Tổ 02",
                "Tổ 3",
                "Tổ công tác 1",
                "Tổ công tác 2",
                "Tổ công tác 10"
            ]
        );
        assert_eq!(
            sort_key("Tổ 2")[..8],
            sort_key("Tổ 02")[..8],
            "leading zeros do not count"
        );
    }

    #[test]
    fn sort_key_cases() {
        check_sort_key(
            "Đặng Thị Ánh",
            expect!["đăng thi anh | . . ' | Ulll Ull Ull"],
        );
        check_sort_key("Nguyễn", expect!["nguyên | ~ | Ulllll"]);
        check_sort_key("NGUYỄN", expect!["nguyên | ~ | UUUUUU"]);
        check_sort_key("An Bình", expect!["an binh | - ` | Ul Ulll"]);
        check_sort_key(
            "  Ngô-Văn, 12  ",
            expect!["ngô văn 00000012 | - - - | Ull Ull llllllll"],
        );
        check_sort_key(
            "Müller Ça",
            expect!["muller ca | <U+0308> <U+0327> | Ulllll Ul"],
        );
        check_sort_key("Ελένη", expect!["<ε><λ><ε><ν><η> | ' | Ullll"]);
        check_sort_key("", expect![" | - | "]);
    }

    #[test]
    fn roster_key_cases() {
        check_roster_key(
            "Nguyễn Thị Minh Khai",
            expect!["khai nguyên thi minh | - ~ . - | Ulll Ulllll Ull Ulll"],
        );
        check_roster_key("Lê An", expect!["an lê | - - | Ul Ul"]);
        check_roster_key("Tuấn", expect!["tuân | ' | Ulll"]);
    }

    #[test]
    fn vietnamese_letters_follow_the_alphabet() {
        let letters: Vec<String> = ALPHABET.iter().map(|c| c.to_string()).collect();
        let mut expected: Vec<&str> = vec!["0", "1", "9"];
        expected.extend(letters.iter().map(String::as_str));
        expected.push("ß");
        assert_order(sort_key, &expected);
    }

    #[test]
    fn other_scripts_follow_by_code_point() {
        assert_order(
            sort_key,
            &[
                "z",
                "ß",
                "ε",
                "я",
                "\u{3FFF}",
                "\u{4000}",
                "中",
                "\u{20000}",
            ],
        );
    }

    #[test]
    fn many_foreign_marks_do_not_depend_on_order() {
        let marks = [
            '\u{308}', '\u{30A}', '\u{327}', '\u{328}', '\u{304}', '\u{30C}',
        ];
        let forward: String = std::iter::once('a').chain(marks).collect();
        let backward: String = std::iter::once('a')
            .chain(marks.iter().rev().copied())
            .collect();
        assert_eq!(sort_key(&forward), sort_key(&backward));
        assert_ne!(sort_key(&forward), sort_key("a\u{308}"));
    }

    #[test]
    fn vowel_letters_outrank_tones() {
        assert_order(sort_key, &["An", "Ánh", "Ăn", "Ân"]);
    }

    #[test]
    fn d_before_stroked_d() {
        assert_order(sort_key, &["Do", "Dương", "Đặng", "Đỗ"]);
    }

    #[test]
    fn tones_in_order() {
        assert_order(sort_key, &["ca", "cà", "cả", "cã", "cá", "cạ"]);
        assert_order(sort_key, &["Bình", "Bính"]);
    }

    #[test]
    fn shorter_word_first() {
        assert_order(sort_key, &["An", "An Bình", "Anh"]);
        assert_order(sort_key, &["Anh", "Anh Ba", "Anhb"]);
        assert_eq!(sort_key("Ngô-Văn"), sort_key("Ngô Văn"));
        assert_eq!(sort_key("O'Neil"), sort_key("ONeil"));
    }

    #[test]
    fn case_is_tertiary() {
        assert_order(sort_key, &["an", "An", "AN", "ăn", "Ăn"]);
        let (lower, upper) = (sort_key("nguyễn văn"), sort_key("Nguyễn Văn"));
        assert_eq!(levels(&lower)[..2], levels(&upper)[..2]);
        assert_ne!(levels(&lower)[2], levels(&upper)[2]);
    }

    #[test]
    fn tone_placement_does_not_matter() {
        for (old, new) in [
            ("Hoà", "Hòa"),
            ("Thuý", "Thúy"),
            ("Khoẻ", "Khỏe"),
            ("Hoạ", "Họa"),
        ] {
            assert_eq!(sort_key(old), sort_key(new), "{old} vs {new}");
        }
        assert_ne!(sort_key("Hoà"), sort_key("Hoá"));
    }

    #[test]
    fn normalization_form_and_mark_order_do_not_matter() {
        let nfc = "Nguyễn Thị Ánh Đặng Lưu Quỳnh";
        let nfd: String = nfc.nfd().collect();
        assert_ne!(nfd, nfc);
        assert_eq!(sort_key(&nfd), sort_key(nfc));
        assert_eq!(sort_key("Nguye\u{303}\u{302}n"), sort_key("Nguyễn"));
    }

    #[test]
    fn realistic_names() {
        assert_order(
            sort_key,
            &[
                "Bùi Thị Xuân",
                "Đặng Văn Ngữ",
                "Đỗ Mười",
                "Hồ Xuân Hương",
                "Lê Lợi",
                "Lý Thường Kiệt",
                "Ngô Quyền",
                "Nguyễn Du",
                "Nguyễn Trãi",
                "Phạm Ngũ Lão",
                "Trần Hưng Đạo",
                "Trần Phú",
                "Trưng Trắc",
            ],
        );
    }

    #[test]
    fn roster_sorts_by_given_name() {
        assert_order(roster_key, &["Lê An", "Nguyễn Thị An", "Trần Văn Bình"]);
        assert_order(
            roster_key,
            &["Tuấn", "Lê Anh Tuấn", "Lê Văn Tuấn", "Nguyễn Tuấn"],
        );
        assert_eq!(
            roster_key("Nguyễn Thị Minh Khai"),
            sort_key("Khai Nguyễn Thị Minh")
        );
    }

    fn vietnamese_text() -> impl Strategy<Value = String> {
        let chars: Vec<char> = "aAăĂâÂeEêÊoOôÔơƠuUưƯiIyYdDđĐnNgGhH  \u{a0}\t-.'1"
            .chars()
            .chain(['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'])
            .chain([
                '\u{302}', '\u{306}', '\u{31B}', '\u{308}', '\u{327}', '\u{30A}',
            ])
            .collect();
        proptest::collection::vec(proptest::sample::select(chars), 0..16)
            .prop_map(String::from_iter)
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(s in "\\PC{0,24}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn fold_is_idempotent_on_vietnamese(s in vietnamese_text()) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn normalize_display_is_idempotent_and_keeps_the_fold(s in vietnamese_text()) {
            let once = normalize_display(&s);
            prop_assert_eq!(normalize_display(&once), once.clone());
            prop_assert_eq!(fold(&once), fold(&s));
        }

        #[test]
        fn sort_key_agrees_with_fold_on_ascii(a in "[a-zA-Z ]{0,10}", b in "[a-zA-Z ]{0,10}") {
            let (fa, fb) = (fold(&a), fold(&b));
            let (ka, kb) = (sort_key(&a), sort_key(&b));
            if fa == fb {
                prop_assert_eq!(&levels(&ka)[..2], &levels(&kb)[..2]);
            } else {
                prop_assert_eq!(ka.cmp(&kb), fa.cmp(&fb));
            }
        }

        #[test]
        fn lowercase_ascii_words_sort_bytewise(
            a in "[a-z]{1,5}( [a-z]{1,5}){0,2}",
            b in "[a-z]{1,5}( [a-z]{1,5}){0,2}",
        ) {
            prop_assert_eq!(sort_key(&a).cmp(&sort_key(&b)), a.cmp(&b));
        }

        #[test]
        fn sort_key_ignores_normalization_form(s in "\\PC{0,16}") {
            let nfc: String = s.nfc().collect();
            let nfd: String = s.nfd().collect();
            prop_assert_eq!(sort_key(&nfc), sort_key(&nfd));
        }

        #[test]
        fn sort_key_ignores_normalization_form_on_vietnamese(s in vietnamese_text()) {
            let nfc: String = s.nfc().collect();
            let nfd: String = s.nfd().collect();
            prop_assert_eq!(sort_key(&nfc), sort_key(&nfd));
        }

        #[test]
        fn roster_key_is_sort_key_of_reordered_name(s in vietnamese_text()) {
            let NameParts { family, middle, given } = split_name(&s);
            let reordered = format!("{given} {family} {middle}");
            prop_assert_eq!(roster_key(&s), sort_key(&reordered));
        }
    }
}
