//! Finding the right tool among thousands: the search index behind the gateway's
//! `search_tools`.
//!
//! It is a crate of its own because it needs nothing of the gateway but each tool's
//! text ([`ToolText`], read from the MCP tool definition): it has its own bench
//! (`cargo bench --bench discovery` at the workspace root) and its own design notes
//! (`docs/discovery.md`).
//!
//! Each served tool is indexed by the terms of its
//! name, toolkit, description and parameters ([`text`]: split CamelCase and snake_case,
//! stemmed), in one BM25F index of its fields ([`postings`]). A query ([`query`]) has
//! its values read for their kind ([`entities`]: `r/rust` is a subreddit) and is
//! widened by the synonyms of its words ([`lexicon`]); a tool's text score is then
//! weighed by how much of the query it covers, how much of its own name the query
//! asks for, whether the query names its toolkit ([`toolkits`]), whether the toolkit is
//! hand-made rather than generated from an API's spec, and whether its verb does or
//! contradicts the query's. Every weight is a field of [`Weights`] and every word list
//! or value rule a [`Rule`] ([`ranking`]), so the bench can refit the one and leave out
//! each of the other (`docs/discovery.md`). Built once per catalog; a search only adds
//! up postings.

mod entities;
mod lexicon;
mod postings;
mod query;
mod ranking;
mod text;
mod toolkits;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Deserialize;

use lexicon::Action;
use postings::{Batch, Field, FieldTerms, Postings, TermId};
use query::Query;
pub use ranking::{FieldWeights, Ranking, Rule, Rules, Weights};
use text::{BatchTerms, Terms};
use toolkits::Toolkits;

/// The longest query read: a task, not a document.
const MAX_QUERY_CHARS: usize = 500;

/// The longest toolkit filter read: toolkit names are a few words (the longest served is
/// about a third of it).
const MAX_TOOLKIT_CHARS: usize = 64;

/// The longest one-line description shown.
const DESCRIPTION_CHARS: usize = 160;

/// One match: what `search_tools` shows of a tool.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The MCP name (`Gmail_SendEmail`).
    pub name: String,
    /// Arcade's qualified name (`Gmail.SendEmail`).
    pub qualified_name: String,
    /// The toolkit (`Gmail`).
    pub toolkit: String,
    /// The description's first sentence.
    pub description: String,
    /// How well it matched (higher is better; only the order means anything).
    pub score: f32,
}

/// A search that cannot be run as asked.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Nothing to search for.
    #[error(
        "the query has no words to search for: describe the task in a few words, e.g. \
         \"send an email\" or \"list open issues in a GitHub repository\""
    )]
    NoWords,
    /// A query longer than a task description.
    #[error(
        "the query is longer than {MAX_QUERY_CHARS} characters: describe the task in a few words"
    )]
    TooLong,
    /// A toolkit filter longer than any toolkit's name.
    #[error(
        "the toolkit is longer than {MAX_TOOLKIT_CHARS} characters, so no toolkit has that \
         name: give a toolkit's name, or leave out `toolkit`"
    )]
    ToolkitTooLong,
    /// A toolkit filter naming no toolkit served here.
    #[error("no toolkit named `{given}` is served here{}", suggestion(.closest))]
    UnknownToolkit {
        /// The filter, as given (cut short).
        given: String,
        /// The closest toolkit names.
        closest: Vec<String>,
    },
}

fn suggestion(closest: &[String]) -> String {
    if closest.is_empty() {
        "; leave out `toolkit` to search every tool".to_owned()
    } else {
        format!(
            "; did you mean {}? Or leave out `toolkit`",
            closest.join(", ")
        )
    }
}

/// What the index keeps of a tool: what a hit shows, and what ranks it.
#[derive(Debug)]
struct Indexed {
    name: String,
    qualified_name: String,
    toolkit: String,
    description: String,
    /// The terms of its name that are not its toolkit's, each once.
    name_terms: Vec<TermId>,
    /// What its name's verbs do: one, or two joined as in `CreateOrUpdate`.
    actions: Vec<Action>,
    /// Whether its toolkit was written by hand (`Github`) rather than generated from an
    /// API's spec (`GithubApi`).
    hand_made: bool,
}

/// The search index of one catalog (and the direct tools beside it).
pub struct SearchIndex {
    tools: Vec<Indexed>,
    postings: Postings,
    toolkits: Toolkits,
    terms: Terms,
    /// The synonym groups, stemmed.
    synonyms: Vec<Vec<String>>,
    ranking: Ranking,
}

/// What the index reads of a tool: its names, its provider, and the text of its MCP
/// definition. Build it with [`ToolText::from_mcp_tool`].
#[derive(Debug, Clone)]
pub struct ToolText {
    mcp_name: String,
    qualified_name: String,
    provider: Option<String>,
    description: String,
    /// Each parameter's name and description.
    parameters: Vec<(String, String)>,
}

/// A tool the index can read; the served tools of a catalog implement it, so the index
/// reads their definitions on every core at once.
pub trait Searchable: Sync {
    /// The tool's text.
    fn text(&self) -> ToolText;
}

/// A tool already read, as a test or a bench gives it.
impl Searchable for ToolText {
    fn text(&self) -> ToolText {
        self.clone()
    }
}

impl<T: Searchable> Searchable for &T {
    fn text(&self) -> ToolText {
        (**self).text()
    }
}

/// The part of a kept MCP tool that search reads (the rest is skipped unparsed).
#[derive(Deserialize, Default)]
struct ToolJson {
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "inputSchema")]
    input_schema: SchemaJson,
}

#[derive(Deserialize, Default)]
struct SchemaJson {
    #[serde(default)]
    properties: BTreeMap<String, PropertyJson>,
}

#[derive(Deserialize, Default)]
struct PropertyJson {
    #[serde(default)]
    description: Option<String>,
}

impl SearchIndex {
    /// Indexes every tool of `tools`.
    pub fn build<T: Searchable>(tools: &[T]) -> Self {
        Self::build_ranked(tools, Ranking::default())
    }

    /// Indexes every tool of `tools`, to rank by `ranking`: other weights or fewer
    /// rules than the committed ones, as the bench's fit and ablation try.
    pub fn build_ranked<T: Searchable>(tools: &[T], ranking: Ranking) -> Self {
        // One batch a thread: each stems its distinct words once.
        let per_batch = tools.len().div_ceil(rayon::current_num_threads()).max(1);
        let (batches, read): (Vec<Batch>, Vec<Vec<Read>>) =
            tools.par_chunks(per_batch).map(read_batch).unzip();
        let (postings, fields) = Postings::build(batches, &ranking.weights);
        let terms = Terms::default();
        let read: Vec<Read> = read.into_iter().flatten().collect();
        let toolkits = Toolkits::new(
            &terms,
            read.iter()
                .map(|(tool, provider)| (tool.toolkit.as_str(), provider.as_deref())),
        );
        let tools = read
            .into_iter()
            .zip(&fields)
            .map(|((tool, _), fields)| tool.with_name_terms(fields))
            .collect();
        let synonyms = if ranking.rules.has(Rule::Synonyms) {
            lexicon::synonym_groups(|w| terms.stem(w))
        } else {
            Vec::new()
        };
        Self {
            tools,
            postings,
            toolkits,
            terms,
            synonyms,
            ranking,
        }
    }

    /// How many tools are indexed.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether no tool is indexed.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The best `limit` matches for `query`, best first, only of `toolkit` if given.
    pub fn search(
        &self,
        query: &str,
        toolkit: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::TooLong);
        }
        if toolkit.is_some_and(|t| t.chars().count() > MAX_TOOLKIT_CHARS) {
            return Err(SearchError::ToolkitTooLong);
        }
        let only = toolkit.map(|t| self.toolkit_named(t)).transpose()?;
        let query = Query::parse(
            query,
            &self.terms,
            &self.synonyms,
            &self.postings,
            &self.ranking,
        )
        .ok_or(SearchError::NoWords)?;
        let by_provider = self.ranking.rules.has(Rule::ProviderNames);
        let named = self.toolkits.named_by(&query.words, by_provider);
        let mut ranked: Vec<(u32, f32)> = self
            .text_scores(&query)
            .into_iter()
            .filter(|(tool, _, _)| only.is_none_or(|kit| self.tools[*tool as usize].toolkit == kit))
            .map(|(tool, score, covered)| {
                let tool_ref = &self.tools[tool as usize];
                let named = named.get(tool_ref.toolkit.as_str()).copied().unwrap_or(0.0);
                (tool, score * self.fit(tool_ref, &query, covered, named))
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1).then_with(|| {
                self.tools[a.0 as usize]
                    .name
                    .cmp(&self.tools[b.0 as usize].name)
            })
        });
        Ok(ranked
            .into_iter()
            .take(limit)
            .map(|(id, score)| self.hit(id, score))
            .collect())
    }

    /// Every toolkit with its tool count, largest first: what a search without matches
    /// suggests.
    pub fn toolkits(&self) -> Vec<(String, usize)> {
        self.toolkits
            .counts()
            .map(|(name, count)| (name.to_owned(), count))
            .collect()
    }

    /// The `n` MCP names closest to `name` (given as an MCP or a qualified name), for
    /// an unknown-tool error; none when nothing is close.
    pub fn closest_names(&self, name: &str, n: usize) -> Vec<String> {
        let wanted = name.trim().replace('.', "_");
        closest(&wanted, self.tools.iter().map(|t| t.name.as_str()), 0.8, n)
    }

    /// Every tool that matches a term of `query`: its BM25F score, and the query's
    /// slots it covers.
    fn text_scores(&self, query: &Query) -> Vec<(u32, f32, u64)> {
        let mut scores = vec![0.0f32; self.tools.len()];
        let mut covered = vec![0u64; self.tools.len()];
        let mut touched: Vec<u32> = Vec::new();
        for term in &query.terms {
            let Some(id) = term.id else { continue };
            for &(tool, weight) in self.postings.matches(id) {
                let at = tool as usize;
                if scores[at] == 0.0 {
                    touched.push(tool);
                }
                scores[at] += term.weight * weight;
                covered[at] |= term.slots;
            }
        }
        touched
            .into_iter()
            .map(|tool| (tool, scores[tool as usize], covered[tool as usize]))
            .collect()
    }

    /// How well `tool` fits `query` beyond its text score: the query's share it
    /// covers, its name's share the query asks for, whether the query names its
    /// toolkit (`named`, 0 to 1), whether its toolkit is hand-made, and whether its verb
    /// does or contradicts the query's.
    fn fit(&self, tool: &Indexed, query: &Query, covered: u64, named: f32) -> f32 {
        let weights = &self.ranking.weights;
        let mut fit = query.coverage(covered).powf(weights.query_coverage);
        if !tool.name_terms.is_empty() {
            let share = weights.name_coverage;
            fit *= 1.0 - share + share * self.name_asked(tool, query);
        }
        fit *= 1.0 + weights.named_toolkit * named;
        if tool.hand_made {
            fit *= weights.hand_made_prior;
        }
        let Some(asked) = query.action else {
            return fit;
        };
        if tool.actions.contains(&asked) {
            fit *= 1.0 + weights.same_action;
        } else if !tool.actions.is_empty()
            && tool.actions.iter().all(|&does| asked.contradicts(does))
        {
            fit *= weights.contradicting_action;
        }
        fit
    }

    /// The share of `tool`'s name, weighted by rarity, that `query` asks for.
    fn name_asked(&self, tool: &Indexed, query: &Query) -> f32 {
        let rarity = |t: TermId| self.postings.idf(Some(t));
        let total: f32 = tool.name_terms.iter().map(|&t| rarity(t)).sum();
        let asked: f32 = tool
            .name_terms
            .iter()
            .map(|&t| rarity(t) * query.weight_of(t).min(1.0))
            .sum();
        if total > 0.0 { asked / total } else { 0.0 }
    }

    /// The served toolkit `given` names (case aside), or an error with the closest.
    fn toolkit_named(&self, given: &str) -> Result<&str, SearchError> {
        self.toolkits
            .find(given)
            .ok_or_else(|| SearchError::UnknownToolkit {
                given: given.chars().take(100).collect(),
                closest: self.toolkits.closest(given),
            })
    }

    fn hit(&self, id: u32, score: f32) -> Hit {
        let tool = &self.tools[id as usize];
        Hit {
            name: tool.name.clone(),
            qualified_name: tool.qualified_name.clone(),
            toolkit: tool.toolkit.clone(),
            description: tool.description.clone(),
            score,
        }
    }
}

/// What the index keeps of a tool as it is read, and its provider's id.
type Read = (Indexed, Option<String>);

/// Reads a batch of tools: their terms, and what the index keeps of each with its
/// provider's id.
fn read_batch<T: Searchable>(sources: &[T]) -> (Batch, Vec<Read>) {
    let mut terms = BatchTerms::default();
    let mut tools = Vec::with_capacity(sources.len());
    let mut read = Vec::with_capacity(sources.len());
    for source in sources {
        let text = source.text();
        tools.push(text.fields(&mut terms));
        read.push((text.indexed(), text.provider));
    }
    let batch = Batch {
        vocabulary: terms.vocabulary,
        tools,
    };
    (batch, read)
}

impl ToolText {
    /// The text of a tool from its MCP definition (`tool_json`, as `tools/list` gives
    /// it: its `description` and its input schema's properties are read, the rest is
    /// skipped unparsed), its MCP name, its qualified name (`Toolkit.Name`) and its
    /// provider's id. A definition that cannot be read gives a tool known by its names.
    pub fn from_mcp_tool(
        mcp_name: &str,
        qualified_name: &str,
        provider: Option<String>,
        tool_json: &str,
    ) -> Self {
        let json: ToolJson = serde_json::from_str(tool_json).unwrap_or_default();
        Self {
            mcp_name: mcp_name.to_owned(),
            qualified_name: qualified_name.to_owned(),
            provider,
            description: json.description.unwrap_or_default(),
            parameters: json
                .input_schema
                .properties
                .into_iter()
                .map(|(name, property)| (name, property.description.unwrap_or_default()))
                .collect(),
        }
    }

    fn toolkit(&self) -> &str {
        self.qualified_name
            .split_once('.')
            .map_or("", |(toolkit, _)| toolkit)
    }

    fn own_name(&self) -> &str {
        self.qualified_name
            .split_once('.')
            .map_or(self.qualified_name.as_str(), |(_, name)| name)
    }

    /// The tool's terms, by field.
    fn fields(&self, terms: &mut BatchTerms) -> FieldTerms {
        let mut fields = FieldTerms::default();
        fields.give(Field::Name, |t| terms.add(self.own_name(), t));
        fields.give(Field::NameWords, |t| {
            terms.add_unstemmed(self.own_name(), t)
        });
        fields.give(Field::Toolkit, |t| {
            terms.add(self.toolkit(), t);
            if let Some(provider) = &self.provider {
                terms.add(provider, t);
            }
        });
        // The summary's terms are the description's first ones: read once, copied.
        let (sentence, rest) = self
            .description
            .split_at(first_sentence_end(&self.description));
        let mut summary = 0..0;
        fields.give(Field::Description, |t| {
            let start = t.len();
            terms.add(sentence, t);
            summary = start..t.len();
            terms.add(rest, t);
        });
        fields.give(Field::Summary, |t| t.extend_from_within(summary));
        fields.give(Field::Parameters, |t| {
            for (name, _) in &self.parameters {
                terms.add(name, t);
            }
        });
        fields.give(Field::ParameterDescriptions, |t| {
            for (_, description) in &self.parameters {
                terms.add(description, t);
            }
        });
        fields
    }

    /// What the index keeps of the tool, but the terms of its name.
    fn indexed(&self) -> Indexed {
        Indexed {
            name: self.mcp_name.clone(),
            qualified_name: self.qualified_name.clone(),
            toolkit: self.toolkit().to_owned(),
            description: one_line(&self.description),
            name_terms: Vec::new(),
            actions: name_actions(self.own_name()),
            hand_made: !self.toolkit().ends_with("Api"),
        }
    }
}

/// What a tool's name says it does: the action of its first word, and of a second verb
/// joined to it by "or" or "and" (`CreateOrUpdateSecret`, `SearchAndRetrieveDocuments`).
fn name_actions(name: &str) -> Vec<Action> {
    let words: Vec<String> = text::words(name).take(3).collect();
    let mut actions: Vec<Action> = words
        .first()
        .and_then(|w| lexicon::action_of(w))
        .into_iter()
        .collect();
    if let (Some(first), Some(joined), Some(second)) = (actions.first(), words.get(1), words.get(2))
        && (joined == "or" || joined == "and")
        && let Some(other) = lexicon::action_of(second)
        && other != *first
    {
        actions.push(other);
    }
    actions
}

impl Indexed {
    /// With the terms of its name that are not its toolkit's, as the index numbers them.
    fn with_name_terms(mut self, fields: &FieldTerms) -> Self {
        let toolkit_terms = fields.of(Field::Toolkit);
        for &term in fields.of(Field::Name) {
            if !toolkit_terms.contains(&term) && !self.name_terms.contains(&term) {
                self.name_terms.push(term);
            }
        }
        self
    }
}

/// The (at most `n`) `names` most like `wanted`, case aside, by Jaro-Winkler similarity
/// of at least `at_least`, most alike first: what an error suggests for a mistyped name.
fn closest<'a>(
    wanted: &str,
    names: impl Iterator<Item = &'a str>,
    at_least: f64,
    n: usize,
) -> Vec<String> {
    let wanted = wanted.to_lowercase();
    let mut scored: Vec<(f64, &str)> = names
        .map(|name| (strsim::jaro_winkler(&wanted, &name.to_lowercase()), name))
        .filter(|(similarity, _)| *similarity >= at_least)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(n)
        .map(|(_, name)| name.to_owned())
        .collect()
}

/// Where the first sentence of a description ends: after the first ". " of its first
/// line that is not blank, else at that line's end.
fn first_sentence_end(description: &str) -> usize {
    let mut offset = 0;
    for line in description.split_inclusive('\n') {
        if !line.trim().is_empty() {
            let end = line.find(". ").map_or(line.trim_end().len(), |dot| dot + 1);
            return offset + end;
        }
        offset += line.len();
    }
    description.len()
}

/// The first sentence of a description.
fn first_sentence(description: &str) -> &str {
    description[..first_sentence_end(description)].trim()
}

/// The first sentence of a description, at most [`DESCRIPTION_CHARS`] long.
fn one_line(description: &str) -> String {
    let sentence = first_sentence(description);
    if sentence.chars().count() <= DESCRIPTION_CHARS {
        sentence.to_owned()
    } else {
        let cut: String = sentence.chars().take(DESCRIPTION_CHARS - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(qualified_name: &str, description: &str, provider: Option<&str>) -> ToolText {
        let definition = json!({
            "description": description,
            "inputSchema": {"type": "object", "properties": {"repo_name": {"type": "string"}}},
        });
        ToolText::from_mcp_tool(
            &qualified_name.replacen('.', "_", 1),
            qualified_name,
            provider.map(str::to_owned),
            &definition.to_string(),
        )
    }

    fn index() -> SearchIndex {
        let tools = [
            tool(
                "Gmail.SendEmail",
                "Send an email to a recipient.",
                Some("google"),
            ),
            tool(
                "Gmail.ListEmails",
                "List the emails in the inbox.",
                Some("google"),
            ),
            tool(
                "Slack.SendMessage",
                "Send a message to a channel.",
                Some("slack"),
            ),
            tool(
                "Github.CreateIssue",
                "Create an issue in a repository.",
                Some("github"),
            ),
            tool(
                "GithubApi.CreateGithubIssue",
                "Open a new issue.",
                Some("github"),
            ),
            tool("Math.Add", "Adds two numbers.", None),
        ];
        SearchIndex::build(&tools)
    }

    fn names(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|h| h.name.as_str()).collect()
    }

    #[test]
    fn camel_case_names_and_stems_match_plain_words() {
        let hits = index().search("sending emails", None, 3).unwrap();
        assert_eq!(hits[0].name, "Gmail_SendEmail", "{:?}", names(&hits));
        assert_eq!(hits[0].qualified_name, "Gmail.SendEmail");
        assert_eq!(hits[0].toolkit, "Gmail");
        assert_eq!(hits[0].description, "Send an email to a recipient.");
    }

    #[test]
    fn a_synonym_finds_the_tool_and_a_named_toolkit_wins() {
        let tickets = index()
            .search("open a ticket for the bug", None, 5)
            .unwrap();
        assert!(
            names(&tickets)[..2].contains(&"Github_CreateIssue"),
            "{:?}",
            names(&tickets)
        );
        let slack = index().search("send a message on slack", None, 1).unwrap();
        assert_eq!(names(&slack), ["Slack_SendMessage"]);
    }

    #[test]
    fn toolkit_filters_and_their_mistakes() {
        let only = index().search("issue", Some("githubapi"), 5).unwrap();
        assert_eq!(names(&only), ["GithubApi_CreateGithubIssue"]);
        let error = index().search("issue", Some("Githbu"), 5).unwrap_err();
        assert!(error.to_string().contains("Github"), "{error}");
    }

    #[test]
    fn useless_queries_say_what_to_send() {
        for query in ["", "   ", "the of and", "!!!"] {
            let error = index().search(query, None, 5).unwrap_err();
            assert!(matches!(error, SearchError::NoWords), "{query:?}: {error}");
        }
        assert!(matches!(
            index().search(&"x".repeat(501), None, 5),
            Err(SearchError::TooLong)
        ));
    }

    #[test]
    fn the_first_sentence_is_the_summary() {
        assert_eq!(
            first_sentence("\n  Send an email. Then more.\nOther"),
            "Send an email."
        );
        assert_eq!(first_sentence("No stop here\nNext line."), "No stop here");
        assert_eq!(first_sentence(""), "");
    }

    #[test]
    fn a_name_with_two_verbs_does_both() {
        assert_eq!(
            name_actions("CreateOrUpdateRepoSecret"),
            [Action::Create, Action::Update]
        );
        assert_eq!(name_actions("SendEmail"), [Action::Send]);
        assert_eq!(name_actions("ForkGist"), []);
    }

    #[test]
    fn close_names_are_suggested() {
        assert_eq!(index().closest_names("Math.Ad", 2)[0], "Math_Add");
        assert!(index().closest_names("Completely_Different", 2).is_empty());
        let toolkits = index().toolkits();
        assert_eq!(toolkits[0], ("Gmail".to_owned(), 2));
    }
}
