//! What the demo catalog's tools do. Math really computes; Mail and CodeHost make up
//! data from a hash of the user id, so each user sees their own, stable, fake world.

use serde_json::{Map, Value, json};

use super::demo_catalog::DemoTool;
use super::tools::{Outcome, bad_input};

type Input = Map<String, Value>;

/// Runs `tool` for `user_id` on checked input; `run_number` numbers this user's runs.
pub fn run(tool: DemoTool, user_id: &str, input: &Input, run_number: u64) -> Outcome {
    let (a, b) = (number(input, "a"), number(input, "b"));
    match tool {
        DemoTool::Add => Ok(number_value(a + b)),
        DemoTool::Subtract => Ok(number_value(a - b)),
        DemoTool::Multiply => Ok(number_value(a * b)),
        DemoTool::Divide => divide(a, b),
        DemoTool::Sqrt => sqrt(number(input, "x")),
        DemoTool::SumList => Ok(number_value(numbers(input, "numbers").iter().sum())),
        DemoTool::ListEmails => Ok(list_emails(user_id, input)),
        DemoTool::SendEmail => Ok(send_email(user_id, input, run_number)),
        DemoTool::ListRepositories => Ok(list_repositories(user_id, input)),
        DemoTool::CreateIssue => create_issue(input, run_number),
    }
}

fn divide(a: f64, b: f64) -> Outcome {
    if b == 0.0 {
        let mut error = bad_input(
            "Cannot divide by zero: the divisor 'b' is 0.".to_owned(),
            "Ask the user for a non-zero divisor, or explain that division by zero is undefined.",
        );
        error.developer_message = Some(format!("Math.Divide called with a={a}, b=0"));
        return Err(error);
    }
    Ok(number_value(a / b))
}

fn sqrt(x: f64) -> Outcome {
    if x < 0.0 {
        return Err(bad_input(
            format!("Cannot take the square root of a negative number ({x})."),
            "Use a number of at least 0.",
        ));
    }
    Ok(number_value(x.sqrt()))
}

fn list_emails(user_id: &str, input: &Input) -> Value {
    const SENDERS: [&str; 6] = [
        "ada@analytical.example",
        "grace@cobol.example",
        "linus@kernel.example",
        "margaret@apollo.example",
        "dennis@unix.example",
        "barbara@clu.example",
    ];
    const SUBJECTS: [&str; 6] = [
        "Quarterly report",
        "Lunch on Friday?",
        "Build is green again",
        "Your invoice",
        "Re: design review",
        "Conference tickets",
    ];
    let seed = user_seed(user_id);
    let count = integer(input, "n_emails").unwrap_or(5).clamp(1, 20);
    let folder = text(input, "folder").unwrap_or("inbox");
    let me = email_of(user_id);
    let emails: Vec<Value> = (0..count)
        .filter(|i| folder != "starred" || (seed >> i) & 1 == 1)
        .map(|i| {
            let other = SENDERS[((seed / 7) as usize + i as usize) % SENDERS.len()];
            let (from, to) = if folder == "sent" { (me.as_str(), other) } else { (other, me.as_str()) };
            json!({
                "id": format!("msg_{:08x}", (seed as u32) ^ (i as u32)),
                "from": from,
                "to": to,
                "subject": SUBJECTS[((seed / 3) as usize + i as usize) % SUBJECTS.len()],
                "snippet": format!("Hello {user_id}, message {} of your {folder}.", i + 1),
                "date": format!("2025-03-{:02}T{:02}:{:02}:00Z", 28 - i, 9 + seed % 8, (seed / 11) % 60),
            })
        })
        .collect();
    json!({"folder": folder, "emails": emails})
}

fn send_email(user_id: &str, input: &Input, run_number: u64) -> Value {
    json!({
        "id": format!("msg_sent_{:08x}_{run_number}", user_seed(user_id) as u32),
        "status": "sent",
        "from": email_of(user_id),
        "to": text(input, "recipient"),
        "cc": input.get("cc").cloned().unwrap_or_else(|| json!([])),
        "subject": text(input, "subject"),
    })
}

fn list_repositories(user_id: &str, input: &Input) -> Value {
    const NAMES: [&str; 8] = [
        "dotfiles",
        "website",
        "notes",
        "api-server",
        "cli-tools",
        "infra",
        "experiments",
        "data-pipeline",
    ];
    let seed = user_seed(user_id);
    let owner = login_of(user_id);
    let visibility = text(input, "visibility").unwrap_or("all");
    let limit = integer(input, "limit").unwrap_or(10).clamp(1, 30) as usize;
    let owned = 3 + (seed % 6) as usize;
    let repositories: Vec<Value> = NAMES
        .iter()
        .take(owned)
        .enumerate()
        .map(|(i, name)| (name, (seed >> i) & 1 == 1, (seed >> (i * 3)) % 200))
        .filter(|(_, private, _)| match visibility {
            "public" => !private,
            "private" => *private,
            _ => true,
        })
        .take(limit)
        .map(|(name, private, stars)| {
            json!({"full_name": format!("{owner}/{name}"), "name": name, "private": private, "stars": stars})
        })
        .collect();
    json!({"owner": owner, "repositories": repositories})
}

fn create_issue(input: &Input, run_number: u64) -> Outcome {
    let repo = text(input, "repo").unwrap_or_default();
    if repo.split('/').filter(|part| !part.is_empty()).count() != 2 {
        return Err(bad_input(
            format!("'{repo}' is not a repository name: use `owner/name`."),
            "List the user's repositories first to get a valid `owner/name`.",
        ));
    }
    Ok(json!({
        "number": run_number,
        "url": format!("https://codehost.example/{repo}/issues/{run_number}"),
        "repo": repo,
        "title": text(input, "title"),
        "labels": input.get("labels").cloned().unwrap_or_else(|| json!([])),
        "state": "open",
    }))
}

/// A stable 64-bit hash of the user id (FNV-1a): the seed of that user's fake data.
fn user_seed(user_id: &str) -> u64 {
    user_id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn email_of(user_id: &str) -> String {
    if user_id.contains('@') {
        user_id.to_owned()
    } else {
        format!("{}@example.com", login_of(user_id))
    }
}

fn login_of(user_id: &str) -> String {
    let local = user_id.split('@').next().unwrap_or(user_id);
    local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn number(input: &Input, name: &str) -> f64 {
    input.get(name).and_then(Value::as_f64).unwrap_or(0.0)
}

fn numbers(input: &Input, name: &str) -> Vec<f64> {
    input
        .get(name)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn integer(input: &Input, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

fn text<'a>(input: &'a Input, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

/// A whole result as a JSON integer (`5`, not `5.0`), anything else as a float.
fn number_value(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT {
        json!(x as i64)
    } else {
        json!(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(value: Value) -> Input {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn math_computes() {
        let run = |tool, v| run(tool, "u", &input(v), 1);
        assert_eq!(
            run(DemoTool::Add, json!({"a": 2, "b": 3})).unwrap(),
            json!(5)
        );
        assert_eq!(
            run(DemoTool::Divide, json!({"a": 1, "b": 4})).unwrap(),
            json!(0.25)
        );
        assert_eq!(
            run(DemoTool::SumList, json!({"numbers": [1, 2, 3.5]})).unwrap(),
            json!(6.5)
        );
        assert!(run(DemoTool::Divide, json!({"a": 1, "b": 0})).is_err());
        assert!(run(DemoTool::Sqrt, json!({"x": -1})).is_err());
    }

    #[test]
    fn fake_data_is_per_user_and_stable() {
        let list = |user| list_repositories(user, &Input::new());
        assert_eq!(list("alice"), list("alice"));
        assert_ne!(list("alice"), list("bob"));
        assert_eq!(
            list_emails("bob", &Input::new())["emails"]
                .as_array()
                .unwrap()
                .len(),
            5
        );
    }
}
