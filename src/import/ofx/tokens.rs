//! One tolerant tokenizer for OFX 1.x (SGML: leaf elements have no closing tag) and OFX
//! 2.x (XML). It yields tags and text with their line; it does not check nesting, which
//! the parser above it repairs. Linear: every byte is looked at a bounded number of times.

use std::borrow::Cow;

/// A tag name longer than this is not a tag (OFX's longest is about 20).
const MAX_TAG: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// `<NAME>`; the name upper-cased. `empty` for XML's `<NAME/>`.
    Open { name: String, line: usize, empty: bool },
    /// `</NAME>`
    Close { name: String, line: usize },
    /// Text between tags, entities decoded.
    Text { text: Cow<'a, str>, line: usize },
}

pub(crate) struct Tokenizer<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Tokenizer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Tokenizer { text, pos: 0, line: 1 }
    }

    /// Moves past `len` bytes, counting the line ends in them.
    fn advance(&mut self, len: usize) {
        let end = self.pos.saturating_add(len).min(self.text.len());
        let skipped = self.text.as_bytes().get(self.pos..end).unwrap_or_default();
        self.line = self.line.saturating_add(skipped.iter().filter(|&&b| b == b'\n').count());
        self.pos = end;
    }

    /// Skips to just after `end`, or to the end of the text when it never comes.
    fn skip_past(&mut self, rest: &str, end: &str) {
        match rest.find(end) {
            Some(at) => self.advance(at + end.len()),
            None => self.advance(rest.len()),
        }
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':')
}

/// `<NAME>`, `</NAME>`, `<NAME/>` or `<NAME attr="…">` at the start of `rest`: the
/// token's length, whether it closes, whether it is empty, and its name.
fn read_tag(rest: &str) -> Option<(usize, bool, bool, &str)> {
    let bytes = rest.as_bytes();
    let window = bytes.get(1..).unwrap_or_default();
    let end = window.iter().take(MAX_TAG * 4).position(|&b| b == b'>' || b == b'<')?;
    if window.get(end) != Some(&b'>') {
        return None;
    }
    let inner = rest.get(1..end + 1)?;
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(inner) => (true, inner),
        None => (false, inner),
    };
    let empty = !closing && inner.ends_with('/');
    let name_len = inner.bytes().take_while(|&b| is_name_byte(b)).count();
    let name = inner.get(..name_len)?;
    let after = inner.get(name_len..)?;
    let starts_with_letter = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    let tail_ok = after.is_empty() || after == "/" || after.starts_with(char::is_whitespace);
    (starts_with_letter && name.len() <= MAX_TAG && tail_ok).then_some((end + 2, closing, empty, name))
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let text: &'a str = self.text;
            let rest = text.get(self.pos..).filter(|r| !r.is_empty())?;
            let line = self.line;
            if !rest.starts_with('<') {
                let len = rest.find('<').unwrap_or(rest.len());
                let raw = rest.get(..len).unwrap_or_default();
                self.advance(len);
                return Some(Token::Text { text: decode_entities(raw), line });
            }
            if let Some(body) = rest.strip_prefix("<![CDATA[") {
                let len = body.find("]]>").unwrap_or(body.len());
                let raw = body.get(..len).unwrap_or_default();
                self.skip_past(rest, "]]>");
                return Some(Token::Text { text: Cow::Borrowed(raw), line });
            }
            if rest.starts_with("<!--") {
                self.skip_past(rest, "-->");
                continue;
            }
            if rest.starts_with("<?") || rest.starts_with("<!") {
                self.skip_past(rest, ">");
                continue;
            }
            match read_tag(rest) {
                Some((len, closing, empty, name)) => {
                    let name = name.to_ascii_uppercase();
                    self.advance(len);
                    return Some(if closing { Token::Close { name, line } } else { Token::Open { name, line, empty } });
                }
                None => {
                    // A `<` that starts no tag (`A<B`, or a file cut mid-tag) is text.
                    self.advance(1);
                    return Some(Token::Text { text: Cow::Borrowed("<"), line });
                }
            }
        }
    }
}

/// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric references.
/// A bare `&` (common in SGML files: `AT&T`) and unknown names stay as they are.
pub(crate) fn decode_entities(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        let semicolon = after.bytes().take(10).position(|b| b == b';');
        let decoded = semicolon.and_then(|end| {
            let name = after.get(..end)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code).filter(|c| *c != '\0')?
                }
            };
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = after.get(len..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}
