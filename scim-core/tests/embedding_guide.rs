//! The walkthrough in `docs/embedding.md` quotes `examples/axum_sqlite.rs`, which CI
//! compiles and tests; this checks that every quoted block is still in the example, so
//! the guide cannot drift from the program it quotes. (Excluded from the published
//! package: the guide is not in it.)

/// `text` without whitespace, so that a quote may be wrapped or indented differently.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Each Rust and SQL block of the walkthrough, cut at its elisions (a line with `…`),
/// appears in the example as it is, but for whitespace.
#[test]
fn the_walkthrough_quotes_the_example_as_it_is() {
    let guide = include_str!("../../docs/embedding.md");
    let example = squeezed(include_str!("../examples/axum_sqlite.rs"));
    let start = guide
        .find("## Walkthrough")
        .expect("docs/embedding.md has a walkthrough section");
    let mut pieces: Vec<String> = Vec::new();
    let mut piece = String::new();
    let mut in_block = false;
    for line in guide[start..].lines() {
        let fence = line.trim_start();
        if fence.starts_with("```") {
            in_block = !in_block && (fence == "```rust" || fence == "```sql");
            pieces.push(std::mem::take(&mut piece));
        } else if in_block && line.contains('…') {
            pieces.push(std::mem::take(&mut piece));
        } else if in_block {
            piece.push_str(line);
            piece.push('\n');
        }
    }
    pieces.retain(|p| !p.trim().is_empty());
    assert!(
        pieces.len() >= 6,
        "the walkthrough quotes only {} pieces",
        pieces.len()
    );
    let drifted: Vec<&String> = pieces
        .iter()
        .filter(|p| !example.contains(&squeezed(p)))
        .collect();
    assert!(
        drifted.is_empty(),
        "docs/embedding.md quotes code that examples/axum_sqlite.rs does not have:\n{}",
        drifted
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("---\n")
    );
}
