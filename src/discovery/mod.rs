//! Finding the right tool among thousands: the search index behind `search_tools`.
//!
//! Each served tool (catalog and direct tools alike) is indexed in four fields, each a
//! BM25 index of the `bm25` crate over the terms of [`text`] (split CamelCase and
//! snake_case, stemmed): the tool's own name, its toolkit and provider, its description,
//! and its parameter names. A query is scored in every field, the fields weighted (a
//! word of the name says more than one of the description), then again for the
//! synonyms of its words at a lower weight; tools of a toolkit the query names ("in
//! Jira", "my Gmail") are boosted. Built once per catalog, in a few tens of ms.

mod text;

use std::collections::HashMap;

use bm25::{Embedder, EmbedderBuilder, Scorer, Tokenizer};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::catalog::Catalog;
use crate::direct::DirectTools;
use text::Terms;

/// How much each field's match counts.
const NAME_WEIGHT: f32 = 3.0;
const TOOLKIT_WEIGHT: f32 = 1.5;
const DESCRIPTION_WEIGHT: f32 = 1.0;
const PARAMETER_WEIGHT: f32 = 0.4;

/// How much a synonym's match counts against the word the query used.
const SYNONYM_WEIGHT: f32 = 0.4;

/// How much tools of a toolkit the query names are preferred.
const NAMED_TOOLKIT_BOOST: f32 = 1.6;

/// The longest query read: a task, not a document.
const MAX_QUERY_CHARS: usize = 500;

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

/// What the index keeps of a tool to show it.
#[derive(Debug)]
struct Indexed {
    name: String,
    qualified_name: String,
    toolkit: String,
    description: String,
}

/// One field's BM25 index.
struct Field {
    weight: f32,
    embedder: Embedder<u32, Spaces>,
    scorer: Scorer<u32, u32>,
}

/// The search index of one catalog (and the direct tools beside it).
pub struct SearchIndex {
    tools: Vec<Indexed>,
    fields: Vec<Field>,
    /// Each toolkit: its name, its tool count and the terms that name it.
    toolkits: Vec<(String, usize, Vec<String>)>,
    terms: Terms,
}

/// The text of one tool, split by field, before indexing.
struct ToolText {
    indexed: Indexed,
    name: Vec<String>,
    toolkit: Vec<String>,
    description: Vec<String>,
    parameters: Vec<String>,
}

/// The part of a kept MCP tool that search reads (the rest is skipped unparsed).
#[derive(Deserialize)]
struct ToolJson {
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "inputSchema")]
    input_schema: SchemaJson,
}

#[derive(Deserialize, Default)]
struct SchemaJson {
    #[serde(default)]
    properties: HashMap<String, IgnoredAny>,
}

/// The terms of a field, already split: joined by spaces, split back at them.
#[derive(Default)]
struct Spaces;

impl Tokenizer for Spaces {
    fn tokenize(&self, input_text: &str) -> Vec<String> {
        input_text
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

impl SearchIndex {
    /// Indexes every tool of `catalog` and `direct`.
    pub fn build(catalog: &Catalog, direct: Option<&DirectTools>) -> Self {
        let terms = Terms::default();
        let entries: Vec<_> = catalog.iter().collect();
        let mut texts: Vec<ToolText> = entries
            .par_iter()
            .map_init(Terms::default, |terms, entry| {
                let json: ToolJson = serde_json::from_str(entry.tool_json()).unwrap_or(ToolJson {
                    description: None,
                    input_schema: SchemaJson::default(),
                });
                let provider = entry.auth_requirement().and_then(|r| r.provider_id.clone());
                tool_text(terms, entry.name(), entry.qualified_name(), provider, json)
            })
            .collect();
        for entry in direct.into_iter().flat_map(DirectTools::iter) {
            let tool = &entry.tool;
            let json = ToolJson {
                description: tool.description.as_deref().map(str::to_owned),
                input_schema: SchemaJson {
                    properties: tool
                        .input_schema
                        .keys()
                        .map(|k| (k.clone(), IgnoredAny))
                        .collect(),
                },
            };
            let qualified = entry.name().replacen('_', ".", 1);
            let provider = Some(entry.grant().provider_id.clone());
            texts.push(tool_text(&terms, entry.name(), &qualified, provider, json));
        }
        Self::from_texts(texts, terms)
    }

    fn from_texts(texts: Vec<ToolText>, terms: Terms) -> Self {
        let fields = vec![
            field(NAME_WEIGHT, texts.iter().map(|t| &t.name)),
            field(TOOLKIT_WEIGHT, texts.iter().map(|t| &t.toolkit)),
            field(DESCRIPTION_WEIGHT, texts.iter().map(|t| &t.description)),
            field(PARAMETER_WEIGHT, texts.iter().map(|t| &t.parameters)),
        ];
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for text in &texts {
            *counts.entry(text.indexed.toolkit.as_str()).or_default() += 1;
        }
        let mut toolkits: Vec<(String, usize, Vec<String>)> = counts
            .into_iter()
            .map(|(name, count)| (name.to_owned(), count, naming_terms(&terms, name)))
            .collect();
        toolkits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Self {
            tools: texts.into_iter().map(|t| t.indexed).collect(),
            fields,
            toolkits,
            terms,
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
        let only = toolkit.map(|t| self.toolkit_named(t)).transpose()?;
        let mut words = self.terms.of(query);
        words.dedup();
        if words.is_empty() {
            return Err(SearchError::NoWords);
        }
        let synonyms = self.terms.synonyms(&words);
        let mut scores: HashMap<u32, f32> = HashMap::new();
        self.score_into(&mut scores, &words, 1.0);
        self.score_into(&mut scores, &synonyms, SYNONYM_WEIGHT);
        let named = self.named_toolkits(&words);
        let mut ranked: Vec<(u32, f32)> = scores
            .into_iter()
            .filter(|(id, _)| only.is_none_or(|kit| self.tools[*id as usize].toolkit == kit))
            .map(|(id, score)| {
                let boosted = named.contains(&self.tools[id as usize].toolkit.as_str());
                (
                    id,
                    if boosted {
                        score * NAMED_TOOLKIT_BOOST
                    } else {
                        score
                    },
                )
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
            .iter()
            .map(|(n, c, _)| (n.clone(), *c))
            .collect()
    }

    /// The `n` MCP names closest to `name` (given as an MCP or a qualified name), for
    /// an unknown-tool error; none when nothing is close.
    pub fn closest_names(&self, name: &str, n: usize) -> Vec<String> {
        let wanted = name.trim().to_lowercase().replace('.', "_");
        let mut scored: Vec<(f64, &str)> = self
            .tools
            .iter()
            .map(|t| {
                (
                    strsim::jaro_winkler(&wanted, &t.name.to_lowercase()),
                    t.name.as_str(),
                )
            })
            .filter(|(similarity, _)| *similarity >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(n)
            .map(|(_, name)| name.to_owned())
            .collect()
    }

    fn score_into(&self, scores: &mut HashMap<u32, f32>, words: &[String], weight: f32) {
        if words.is_empty() {
            return;
        }
        let query = words.join(" ");
        for field in &self.fields {
            let embedded = field.embedder.embed(&query);
            for matched in field.scorer.matches(&embedded) {
                *scores.entry(matched.id).or_default() += weight * field.weight * matched.score;
            }
        }
    }

    /// The toolkits all of whose naming terms the query uses.
    fn named_toolkits(&self, words: &[String]) -> Vec<&str> {
        self.toolkits
            .iter()
            .filter(|(_, _, naming)| !naming.is_empty() && naming.iter().all(|t| words.contains(t)))
            .map(|(name, _, _)| name.as_str())
            .collect()
    }

    /// The served toolkit `given` names (case aside), or an error with the closest.
    fn toolkit_named(&self, given: &str) -> Result<&str, SearchError> {
        let wanted = given.trim().to_lowercase();
        if let Some((name, _, _)) = self
            .toolkits
            .iter()
            .find(|(n, _, _)| n.to_lowercase() == wanted)
        {
            return Ok(name);
        }
        let mut closest: Vec<(f64, &str)> = self
            .toolkits
            .iter()
            .map(|(n, _, _)| (strsim::jaro_winkler(&wanted, &n.to_lowercase()), n.as_str()))
            .filter(|(similarity, _)| *similarity >= 0.75)
            .collect();
        closest.sort_by(|a, b| b.0.total_cmp(&a.0));
        Err(SearchError::UnknownToolkit {
            given: given.chars().take(100).collect(),
            closest: closest
                .into_iter()
                .take(3)
                .map(|(_, n)| n.to_owned())
                .collect(),
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

/// One field's index over the terms of every tool, in tool order.
fn field<'a>(weight: f32, terms: impl Iterator<Item = &'a Vec<String>>) -> Field {
    let documents: Vec<String> = terms.map(|t| t.join(" ")).collect();
    let total: usize = documents
        .iter()
        .map(|d| d.split(' ').filter(|t| !t.is_empty()).count())
        .sum();
    let avgdl = total as f32 / documents.len().max(1) as f32;
    let embedder = EmbedderBuilder::<u32, Spaces>::with_avgdl(avgdl.max(1.0)).build();
    let mut scorer = Scorer::new();
    for (id, document) in documents.iter().enumerate() {
        scorer.upsert(&(id as u32), embedder.embed(document));
    }
    Field {
        weight,
        embedder,
        scorer,
    }
}

/// The terms that name a toolkit in a query: its name's, less a trailing `api`, so
/// "github" names both `Github` and `GithubApi`.
fn naming_terms(terms: &Terms, toolkit: &str) -> Vec<String> {
    let mut naming = terms.of(toolkit);
    if naming.len() > 1 && naming.last().is_some_and(|t| t == "api") {
        naming.pop();
    }
    naming
}

fn tool_text(
    terms: &Terms,
    mcp_name: &str,
    qualified_name: &str,
    provider: Option<String>,
    json: ToolJson,
) -> ToolText {
    let (toolkit, own_name) = qualified_name
        .split_once('.')
        .unwrap_or(("", qualified_name));
    let description = json.description.unwrap_or_default();
    let mut toolkit_terms = terms.of(toolkit);
    if let Some(provider) = provider {
        toolkit_terms.extend(terms.of(&provider));
    }
    let parameters: Vec<&str> = json
        .input_schema
        .properties
        .keys()
        .map(String::as_str)
        .collect();
    ToolText {
        name: terms.of(own_name),
        toolkit: toolkit_terms,
        description: terms.of(&description),
        parameters: terms.of(&parameters.join(" ")),
        indexed: Indexed {
            name: mcp_name.to_owned(),
            qualified_name: qualified_name.to_owned(),
            toolkit: toolkit.to_owned(),
            description: one_line(&description),
        },
    }
}

/// The first sentence of a description, at most [`DESCRIPTION_CHARS`] long.
fn one_line(description: &str) -> String {
    let first = description
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let sentence = match first.find(". ") {
        Some(end) => &first[..=end],
        None => first,
    };
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
    use crate::arcade::types::ToolDefinition;
    use serde_json::json;

    fn tool(qualified_name: &str, description: &str, provider: Option<&str>) -> ToolDefinition {
        let (toolkit, name) = qualified_name.split_once('.').unwrap();
        let requirements = provider.map(|p| json!({"authorization": {"provider_id": p}}));
        serde_json::from_value(json!({
            "qualified_name": qualified_name, "name": name, "description": description,
            "toolkit": {"name": toolkit},
            "input": {"parameters": [{"name": "repo_name", "required": false,
                                      "value_schema": {"val_type": "string"}}]},
            "requirements": requirements,
        }))
        .unwrap()
    }

    fn index() -> SearchIndex {
        let catalog = Catalog::from_definitions(vec![
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
        ]);
        SearchIndex::build(&catalog, None)
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
    fn close_names_are_suggested() {
        assert_eq!(index().closest_names("Math.Ad", 2)[0], "Math_Add");
        assert!(index().closest_names("Completely_Different", 2).is_empty());
        let toolkits = index().toolkits();
        assert_eq!(toolkits[0], ("Gmail".to_owned(), 2));
    }
}
