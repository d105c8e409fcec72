//! How many JSON values a body holds, counted before it is parsed into a tree.

/// The JSON values `body` would parse into, counted at most up to `limit + 1`: every `{`, `[`
/// and `,` outside strings starts one. Not a validator: the parser judges the syntax after.
#[must_use]
pub fn json_values(body: &[u8], limit: usize) -> usize {
    let mut count = 1_usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' | b',' => {
                count += 1;
                if count > limit {
                    return count;
                }
            }
            _ => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::json_values;

    #[test]
    fn values_are_counted_outside_strings_only() {
        assert_eq!(json_values(b"{}", 100), 2);
        assert_eq!(json_values(br#"{"a":[1,2,3]}"#, 100), 5);
        assert_eq!(json_values(br#"{"a":"[,{\",,"}"#, 100), 2);
        assert_eq!(json_values(&b"[0,".repeat(1000), 10), 11);
    }
}
