//! Records the git commit the binary is built from, for `--version`: a bug report then
//! names the exact source. A build outside a git checkout (from a source archive, a
//! wheel's sdist) takes `ARCADE_GATEWAY_COMMIT` when set, else says `unknown commit`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=ARCADE_GATEWAY_COMMIT");
    let commit = std::env::var("ARCADE_GATEWAY_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown commit".to_owned());
    println!("cargo:rustc-env=ARCADE_GATEWAY_COMMIT={}", commit.trim());
}

/// `HEAD`'s short hash, watching the files that change when it moves (in a worktree,
/// `--git-path` finds them in the shared repository).
fn git_commit() -> Option<String> {
    let git = |args: &[&str]| {
        let output = Command::new("git").args(args).output().ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        output.status.success().then(|| text.trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch])?);
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"])?);
    }
    for path in watched {
        println!("cargo:rerun-if-changed={path}");
    }
    Some(commit)
}
