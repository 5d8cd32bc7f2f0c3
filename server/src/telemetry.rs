//! Logging: one subscriber, filtered by `RUST_LOG` (default: info for our
//! crates, warn for the rest).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,server=info,app=info,data=info,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colour codes only on a terminal: log files stay plain text.
        .with_ansi(std::io::stdout().is_terminal())
        .try_init();
}
