fn main() {
    // sqlx::migrate! embeds migrations/: rebuild when they change.
    println!("cargo:rerun-if-changed=../migrations");
}
