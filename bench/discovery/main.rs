//! `cargo bench --bench discovery`: how well and how fast `search_tools` finds the right
//! tool in the full fixture catalog, printed as a markdown table.
//!
//! Recall@1 and @5 over the labelled sets of `bench/discovery/` (natural-language queries,
//! each with the tools that would be right), for the gateway's index and for a plain
//! BM25 baseline (the `bm25` crate, all of a tool's text as one field, lowercase words
//! only: no CamelCase split, stemming, field weights, synonyms or toolkit boost); then
//! the index's build time and search latency.
//!
//! `cargo bench --bench discovery -- ablation` prints recall on every set with each part
//! of the ranking removed in turn; `-- fit` reruns the fit of its weights (see
//! `bench/README.md` and `docs/discovery.md`).

mod ablation;
mod fit;

use std::path::Path;
use std::time::{Duration, Instant};

use arcade_mcp_gateway::catalog::Catalog;
use bm25::{Embedder, EmbedderBuilder, Scorer, Tokenizer};
use serde::Deserialize;
use tool_search::SearchIndex;

/// One labelled query.
#[derive(Deserialize)]
pub struct Query {
    query: String,
    expected: Vec<String>,
    toolkit: Option<String>,
}

/// The gateway's allocator, so build times are those of the gateway's process.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The labelled query sets, in `bench/discovery/`: the development set, the held-out
/// set written apart from the ranking, and the blind and fresh sets whose misses are
/// never read (see the README there).
const QUERY_SETS: [&str; 4] = [
    "queries.json",
    "heldout.json",
    UNREAD_SETS[0],
    UNREAD_SETS[1],
];

/// The sets whose misses `DISCOVERY_MISSES` does not list: read, they would stop being a
/// fair guess of what new queries get. The fit never looks at them.
pub const UNREAD_SETS: [&str; 2] = ["blind.json", "fresh.json"];

/// One labelled query set, by its file's name.
pub struct QuerySet {
    pub name: &'static str,
    pub queries: Vec<Query>,
}

const BUILDS: usize = 7;
const LATENCY_ROUNDS: usize = 5;

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        eprintln!("the discovery benchmark runs with `cargo bench --bench discovery`");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let catalog = load_catalog(&root.join("tests/fixtures/catalog.tar.gz"));
    let sets: Vec<QuerySet> = QUERY_SETS
        .into_iter()
        .map(|name| QuerySet {
            name,
            queries: load_queries(&root.join("bench/discovery").join(name)),
        })
        .collect();
    if std::env::args().any(|arg| arg == "ablation") {
        return ablation::run(&catalog, &sets);
    }
    if std::env::args().any(|arg| arg == "fit") {
        return fit::run(&catalog, &sets);
    }

    let (index, build) = timed_builds(&catalog);
    let baseline = Baseline::build(&catalog);
    println!("Discovery over {} tools", index.len());
    println!();
    println!("| measurement | gateway index | plain BM25 |");
    println!("|---|---|---|");
    for QuerySet { name, queries } in &sets {
        let ours = recall(queries, |q| {
            index
                .search(&q.query, q.toolkit.as_deref(), 10)
                .map(|hits| hits.into_iter().map(|h| h.qualified_name).collect())
                .unwrap_or_default()
        });
        let plain = recall(queries, |q| {
            baseline.search(&q.query, q.toolkit.as_deref(), 10)
        });
        let n = queries.len();
        println!(
            "| recall@1, `{name}` ({n}) | {:.1}% | {:.1}% |",
            ours.0, plain.0
        );
        println!(
            "| recall@5, `{name}` ({n}) | {:.1}% | {:.1}% |",
            ours.1, plain.1
        );
        println!(
            "| recall@10 (`search_tools`' default limit), `{name}` | {:.1}% | {:.1}% |",
            ours.2, plain.2
        );
    }
    let every: Vec<&Query> = sets.iter().flat_map(|set| &set.queries).collect();
    let (p50, p99) = latency(&index, &every);
    println!(
        "| index build, median of {BUILDS} | {:.1} ms | |",
        ms(build)
    );
    println!(
        "| `search` p50 / p99 ({} queries × {LATENCY_ROUNDS}) | {:.3} / {:.3} ms | |",
        every.len(),
        ms(p50),
        ms(p99)
    );
    if std::env::var_os("DISCOVERY_MISSES").is_some() {
        let readable: Vec<&Query> = sets
            .iter()
            .filter(|set| !UNREAD_SETS.contains(&set.name))
            .flat_map(|set| &set.queries)
            .collect();
        print_misses(&readable, &index);
    }
}

fn load_queries(path: &Path) -> Vec<Query> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_catalog(archive: &Path) -> Catalog {
    let definitions = arcade_mcp_gateway::emulator::load_toolkits(archive)
        .unwrap_or_else(|e| panic!("fixture catalog: {e}"))
        .into_iter()
        .flat_map(|toolkit| toolkit.items)
        .collect();
    Catalog::from_definitions(definitions)
}

fn timed_builds(catalog: &Catalog) -> (SearchIndex, Duration) {
    let mut times = Vec::new();
    let mut index = None;
    for _ in 0..BUILDS {
        let started = Instant::now();
        let built = SearchIndex::build(&catalog.iter().collect::<Vec<_>>());
        times.push(started.elapsed());
        // The index built before is dropped here, outside the timing.
        index = Some(built);
    }
    (index.unwrap(), median(times))
}

/// How many of `queries` have a right tool first, and among the first five, in `index`.
pub fn recall_of(index: &SearchIndex, queries: &[Query]) -> (usize, usize) {
    let (mut at1, mut at5) = (0, 0);
    for query in queries {
        let hits = index
            .search(&query.query, query.toolkit.as_deref(), 5)
            .unwrap_or_default();
        let right = hits
            .iter()
            .position(|hit| query.expected.contains(&hit.qualified_name));
        at1 += usize::from(right == Some(0));
        at5 += usize::from(right.is_some());
    }
    (at1, at5)
}

/// Recall@1, @5 and @10, in percent: a query counts when one of its expected tools is
/// among the first 1, 5 or 10 of `top10`.
fn recall(queries: &[Query], top10: impl Fn(&Query) -> Vec<String>) -> (f64, f64, f64) {
    let (mut at1, mut at5, mut at10) = (0, 0, 0);
    for query in queries {
        let found = top10(query);
        let right = |name: &String| query.expected.contains(name);
        at1 += usize::from(found.first().is_some_and(right));
        at5 += usize::from(found.iter().take(5).any(right));
        at10 += usize::from(found.iter().take(10).any(right));
    }
    let percent = |hits: usize| 100.0 * hits as f64 / queries.len() as f64;
    (percent(at1), percent(at5), percent(at10))
}

fn latency(index: &SearchIndex, queries: &[&Query]) -> (Duration, Duration) {
    let mut times = Vec::new();
    for _ in 0..LATENCY_ROUNDS {
        for query in queries {
            let started = Instant::now();
            let _ = std::hint::black_box(index.search(&query.query, query.toolkit.as_deref(), 10));
            times.push(started.elapsed());
        }
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

/// Each query whose first hit is wrong, with the rank of its first right tool (in the
/// top 50, else "-") and the top 5, so a change to the ranking can be read query by
/// query (`DISCOVERY_MISSES=1`).
fn print_misses(queries: &[&Query], index: &SearchIndex) {
    println!();
    for query in queries {
        let hits = index
            .search(&query.query, query.toolkit.as_deref(), 50)
            .unwrap_or_default();
        let right = hits
            .iter()
            .position(|h| query.expected.contains(&h.qualified_name));
        if right == Some(0) {
            continue;
        }
        let rank = right.map_or("-".to_owned(), |r| (r + 1).to_string());
        let top: Vec<&str> = hits
            .iter()
            .take(5)
            .map(|h| h.qualified_name.as_str())
            .collect();
        println!(
            "- rank {rank}: {:?} expected {:?} got {:?}",
            query.query, query.expected, top
        );
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Lowercase words split at anything not a letter or digit: nothing else.
#[derive(Default)]
struct PlainWords;

impl Tokenizer for PlainWords {
    fn tokenize(&self, input_text: &str) -> Vec<String> {
        input_text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }
}

/// The baseline: one BM25 field of each tool's whole text.
struct Baseline {
    names: Vec<(String, String)>,
    embedder: Embedder<u32, PlainWords>,
    scorer: Scorer<u32, u32>,
}

impl Baseline {
    fn build(catalog: &Catalog) -> Self {
        let mut names = Vec::new();
        let mut documents = Vec::new();
        for entry in catalog.iter() {
            let tool = entry.tool().expect("a kept tool parses");
            let parameters: Vec<&String> = tool.input_schema.keys().collect();
            let toolkit = entry
                .qualified_name()
                .split('.')
                .next()
                .unwrap_or("")
                .to_owned();
            documents.push(format!(
                "{} {} {:?}",
                entry.qualified_name(),
                tool.description.as_deref().unwrap_or(""),
                parameters
            ));
            names.push((entry.qualified_name().to_owned(), toolkit));
        }
        let words: usize = documents.iter().map(|d| PlainWords.tokenize(d).len()).sum();
        let avgdl = words as f32 / documents.len() as f32;
        let embedder = EmbedderBuilder::<u32, PlainWords>::with_avgdl(avgdl).build();
        let mut scorer = Scorer::new();
        for (id, document) in documents.iter().enumerate() {
            scorer.upsert(&(id as u32), embedder.embed(document));
        }
        Self {
            names,
            embedder,
            scorer,
        }
    }

    fn search(&self, query: &str, toolkit: Option<&str>, limit: usize) -> Vec<String> {
        let mut matches = self.scorer.matches(&self.embedder.embed(query));
        // Ties in name order, so the baseline's recall is the same every run.
        matches.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| self.names[a.id as usize].cmp(&self.names[b.id as usize]))
        });
        matches
            .into_iter()
            .map(|m| &self.names[m.id as usize])
            .filter(|(_, kit)| toolkit.is_none_or(|t| t == kit))
            .take(limit)
            .map(|(name, _)| name.clone())
            .collect()
    }
}
