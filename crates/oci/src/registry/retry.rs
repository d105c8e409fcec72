//! When to retry, and how long to wait: exponential backoff with jitter, `Retry-After`
//! honoured and capped.

use std::hash::{BuildHasher as _, RandomState};
use std::time::{Duration, SystemTime};

/// The longest wait before a retry, whatever `Retry-After` asks for.
pub(crate) const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// The wait before retry number `retry` (0 for the first retry): `base · 2^retry`, with
/// ±50 % jitter so that clients throttled together do not come back together; a
/// `Retry-After` value wins. Both are capped at [`MAX_RETRY_WAIT`].
pub(crate) fn backoff(base: Duration, retry: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait.min(MAX_RETRY_WAIT);
    }
    let exponential = base.saturating_mul(1_u32 << retry.min(16));
    // A uniform factor in [0.5, 1.5), from std's randomly keyed hasher: good enough for
    // jitter, and no random-number crate.
    let random = RandomState::new().hash_one(retry);
    #[expect(
        clippy::cast_precision_loss,
        reason = "jitter needs only the top bits of the random value"
    )]
    let factor = 0.5 + (random >> 11) as f64 / (1_u64 << 53) as f64;
    exponential.mul_f64(factor).min(MAX_RETRY_WAIT)
}

/// Parses `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 10.2.3). A date in the
/// past means "now"; anything unparsable is ignored.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    #[expect(
        clippy::disallowed_methods,
        reason = "a Retry-After date is relative to now; the registry driver is the I/O edge"
    )]
    let now = SystemTime::now();
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for retry in 0..4 {
            let wait = backoff(base, retry, None);
            let nominal = base * (1 << retry);
            assert!(
                wait >= nominal / 2 && wait < nominal * 3 / 2,
                "{wait:?} for {retry}"
            );
        }
        assert_eq!(backoff(base, 30, None), MAX_RETRY_WAIT);
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let base = Duration::from_millis(100);
        assert_eq!(
            backoff(base, 0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            backoff(base, 0, Some(Duration::from_secs(3600))),
            MAX_RETRY_WAIT
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        #[expect(
            clippy::disallowed_methods,
            reason = "a date relative to now, for the test"
        )]
        let now = SystemTime::now();
        let later = httpdate::fmt_http_date(now + Duration::from_secs(120));
        let wait = parse_retry_after(&later).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
