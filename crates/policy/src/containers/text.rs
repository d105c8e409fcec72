//! Untrusted strings as they are shown in messages and names: shortened and escaped.

/// An untrusted string written into a name or between backticks: shortened, control
/// characters escaped.
pub(super) fn escaped(text: &str) -> String {
    shown(text)
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Why a reference does not parse, without repeating it (the message quotes it already).
pub(super) fn reference_problem(err: &vouch_oci::Error) -> String {
    match err {
        vouch_oci::Error::InvalidReference { reason, .. } => reason.clone(),
        other => escaped(&other.to_string()),
    }
}

/// An untrusted string as it is shown (quoted with `{:?}`, which escapes it): at most
/// [`crate::text::MAX_SHOWN`] characters.
pub(super) fn shown(text: &str) -> String {
    crate::text::cut(text)
}
