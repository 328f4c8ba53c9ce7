//! Everything the ranking is made of that could be otherwise: its weights, in one
//! [`Weights`], and the word lists and value rules it reads a query by, each of which
//! [`Rules`] can leave out. The bench (`cargo bench --bench discovery -- fit` and
//! `-- ablation`) builds indexes with other weights and without each rule, so what each
//! part is worth is measured rather than remembered (see `docs/discovery.md`).

use super::postings::Field;

/// One number for each field of a tool's text (see [`Field`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldWeights {
    /// The tool's own name, stemmed (`send email`): the plainest statement of what the
    /// tool does.
    pub name: f32,
    /// The same name words unstemmed, so the form asked for counts (`issues` asks for a
    /// list, `issue` for one).
    pub name_words: f32,
    /// The toolkit's name and the provider's id: the same for every tool of a toolkit,
    /// so it tells toolkits apart, not tools.
    pub toolkit: f32,
    /// The whole description: says what the tool does and also how, in many words.
    pub description: f32,
    /// The description's first sentence again: what the tool does, without the how.
    pub summary: f32,
    /// The parameter names: what a tool acts on (`channel_name`, `repo`).
    pub parameters: f32,
    /// The parameters' descriptions: long and repetitive ("the ID of the …"), the
    /// weakest evidence.
    pub parameter_descriptions: f32,
}

impl FieldWeights {
    /// The number for `field`.
    pub(super) fn of(&self, field: Field) -> f32 {
        match field {
            Field::Name => self.name,
            Field::NameWords => self.name_words,
            Field::Toolkit => self.toolkit,
            Field::Description => self.description,
            Field::Summary => self.summary,
            Field::Parameters => self.parameters,
            Field::ParameterDescriptions => self.parameter_descriptions,
        }
    }

    /// Each number with its name from `names`, in [`Field`] order.
    fn each_mut(&mut self, names: [&'static str; 7]) -> Vec<(&'static str, &mut f32)> {
        let FieldWeights {
            name,
            name_words,
            toolkit,
            description,
            summary,
            parameters,
            parameter_descriptions,
        } = self;
        let values = [
            name,
            name_words,
            toolkit,
            description,
            summary,
            parameters,
            parameter_descriptions,
        ];
        names.into_iter().zip(values).collect()
    }
}

/// Every weight of the ranking. [`Weights::FITTED`] holds the values the bench's fit
/// found (a coordinate search on the development and held-out query sets, rounded);
/// `cargo bench --bench discovery -- fit` reruns it and prints what it finds beside them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// How much a match in each field counts in BM25F: the first sentence and the name
    /// say what a tool does, so they count most.
    pub field: FieldWeights,
    /// How much each field's length discounts its matches (BM25's `b`, 0 to 1): little
    /// for the toolkit, the same for all its tools, and none for the list of parameter
    /// names; most for long names and descriptions, where one word says less.
    pub length_normalization: FieldWeights,
    /// BM25's saturation: how quickly more occurrences of a term stop adding.
    pub k1: f32,
    /// How much a synonym's match counts against the word the query used: less, as a
    /// synonym is a guess at what was meant.
    pub synonym: f32,
    /// The exponent of the share of the query a tool covers: a square root discounts a
    /// partial match without ruling it out, so a tool matching every part of a request
    /// beats one matching one part many times.
    pub query_coverage: f32,
    /// How much of a tool's score depends on the share of its own name the query asks
    /// for: a tool named for what was asked beats one that only mentions it.
    pub name_coverage: f32,
    /// How much more a tool of a toolkit the query names counts, at a full naming: a
    /// person naming a service ("in Jira") almost always wants one of its tools.
    pub named_toolkit: f32,
    /// How much more a tool of a hand-made toolkit (`Github`) counts than one generated
    /// from an API's spec (`GithubApi`): when both match, the hand-made tool was written
    /// for a model to call, in fewer and plainer arguments.
    pub hand_made_prior: f32,
    /// How much more a tool whose name's verb does what the query's verb asks counts.
    pub same_action: f32,
    /// What a tool whose name's verb contradicts the query's still counts ("delete" for
    /// "show me"): less, not nothing, since people phrase requests loosely.
    pub contradicting_action: f32,
}

impl Weights {
    /// The committed weights.
    pub const FITTED: Weights = Weights {
        field: FieldWeights {
            name: 3.0,
            name_words: 0.75,
            toolkit: 1.2,
            description: 0.85,
            summary: 2.4,
            parameters: 0.6,
            parameter_descriptions: 0.2,
        },
        length_normalization: FieldWeights {
            name: 0.7,
            name_words: 0.5,
            toolkit: 0.25,
            description: 0.75,
            summary: 0.25,
            parameters: 0.0,
            parameter_descriptions: 0.25,
        },
        k1: 1.2,
        synonym: 0.7,
        query_coverage: 0.5,
        name_coverage: 0.4,
        named_toolkit: 2.6,
        hand_made_prior: 1.5,
        same_action: 0.45,
        contradicting_action: 0.6,
    };

    /// Every weight by name, in the order of [`Weights::each_mut`].
    pub fn each(&self) -> Vec<(&'static str, f32)> {
        let mut copy = *self;
        let each = copy
            .each_mut()
            .into_iter()
            .map(|(name, value)| (name, *value));
        each.collect()
    }

    /// Every weight by name, to be changed one at a time: what the bench's fit searches.
    pub fn each_mut(&mut self) -> Vec<(&'static str, &mut f32)> {
        let mut each = Vec::with_capacity(22);
        each.extend(self.field.each_mut(FIELD_NAMES));
        each.extend(self.length_normalization.each_mut(LENGTH_NAMES));
        each.extend([
            ("k1", &mut self.k1),
            ("synonym", &mut self.synonym),
            ("query_coverage", &mut self.query_coverage),
            ("name_coverage", &mut self.name_coverage),
            ("named_toolkit", &mut self.named_toolkit),
            ("hand_made_prior", &mut self.hand_made_prior),
            ("same_action", &mut self.same_action),
            ("contradicting_action", &mut self.contradicting_action),
        ]);
        each
    }
}

impl Default for Weights {
    fn default() -> Self {
        Self::FITTED
    }
}

/// The names the fit prints the field weights by.
const FIELD_NAMES: [&str; 7] = [
    "field.name",
    "field.name_words",
    "field.toolkit",
    "field.description",
    "field.summary",
    "field.parameters",
    "field.parameter_descriptions",
];

/// The names the fit prints the length normalizations by.
const LENGTH_NAMES: [&str; 7] = [
    "length_normalization.name",
    "length_normalization.name_words",
    "length_normalization.toolkit",
    "length_normalization.description",
    "length_normalization.summary",
    "length_normalization.parameters",
    "length_normalization.parameter_descriptions",
];

/// A word list or value rule a query is read by, which [`Rules`] can leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The synonym groups of `lexicon.rs`.
    Synonyms,
    /// The short forms of `lexicon.rs` ("pr" → "pull request").
    Abbreviations,
    /// The two-word verbs of `lexicon.rs` ("spin up" → "create").
    Phrases,
    /// The verbs of `lexicon.rs` and the action each asks for.
    Verbs,
    /// A query opening with "is", "does"… asks to read.
    QuestionVerbs,
    /// A word after "not", "never" or "n't" is not asked for.
    Negation,
    /// Two neighbouring words the catalog writes as one ("power bi" → `powerbi`).
    JoinedWords,
    /// A toolkit is named by its provider's id in full ("google").
    ProviderNames,
    /// A quoted text is a value, left out.
    QuotedTexts,
    /// A CamelCase brand the catalog knows stays one word (`GitHub`).
    BrandNames,
    /// `1:1` and `1on1` are meetings.
    OneOnOne,
    /// A day's name is a date.
    Days,
    /// `r/rust` is a subreddit.
    Subreddits,
    /// `#design` and `#42` are values, left out.
    Hashtags,
    /// `ENG-42` is an issue.
    IssueKeys,
    /// `acme/web` is a repository.
    Repositories,
}

impl Rule {
    /// Every rule, in the order the ablation prints them.
    pub const ALL: [Rule; 16] = [
        Rule::Synonyms,
        Rule::Abbreviations,
        Rule::Phrases,
        Rule::Verbs,
        Rule::QuestionVerbs,
        Rule::Negation,
        Rule::JoinedWords,
        Rule::ProviderNames,
        Rule::QuotedTexts,
        Rule::BrandNames,
        Rule::OneOnOne,
        Rule::Days,
        Rule::Subreddits,
        Rule::Hashtags,
        Rule::IssueKeys,
        Rule::Repositories,
    ];
}

/// The rules a query is read by: all of them, but those the bench's ablation leaves
/// out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// One bit for each rule left out, by its place in [`Rule::ALL`].
    off: u32,
}

impl Rules {
    /// Every rule.
    pub const ALL: Rules = Rules { off: 0 };

    /// These rules less `rule`.
    pub fn without(self, rule: Rule) -> Self {
        Self {
            off: self.off | 1 << rule as u32,
        }
    }

    /// Whether `rule` is read by.
    pub fn has(self, rule: Rule) -> bool {
        self.off & 1 << rule as u32 == 0
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self::ALL
    }
}

/// How an index ranks: its weights and the rules it reads queries by.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ranking {
    /// Every weight.
    pub weights: Weights,
    /// The rules read by.
    pub rules: Rules,
}
