//! Untrusted strings (names, globs, scopes, images from a policy or a review) as messages show
//! them: at most [`MAX_SHOWN`] characters, escaped so that no control character reaches a
//! terminal or a log line.

/// The most characters of an untrusted string repeated in a message.
pub(crate) const MAX_SHOWN: usize = 200;

/// At most [`MAX_SHOWN`] characters of `text`, with `…` when cut; not escaped.
pub(crate) fn cut(text: &str) -> String {
    let mut chars = text.chars();
    let mut short: String = chars.by_ref().take(MAX_SHOWN).collect();
    if chars.next().is_some() {
        short.push('…');
    }
    short
}

/// [`cut`], escaped (`\n`, `\u{1b}`, `\"`…).
pub(crate) fn shortened(text: &str) -> String {
    cut(text).escape_debug().to_string()
}

/// [`shortened`], in double quotes.
pub(crate) fn quoted(text: &str) -> String {
    format!("\"{}\"", shortened(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_hostile_text_is_cut_and_escaped() {
        assert_eq!(quoted("a\nb"), "\"a\\nb\"");
        let long = "x\u{1b}".repeat(300);
        let shown = quoted(&long);
        assert!(!shown.contains('\u{1b}'));
        assert!(shown.ends_with("…\""));
        assert_eq!(cut(&"y".repeat(MAX_SHOWN)), "y".repeat(MAX_SHOWN));
    }
}
