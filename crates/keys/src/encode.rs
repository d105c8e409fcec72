//! Writing PEM as openssl and Go's `pem.Encode` write it: 64-column base64 lines, a final
//! newline.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::PublicKey;

impl PublicKey {
    /// The key as PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as `openssl pkey -pubout` and
    /// `cosign generate-key-pair` write it.
    ///
    /// ```
    /// let pem = include_str!("../../../testdata/generated/p256-der/key.pub");
    /// let key = vouch_keys::PublicKey::from_pem(pem)?;
    /// assert_eq!(vouch_keys::PublicKey::from_pem(&key.to_pem())?, key);
    /// # Ok::<(), vouch_keys::Error>(())
    /// ```
    #[must_use]
    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", self.spki_der()).to_string()
    }
}

/// `label` in PEM, with `der` in 64-column base64 lines.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(
        encoded.len() + encoded.len() / 64 + 2 * label.len() + 34,
    ));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in encoded.as_bytes().chunks(64) {
        // Base64 is ASCII: every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_64_columns_and_the_text_ends_with_a_newline() {
        let pem = pem_encode("X", &[0xab; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN X-----");
        // 100 bytes are 136 base64 characters: 64 + 64 + 8.
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 64);
        assert_eq!(lines[3].len(), 8);
        assert_eq!(lines[4], "-----END X-----");
        assert!(pem.ends_with('\n'));
        assert_eq!(
            pem_encode("X", &[]).as_str(),
            "-----BEGIN X-----\n-----END X-----\n"
        );
    }
}
