//! Untrusted text made safe for one line of a terminal.
//!
//! File names, registry fields, certificate identities and annotation values come from whoever
//! made the folder, the registry or the signature. Printed raw, a name holding a newline forges
//! a second verdict line (`x: ✅ Signature valid`), a carriage return overwrites the line it is
//! on, and escape sequences reach the terminal. Every such string passes through here before it
//! is printed as text, so that one entry is always one line and no control character reaches
//! the terminal: control characters (C0, DEL, C1) as `\n`, `\r`, `\t` or `\xNN`, the Unicode
//! line and paragraph separators and the bidirectional controls that reorder what is shown
//! (the "Trojan Source" characters) as `\u{NNNN}`, and bytes that are not UTF-8 (Unix file
//! names may hold any byte but `/` and NUL) as `\xNN`, so that two names that differ in those
//! bytes never print alike. A backslash is kept as it is: a name is then ambiguous only with one
//! that spells an escape out literally, and the JSON output carries the exact name.
//!
//! This is the quoting of `ls --quoting-style=c` and ripgrep, without the surrounding quotes.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::Write as _;

/// `text`, with every character that could break the line or reach the terminal escaped.
pub(crate) fn text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    push_escaped(&mut out, text);
    Cow::Owned(out)
}

/// `bytes` as text: UTF-8 runs escaped as [`text`] does, every other byte as `\xNN`.
pub(crate) fn bytes(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(valid) => text(valid),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                push_escaped(&mut out, chunk.valid());
                for byte in chunk.invalid() {
                    // Writing to a String cannot fail.
                    let _infallible = write!(out, "\\x{byte:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// A file name or path, as [`bytes()`] shows it.
pub(crate) fn os(name: &OsStr) -> Cow<'_, str> {
    bytes(name.as_encoded_bytes())
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_reordering(c)
}

/// U+2028/U+2029 break lines in some terminals and editors; U+200E/U+200F, U+202A–U+202E and
/// U+2066–U+2069 change the order in which the rest of the line is shown.
fn is_invisible_reordering(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && u32::from(c) < 0x100 => {
                // Writing to a String cannot fail.
                let _infallible = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _infallible = write!(out, "\\u{{{:04x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for plain in ["bundle.tar.zst", "ünïcödé ✅ name", "back\\slash", ""] {
            assert!(matches!(text(plain), Cow::Borrowed(t) if t == plain));
        }
    }

    #[test]
    fn line_breaks_and_terminal_controls_are_escaped() {
        assert_eq!(
            text("malware.exe: ✅ Signature valid\nzzz"),
            "malware.exe: ✅ Signature valid\\nzzz"
        );
        assert_eq!(text("a\rb\tc"), "a\\rb\\tc");
        assert_eq!(text("\u{1b}[2Kred"), "\\x1b[2Kred");
        assert_eq!(text("del\u{7f} c1\u{9b}"), "del\\x7f c1\\x9b");
        assert_eq!(text("x\u{2028}y\u{202e}z"), "x\\u{2028}y\\u{202e}z");
    }

    #[test]
    fn invalid_utf8_bytes_stay_distinct() {
        let fe = bytes(b"app\xfe.bin");
        let ff = bytes(b"app\xff.bin");
        assert_eq!(fe, "app\\xfe.bin");
        assert_eq!(ff, "app\\xff.bin");
        assert_ne!(fe, ff);
        assert_eq!(bytes(b"\xff\n\xc3\xa9"), "\\xff\\n\u{e9}");
    }

    #[test]
    fn escaped_text_never_holds_a_control_character() {
        let all: Vec<u8> = (0..=255).collect();
        let shown = bytes(&all);
        assert!(!shown.chars().any(needs_escape), "{shown}");
        let chars: String = (0..0x3000).filter_map(char::from_u32).collect();
        assert!(!text(&chars).chars().any(needs_escape));
    }
}
