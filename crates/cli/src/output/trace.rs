//! `-v`: the libraries' `tracing` events on stderr, one escaped line each.
//!
//! Events quote registry answers and file names, so every line is escaped whole like errors
//! are: a registry cannot forge a line with a newline in its error message.

use std::fmt::{self, Write as _};
use std::io;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::escape;

/// Installs the stderr printer: `-v` shows what vouch does (info), `-vv` more (debug),
/// `-vvv` everything (trace). Without `-v` nothing is installed and events cost nothing.
pub(crate) fn init(verbosity: u8) {
    let level = match verbosity {
        0 => return,
        1 => Level::INFO,
        2 => Level::DEBUG,
        _ => Level::TRACE,
    };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(io::stderr)
        .event_format(Line)
        .finish();
    // Only fails if a subscriber is already set, which nothing else does.
    let _ignored = tracing::subscriber::set_global_default(subscriber);
}

/// `vouch: <message> <field>=<value>…`, escaped.
struct Line;

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut text = Text::default();
        event.record(&mut text);
        let level = event.metadata().level();
        let prefix = if *level <= Level::INFO {
            "vouch"
        } else {
            "vouch (debug)"
        };
        writeln!(writer, "{prefix}: {}", escape::text(&text.0))
    }
}

/// The event's message, then its other fields as `name=value`.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        let _infallible = if field.name() == "message" {
            write!(self.0, "{value:?}")
        } else {
            write!(self.0, "{}={value:?}", field.name())
        };
    }
}
