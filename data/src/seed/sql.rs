//! Pieces of the generated SQL: deterministic ids, quoted words, and
//! random choices driven by a `random()` column of the step's source rows.

/// `md5('<seed>:<kind>:' || expr)::uuid`: the same seed, kind and row
/// number always give the same id.
pub(super) fn seeded_id(seed: &str, kind: &str, expr: &str) -> String {
    format!("md5('{seed}:{kind}:' || ({expr}))::uuid")
}

/// `s` as an SQL string literal.
pub(super) fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `list` as an SQL `text[]` literal.
pub(super) fn text_array(list: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|s| string_literal(s)).collect();
    format!("ARRAY[{}]::text[]", items.join(", "))
}

/// One element of `list`, chosen by `r` (an expression in [0, 1)).
pub(super) fn random_word(list: &[&str], r: &str) -> String {
    format!(
        "({})[1 + floor(({r}) * {})::int]",
        text_array(list),
        list.len()
    )
}

/// A uniformly random integer in 1..=n from `r` in [0, 1).
pub(super) fn uniform_rank(r: &str, n: i64) -> String {
    format!("(1 + floor(({r}) * {n})::int)")
}

/// A skewed integer in 1..=n (small values far more likely): popularity.
pub(super) fn skewed_rank(r: &str, power: f64, n: i64) -> String {
    format!("(1 + floor(power({r}, {power}) * {n})::int)")
}
