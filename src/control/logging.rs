//! Log lines of the live sensor: `tracing` events written to stderr as text
//! or JSON. Logging is for events (start, reload, errors), never per packet;
//! packet-level problems are counters.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the process's log subscriber. `RUST_LOG`, when set and valid,
/// overrides `level`; an invalid `level` falls back to `info` with a
/// warning. Only the first call takes effect, so tests and a reload that
/// calls it again are harmless.
pub fn init(level: &str, format: LogFormat) {
    let from_env =
        std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty()).and_then(|v| EnvFilter::try_new(v).ok());
    let (filter, bad_level) = match from_env {
        Some(f) => (f, None),
        None => match EnvFilter::try_new(level) {
            Ok(f) => (f, None),
            Err(e) => (EnvFilter::new("info"), Some(e.to_string())),
        },
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match format {
        // Colour only for a person at a terminal; journald and log
        // shippers get plain text.
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
    if installed.is_ok() {
        if let Some(e) = bad_level {
            tracing::warn!(level, error = %e, "invalid control.log_level, logging at info");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_init_is_ignored() {
        init("not a level ===", LogFormat::Json);
        init("debug", LogFormat::Text);
        tracing::info!("logging works after two inits");
    }
}
