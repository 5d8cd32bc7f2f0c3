//! The compiled browser client: where it is, whether it is there, and how
//! its files are served.
//!
//! `cargo leptos build` (scripts/lib/client.sh) writes the client into
//! `<site root>/pkg` under hashed names (`proofwork.<hash>.js`, `.wasm`)
//! and the hashes into `<site root>/hash.txt`. When both are there the
//! pages ask for hydration; otherwise they are served as plain HTML, which
//! is complete on its own (every page and action works without
//! JavaScript). A hashed name changes whenever the file does, so the files
//! are cached for a year; release builds come with `.br` and `.gz` copies,
//! sent to browsers that accept them.

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The site root: `LEPTOS_SITE_ROOT` (set by `cargo leptos watch`), else
/// `target/site` under the working directory.
pub fn site_root() -> PathBuf {
    let root = std::env::var_os("LEPTOS_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/site"));
    std::path::absolute(&root).unwrap_or(root)
}

/// A built client: its hash file, for Leptos's `HydrationScripts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    pub hash_file: PathBuf,
    pub js: String,
    pub wasm: String,
}

/// The client under `site_root`, when its hash file names a JS and a wasm
/// file that both exist.
pub fn detect(site_root: &Path) -> Option<Built> {
    let hash_file = site_root.join("hash.txt");
    let hashes = std::fs::read_to_string(&hash_file).ok()?;
    let hash = |kind: &str| {
        hashes.lines().find_map(|line| {
            let (k, v) = line.trim().split_once(':')?;
            (k.trim() == kind).then(|| v.trim().to_string())
        })
    };
    let js = format!("proofwork.{}.js", hash("js")?);
    let wasm = format!("proofwork.{}.wasm", hash("wasm")?);
    let pkg = site_root.join("pkg");
    (pkg.join(&js).is_file() && pkg.join(&wasm).is_file()).then_some(Built {
        hash_file,
        js,
        wasm,
    })
}

/// `/pkg/*` from `<site root>/pkg`: precompressed copies when the browser
/// takes them, cached for a year (the names are hashed).
pub fn pkg_routes<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new().nest_service(
        "/pkg",
        tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ))
            .service(files),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_counts_only_when_its_hash_file_names_files_that_exist() {
        let dir = std::env::temp_dir().join(format!("pw-client-{}", std::process::id()));
        let pkg = dir.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        assert_eq!(detect(&dir), None, "no hash file");
        std::fs::write(dir.join("hash.txt"), "js: abc\nwasm: def\ncss: 123\n").unwrap();
        assert_eq!(detect(&dir), None, "hash file, no files");
        std::fs::write(pkg.join("proofwork.abc.js"), "").unwrap();
        assert_eq!(detect(&dir), None, "no wasm");
        std::fs::write(pkg.join("proofwork.def.wasm"), "").unwrap();
        let built = detect(&dir).expect("both files");
        assert_eq!(built.js, "proofwork.abc.js");
        assert_eq!(built.wasm, "proofwork.def.wasm");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
