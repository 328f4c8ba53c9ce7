//! `cargo bench --bench discovery -- ablation`: recall@1 and @5 on every query set with
//! each rule, each signal and each BM25F field of the ranking removed in turn, beside the
//! committed ranking, so what each part is worth on the sets it was not tuned on shows.

use arcade_mcp_gateway::catalog::Catalog;
use tool_search::{Ranking, Rule, Weights};

use crate::{QuerySet, UNREAD_SETS, recall_of};

/// A ranking with one part removed, and the part's name.
type Variant = (String, Ranking);

/// A signal's name, and how to remove it from the weights.
type Signal = (&'static str, fn(&mut Weights));

/// Prints the ablation table.
pub fn run(catalog: &Catalog, sets: &[QuerySet]) {
    let committed = Ranking::default();
    let rows: Vec<(String, Vec<(usize, usize)>)> = variants()
        .into_iter()
        .map(|(name, ranking)| (name, hits(catalog, sets, ranking)))
        .collect();
    let base = hits(catalog, sets, committed);
    print!("| removed |");
    for set in sets {
        print!(" `{}` r@1 / r@5 |", set.name);
    }
    println!(" blind + fresh Δ r@1 / r@5 (queries) |");
    println!("|---|{}---|", "---|".repeat(sets.len()));
    print_row("nothing (the committed ranking)", sets, &base, &base);
    for (name, counts) in &rows {
        print_row(name, sets, counts, &base);
    }
}

/// Every part removed in turn: each rule, each signal (its weight set to what makes it
/// no change), each field (its weight 0).
fn variants() -> Vec<Variant> {
    let committed = Ranking::default();
    let mut variants: Vec<Variant> = Rule::ALL
        .into_iter()
        .map(|rule| {
            let rules = committed.rules.without(rule);
            (format!("rule {rule:?}"), Ranking { rules, ..committed })
        })
        .collect();
    let signals: [Signal; 7] = [
        ("signal: query coverage", |w| w.query_coverage = 0.0),
        ("signal: name coverage", |w| w.name_coverage = 0.0),
        ("signal: named toolkit", |w| w.named_toolkit = 0.0),
        ("signal: hand-made prior", |w| w.hand_made_prior = 1.0),
        ("signal: same verb", |w| w.same_action = 0.0),
        ("signal: contradicting verb", |w| {
            w.contradicting_action = 1.0
        }),
        ("signal: length normalization (every field)", |w| {
            for (name, value) in w.each_mut() {
                if name.starts_with("length_normalization.") {
                    *value = 0.0;
                }
            }
        }),
    ];
    for (name, remove) in signals {
        let mut weights = committed.weights;
        remove(&mut weights);
        variants.push((
            name.to_owned(),
            Ranking {
                weights,
                ..committed
            },
        ));
    }
    let fields: Vec<&'static str> = Weights::FITTED
        .each()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with("field."))
        .collect();
    for field in fields {
        let mut weights = committed.weights;
        for (name, value) in weights.each_mut() {
            if name == field {
                *value = 0.0;
            }
        }
        let label = format!("BM25F {field}");
        variants.push((
            label,
            Ranking {
                weights,
                ..committed
            },
        ));
    }
    variants
}

/// The queries found at 1 and at 5 on each set by an index ranked by `ranking`.
fn hits(catalog: &Catalog, sets: &[QuerySet], ranking: Ranking) -> Vec<(usize, usize)> {
    let index =
        tool_search::SearchIndex::build_ranked(&catalog.iter().collect::<Vec<_>>(), ranking);
    sets.iter()
        .map(|set| recall_of(&index, &set.queries))
        .collect()
}

fn print_row(name: &str, sets: &[QuerySet], counts: &[(usize, usize)], base: &[(usize, usize)]) {
    print!("| {name} |");
    let (mut delta1, mut delta5) = (0i64, 0i64);
    for ((set, &(at1, at5)), &(base1, base5)) in sets.iter().zip(counts).zip(base) {
        let n = set.queries.len() as f64;
        print!(
            " {:.1} / {:.1} |",
            100.0 * at1 as f64 / n,
            100.0 * at5 as f64 / n
        );
        if UNREAD_SETS.contains(&set.name) {
            delta1 += at1 as i64 - base1 as i64;
            delta5 += at5 as i64 - base5 as i64;
        }
    }
    println!(" {delta1:+} / {delta5:+} |");
}
