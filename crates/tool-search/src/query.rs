//! A query, read once: its terms, each word's synonyms at a lower weight, and the action
//! its verb asks for.
//!
//! Each of the query's own terms is a *slot*. A tool is scored on how many of the
//! slots it covers (a synonym's match covers the slot it stands for), weighted by how
//! rare each slot's term is, so a tool matching every part of a request beats one
//! matching one part many times.

use super::entities;
use super::lexicon::{self, Action};
use super::postings::{Postings, TermId};
use super::ranking::{Ranking, Rule, Rules};
use super::text::{self, Terms};

/// The most slots a query has; the rest of a long query is searched for without them.
const MAX_SLOTS: usize = 64;

/// One term searched for.
#[derive(Debug)]
pub struct QueryTerm {
    /// Its number in the index, if any tool has it.
    pub id: Option<TermId>,
    /// How much a match counts.
    pub weight: f32,
    /// The slots a match covers, one bit each.
    pub slots: u64,
}

/// A query, ready to score tools against.
#[derive(Debug)]
pub struct Query {
    /// Every term searched for: the query's own, their unstemmed forms, synonyms.
    pub terms: Vec<QueryTerm>,
    /// The query's own terms, by slot, for naming toolkits.
    pub words: Vec<String>,
    /// Each slot's rarity.
    pub slot_rarity: Vec<f32>,
    /// What the query's verb asks for.
    pub action: Option<Action>,
}

impl Query {
    /// Reads `text` by `ranking`'s rules; `None` when it has no word to search for.
    pub fn parse(
        text: &str,
        terms: &Terms,
        synonyms: &[Vec<String>],
        postings: &Postings,
        ranking: &Ranking,
    ) -> Option<Self> {
        let rules = ranking.rules;
        let is_term = |t: &str| postings.id(&terms.stem(t)).is_some();
        let words: Vec<String> =
            text::words(&entities::read_values(text, is_term, rules)).collect();
        let words = if rules.has(Rule::Negation) {
            without_negated(words)
        } else {
            words
        };
        let phrases: Vec<&str> = words
            .windows(2)
            .filter_map(|pair| lexicon::phrase(&pair[0], &pair[1], rules))
            .collect();
        let action = lexicon::action_asked(&words, rules);
        let mut own = own_terms(&words, &phrases, terms, postings, rules);
        own.truncate(MAX_SLOTS);
        if own.is_empty() {
            return None;
        }
        let mut query = Self {
            terms: Vec::new(),
            slot_rarity: own.iter().map(|t| postings.idf(postings.id(t))).collect(),
            words: own,
            action,
        };
        query.add_terms(&words, terms, synonyms, postings, ranking);
        Some(query)
    }

    /// The weight the query gives `term`, 0 when it does not search for it; a synonym
    /// counts as much as its weight.
    pub fn weight_of(&self, term: TermId) -> f32 {
        self.terms
            .iter()
            .filter(|t| t.id == Some(term))
            .map(|t| t.weight)
            .fold(0.0, f32::max)
    }

    /// The share of the query's slots, weighted by rarity, that `covered` covers.
    pub fn coverage(&self, covered: u64) -> f32 {
        let total: f32 = self.slot_rarity.iter().sum();
        let got: f32 = self
            .slot_rarity
            .iter()
            .enumerate()
            .filter(|(slot, _)| covered & (1 << slot) != 0)
            .map(|(_, rarity)| rarity)
            .sum();
        if total > 0.0 { got / total } else { 0.0 }
    }

    fn add_terms(
        &mut self,
        words: &[String],
        terms: &Terms,
        synonyms: &[Vec<String>],
        postings: &Postings,
        ranking: &Ranking,
    ) {
        let own = self.words.clone();
        for (slot, term) in own.iter().enumerate() {
            self.push(
                term,
                1.0,
                (1 << slot) | slots_of(term, &own, synonyms),
                postings,
            );
        }
        for word in words.iter().filter(|w| !text::is_stop_word(w)) {
            self.push(&format!("={word}"), 1.0, 0, postings);
            if let Some(long) = lexicon::expansion(word, ranking.rules) {
                let slots = slots_of(&terms.stem(word), &own, synonyms);
                for long in text::words(long) {
                    self.push(&terms.stem(&long), 1.0, slots, postings);
                }
            }
        }
        for group in synonyms
            .iter()
            .filter(|g| g.iter().any(|t| own.contains(t)))
        {
            for other in group {
                self.push(
                    other,
                    ranking.weights.synonym,
                    slots_of(other, &own, synonyms),
                    postings,
                );
            }
        }
    }

    /// Adds `term` unless it is already searched for.
    fn push(&mut self, term: &str, weight: f32, slots: u64, postings: &Postings) {
        let id = postings.id(term);
        let known = |t: &QueryTerm| t.id.is_some() && t.id == id;
        if id.is_none() || self.terms.iter().any(known) {
            return;
        }
        self.terms.push(QueryTerm { id, weight, slots });
    }
}

/// The query's own terms, in order, each once: the one-word forms of its two-word
/// verbs, its words' stems (less stop words, and less question words when it has
/// others), and any two neighbouring words that the catalog writes as one
/// ("customer io" → `customerio`, "power bi" → `powerbi`).
fn own_terms(
    words: &[String],
    phrases: &[&str],
    terms: &Terms,
    postings: &Postings,
    rules: Rules,
) -> Vec<String> {
    let content = |w: &&String| !text::is_stop_word(w) && !text::is_question_word(w);
    let mut stems: Vec<String> = words
        .iter()
        .filter(content)
        .map(|w| terms.stem(w))
        .collect();
    if stems.is_empty() {
        stems = words
            .iter()
            .filter(|w| !text::is_stop_word(w))
            .map(|w| terms.stem(w))
            .collect();
    }
    let joined = words
        .windows(2)
        .filter(|_| rules.has(Rule::JoinedWords))
        .map(|pair| terms.stem(&format!("{}{}", pair[0], pair[1])))
        .filter(|t| postings.id(t).is_some());
    let mut own: Vec<String> = Vec::new();
    for term in phrases
        .iter()
        .rev()
        .map(|p| terms.stem(p))
        .chain(stems)
        .chain(joined)
    {
        if !own.contains(&term) {
            own.push(term);
        }
    }
    own
}

/// `words` less those a negation rules out: the first word that is not a stop word
/// after "not", "never" or an "n't" ("draft it but don't send it" does not ask to send).
fn without_negated(words: Vec<String>) -> Vec<String> {
    let mut kept = Vec::with_capacity(words.len());
    let mut negating = false;
    for (at, word) in words.iter().enumerate() {
        let contracted = word.ends_with('n') && words.get(at + 1).is_some_and(|w| w == "t");
        if word == "not" || word == "never" || contracted {
            negating = true;
        } else if negating && !text::is_stop_word(word) {
            negating = false;
        } else {
            kept.push(word.clone());
        }
    }
    kept
}

/// The slots of `own` that a match of `term` covers: those whose term shares a
/// synonym group with it.
fn slots_of(term: &str, own: &[String], synonyms: &[Vec<String>]) -> u64 {
    let mut slots = 0;
    for (slot, own_term) in own.iter().enumerate() {
        let related = own_term == term
            || synonyms
                .iter()
                .any(|g| g.iter().any(|t| t == own_term) && g.iter().any(|t| t == term));
        if related {
            slots |= 1 << slot;
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        without_negated(text::words(text).collect())
    }

    #[test]
    fn a_negated_word_is_not_asked_for() {
        assert_eq!(
            words("draft it but don't send it yet"),
            ["draft", "it", "but", "t", "it", "yet"]
        );
        assert_eq!(words("never the archive, not a delete"), ["the", "a"]);
        assert_eq!(words("Don sent it"), ["don", "sent", "it"]);
    }
}
