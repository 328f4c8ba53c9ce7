//! The words tools are asked for by: groups of words that mean the same thing to a tool
//! search (a ticket is an issue, a deck a presentation), two-word verbs ("check off",
//! "set up") and the action a verb asks for (reading, creating, changing, deleting,
//! sending, running). A query is widened by its words' groups, and a tool whose name's verb
//! contradicts the query's ("delete" for "show me") ranks lower.
//!
//! Adding an entry: it must state a fact of English or of how services name things, not
//! fix one query; it must not contradict the lists (no word in two synonym groups, no
//! group of one word, no short form, two-word verb or verb listed twice, no entry that
//! stands for itself: `tests::the_lists_do_not_contradict_themselves`); and
//! `cargo bench --bench discovery -- ablation` must show no loss on the blind and fresh
//! query sets, whose misses are never read (see `docs/discovery.md`).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::ranking::{Rule, Rules};

/// Groups of words one asks for the same thing by: a query naming one also searches,
/// at a lower weight, for the others.
const SYNONYMS: &[&str] = &[
    "ticket issue bug",
    "message post send chat dm",
    "meeting event appointment booking",
    "doc document",
    "repo repository",
    "mail email inbox",
    "pr pull",
    "delete remove drop",
    "create add new make open start insert",
    "find search lookup look query",
    "list show view",
    "get fetch retrieve read",
    "update edit modify change set",
    "user member people person teammate",
    "task todo",
    "spreadsheet sheet workbook",
    "deck presentation slide",
    "song track music",
    "folder directory",
    "tweet twitter",
    "bill invoice",
    "company organization org account",
    "job role position opening hire hiring",
    "incident outage alert",
    "play listen",
    "star favorite",
    "write draft compose",
    "comment reply note",
    "schedule book",
    "channel conversation",
    "photo image picture",
    "video clip",
    "customer client",
    "contact lead",
    "price cost",
    "subscribe join",
    "upload attach",
    "row record entry",
    "column field",
    "env environment",
    "var variable",
    "approve review",
    "complete done finish",
    "storage quota space",
    "online presence status",
    "hour time",
    "trash bin discard",
    "stop halt kill abort cancel",
    "remind nudge reminder chase",
    "acknowledge ack",
    "snooze mute silence",
    "move shift transfer",
    "invite bring",
    "balance cash fund",
    "difference compare diff",
    "guest attendee rsvp invitee participant",
    "reaction react emoji thumbs",
    "run execute",
    "voice audio speech tts aloud spoken",
    "upcoming future",
    "current now",
    "wait await pending",
];

/// Short forms and what they stand for: a query naming one searches for the other at
/// full weight, since they mean exactly the same ("PR" is "pull request").
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("pr", "pull request"),
    ("prs", "pull requests"),
    ("mr", "merge request"),
    ("repo", "repository"),
    ("repos", "repositories"),
    ("env", "environment"),
    ("var", "variable"),
    ("vars", "variables"),
    ("db", "database"),
    ("dm", "direct message"),
    ("msg", "message"),
    ("org", "organization"),
    ("info", "information"),
    ("config", "configuration"),
    ("auth", "authorization"),
    ("qty", "quantity"),
    ("tts", "text speech"),
];

/// Two-word verbs and the one word a tool would use for them.
const PHRASES: &[(&str, &str, &str)] = &[
    ("check", "off", "complete"),
    ("how", "many", "count"),
    ("how", "much", "count"),
    ("coming", "up", "upcoming"),
    ("right", "now", "current"),
    ("kick", "off", "start"),
    ("file", "a", "create"),
    ("file", "an", "create"),
    ("set", "up", "create"),
    ("put", "on", "play"),
    ("look", "over", "review"),
    ("dig", "up", "search"),
    ("catch", "up", "read"),
    ("sign", "up", "subscribe"),
    ("look", "up", "search"),
    ("look", "through", "search"),
    ("get", "back", "restore"),
    ("turn", "off", "disable"),
    ("turn", "on", "enable"),
    ("spin", "up", "create"),
    ("spin", "down", "stop"),
    ("shut", "down", "stop"),
    ("fire", "off", "send"),
    ("tick", "off", "complete"),
    ("cross", "off", "complete"),
    ("pull", "up", "get"),
    ("bring", "up", "get"),
    ("look", "into", "search"),
    ("hand", "off", "assign"),
    ("hand", "over", "assign"),
    ("sign", "off", "approve"),
    ("take", "down", "delete"),
    ("wipe", "out", "delete"),
    ("clean", "up", "delete"),
    ("throw", "away", "delete"),
    ("get", "rid", "delete"),
    ("put", "off", "update"),
    ("push", "back", "update"),
    ("roll", "back", "revert"),
    ("roll", "out", "update"),
    ("write", "up", "create"),
    ("jot", "down", "create"),
    ("note", "down", "create"),
    ("fill", "in", "update"),
    ("say", "yes", "accept"),
    ("say", "no", "decline"),
    ("back", "up", "backup"),
    ("log", "in", "login"),
    ("sign", "in", "login"),
    ("print", "out", "export"),
    ("tell", "me", "show"),
    ("drop", "a", "add"),
    ("drop", "an", "add"),
];

/// What a tool does, or a query asks for, as its verb tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    Send,
    /// Running something (code, a query, a job), which may read or write.
    Run,
}

impl Action {
    /// Whether a tool doing `self` cannot be what a query asking for `other` wants:
    /// reading is not writing, and deleting is neither. Creating, changing and sending
    /// are close enough to be confused by the way people phrase them. Running may do
    /// any of these but delete.
    pub fn contradicts(self, other: Action) -> bool {
        let writes = |a: Action| matches!(a, Action::Create | Action::Update | Action::Send);
        match (self, other) {
            (Action::Run, Action::Delete) | (Action::Delete, Action::Run) => true,
            (Action::Run, _) | (_, Action::Run) => false,
            _ => self != other && !(writes(self) && writes(other)),
        }
    }
}

/// The verbs of each action, each verb under one.
const ACTIONS: &[(Action, &str)] = &[
    (
        Action::Read,
        "get list retrieve search fetch check who view find read discover lookup query count \
         show what which whose how when where download export describe look see \
         grab browse verify validate inspect preview compare analyze summarize scan estimate \
         extract scrape identify",
    ),
    (
        Action::Create,
        "create comment log react bill add new make insert open start submit upload post \
         publish write draft compose book schedule record invite generate save upsert clone \
         copy register declare stick build import initiate attach append queue enroll \
         install",
    ),
    (
        Action::Update,
        "update set edit modify change move rename mark replace assign transition patch reset \
         restore tag label pin star enable disable bump tweak adjust toggle flip mute snooze \
         pause resume ack acknowledge reassign reschedule postpone close reopen merge \
         resolve complete finalize activate deactivate configure convert \
         promote demote escalate suspend unsuspend lock unlock link unlink associate \
         disassociate categorize transfer reorder sync extend renew refresh flag silence swap \
         unassign unarchive unpause",
    ),
    (
        Action::Delete,
        "delete remove cancel archive trash revoke destroy clear unsubscribe erase purge \
         detach nuke ditch scrap bin kill wipe dismiss uninstall unregister unschedule forget \
         void",
    ),
    (
        Action::Send,
        "send reply forward share message dm tweet notify email ping text broadcast announce \
         resend redeliver respond answer remind nudge chase tell retweet",
    ),
    (
        Action::Run,
        "run execute trigger invoke perform launch rerun",
    ),
];

/// Verbs that ask to read only where they open a question ("is PR 5 merged?"); inside
/// a statement ("these tickets are duplicates, merge them") they ask nothing.
const QUESTION_VERBS: &[&str] = &[
    "is", "are", "does", "did", "do", "was", "were", "has", "have",
];

/// Each verb of [`ACTIONS`] and its action, made once.
static ACTION_OF: LazyLock<HashMap<&str, Action>> = LazyLock::new(|| {
    let mut actions = HashMap::new();
    for (action, verbs) in ACTIONS {
        for verb in verbs.split(' ') {
            actions.entry(verb).or_insert(*action);
        }
    }
    actions
});

/// The action `word` (lowercase, unstemmed) asks for, if it is a verb we know.
pub fn action_of(word: &str) -> Option<Action> {
    ACTION_OF.get(word).copied()
}

/// The action the query `words` (lowercase, in order) ask for: that of the first verb
/// we know (a two-word verb before its first word: "check off" is not "check"), or of
/// a verb opening a question.
pub fn action_asked(words: &[String], rules: Rules) -> Option<Action> {
    if !rules.has(Rule::Verbs) {
        return None;
    }
    if rules.has(Rule::QuestionVerbs)
        && words
            .first()
            .is_some_and(|first| QUESTION_VERBS.contains(&first.as_str()))
    {
        return Some(Action::Read);
    }
    words.iter().enumerate().find_map(|(at, word)| {
        let two_word = words.get(at + 1).and_then(|next| phrase(word, next, rules));
        two_word.and_then(action_of).or_else(|| action_of(word))
    })
}

/// The one word for the two-word verb `first second`, if it is one.
pub fn phrase(first: &str, second: &str, rules: Rules) -> Option<&'static str> {
    if !rules.has(Rule::Phrases) {
        return None;
    }
    PHRASES
        .iter()
        .find(|(a, b, _)| *a == first && *b == second)
        .map(|(_, _, word)| *word)
}

/// What the short form `word` (lowercase, unstemmed) stands for, if it is one.
pub fn expansion(word: &str, rules: Rules) -> Option<&'static str> {
    if !rules.has(Rule::Abbreviations) {
        return None;
    }
    ABBREVIATIONS
        .iter()
        .find(|(short, _)| *short == word)
        .map(|(_, long)| *long)
}

/// The synonym groups, each word as `stem` makes it.
pub fn synonym_groups(stem: impl Fn(&str) -> String) -> Vec<Vec<String>> {
    SYNONYMS
        .iter()
        .map(|group| group.split(' ').map(&stem).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Panics naming the first word `words` holds twice.
    fn each_once<'a>(what: &str, words: impl IntoIterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for word in words {
            assert!(seen.insert(word), "{what}: `{word}` is listed twice");
        }
    }

    #[test]
    fn the_lists_do_not_contradict_themselves() {
        let groups: Vec<Vec<&str>> = SYNONYMS.iter().map(|g| g.split(' ').collect()).collect();
        for group in &groups {
            assert!(group.len() > 1, "a synonym group of one word: {group:?}");
        }
        each_once("synonym groups", groups.iter().flatten().copied());
        each_once("short forms", ABBREVIATIONS.iter().map(|(short, _)| *short));
        for (short, long) in ABBREVIATIONS {
            assert!(
                !long.split(' ').any(|word| word == *short),
                "the short form `{short}` stands for itself"
            );
        }
        let pairs: Vec<String> = PHRASES.iter().map(|(a, b, _)| format!("{a} {b}")).collect();
        each_once("two-word verbs", pairs.iter().map(String::as_str));
        for (first, second, word) in PHRASES {
            assert!(
                word != first && word != second,
                "`{first} {second}` stands for its own word `{word}`"
            );
        }
        let verbs = ACTIONS.iter().flat_map(|(_, verbs)| verbs.split(' '));
        each_once("verbs", verbs.filter(|verb| !verb.is_empty()));
        each_once("question verbs", QUESTION_VERBS.iter().copied());
    }

    #[test]
    fn verbs_tell_actions_and_reading_contradicts_writing() {
        assert_eq!(action_of("show"), Some(Action::Read));
        assert_eq!(action_of("cancel"), Some(Action::Delete));
        assert_eq!(action_of("heater"), None);
        assert!(Action::Read.contradicts(Action::Delete));
        assert!(Action::Delete.contradicts(Action::Create));
        assert!(!Action::Create.contradicts(Action::Update));
        assert_eq!(phrase("check", "off", Rules::ALL), Some("complete"));
        assert_eq!(phrase("coming", "up", Rules::ALL), Some("upcoming"));
        assert_eq!(phrase("file", "a", Rules::ALL), Some("create"));
        assert_eq!(expansion("pr", Rules::ALL), Some("pull request"));
        assert_eq!(expansion("prune", Rules::ALL), None);
    }

    #[test]
    fn the_first_verb_asks_and_a_question_reads() {
        let asked = |text: &str| {
            let words: Vec<String> = text.split(' ').map(str::to_owned).collect();
            action_asked(&words, Rules::ALL)
        };
        assert_eq!(asked("is pr 5 merged"), Some(Action::Read));
        assert_eq!(
            asked("these tickets are duplicates merge them"),
            Some(Action::Update)
        );
        assert_eq!(asked("check off the task"), Some(Action::Update));
        assert_eq!(
            asked("run this snippet and tell me what it prints"),
            Some(Action::Run)
        );
        assert_eq!(asked("the weekly report"), None);
        assert!(!Action::Run.contradicts(Action::Read));
        assert!(Action::Run.contradicts(Action::Delete));
    }
}
