//! `vouch serve`'s log: one JSON line per decision on stdout, and the server's own events.

use serde::Serialize;

use super::stdout;

/// One decision, as logged.
#[derive(Debug, Serialize)]
pub(crate) struct DecisionLog<'a> {
    pub(crate) uid: &'a str,
    pub(crate) endpoint: &'static str,
    pub(crate) operation: &'static str,
    pub(crate) kind: &'a str,
    pub(crate) namespace: Option<&'a str>,
    pub(crate) name: Option<&'a str>,
    pub(crate) dry_run: bool,
    pub(crate) allowed: bool,
    pub(crate) message: Option<&'a str>,
    /// Images pinned to their digest (`/mutate`).
    pub(crate) pinned: usize,
    pub(crate) milliseconds: f64,
    pub(crate) images: Vec<ImageLog<'a>>,
}

/// One image of a decision.
#[derive(Debug, Serialize)]
pub(crate) struct ImageLog<'a> {
    pub(crate) image: &'a str,
    pub(crate) digest: Option<&'a str>,
    pub(crate) allowed: bool,
    pub(crate) rules: Vec<&'a str>,
    pub(crate) summary: &'a str,
    /// From the verdict cache, or a lookup another review had started.
    pub(crate) cached: bool,
}

#[derive(Serialize)]
struct Line<'a, T> {
    time: String,
    #[serde(flatten)]
    entry: &'a T,
}

/// One decision: a JSON line, its strings escaped by JSON (no line can be forged).
pub(crate) fn decision(log: &DecisionLog<'_>) {
    write_line(&Line {
        time: now(),
        entry: log,
    });
}

/// A server event (`listening on …`, a certificate reloaded): a JSON line with `event`.
pub(crate) fn event(text: &str) {
    #[derive(Serialize)]
    struct Event<'a> {
        event: &'a str,
    }
    write_line(&Line {
        time: now(),
        entry: &Event { event: text },
    });
}

fn write_line<T: Serialize>(line: &T) {
    if let Ok(mut text) = serde_json::to_string(line) {
        text.push('\n');
        // A log line that cannot be written (stdout closed) must not stop the server.
        let _ = stdout(&text);
    }
}

fn now() -> String {
    // The server's log lines carry the time they were written.
    jiff::Timestamp::now().to_string()
}
