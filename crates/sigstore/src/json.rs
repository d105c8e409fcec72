//! JSON from an untrusted source, checked in one streaming pass before anything parses it into
//! a tree: every key of every object at most once, and a bounded cost of holding it as a tree.
//!
//! Why a separate pass: serde's derived readers take the last of two equal keys (or fail only
//! for the fields they know), while Go's protojson (cosign, sigstore-go) refuses any duplicate;
//! a document two readers read differently is refused here. And a reader that builds a
//! `serde_json::Value` (sigstore-verify does, for an in-toto statement's predicate) spends about
//! a hundred bytes of memory per byte of small objects: the cost estimate refuses such input
//! before the tree is built, whatever its size on the wire.
//!
//! The pass allocates little: keys are borrowed from the input (copied only when they hold
//! escapes); an open object's keys are compared one by one while it has few (most have under a
//! dozen) and through a set of 64-bit hashes beyond that (keyed with a random seed per pass, so
//! no one can pick keys that collide); the path to the current value is kept for messages.
//! Nesting is bounded by serde_json's recursion limit (128).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The most memory, in bytes, the tree of an in-toto statement (a DSSE payload) may cost: see
/// [`json_cost`]. An image signature's statement costs a few KiB, SLSA provenance well under a
/// MiB; a large SBOM attestation costs more and is refused.
pub const MAX_STATEMENT_COST: u64 = 16 << 20;

/// Why JSON from an untrusted source was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Not one JSON document (serde_json's message, with line and column), or nested deeper
    /// than 128 levels.
    #[error("not JSON: {0}")]
    Syntax(String),
    /// An object has the same key twice.
    #[error("the key `{key}` appears more than once in {path}")]
    DuplicateKey {
        /// The key (at most 64 characters of it).
        key: String,
        /// Where: `the top-level object`, or `dsseEnvelope.signatures[0]`.
        path: String,
    },
    /// Holding the document as a tree would cost more memory than allowed.
    #[error("it would take more than {limit} bytes of memory to read (many small values): refused")]
    TooCostly {
        /// The limit, in bytes.
        limit: u64,
    },
}

/// Checks that `bytes` are one JSON document in which no object has a key twice, and whose tree
/// would cost at most `max_cost` bytes of memory (pass `u64::MAX` for no limit).
///
/// # Errors
///
/// A [`JsonError`] saying what was found.
pub fn check_json(bytes: &[u8], max_cost: u64) -> Result<(), JsonError> {
    json_cost(bytes, max_cost).map(|_| ())
}

/// What [`check_json`] checks, and the estimated cost: an upper estimate of the heap a
/// `serde_json::Value` of the document takes (a 32-byte slot per value, twice that in an array
/// for its growth; a B-tree node of 632 bytes per non-empty object and 112 per entry; each
/// string's bytes plus 16 of allocator overhead).
///
/// # Errors
///
/// A [`JsonError`] saying what was found.
pub fn json_cost(bytes: &[u8], max_cost: u64) -> Result<u64, JsonError> {
    let mut state = State {
        cost: SLOT,
        max_cost,
        path: Vec::new(),
        hasher: None,
        refusal: None,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let walked = Walk { state: &mut state }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match (walked, state.refusal) {
        (_, Some(refusal)) => Err(refusal),
        (Err(err), None) => Err(JsonError::Syntax(err.to_string())),
        (Ok(()), None) if state.cost > max_cost => Err(JsonError::TooCostly { limit: max_cost }),
        (Ok(()), None) => Ok(state.cost),
    }
}

/// A value's slot in its parent (the size of a `serde_json::Value`).
const SLOT: u64 = 32;
/// An array element: its slot, twice over for the spare capacity of a growing `Vec`.
const ELEMENT: u64 = 2 * SLOT;
/// A non-empty object's first B-tree node (11 entries of key and value, and its header).
const OBJECT: u64 = 632;
/// An object entry: key and value, twice over for half-full B-tree nodes.
const ENTRY: u64 = 2 * (24 + SLOT);
/// Allocator overhead of one allocation.
const ALLOCATION: u64 = 16;
/// Most characters of a key shown in a message.
const SHOWN_KEY: usize = 64;
/// Keys of one object compared one by one; from this many on, through hashes.
const FEW_KEYS: usize = 16;

struct State<'de> {
    cost: u64,
    max_cost: u64,
    path: Vec<Segment<'de>>,
    /// Seeded on the first object large enough to need it.
    hasher: Option<RandomState>,
    refusal: Option<JsonError>,
}

enum Segment<'de> {
    Key(Cow<'de, str>),
    Index(usize),
}

impl State<'_> {
    fn add<E: de::Error>(&mut self, cost: u64) -> Result<(), E> {
        self.cost = self.cost.saturating_add(cost);
        if self.cost > self.max_cost {
            return Err(self.refuse(JsonError::TooCostly {
                limit: self.max_cost,
            }));
        }
        Ok(())
    }

    /// Records why the pass stops, and the error that stops serde_json.
    fn refuse<E: de::Error>(&mut self, refusal: JsonError) -> E {
        let message = refusal.to_string();
        self.refusal = Some(refusal);
        E::custom(message)
    }

    fn path(&self) -> String {
        if self.path.is_empty() {
            return "the top-level object".to_owned();
        }
        let mut path = String::new();
        for segment in &self.path {
            match segment {
                Segment::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&shown(key));
                }
                Segment::Index(index) => path.push_str(&format!("[{index}]")),
            }
        }
        format!("`{path}`")
    }
}

fn string_cost(len: usize) -> u64 {
    match u64::try_from(len) {
        Ok(0) => 0,
        Ok(len) => len.saturating_add(ALLOCATION),
        Err(_) => u64::MAX,
    }
}

/// At most [`SHOWN_KEY`] characters of `key`, for messages.
fn shown(key: &str) -> String {
    let mut out: String = key.chars().take(SHOWN_KEY).collect();
    if out.len() < key.len() {
        out.push('…');
    }
    out
}

/// Walks one value.
struct Walk<'s, 'de> {
    state: &'s mut State<'de>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.state.add(string_cost(v.len()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            self.state.add::<A::Error>(ELEMENT)?;
            self.state.path.push(Segment::Index(index));
            let element = seq.next_element_seed(Walk {
                state: &mut *self.state,
            })?;
            self.state.path.pop();
            if element.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = Keys::Few(Vec::new());
        while let Some(key) = map.next_key_seed(Key)? {
            if keys.is_empty() {
                self.state.add::<A::Error>(OBJECT + ALLOCATION)?;
            }
            self.state
                .add::<A::Error>(ENTRY.saturating_add(string_cost(key.len())))?;
            // Borrowed keys cost a pointer to keep; escaped ones a copy (rare).
            if !keys.insert(key.clone(), &mut self.state.hasher) {
                let refusal = JsonError::DuplicateKey {
                    key: shown(&key),
                    path: self.state.path(),
                };
                return Err(self.state.refuse(refusal));
            }
            self.state.path.push(Segment::Key(key));
            map.next_value_seed(Walk {
                state: &mut *self.state,
            })?;
            self.state.path.pop();
        }
        Ok(())
    }
}

/// The keys of one open object seen so far.
enum Keys<'de> {
    Few(Vec<Cow<'de, str>>),
    /// Keyed with the pass's random seed: two different keys share a hash with a probability
    /// of about n²/2⁶⁵ for n keys, and no one can choose keys that do.
    Many(HashSet<u64>),
}

impl<'de> Keys<'de> {
    fn is_empty(&self) -> bool {
        match self {
            Self::Few(keys) => keys.is_empty(),
            Self::Many(hashes) => hashes.is_empty(),
        }
    }

    /// Adds `key`; false if it was there.
    fn insert(&mut self, key: Cow<'de, str>, hasher: &mut Option<RandomState>) -> bool {
        match self {
            Self::Few(keys) if keys.len() < FEW_KEYS => {
                if keys.contains(&key) {
                    return false;
                }
                keys.push(key);
                true
            }
            Self::Few(keys) => {
                let hasher = hasher.get_or_insert_with(RandomState::new);
                let mut hashes: HashSet<u64> = keys.iter().map(|k| hasher.hash_one(k)).collect();
                let added = hashes.insert(hasher.hash_one(&key));
                *self = Self::Many(hashes);
                added
            }
            Self::Many(hashes) => {
                let hasher = hasher.get_or_insert_with(RandomState::new);
                hashes.insert(hasher.hash_one(&key))
            }
        }
    }
}

/// An object key, borrowed from the input unless it holds escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn accepts_json_without_duplicates() {
        for ok in [
            &br#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#[..],
            b"[]",
            b"null",
            b"\"text\"",
            b" {} ",
        ] {
            assert_eq!(
                check_json(ok, u64::MAX),
                Ok(()),
                "{}",
                String::from_utf8_lossy(ok)
            );
        }
    }

    #[test]
    fn names_the_duplicate_key_and_where_it_is() {
        let top = check_json(br#"{"mediaType":"a","mediaType":"b"}"#, u64::MAX);
        assert_eq!(
            top,
            Err(JsonError::DuplicateKey {
                key: "mediaType".to_owned(),
                path: "the top-level object".to_owned()
            })
        );
        let deep = check_json(
            br#"{"dsseEnvelope":{"signatures":[{"sig":"a"},{"sig":"b","sig":"c"}]}}"#,
            u64::MAX,
        );
        assert_eq!(
            deep,
            Err(JsonError::DuplicateKey {
                key: "sig".to_owned(),
                path: "`dsseEnvelope.signatures[1]`".to_owned()
            })
        );
        // Escapes are decoded before keys are compared, as every JSON reader does.
        assert!(matches!(
            check_json(br#"{"a":1,"\u0061":2}"#, u64::MAX),
            Err(JsonError::DuplicateKey { .. })
        ));
        let long = format!(r#"{{"{k}":1,"{k}":2}}"#, k = "k".repeat(1000));
        let Err(JsonError::DuplicateKey { key, .. }) = check_json(long.as_bytes(), u64::MAX) else {
            panic!("duplicate not found");
        };
        assert_eq!(key.chars().count(), SHOWN_KEY + 1);
    }

    #[test]
    fn finds_duplicates_in_objects_of_every_size() {
        // Below, at and past the number of keys compared one by one, the duplicate first,
        // last, and escaped.
        for keys in [2, FEW_KEYS - 1, FEW_KEYS, FEW_KEYS + 1, 200] {
            let names: Vec<String> = (0..keys).map(|i| format!(r#""k{i}":{i}"#)).collect();
            let unique = format!("{{{}}}", names.join(","));
            assert_eq!(
                check_json(unique.as_bytes(), u64::MAX),
                Ok(()),
                "{keys} keys"
            );
            for duplicate in [
                r#""k0":0"#,
                &format!(r#""k{}":0"#, keys - 1),
                r#""\u006b0":0"#,
            ] {
                let twice = format!("{{{},{duplicate}}}", names.join(","));
                assert!(
                    matches!(
                        check_json(twice.as_bytes(), u64::MAX),
                        Err(JsonError::DuplicateKey { .. })
                    ),
                    "{keys} keys, then {duplicate}"
                );
            }
        }
    }

    #[test]
    fn refuses_what_is_not_one_json_document() {
        for bad in [&b""[..], b"{", b"{} {}", b"[1,]", b"{\"a\" 1}"] {
            assert!(
                matches!(check_json(bad, u64::MAX), Err(JsonError::Syntax(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(matches!(
            check_json(deep.as_bytes(), u64::MAX),
            Err(JsonError::Syntax(_))
        ));
    }

    #[test]
    fn small_objects_cost_far_more_than_their_bytes() {
        let dense = format!("[{}]", vec![r#"{"a":0}"#; 10_000].join(","));
        let cost = json_cost(dense.as_bytes(), u64::MAX).unwrap();
        assert!(cost > 90 * dense.len() as u64, "{cost} for {}", dense.len());
        let long_string = format!(r#"{{"a":"{}"}}"#, "x".repeat(100_000));
        let cost = json_cost(long_string.as_bytes(), u64::MAX).unwrap();
        assert!(cost < 2 * long_string.len() as u64, "{cost}");
        assert_eq!(
            check_json(dense.as_bytes(), 1 << 20),
            Err(JsonError::TooCostly { limit: 1 << 20 })
        );
    }

    /// The estimate is an upper bound of what serde_json's tree really takes.
    #[test]
    fn the_estimate_covers_a_value_tree() {
        fn heap(value: &serde_json::Value) -> u64 {
            match value {
                serde_json::Value::String(s) => s.capacity() as u64,
                serde_json::Value::Array(items) => {
                    (items.capacity() as u64) * SLOT + items.iter().map(heap).sum::<u64>()
                }
                serde_json::Value::Object(map) => {
                    map.iter()
                        .map(|(k, v)| k.capacity() as u64 + 24 + SLOT + heap(v))
                        .sum::<u64>()
                        + if map.is_empty() { 0 } else { OBJECT }
                }
                _ => 0,
            }
        }
        for sample in [
            r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"ab"}}],"predicateType":"p","predicate":{"a":[1,2,3],"b":{"c":"d"}}}"#.to_owned(),
            format!("[{}]", vec![r#"{"a":0}"#; 1000].join(",")),
            format!("[{}]", vec!["[]"; 1000].join(",")),
            format!("{{{}}}", (0..1000).map(|i| format!(r#""k{i}":{{}}"#)).collect::<Vec<_>>().join(",")),
        ] {
            let value: serde_json::Value = serde_json::from_str(&sample).unwrap();
            let cost = json_cost(sample.as_bytes(), u64::MAX).unwrap();
            assert!(cost >= heap(&value), "{cost} < {} for {sample}", heap(&value));
        }
    }
}
