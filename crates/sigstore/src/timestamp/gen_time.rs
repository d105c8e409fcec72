//! `TSTInfo.genTime`: a DER GeneralizedTime (X.690 §11.7) as RFC 3161 §2.4.2 allows it,
//! `YYYYMMDDHHMMSS[.f…]Z`: seconds always present, an optional fraction after a '.', no
//! trailing zero in the fraction, and 'Z' (UTC).
//!
//! Parsed here rather than with `der`'s `GeneralizedTime`, which refuses every fraction (the
//! gap in sigstore-tsa 0.15.1 this module exists for).

use std::fmt;

/// A verified instant, to the nanosecond (RFC 3161 allows any precision; we keep 9 digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GenTime {
    /// Nanoseconds since the Unix epoch; never negative (times before 1970 are refused).
    unix_nanos: i128,
}

impl GenTime {
    /// Nanoseconds since the Unix epoch.
    pub(crate) fn unix_nanos(self) -> i128 {
        self.unix_nanos
    }

    /// Whole seconds since the Unix epoch (the fraction dropped).
    pub(crate) fn unix_seconds(self) -> i64 {
        i64::try_from(self.unix_nanos / NANOS_PER_SECOND).unwrap_or(i64::MAX)
    }

    /// Whether the time had a fractional part (which sigstore-tsa 0.15.1 cannot decode).
    pub(crate) fn has_fraction(self) -> bool {
        self.unix_nanos % NANOS_PER_SECOND != 0
    }
}

/// RFC 3339, UTC, with the fraction RFC 3161 gave (trailing zeros dropped).
impl fmt::Display for GenTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.unix_seconds();
        let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3_600,
            of_day % 3_600 / 60,
            of_day % 60
        )?;
        let nanos = format!("{:09}", self.unix_nanos % NANOS_PER_SECOND);
        let fraction = nanos.trim_end_matches('0');
        if !fraction.is_empty() {
            write!(f, ".{fraction}")?;
        }
        f.write_str("Z")
    }
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Parses the contents (no tag, no length) of a DER GeneralizedTime.
pub(crate) fn parse(value: &[u8]) -> Result<GenTime, String> {
    let shown = String::from_utf8_lossy(value);
    let malformed = |why: &str| format!("genTime `{shown}` is not a DER GeneralizedTime ({why})");
    let Some((&b'Z', body)) = value.split_last() else {
        return Err(malformed("it must end in `Z`, UTC"));
    };
    let (whole, fraction) = match body.iter().position(|&b| b == b'.') {
        Some(dot) => (
            body.get(..dot).unwrap_or_default(),
            Some(body.get(dot + 1..).unwrap_or_default()),
        ),
        None => (body, None),
    };
    if whole.len() != 14 || !whole.iter().all(u8::is_ascii_digit) {
        return Err(malformed("expected 14 digits YYYYMMDDHHMMSS"));
    }
    let field = |from: usize, to: usize| -> u32 {
        whole
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (field(0, 4), field(4, 6), field(6, 8));
    let (hour, minute, second) = (field(8, 10), field(10, 12), field(12, 14));
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(malformed("no such date"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(malformed("no such time of day"));
    }
    let mut nanos: i128 = 0;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
            return Err(malformed("a fraction needs digits after the `.`"));
        }
        if fraction.last() == Some(&b'0') {
            return Err(malformed("DER forbids trailing zeros in the fraction"));
        }
        // Digits past the ninth are below a nanosecond: dropped.
        for position in 0..9 {
            let digit = fraction.get(position).map_or(0, |d| d - b'0');
            nanos = nanos * 10 + i128::from(digit);
        }
    }
    if year < 1970 {
        return Err(malformed("before the Unix epoch"));
    }
    let days = days_since_epoch(year, month, day);
    let seconds =
        days * 86_400 + i128::from(hour) * 3_600 + i128::from(minute) * 60 + i128::from(second);
    Ok(GenTime {
        unix_nanos: seconds * NANOS_PER_SECOND + nanos,
    })
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date (year ≥ 1970), counted plainly: at most 8030 years.
fn days_since_epoch(year: u32, month: u32, day: u32) -> i128 {
    let mut days: i128 = 0;
    // Whole 400-year cycles have 146097 days; then year by year (< 400 iterations).
    let cycles = (year - 1970) / 400;
    days += i128::from(cycles) * 146_097;
    for y in (1970 + cycles * 400)..year {
        days += if is_leap(y) { 366 } else { 365 };
    }
    for m in 1..month {
        days += i128::from(days_in_month(year, m));
    }
    days + i128::from(day - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(text: &str) -> i64 {
        parse(text.as_bytes())
            .map(GenTime::unix_seconds)
            .unwrap_or(-1)
    }

    #[test]
    fn whole_seconds() {
        assert_eq!(seconds("19700101000000Z"), 0);
        assert_eq!(seconds("20250806185136Z"), 1_754_506_296);
        assert_eq!(seconds("20000229235959Z"), 951_868_799);
        assert_eq!(seconds("21000301000000Z"), 4_107_542_400);
        assert_eq!(seconds("99991231235959Z"), 253_402_300_799);
        assert!(parse(b"20250806185136Z").is_ok_and(|t| !t.has_fraction()));
        for text in [
            "20000229235959Z",
            "21000301000000Z",
            "99991231235959Z",
            "19700101000000Z",
        ] {
            let shown = parse(text.as_bytes())
                .map(|t| t.to_string())
                .unwrap_or_default();
            assert_eq!(shown.replace(['-', 'T', ':'], ""), text);
        }
    }

    #[test]
    fn fractional_seconds() {
        let t = parse(b"20261201094450.123Z").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.unix_seconds(), 1_796_118_290);
        assert_eq!(t.unix_nanos() % 1_000_000_000, 123_000_000);
        assert!(t.has_fraction());
        assert_eq!(t.to_string(), "2026-12-01T09:44:50.123Z");
        let one_digit = parse(b"20261201094450.5Z").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(one_digit.unix_nanos() % 1_000_000_000, 500_000_000);
        let long = parse(b"20261201094450.0000000001Z").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(long.unix_nanos() % 1_000_000_000, 0);
    }

    #[test]
    fn malformed_is_refused() {
        for bad in [
            "20261201094450.120Z", // trailing zero
            "20261201094450.0Z",   // only a zero
            "20261201094450.Z",    // no digits
            "20261201094450,5Z",   // comma
            "20261201094450.5",    // no Z
            "20261201094450",      // no Z
            "20261201094450+0100", // offset
            "20261201094450.5+0000",
            "202612010944Z", // no seconds
            "2026120109445Z",
            "20261301094450Z", // month 13
            "20260230094450Z", // 30 February
            "21000229000000Z", // 2100 is not a leap year
            "20261201244450Z",
            "20261201096050Z",
            "20261201094460Z", // leap second
            "19691231235959Z", // before the epoch
            "2026120109445aZ",
            "+2026120109445Z",
            "20261201094450.1a",
            "Z",
            "",
            "20261201094450.5ZZ",
            "2026-12-01T09:44:50Z",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad} accepted");
        }
        assert!(parse(&[0xff, b'Z']).is_err());
    }
}
