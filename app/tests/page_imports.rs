//! Features do not import each other: a page module may use the shared
//! layers (`web`, `format`, `components`, `error`, `state`, `auth`) and
//! `data`, and modules of its own feature folder, never another feature.
//! The shared layers import no page. Something two features need belongs
//! in a shared layer; this test says where a sideways import crept in.

use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir` (or `dir.rs` itself), sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = dir.with_extension("rs");
    if file.is_file() {
        out.push(file);
    }
    if !dir.is_dir() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without `//` comments (docs may name other pages).
fn code(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The feature modules named after each `pages::` in `code`, including
/// the groups of `pages::{a, b::C}`.
fn pages_named(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in code.match_indices("pages::") {
        let rest = &code[i + "pages::".len()..];
        let is_word_start =
            i == 0 || !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        if !is_word_start {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
        }
    }
    names
}

/// What one page file imports from other features.
fn sideways(src: &Path, path: &Path) -> Vec<String> {
    let rel = path.strip_prefix(src.join("pages")).unwrap();
    let parts: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    if parts == ["mod"] {
        return Vec::new(); // pages/mod.rs declares the features
    }
    let feature = parts[0].clone();
    // `super::` leaves the feature from a single-file feature or from a
    // folder's mod.rs; `super::super::` always does.
    let at_feature_root = parts.len() == 1 || parts[1..] == ["mod"];
    let code = code(path);
    let mut found: Vec<String> = pages_named(&code)
        .into_iter()
        .filter(|name| *name != feature)
        .map(|name| format!("pages::{name}"))
        .collect();
    if code.contains("super::super::") {
        found.push("super::super::".into());
    }
    if at_feature_root && code.contains("super::") {
        // `super::` inside an inline `mod` (tests, server helpers) is
        // the file's own module; only count paths that name a sibling.
        let siblings = sibling_features(src);
        for name in siblings.iter().filter(|s| **s != feature) {
            if code.contains(&format!("super::{name}::"))
                || code.contains(&format!("super::{name};"))
            {
                found.push(format!("super::{name}"));
            }
        }
    }
    found
}

fn sibling_features(src: &Path) -> Vec<String> {
    fs::read_dir(src.join("pages"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .filter(|n| n != "mod")
        .collect()
}

#[test]
fn no_page_imports_another_page() {
    let src = src();
    let mut problems = Vec::new();
    for path in rust_files(&src.join("pages")) {
        for what in sideways(&src, &path) {
            problems.push(format!(
                "{} uses {what}",
                path.strip_prefix(&src).unwrap().display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "pages import other pages (move what they share to web, format or components):\n{}",
        problems.join("\n")
    );
}

#[test]
fn shared_layers_import_no_page() {
    let src = src();
    let mut shared = rust_files(&src.join("web"));
    shared.extend(rust_files(&src.join("components")));
    shared.extend(rust_files(&src.join("format")));
    let mut problems = Vec::new();
    for path in shared {
        for name in pages_named(&code(&path)) {
            problems.push(format!(
                "{} uses pages::{name}",
                path.strip_prefix(&src).unwrap().display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the shared layers import pages:\n{}",
        problems.join("\n")
    );
}

/// The scanner finds the imports it is meant to refuse.
#[test]
fn the_scan_sees_sideways_imports() {
    assert_eq!(
        pages_named("use crate::pages::feed::label;\nlet d = crate::pages::project::date(x);"),
        ["feed", "project"]
    );
    assert_eq!(
        pages_named("use crate::pages::{chain::failed, feed};"),
        ["chain", "feed"]
    );
    assert!(pages_named("let n = subpages::x;").is_empty());
}
