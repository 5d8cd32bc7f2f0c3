# shellcheck shell=bash
# The client (WebAssembly) toolchain and build for Proofwork.
#
# Source this file, then:
#   ensure_client_toolchain   puts on PATH what `cargo leptos` needs to build
#                             the hydrated client: cargo-leptos, wasm-bindgen
#                             (exactly the Cargo.lock version), wasm-opt, and,
#                             where rustup has no wasm32-unknown-unknown
#                             target, a wasm32 compiler from Debian (below)
#   build_client [release|debug]
#                             builds the client into target/site/pkg
#                             (`cargo leptos build --frontend-only`)
#
# Everything is installed into ${PROOFWORK_TOOLCHAIN_DIR:-<repo>/.local/toolchain}
# (git-ignored) from the registries this machine reaches, once, and reused:
#   - cargo-leptos and wasm-bindgen-cli: `cargo install` from crates.io
#   - wasm-opt: binaryen from the npm registry, run by Node.js (cargo-leptos
#     would download its own from GitHub, which cannot work here)
#   - wasm32 without rustup's target: Debian's `rustc-web` compiler with its
#     standard library's source (`rust-web-src`), unpacked, never installed
#     (they conflict with rustup); std is built for wasm32 with
#     `-Zbuild-std`. A `cargo` wrapper first on PATH does that for wasm32
#     builds only; every other cargo command runs rustup's cargo unchanged.
# The system's rustup is never changed.

PW_ROOT="${PW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

# The Debian version of the wasm32-capable compiler (bookworm-security).
PW_RUST_WEB_VERSION="${PROOFWORK_RUST_WEB_VERSION:-1.96.0+dfsg1-1~deb12u2}"
PW_CARGO_LEPTOS_VERSION="${PROOFWORK_CARGO_LEPTOS_VERSION:-0.3.11}"

pw_client_log() { printf '[client] %s\n' "$*" >&2; }

pw_toolchain_dir() {
    local dir="${PROOFWORK_TOOLCHAIN_DIR:-$PW_ROOT/.local/toolchain}"
    mkdir -p "$dir"
    (cd "$dir" && pwd)
}

# The wasm-bindgen version Cargo.lock pins: the CLI must match it exactly.
pw_wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$PW_ROOT/Cargo.lock"
}

# True when rustup's active toolchain can build for wasm32 itself.
pw_rustup_has_wasm32() {
    local sysroot
    sysroot="$(cd "$PW_ROOT" && rustc --print sysroot 2>/dev/null)" || return 1
    [[ -d $sysroot/lib/rustlib/wasm32-unknown-unknown/lib ]]
}

# Downloads and unpacks Debian packages PKG=VERSION... into $1 (once).
pw_unpack_debs() {
    local dest="$1"
    shift
    [[ -f $dest/.complete ]] && return 0
    command -v apt-get >/dev/null 2>&1 || {
        pw_client_log "apt-get not found: cannot fetch $* (install a rustup wasm32 target instead)"
        return 1
    }
    local tmp
    tmp="$(mktemp -d)"
    # apt-get download needs package lists; on a fresh machine they may be
    # empty.
    if ! (cd "$tmp" && apt-get download "$@" >/dev/null 2>&1); then
        pw_client_log "apt-get update (package lists)"
        if [[ $EUID -eq 0 ]]; then apt-get update -qq; else sudo apt-get update -qq; fi
        (cd "$tmp" && apt-get download "$@") || {
            rm -rf "$tmp"
            return 1
        }
    fi
    rm -rf "$dest"
    mkdir -p "$dest"
    local deb
    for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$dest"; done
    rm -rf "$tmp"
    touch "$dest/.complete"
}

# Debian's rustc-web (a wasm32-capable rustc) with std's source, in $T/rust-web.
pw_ensure_rust_web() {
    local t="$1" v="$PW_RUST_WEB_VERSION" llvm
    if [[ ! -f $t/rust-web/.complete ]]; then
        pw_client_log "unpacking Debian's rustc-web $v (wasm32 compiler and std source)"
        # The compiler links against one LLVM; take the version it names.
        llvm="$(apt-cache depends "libstd-rust-web-${v%%.0+*}=$v" 2>/dev/null | awk '/Depends: libllvm/ { print $2; exit }')"
        pw_unpack_debs "$t/rust-web" "rustc-web=$v" "rust-web-src=$v" "libstd-rust-web-dev=$v" \
            "libstd-rust-web-${v%%.0+*}=$v" "${llvm:-libllvm22}" || return 1
    fi
    local r="$t/rust-web"
    "$r/usr/bin/rustc" --version >/dev/null 2>&1 ||
        LD_LIBRARY_PATH="$r/usr/lib/x86_64-linux-gnu:$r/usr/lib" "$r/usr/bin/rustc" --version >/dev/null || {
        pw_client_log "the unpacked rustc-web does not run"
        return 1
    }
}

# wasm-opt, as $T/bin/wasm-opt: binaryen from the npm registry (a build of
# binaryen that runs in Node.js). Debian bookworm's binaryen 108 is too old:
# its output of this client fails in the browser ("WebAssembly.Table.set():
# Argument 1 is invalid for table"); cargo-leptos would download a native
# one from GitHub, which cannot work without the internet.
PW_BINARYEN_VERSION="${PROOFWORK_BINARYEN_VERSION:-132.0.0}"
pw_ensure_wasm_opt() {
    local t="$1" b="$1/binaryen-$PW_BINARYEN_VERSION"
    if [[ ! -f $b/.complete ]]; then
        command -v npm >/dev/null 2>&1 || {
            pw_client_log "npm (Node.js 20+) is needed for wasm-opt (binaryen from the npm registry)"
            return 1
        }
        pw_client_log "npm install binaryen@$PW_BINARYEN_VERSION (wasm-opt)"
        rm -rf "$b"
        mkdir -p "$b"
        (cd "$b" && npm install --no-audit --no-fund --no-save --prefix "$b" "binaryen@$PW_BINARYEN_VERSION" >/dev/null) || return 1
        touch "$b/.complete"
    fi
    mkdir -p "$t/bin"
    cat >"$t/bin/wasm-opt" <<SH
#!/bin/sh
exec node "$b/node_modules/binaryen/bin/wasm-opt" "\$@"
SH
    chmod +x "$t/bin/wasm-opt"
}

# `cargo install CRATE --version V` into $T (once per version), with the
# machine's rustup cargo (not the wrapper below) and its compiler, or with
# the compiler unpacked in RUST_WEB when given.
pw_cargo_install() {
    local t="$1" crate="$2" version="$3" bin="$4" rust_web="${5:-}"
    if [[ -x $t/bin/$bin && -f $t/.installed-$crate-$version ]]; then return 0; fi
    pw_client_log "cargo install $crate $version (once; several minutes)"
    local compiler=(env -u RUSTC -u RUSTC_BOOTSTRAP)
    if [[ -n $rust_web ]]; then
        compiler=(env -u RUSTC_BOOTSTRAP RUSTC="$rust_web/usr/bin/rustc"
            LD_LIBRARY_PATH="$rust_web/usr/lib/x86_64-linux-gnu:$rust_web/usr/lib")
    fi
    # --locked first (the versions the crate was released with); a locked
    # version since yanked from crates.io fails that, then newest compatible.
    "${compiler[@]}" CARGO_TARGET_DIR="$t/build" \
        "$PW_REAL_CARGO" install "$crate" --version "=$version" --locked --root "$t" ||
        "${compiler[@]}" CARGO_TARGET_DIR="$t/build" \
            "$PW_REAL_CARGO" install "$crate" --version "=$version" --root "$t" || return 1
    rm -rf "$t/build"
    touch "$t/.installed-$crate-$version"
}

# The `cargo` wrapper: wasm32 builds with Debian's rustc and -Zbuild-std.
pw_write_cargo_wrapper() {
    local t="$1" r="$1/rust-web" sysroot lld
    sysroot="$(cd "$PW_ROOT" && "$PW_REAL_RUSTC" --print sysroot)"
    lld="$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
    [[ -x $lld ]] || {
        pw_client_log "no rust-lld in $sysroot (rustup's toolchain ships it)"
        return 1
    }
    mkdir -p "$t/wasm-bin"
    cat >"$t/wasm-bin/cargo" <<SH
#!/usr/bin/env bash
# Written by scripts/lib/client.sh. A build for wasm32-unknown-unknown runs
# with Debian's rustc-web and builds std from its source; anything else runs
# the machine's cargo unchanged.
for arg in "\$@"; do
    if [[ \$arg == --target=wasm32-unknown-unknown || \$arg == wasm32-unknown-unknown ]]; then
        export RUSTC="$r/usr/bin/rustc" RUSTC_BOOTSTRAP=1
        export LD_LIBRARY_PATH="$r/usr/lib/x86_64-linux-gnu:$r/usr/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$lld"
        unset RUSTC_WRAPPER
        exec "$PW_REAL_CARGO" "\$@" -Zbuild-std=std,panic_abort
    fi
done
exec "$PW_REAL_CARGO" "\$@"
SH
    chmod +x "$t/wasm-bin/cargo"
}

ensure_client_toolchain() {
    local t
    t="$(pw_toolchain_dir)"
    PW_REAL_CARGO="$(command -v cargo)"
    PW_REAL_RUSTC="$(command -v rustc)"
    # Already wrapped (sourced twice): find the real cargo behind it.
    if [[ $PW_REAL_CARGO == "$t/wasm-bin/cargo" ]]; then
        PW_REAL_CARGO="$(PATH="${PATH//$t\/wasm-bin:/}" command -v cargo)"
    fi
    export PW_REAL_CARGO

    local wasm_wrapper=0
    if pw_rustup_has_wasm32; then
        pw_client_log "using rustup's wasm32-unknown-unknown target"
    else
        pw_ensure_rust_web "$t" || return 1
        pw_write_cargo_wrapper "$t" || return 1
        wasm_wrapper=1
    fi
    pw_ensure_wasm_opt "$t" || return 1
    local wb
    wb="$(pw_wasm_bindgen_version)"
    [[ -n $wb ]] || {
        pw_client_log "no wasm-bindgen in Cargo.lock"
        return 1
    }
    pw_cargo_install "$t" wasm-bindgen-cli "$wb" wasm-bindgen || return 1
    # cargo-leptos 0.3 needs a newer compiler than some rustup installs
    # have; Debian's rustc-web builds it when it is there.
    local rust_web=""
    ((wasm_wrapper)) && rust_web="$t/rust-web"
    pw_cargo_install "$t" cargo-leptos "$PW_CARGO_LEPTOS_VERSION" cargo-leptos "$rust_web" || return 1

    PATH="$t/bin:$PATH"
    ((wasm_wrapper)) && PATH="$t/wasm-bin:$PATH"
    export PATH
    return 0
}

# build_client [release|debug]: target/site/pkg from the `app` crate.
build_client() {
    local profile="${1:-release}" args=(leptos build --frontend-only)
    [[ $profile == release ]] && args+=(--release --precompress)
    pw_client_log "cargo ${args[*]}"
    (cd "$PW_ROOT" && cargo "${args[@]}")
}

# Prints the client's files as served (raw, gzip, brotli) and the total
# against its budget, ${PROOFWORK_CLIENT_BUDGET_KB:-400} KB (JS glue + wasm,
# in the smallest form served). Over budget it warns; with
# PROOFWORK_CLIENT_BUDGET_STRICT=1 it fails. (The client is over budget
# today: docs/BENCHMARKS.md "The client"; strict once it fits.)
client_size_report() {
    local pkg="$PW_ROOT/target/site/pkg" budget="${PROOFWORK_CLIENT_BUDGET_KB:-400}"
    local f raw gz br served total=0 n=0
    for f in "$pkg"/proofwork.*.js "$pkg"/proofwork.*.wasm; do
        [[ -f $f ]] || continue
        raw="$(stat -c %s "$f")"
        gz="$( [[ -f $f.gz ]] && stat -c %s "$f.gz" || echo -)"
        br="$( [[ -f $f.br ]] && stat -c %s "$f.br" || echo -)"
        served="$raw"
        [[ $gz != - ]] && ((gz < served)) && served="$gz"
        [[ $br != - ]] && ((br < served)) && served="$br"
        total=$((total + served))
        n=$((n + 1))
        printf '[client] %-40s raw %8s  gzip %8s  brotli %8s bytes\n' "$(basename "$f")" "$raw" "$gz" "$br" >&2
    done
    ((n == 2)) || {
        pw_client_log "expected one proofwork.<hash>.js and one .wasm in $pkg, found $n files"
        return 1
    }
    pw_client_log "client as served: $((total / 1024)) KB (budget ${budget} KB)"
    if ((total > budget * 1024)); then
        pw_client_log "WARNING: the client is over its budget by $(((total - budget * 1024) / 1024)) KB"
        [[ ${PROOFWORK_CLIENT_BUDGET_STRICT:-0} != 1 ]] || return 1
    fi
}
