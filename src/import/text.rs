//! Bytes to text, and descriptions to the short form duplicate matching compares.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The encoding [`decode_text`] read a file in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// UTF-16 little-endian (byte-order mark `FF FE`).
    Utf16Le,
    /// UTF-16 big-endian (byte-order mark `FE FF`).
    Utf16Be,
    /// Anything that is not valid UTF-8: read as Windows-1252, which is Latin-1 with
    /// printable characters (€, curly quotes, Š…) in place of the C1 controls.
    Windows1252,
}

/// Windows-1252 bytes 0x80–0x9F; the five it leaves undefined keep their Latin-1 value.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’',
    '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => CP1252_HIGH.get(usize::from(b - 0x80)).copied().unwrap_or('\u{fffd}'),
            _ => char::from(b),
        })
        .collect()
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let chunks = bytes.chunks_exact(2);
    let odd = !chunks.remainder().is_empty();
    let units = chunks.filter_map(|pair| <[u8; 2]>::try_from(pair).ok()).map(unit);
    let mut text: String = char::decode_utf16(units).map(|c| c.unwrap_or('\u{fffd}')).collect();
    if odd {
        text.push('\u{fffd}');
    }
    text
}

/// Turns a downloaded file into text: a UTF-8 byte-order mark is dropped, UTF-16 is read
/// by its byte-order mark, valid UTF-8 is taken as is, and anything else is read as
/// Windows-1252 (what OFX 1.x's `CHARSET:1252` and most older European exports mean).
/// Valid UTF-8 wins over a header that claims 1252: banks often send UTF-8 under that
/// header, and real 1252 text is almost never valid UTF-8. Line ends become `\n`.
pub fn decode_text(bytes: &[u8]) -> (String, Encoding) {
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (String::from_utf8_lossy(rest).into_owned(), Encoding::Utf8)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (utf16(rest, u16::from_le_bytes), Encoding::Utf16Le)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (utf16(rest, u16::from_be_bytes), Encoding::Utf16Be)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_string(), Encoding::Utf8),
            Err(_) => (windows_1252(bytes), Encoding::Windows1252),
        }
    };
    let text = match normalize_newlines(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(normalized) => normalized,
    };
    (text, encoding)
}

/// `\r\n` and a lone `\r` become `\n`, so every parser counts lines the same way.
pub(crate) fn normalize_newlines(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                continue;
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Words card terminals add around the merchant's name; dropped by
/// [`normalize_description`]. `sq`/`tst` are Square's and Toast's prefixes (`SQ *CAFE`).
const NOISE_WORDS: [&str; 9] = ["pos", "debit", "card", "purchase", "checkcard", "visa", "sq", "tst", "ach"];

/// The short form of a description that duplicate matching compares. Lower-cased;
/// `#` and the digits after it (store numbers), runs of four or more digits (card and
/// reference numbers), masked numbers (`xxxx`), the words card terminals add (`pos`,
/// `debit`, `card`, `purchase`, `checkcard`, `visa`, `sq`, `tst`, `ach`) and every
/// character that is not a letter or a digit are dropped; whitespace collapses to single
/// spaces.
///
/// `"STARBUCKS #1234 SEATTLE WA"` becomes `"starbucks seattle wa"` and
/// `"Starbucks Seattle"` becomes `"starbucks seattle"`: one a word-prefix of the other.
pub fn normalize_description(description: &str) -> String {
    let mut out = String::with_capacity(description.len());
    let mut word = String::new();
    let finish = |word: &mut String, out: &mut String| {
        let kept = strip_long_digit_runs(word);
        let masked = kept.len() >= 2 && kept.chars().all(|c| c == 'x');
        if !kept.is_empty() && !masked && !NOISE_WORDS.contains(&kept.as_str()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&kept);
        }
        word.clear();
    };
    let mut chars = description.chars().flat_map(char::to_lowercase).peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            finish(&mut word, &mut out);
            if c == '#' {
                while chars.next_if(char::is_ascii_digit).is_some() {}
            }
        }
    }
    finish(&mut word, &mut out);
    out
}

/// `"card1234"` → `"card"`, `"12345"` → `""`, `"7"` → `"7"`.
fn strip_long_digit_runs(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut digits = String::new();
    for c in word.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() < 4 {
            out.push_str(&digits);
        }
        digits.clear();
        out.push(c);
    }
    if digits.len() < 4 {
        out.push_str(&digits);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_and_without_bom() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFDate,Amount\r\n"), ("Date,Amount\n".to_string(), Encoding::Utf8));
        assert_eq!(decode_text("Café\r".as_bytes()), ("Café\n".to_string(), Encoding::Utf8));
    }

    #[test]
    fn falls_back_to_windows_1252() {
        let (text, encoding) = decode_text(b"Caf\xe9 \x80 5 \x93ok\x94");
        assert_eq!(text, "Café € 5 “ok”");
        assert_eq!(encoding, Encoding::Windows1252);
    }

    #[test]
    fn decodes_utf16_both_ways() {
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain("é\r\nx".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode_text(&le), ("é\nx".to_string(), Encoding::Utf16Le));
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain("ok".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode_text(&be), ("ok".to_string(), Encoding::Utf16Be));
        // A lone surrogate and an odd trailing byte become replacement characters.
        assert_eq!(decode_text(&[0xFF, 0xFE, 0x00, 0xD8, 0x41]).0, "\u{fffd}\u{fffd}");
    }

    #[test]
    fn newlines_become_lf() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n\r\n"), "a\nb\nc\n\n");
        assert!(matches!(normalize_newlines("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn descriptions_lose_terminal_noise() {
        assert_eq!(normalize_description("STARBUCKS #1234 SEATTLE WA"), "starbucks seattle wa");
        assert_eq!(normalize_description("Starbucks Seattle"), "starbucks seattle");
        assert_eq!(normalize_description("DEBIT CARD PURCHASE - XXXX4821 SHELL OIL 57442"), "shell oil");
        assert_eq!(normalize_description("POS SQ *BLUE BOTTLE COFFEE"), "blue bottle coffee");
        assert_eq!(normalize_description("AMZN Mktp US*2K3LL0"), "amzn mktp us 2k3ll0");
        assert_eq!(normalize_description("7-ELEVEN 12"), "7 eleven 12");
        assert_eq!(normalize_description("  Café   Müller  "), "café müller");
        assert_eq!(normalize_description("#12 ####"), "");
        assert_eq!(normalize_description(""), "");
    }
}
