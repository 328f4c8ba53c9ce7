//! The inverted index: for each term, the tools that have it and how much it says about
//! each, by BM25F (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25
//! and Beyond", 2009). A tool's text comes in [`Field`]s; a term's counts in each field
//! are length-normalized per field, weighted and summed before BM25's saturation, so a
//! word in the name outweighs the same word in a long description without the fields
//! being scored as separate documents. Everything that does not depend on the query is
//! computed once, here, so a search only adds up postings.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::ranking::Weights;

/// How many fields a tool's text has.
pub const FIELDS: usize = 7;

/// The parts of a tool's text, each weighted on its own.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// The tool's own name, stemmed (`send email`).
    Name = 0,
    /// The same words unstemmed, so the form asked for counts (`issues` is a list).
    NameWords = 1,
    /// The toolkit's name and the provider's id.
    Toolkit = 2,
    /// The description.
    Description = 3,
    /// The description's first sentence again: it says what the tool does, where the
    /// rest says how.
    Summary = 4,
    /// The parameter names.
    Parameters = 5,
    /// The parameters' descriptions.
    ParameterDescriptions = 6,
}

/// Every field, in order.
const ALL_FIELDS: [Field; FIELDS] = [
    Field::Name,
    Field::NameWords,
    Field::Toolkit,
    Field::Description,
    Field::Summary,
    Field::Parameters,
    Field::ParameterDescriptions,
];

/// A term's number in the index.
pub type TermId = u32;

/// One tool's terms, field after field, as numbers of a vocabulary: one allocation a
/// tool rather than one a field.
#[derive(Debug, Default)]
pub struct FieldTerms {
    terms: Vec<u32>,
    /// Where each field's terms end in `terms`.
    ends: [u32; FIELDS],
    /// How many fields have been given.
    given: usize,
}

impl FieldTerms {
    /// Gives `field` its terms, which `fill` appends; fields are given in order.
    pub fn give(&mut self, field: Field, fill: impl FnOnce(&mut Vec<u32>)) {
        let field = field as usize;
        debug_assert!(field >= self.given, "fields are given in order");
        let start = self.terms.len() as u32;
        self.ends[self.given..field].fill(start);
        fill(&mut self.terms);
        self.ends[field] = self.terms.len() as u32;
        self.given = field + 1;
    }

    /// The terms of `field`.
    pub fn of(&self, field: Field) -> &[u32] {
        self.range(field as usize)
    }

    fn range(&self, field: usize) -> &[u32] {
        if field >= self.given {
            return &[];
        }
        let start = if field == 0 { 0 } else { self.ends[field - 1] };
        &self.terms[start as usize..self.ends[field] as usize]
    }
}

/// The terms of a batch of tools, numbered in the batch's own vocabulary (see
/// [`super::text::BatchTerms`]), so batches are read in parallel.
pub struct Batch {
    /// Each term, by its number in the batch.
    pub vocabulary: Vec<String>,
    /// The batch's tools, in order.
    pub tools: Vec<FieldTerms>,
}

/// The index of every tool's terms.
pub struct Postings {
    vocabulary: FxHashMap<String, TermId>,
    /// For each term, the tools that have it, each with the term's weight for it
    /// (inverse document frequency times the saturated BM25F term frequency).
    lists: Vec<Vec<(u32, f32)>>,
    /// Each term's inverse document frequency.
    idf: Vec<f32>,
    /// How many tools are indexed.
    tools: f32,
}

/// A tool's count of one term in each field.
type Counts = [u16; FIELDS];

impl Postings {
    /// Indexes the tools of `batches` in order (a tool's number is its position), by
    /// `weights`' field weights, and gives back each tool's terms as the index numbers
    /// them. A field of weight 0 is left out of the index.
    pub fn build(batches: Vec<Batch>, weights: &Weights) -> (Self, Vec<FieldTerms>) {
        let mut vocabulary: FxHashMap<String, TermId> = FxHashMap::default();
        let mut tools: Vec<FieldTerms> = Vec::new();
        for batch in batches {
            let renumber: Vec<TermId> = batch
                .vocabulary
                .into_iter()
                .map(|term| {
                    let next = vocabulary.len() as TermId;
                    *vocabulary.entry(term).or_insert(next)
                })
                .collect();
            tools.extend(batch.tools.into_iter().map(|mut fields| {
                for term in &mut fields.terms {
                    *term = renumber[*term as usize];
                }
                fields
            }));
        }
        let lengths: Vec<[u32; FIELDS]> = tools
            .iter()
            .map(|fields| std::array::from_fn(|field| fields.range(field).len() as u32))
            .collect();
        let counted: Vec<Vec<(TermId, Counts)>> = tools.par_iter().map(count_terms).collect();
        let lists = weighted_lists(vocabulary.len(), &counted, &lengths, weights);
        let n = tools.len() as f32;
        let postings = Self {
            vocabulary,
            lists,
            idf: Vec::new(),
            tools: n,
        };
        (postings.with_idf(), tools)
    }

    /// Multiplies each posting's weight by its term's idf, and keeps the idf.
    fn with_idf(mut self) -> Self {
        self.idf = self
            .lists
            .iter()
            .map(|list| idf(self.tools, list.len() as f32))
            .collect();
        for (list, idf) in self.lists.iter_mut().zip(&self.idf) {
            for (_, weight) in list.iter_mut() {
                *weight *= idf;
            }
        }
        self
    }

    /// The number of `term`, if any tool has it.
    pub fn id(&self, term: &str) -> Option<TermId> {
        self.vocabulary.get(term).copied()
    }

    /// How rare `term` is among the tools: high for a word few tools have. A term no
    /// tool has is as rare as can be.
    pub fn idf(&self, term: Option<TermId>) -> f32 {
        match term {
            Some(id) => self.idf[id as usize],
            None => idf(self.tools, 0.0),
        }
    }

    /// The tools that have `term`, with its weight for each.
    pub fn matches(&self, term: TermId) -> &[(u32, f32)] {
        &self.lists[term as usize]
    }
}

/// Each term of one tool with its count in each field, in term order.
fn count_terms(fields: &FieldTerms) -> Vec<(TermId, Counts)> {
    // Each occurrence as one number, term then field, so one integer sort groups them.
    let mut occurrences: Vec<u64> = (0..FIELDS)
        .flat_map(|field| {
            let terms = fields.range(field).iter();
            terms.map(move |&term| (u64::from(term) << 8) | field as u64)
        })
        .collect();
    occurrences.sort_unstable();
    let mut counted: Vec<(TermId, Counts)> = Vec::new();
    for occurrence in occurrences {
        let (id, field) = ((occurrence >> 8) as TermId, (occurrence & 0xff) as usize);
        match counted.last_mut() {
            Some((last, counts)) if *last == id => counts[field] = counts[field].saturating_add(1),
            _ => {
                let mut counts = [0; FIELDS];
                counts[field] = 1;
                counted.push((id, counts));
            }
        }
    }
    counted
}

/// For each term, the tools that have it with its saturated BM25F frequency; a tool
/// whose only matches are in fields of weight 0 does not have it.
fn weighted_lists(
    terms: usize,
    counted: &[Vec<(TermId, Counts)>],
    lengths: &[[u32; FIELDS]],
    weights: &Weights,
) -> Vec<Vec<(u32, f32)>> {
    let average = average_lengths(lengths);
    let mut having = vec![0usize; terms];
    for (term, _) in counted.iter().flatten() {
        having[*term as usize] += 1;
    }
    let mut lists: Vec<Vec<(u32, f32)>> = having.into_iter().map(Vec::with_capacity).collect();
    for (tool, terms) in counted.iter().enumerate() {
        for (term, counts) in terms {
            let frequency = weighted_frequency(counts, &lengths[tool], &average, weights);
            if frequency > 0.0 {
                lists[*term as usize].push((tool as u32, frequency / (weights.k1 + frequency)));
            }
        }
    }
    lists
}

fn average_lengths(lengths: &[[u32; FIELDS]]) -> [f32; FIELDS] {
    let tools = lengths.len().max(1) as f32;
    std::array::from_fn(|field| {
        let total: u64 = lengths.iter().map(|l| u64::from(l[field])).sum();
        (total as f32 / tools).max(1.0)
    })
}

/// BM25F's pseudo-frequency: each field's count, normalized by the field's length
/// against its average, weighted, summed.
fn weighted_frequency(
    counts: &Counts,
    lengths: &[u32; FIELDS],
    average: &[f32; FIELDS],
    weights: &Weights,
) -> f32 {
    ALL_FIELDS
        .into_iter()
        .filter(|&field| counts[field as usize] > 0)
        .map(|field| {
            let at = field as usize;
            let b = weights.length_normalization.of(field);
            let norm = 1.0 - b + b * lengths[at] as f32 / average[at];
            weights.field.of(field) * f32::from(counts[at]) / norm
        })
        .sum()
}

/// BM25's inverse document frequency, never negative.
fn idf(tools: f32, having: f32) -> f32 {
    (1.0 + (tools - having + 0.5) / (having + 0.5)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools(texts: &[(&str, &str)]) -> Vec<Batch> {
        let mut terms = super::super::text::BatchTerms::default();
        let tools = texts
            .iter()
            .map(|(name, description)| {
                let mut fields = FieldTerms::default();
                fields.give(Field::Name, |t| terms.add(name, t));
                fields.give(Field::Description, |t| terms.add(description, t));
                fields
            })
            .collect();
        vec![Batch {
            vocabulary: terms.vocabulary,
            tools,
        }]
    }

    #[test]
    fn a_word_of_the_name_outweighs_the_same_word_in_the_description() {
        let (postings, _) = Postings::build(
            tools(&[
                ("send email", "send a message"),
                ("list message", "list the email of a folder"),
                ("delete folder", "delete it"),
            ]),
            &Weights::FITTED,
        );
        let email = postings.id("email").unwrap();
        let weights: Vec<(u32, f32)> = postings.matches(email).to_vec();
        assert_eq!(weights.len(), 2);
        assert!(weights[0].1 > weights[1].1, "{weights:?}");
        assert!(postings.id("nothing").is_none());
        let common = postings.idf(Some(email));
        let rare = postings.idf(postings.id("delete"));
        assert!(rare > common && postings.idf(None) >= rare);
    }
}
