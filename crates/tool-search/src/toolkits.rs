//! The toolkits a query names. "In Jira", "my Gmail", "on the Outlook calendar": when a
//! person names a service, the right tool is almost always one of its toolkit's. A
//! toolkit's name is split into words ("MicrosoftOutlookCalendar" → microsoft, outlook,
//! calendar) and each word weighted by how few toolkits share it, so "outlook" names
//! the Outlook toolkits far more than "microsoft" does. A provider's id named in full
//! ("google") names its toolkits too.

use std::collections::HashMap;

use super::text::Terms;

/// One served toolkit.
#[derive(Debug)]
struct Toolkit {
    name: String,
    tools: usize,
    /// The terms of its name, less a trailing `api` ("GithubApi" is named by "github").
    naming: Vec<String>,
    /// The terms of each of its providers' ids.
    providers: Vec<Vec<String>>,
}

/// The served toolkits and the words that name them.
#[derive(Debug)]
pub struct Toolkits {
    toolkits: Vec<Toolkit>,
    /// Each naming term's weight: how few toolkits share it.
    rarity: HashMap<String, f32>,
}

impl Toolkits {
    /// The toolkits of `tools`, each given as its toolkit's name and its provider's id.
    pub fn new<'a>(terms: &Terms, tools: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Self {
        let mut by_name: HashMap<&str, (usize, Vec<&str>)> = HashMap::new();
        for (toolkit, provider) in tools {
            let (count, providers) = by_name.entry(toolkit).or_default();
            *count += 1;
            if let Some(provider) = provider.filter(|p| !providers.contains(p)) {
                providers.push(provider);
            }
        }
        let mut toolkits: Vec<Toolkit> = by_name
            .into_iter()
            .map(|(name, (tools, providers))| Toolkit {
                name: name.to_owned(),
                tools,
                naming: naming_terms(terms, name),
                providers: providers.iter().map(|p| terms.of(p)).collect(),
            })
            .collect();
        toolkits.sort_by(|a, b| b.tools.cmp(&a.tools).then_with(|| a.name.cmp(&b.name)));
        let rarity = rarity(&toolkits);
        Self { toolkits, rarity }
    }

    /// Every toolkit's name with its tool count, largest first.
    pub fn counts(&self) -> impl Iterator<Item = (&str, usize)> {
        self.toolkits.iter().map(|t| (t.name.as_str(), t.tools))
    }

    /// How much the query's `terms` name each toolkit, from 0 (not at all) to 1 (its
    /// whole name, or a provider's when `by_provider`), by toolkit name.
    pub fn named_by(&self, terms: &[String], by_provider: bool) -> HashMap<&str, f32> {
        self.toolkits
            .iter()
            .filter_map(|toolkit| {
                let named = self.share_named(&toolkit.naming, terms);
                let by_provider = by_provider
                    && toolkit
                        .providers
                        .iter()
                        .any(|p| !p.is_empty() && p.iter().all(|t| terms.contains(t)));
                let named = if by_provider { 1.0 } else { named };
                (named > 0.0).then_some((toolkit.name.as_str(), named))
            })
            .collect()
    }

    /// The served toolkit `given` is the name of, case aside.
    pub fn find(&self, given: &str) -> Option<&str> {
        let wanted = given.trim().to_lowercase();
        self.toolkits
            .iter()
            .find(|t| t.name.to_lowercase() == wanted)
            .map(|t| t.name.as_str())
    }

    /// The (at most three) toolkit names closest to `given`, for an error.
    pub fn closest(&self, given: &str) -> Vec<String> {
        let names = self.toolkits.iter().map(|t| t.name.as_str());
        super::closest(given.trim(), names, 0.75, 3)
    }

    /// The share of `naming`, weighted by rarity, that `terms` has.
    fn share_named(&self, naming: &[String], terms: &[String]) -> f32 {
        let weight = |t: &String| self.rarity.get(t).copied().unwrap_or(0.0);
        let total: f32 = naming.iter().map(weight).sum();
        if total == 0.0 {
            return 0.0;
        }
        naming
            .iter()
            .filter(|t| terms.contains(t))
            .map(weight)
            .sum::<f32>()
            / total
    }
}

/// The terms that name a toolkit in a query: its name's, less a trailing `api`.
fn naming_terms(terms: &Terms, toolkit: &str) -> Vec<String> {
    let mut naming = terms.of(toolkit);
    if naming.len() > 1 && naming.last().is_some_and(|t| t == "api") {
        naming.pop();
    }
    naming
}

/// Each naming term's weight: the log of how many toolkits there are for each that has it.
fn rarity(toolkits: &[Toolkit]) -> HashMap<String, f32> {
    let mut having: HashMap<&str, usize> = HashMap::new();
    for toolkit in toolkits {
        let mut seen: Vec<&str> = Vec::new();
        for term in &toolkit.naming {
            if !seen.contains(&term.as_str()) {
                seen.push(term);
                *having.entry(term).or_default() += 1;
            }
        }
    }
    let count = toolkits.len() as f32;
    having
        .into_iter()
        .map(|(term, n)| (term.to_owned(), (1.0 + count / n as f32).ln()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toolkits() -> Toolkits {
        let terms = Terms::default();
        Toolkits::new(
            &terms,
            [
                ("MicrosoftOutlookMail", Some("microsoft")),
                ("MicrosoftOutlookCalendar", Some("microsoft")),
                ("MicrosoftTeams", Some("microsoft")),
                ("GithubApi", Some("github")),
                ("Gmail", Some("google")),
            ]
            .into_iter(),
        )
    }

    #[test]
    fn a_rare_word_names_a_toolkit_more_than_a_shared_one() {
        let toolkits = toolkits();
        let terms = Terms::default();
        let outlook = toolkits.named_by(&terms.of("my outlook mail"), true);
        let microsoft = toolkits.named_by(&terms.of("something at microsoft"), true);
        let mail = outlook["MicrosoftOutlookMail"];
        assert!(
            mail > 0.5 && mail > outlook["MicrosoftOutlookCalendar"],
            "{outlook:?}"
        );
        assert!(!outlook.contains_key("MicrosoftTeams"));
        assert_eq!(
            microsoft["MicrosoftTeams"], 1.0,
            "the provider, named in full"
        );
        assert_eq!(
            toolkits.named_by(&terms.of("in github"), true)["GithubApi"],
            1.0
        );
        assert_eq!(toolkits.find("gmail"), Some("Gmail"));
        assert_eq!(toolkits.closest("Githbuapi"), ["GithubApi"]);
    }
}
