//! Which file a detached signature in a download folder belongs to.
//!
//! Vendors ship `bundle.tar.zst` beside `bundle.tar.sig.bin` (or `bundle.tar.zst.sig.bin`), and
//! cosign users `X.sig`: a signature `X.sig.bin` or `X.sig` signs `X`, or `X.zst` when there is
//! no `X`. [`pair`] applies that rule to a folder's file names and says, for every name, what it
//! is: a signature with its data file, a signature without one, an unsigned data file, or a
//! file that is never data (keys, certificates, bundles).
//!
//! Names are bytes, as Unix stores them: two names that differ in any byte, valid UTF-8 or not,
//! stay two names, so a signature is never checked against a file other than the one it names
//! and no file disappears from a report. The caller lists the folder (only regular files belong
//! in `names`) and decides how to show the names.
//!
//! ```
//! let pairing = vouch_blob::folder::pair([
//!     &b"bundle.tar.zst"[..],
//!     b"bundle.tar.sig.bin",
//!     b"notes.txt",
//!     b"orphan.sig.bin",
//!     b"vendor.pub",
//! ]);
//! assert_eq!(pairing.pairs[0].signature, b"bundle.tar.sig.bin");
//! assert_eq!(pairing.pairs[0].data, b"bundle.tar.zst");
//! assert_eq!(pairing.orphans[0].signature, b"orphan.sig.bin");
//! assert_eq!(pairing.unsigned, [&b"notes.txt"[..]]);
//! ```

use std::collections::BTreeSet;

/// Signature file suffixes, longest first: `X.sig.bin` and `X.sig` sign `X` (or `X.zst`).
pub const SIGNATURE_SUFFIXES: [&[u8]; 2] = [b".sig.bin", b".sig"];

/// The suffix `sign-dir` writes: DER, as `openssl dgst -sign` writes it.
pub const SIGNATURE_SUFFIX: &[u8] = b".sig.bin";

/// Files that are never data: signatures, keys, certificates and bundles.
pub const NOT_DATA_SUFFIXES: [&[u8]; 7] = [
    b".sig",
    b".sig.bin",
    b".pub",
    b".key",
    b".pem",
    b".sigstore.json",
    b".bundle",
];

/// A signature and the data file it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair<'a> {
    /// The signature file's name.
    pub signature: &'a [u8],
    /// The data file's name: `X` or `X.zst`.
    pub data: &'a [u8],
}

/// A signature whose data file is not among the names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan<'a> {
    /// The signature file's name.
    pub signature: &'a [u8],
    /// The names looked for, in order: `X`, then `X.zst`.
    pub looked_for: [Vec<u8>; 2],
}

/// What a folder's names are: see [`pair`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairing<'a> {
    /// Signatures with their data file, in name order of the signature. A data file may be
    /// signed by several signatures (`X.sig` and `X.sig.bin`).
    pub pairs: Vec<Pair<'a>>,
    /// Signatures without a data file, in name order.
    pub orphans: Vec<Orphan<'a>>,
    /// Data files no signature names, in name order.
    pub unsigned: Vec<&'a [u8]>,
}

/// Pairs every signature among `names` with its data file. Duplicate names count once; every
/// distinct name ends up in exactly one place: a pair (as signature, as data, or both for a
/// file like `X.sig.sig`, whose own signature it is), an orphan, `unsigned`, or nowhere if it is
/// never data ([`is_data_name`]) and no signature.
pub fn pair<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> Pairing<'a> {
    let names: BTreeSet<&[u8]> = names.into_iter().collect();
    let mut pairing = Pairing::default();
    let mut signed = BTreeSet::new();
    for &name in &names {
        let Some(stem) = signature_stem(name) else {
            continue;
        };
        let looked_for = [stem.to_vec(), [stem, b".zst"].concat()];
        match looked_for
            .iter()
            .find_map(|wanted| names.get(wanted.as_slice()))
        {
            Some(&data) => {
                signed.insert(data);
                pairing.pairs.push(Pair {
                    signature: name,
                    data,
                });
            }
            None => pairing.orphans.push(Orphan {
                signature: name,
                looked_for,
            }),
        }
    }
    pairing.unsigned = names
        .into_iter()
        .filter(|name| !signed.contains(name) && is_data_name(name))
        .collect();
    pairing
}

/// `X` for a signature file `X.sig.bin` or `X.sig`; `None` for any other name, and for a bare
/// `.sig.bin`, which names no file.
pub fn signature_stem(name: &[u8]) -> Option<&[u8]> {
    SIGNATURE_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(*suffix))
        .filter(|stem| !stem.is_empty())
}

/// Whether a file of this name can be data: not a signature, key, certificate or bundle.
pub fn is_data_name(name: &[u8]) -> bool {
    !NOT_DATA_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(names: &[&'static [u8]]) -> Pairing<'static> {
        pair(names.iter().copied())
    }

    fn pairs(pairing: &Pairing<'_>) -> Vec<(String, String)> {
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        pairing
            .pairs
            .iter()
            .map(|p| (show(p.signature), show(p.data)))
            .collect()
    }

    #[test]
    fn data_file_is_x_else_x_zst() {
        let pairing = run(&[
            b"bundle.tar.sig.bin",
            b"bundle.tar.zst",
            b"disk.iso",
            b"disk.iso.sig.bin",
            b"pack.sig.bin",
            b"pack.zst",
            b"notes.txt",
            b"notes.txt.sig",
        ]);
        let expected = [
            ("bundle.tar.sig.bin", "bundle.tar.zst"),
            ("disk.iso.sig.bin", "disk.iso"),
            ("notes.txt.sig", "notes.txt"),
            ("pack.sig.bin", "pack.zst"),
        ]
        .map(|(s, d)| (s.to_owned(), d.to_owned()));
        assert_eq!(pairs(&pairing), expected);
        assert!(pairing.orphans.is_empty() && pairing.unsigned.is_empty());
    }

    #[test]
    fn x_wins_over_x_zst_which_is_then_unsigned() {
        let pairing = run(&[b"a", b"a.zst", b"a.sig.bin"]);
        assert_eq!(pairs(&pairing), [("a.sig.bin".into(), "a".into())]);
        assert_eq!(pairing.unsigned, [&b"a.zst"[..]]);
    }

    #[test]
    fn names_differing_only_in_invalid_utf8_bytes_stay_apart() {
        // Lossy conversion makes both `app\u{FFFD}.bin`: one file would vanish, and a signature
        // could be checked against the other one.
        let pairing = run(&[b"app\xfe.bin", b"app\xff.bin", b"app\xfe.bin.sig.bin"]);
        assert_eq!(
            pairing.pairs,
            [Pair {
                signature: b"app\xfe.bin.sig.bin",
                data: b"app\xfe.bin"
            }]
        );
        assert_eq!(pairing.unsigned, [&b"app\xff.bin"[..]]);
    }

    #[test]
    fn signatures_keys_and_bundles_are_never_unsigned() {
        let pairing = run(&[
            b"orphan.sig.bin",
            b"vendor.pub",
            b"cert.pem",
            b"x.sigstore.json",
            b"x.bundle",
            b"readme.txt",
            b"data.json",
        ]);
        assert!(pairing.pairs.is_empty());
        assert_eq!(pairing.orphans.len(), 1);
        assert_eq!(
            pairing.orphans[0].looked_for,
            [b"orphan".to_vec(), b"orphan.zst".to_vec()]
        );
        assert_eq!(pairing.unsigned, [&b"data.json"[..], b"readme.txt"]);
    }

    #[test]
    fn a_bare_suffix_names_no_file() {
        let pairing = run(&[b".sig.bin", b".sig", b"", b".zst"]);
        assert!(pairing.pairs.is_empty() && pairing.orphans.is_empty());
        assert_eq!(pairing.unsigned, [&b""[..], b".zst"]);
    }

    #[test]
    fn a_signature_of_a_signature_pairs_with_it() {
        let pairing = run(&[b"x.sig", b"x.sig.sig"]);
        assert_eq!(pairs(&pairing), [("x.sig.sig".into(), "x.sig".into())]);
        assert_eq!(pairing.orphans.len(), 1);
        assert_eq!(pairing.orphans[0].signature, b"x.sig");
    }
}
