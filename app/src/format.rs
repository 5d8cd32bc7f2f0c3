//! How values read from the database are written on a page: dates and
//! times (always UTC), labels for stored codes, excerpts, addresses with
//! query parameters, and the check that keeps anything but http(s) out of
//! links and images.

/// A date as `2026-11-25` (UTC).
#[cfg(feature = "ssr")]
pub fn date(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

/// A time as `2026-11-25 14:03 UTC`.
#[cfg(feature = "ssr")]
pub fn when(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", date(at), at.hour(), at.minute())
}

/// A stored code (`devtools`, `code_quality`, `ai`) as a person reads it.
pub fn label(s: &str) -> String {
    match s {
        "ai" => "AI".to_string(),
        "devtools" => "Dev tools".to_string(),
        _ => {
            let s = s.replace('_', " ");
            let mut chars = s.chars();
            match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

/// The first `n` characters of a text, with an ellipsis when cut.
pub fn excerpt(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let cut: String = s.chars().take(n).collect();
        format!("{}…", cut.trim_end())
    }
}

/// `path` with the query parameters that have a value, in their order
/// (`/chains?tab=newest&after=...`); `path` alone when none has. Values
/// are written as given: percent-encode free text before.
pub fn href(path: &str, params: &[(&str, Option<&str>)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={v}")))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Only http(s) addresses become links or images (never `javascript:`).
pub fn is_http_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}
