//! `cargo bench --bench discovery -- fit`: the coordinate search that fitted the
//! ranking's weights, rerun. From the committed weights, each weight in turn is tried at
//! a few multiples of its value, and a change is kept only when recall@1 + recall@5,
//! summed over the development and held-out sets, rises by more than [`MIN_GAIN`] points;
//! rounds repeat until one keeps nothing, at most [`ROUNDS`]. The blind and fresh sets
//! are never looked at here. It prints the weights found beside the committed ones, and
//! the recall of both on every set.

use arcade_mcp_gateway::catalog::Catalog;
use tool_search::{Ranking, SearchIndex, Weights};

use crate::{QuerySet, UNREAD_SETS, recall_of};

/// The most rounds over every weight.
const ROUNDS: usize = 5;

/// The least gain, in summed recall points, that keeps a change: about one query in
/// either fitted set, so a change is not kept for noise.
const MIN_GAIN: f64 = 0.3;

/// The multiples of a weight tried.
const MULTIPLES: [f32; 4] = [0.5, 0.75, 1.25, 1.5];

/// The values tried for a weight that is 0.
const FROM_ZERO: [f32; 2] = [0.25, 0.5];

/// Runs the fit and prints what it finds.
pub fn run(catalog: &Catalog, sets: &[QuerySet]) {
    let fitted_on: Vec<&QuerySet> = sets
        .iter()
        .filter(|set| !UNREAD_SETS.contains(&set.name))
        .collect();
    let mut weights = Weights::FITTED;
    let mut best = score(catalog, &fitted_on, weights);
    eprintln!("committed weights: {best:.1} summed recall points on the fitted sets");
    for round in 1..=ROUNDS {
        let mut changed = false;
        for at in 0..weights.each().len() {
            let (name, current) = weights.each()[at];
            for candidate in candidates(name, current) {
                let mut tried = weights;
                *tried.each_mut()[at].1 = candidate;
                let got = score(catalog, &fitted_on, tried);
                if got > best + MIN_GAIN {
                    eprintln!("round {round}: {name} {current} → {candidate}: {got:.1}");
                    (weights, best, changed) = (tried, got, true);
                }
            }
        }
        if !changed {
            break;
        }
    }
    print_weights(weights);
    print_recall(catalog, sets, weights);
}

/// The values tried for the weight `name`, now at `value`, rounded to two significant
/// digits; a length normalization (BM25's `b`) stays within 0 to 1.
fn candidates(name: &str, value: f32) -> Vec<f32> {
    let most = if name.starts_with("length_normalization.") {
        1.0
    } else {
        f32::INFINITY
    };
    let tried = if value == 0.0 {
        FROM_ZERO.to_vec()
    } else {
        MULTIPLES.iter().map(|m| round(value * m)).collect()
    };
    tried
        .into_iter()
        .filter(|v| *v != value && *v <= most)
        .collect()
}

fn round(value: f32) -> f32 {
    let scale = 10f32.powi(1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

/// Recall@1 + recall@5 in percent, summed over `sets`, of an index weighted by `weights`.
fn score(catalog: &Catalog, sets: &[&QuerySet], weights: Weights) -> f64 {
    let index = index(catalog, weights);
    sets.iter()
        .map(|set| {
            let (at1, at5) = recall_of(&index, &set.queries);
            100.0 * (at1 + at5) as f64 / set.queries.len() as f64
        })
        .sum()
}

fn index(catalog: &Catalog, weights: Weights) -> SearchIndex {
    let ranking = Ranking {
        weights,
        ..Ranking::default()
    };
    SearchIndex::build_ranked(&catalog.iter().collect::<Vec<_>>(), ranking)
}

fn print_weights(found: Weights) {
    println!("| weight | committed | fit found |");
    println!("|---|---|---|");
    for ((name, was), (_, now)) in Weights::FITTED.each().into_iter().zip(found.each()) {
        let mark = if was == now { "" } else { " (changed)" };
        println!("| `{name}` | {was} | {now}{mark} |");
    }
}

fn print_recall(catalog: &Catalog, sets: &[QuerySet], found: Weights) {
    let (committed, found) = (index(catalog, Weights::FITTED), index(catalog, found));
    println!();
    println!("| set | committed r@1 / r@5 | fit found r@1 / r@5 |");
    println!("|---|---|---|");
    for set in sets {
        let n = set.queries.len() as f64;
        let percent = |(at1, at5): (usize, usize)| {
            format!(
                "{:.1}% / {:.1}%",
                100.0 * at1 as f64 / n,
                100.0 * at5 as f64 / n
            )
        };
        println!(
            "| `{}` | {} | {} |",
            set.name,
            percent(recall_of(&committed, &set.queries)),
            percent(recall_of(&found, &set.queries))
        );
    }
}
