//! PEM as openssl reads it: blocks anywhere in the text, any line endings, headers skipped.
//!
//! `pem-rfc7468` is strict (no text before the first block, no headers), which rejects files
//! that `openssl` and cosign accept, so blocks are located here and their bodies decoded with
//! `base64`.

use base64::Engine as _;

use crate::Error;

/// One `-----BEGIN label-----` … `-----END label-----` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    label: String,
    body: Vec<u8>,
}

impl PemBlock {
    /// The block's label, e.g. `PUBLIC KEY`.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The decoded body.
    #[must_use]
    pub fn contents(&self) -> &[u8] {
        &self.body
    }
}

/// A block may hold a private key: its decoded body is zeroized on drop.
impl Drop for PemBlock {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.body);
    }
}

const BEGIN: &str = "-----BEGIN ";
const DASHES: &str = "-----";

/// Every PEM block in `input`, in order. Text outside blocks is ignored.
///
/// Returns an empty list if the input has no complete block (for example, it is DER).
///
/// # Errors
///
/// [`Error::PemBody`] if a complete block's body is not base64.
pub fn pem_blocks(input: &[u8]) -> Result<Vec<PemBlock>, Error> {
    // PEM is ASCII; lossy conversion keeps binary garbage from stopping the search.
    let text = String::from_utf8_lossy(input);
    let mut blocks = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = &rest[start + BEGIN.len()..];
        let Some(label_end) = after_begin.find(DASHES) else {
            break;
        };
        let label = &after_begin[..label_end];
        let body_start = &after_begin[label_end + DASHES.len()..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_len) = body_start.find(&end_marker) else {
            break;
        };
        // OpenPGP armor looks like PEM but is not (headers, a `=` checksum line): its body is
        // never a key vouch reads, so it is not decoded, only named.
        let body = if label.starts_with("PGP ") {
            Vec::new()
        } else {
            decode_body(label, &body_start[..body_len])?
        };
        blocks.push(PemBlock {
            label: label.to_owned(),
            body,
        });
        rest = &body_start[body_len + end_marker.len()..];
    }
    Ok(blocks)
}

/// RFC 1421 header lines a block may have. Encrypted legacy keys have two (`Proc-Type`,
/// `DEK-Info`); thousands are an attempt to make parsing slow or to hide data.
const MAX_HEADERS: usize = 16;

fn decode_body(label: &str, body: &str) -> Result<Vec<u8>, Error> {
    let found = body.lines().filter(|line| line.contains(':')).count();
    if found > MAX_HEADERS {
        return Err(Error::PemHeaders {
            label: label.to_owned(),
            found,
            max: MAX_HEADERS,
        });
    }
    // RFC 1421 headers (`Proc-Type: …`) precede a blank line; no base64 line contains ':'.
    let base64: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
        body.lines()
            .filter(|line| !line.contains(':'))
            .flat_map(|line| line.chars().filter(|c| !c.is_ascii_whitespace()))
            .collect(),
    );
    base64::engine::general_purpose::STANDARD
        .decode(base64.as_bytes())
        .map_err(|_| Error::PemBody {
            label: label.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_after_text_and_with_crlf() {
        let input = b"Vendor key, 2026\r\n-----BEGIN PUBLIC KEY-----\r\nAAEC\r\nAw==\r\n-----END PUBLIC KEY-----\r\n";
        let blocks = pem_blocks(input).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label(), "PUBLIC KEY");
        assert_eq!(blocks[0].contents(), &[0, 1, 2, 3]);
    }

    #[test]
    fn skips_rfc1421_headers() {
        let input = b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(pem_blocks(input).unwrap()[0].contents(), &[0, 1, 2]);
    }

    #[test]
    fn thousands_of_headers_are_refused() {
        let mut input = b"-----BEGIN PUBLIC KEY-----\n".to_vec();
        for i in 0..10_000 {
            input.extend_from_slice(format!("X-Header-{i}: v\n").as_bytes());
        }
        input.extend_from_slice(b"\nAAEC\n-----END PUBLIC KEY-----\n");
        let err = pem_blocks(&input).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PemHeaders {
                    found: 10_000,
                    max: 16,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn bad_base64_is_an_error_naming_the_label() {
        let err =
            pem_blocks(b"-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----").unwrap_err();
        assert!(matches!(err, Error::PemBody { label } if label == "PUBLIC KEY"));
    }

    #[test]
    fn unterminated_or_binary_input_has_no_blocks() {
        assert!(
            pem_blocks(b"-----BEGIN PUBLIC KEY-----\nAAEC")
                .unwrap()
                .is_empty()
        );
        assert!(pem_blocks(&[0x30, 0x82, 0xff, 0x00]).unwrap().is_empty());
        assert!(pem_blocks(b"-----BEGIN ").unwrap().is_empty());
    }
}
