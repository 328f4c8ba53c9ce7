//! `configure <client>` writes, for each client, the stdio entry that launches the real
//! binary into that client's own file, in its own shape, with the key as the client's
//! reference; it keeps everything else in the file, backs the old one up, and on bad
//! input changes nothing. `launch` starts each written entry as a desktop client would.

mod carried_variables;
mod first_run;
mod launch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::support::{API_KEY, gateway_bin};

const USER: &str = "ann@example.com";

/// One client: its name and its files, relative to the home folder and to a project.
#[derive(Debug, Clone, Copy)]
struct Case {
    client: &'static str,
    user_file: &'static str,
    project_file: Option<&'static str>,
}

const CASES: [Case; 7] = [
    Case {
        client: "claude-desktop",
        user_file: "xdg/Claude/claude_desktop_config.json",
        project_file: None,
    },
    Case {
        client: "claude-code",
        user_file: ".claude.json",
        project_file: Some(".mcp.json"),
    },
    Case {
        client: "cursor",
        user_file: ".cursor/mcp.json",
        project_file: Some(".cursor/mcp.json"),
    },
    Case {
        client: "vscode",
        user_file: "xdg/Code/User/mcp.json",
        project_file: Some(".vscode/mcp.json"),
    },
    Case {
        client: "windsurf",
        user_file: ".codeium/windsurf/mcp_config.json",
        project_file: None,
    },
    Case {
        client: "codex",
        user_file: "codex-home/config.toml",
        project_file: Some(".codex/config.toml"),
    },
    Case {
        client: "gemini",
        user_file: ".gemini/settings.json",
        project_file: Some(".gemini/settings.json"),
    },
];

fn case(client: &str) -> Case {
    *CASES.iter().find(|c| c.client == client).unwrap()
}

impl Case {
    /// The key of the servers table.
    fn servers(self) -> &'static str {
        match self.client {
            "vscode" => "servers",
            "codex" => "mcp_servers",
            _ => "mcpServers",
        }
    }

    /// The file's content as JSON: TOML for Codex, JSON with comments for VS Code and
    /// Gemini, strict JSON for the rest.
    fn parse(self, text: &str) -> Value {
        match self.client {
            "codex" => toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}")),
            "vscode" | "gemini" => jsonc_parser::parse_to_serde_value(text, &Default::default())
                .unwrap_or_else(|e| panic!("{e}\n{text}")),
            _ => serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}")),
        }
    }

    /// A file holding another server, another setting and (where the format has them)
    /// comments, in this client's format.
    fn existing_file(self) -> String {
        match self.client {
            "codex" => "# my settings\nmodel = \"o3\" # keep\n\n[mcp_servers.other]\ncommand = \"/bin/other\"\nargs = []\n".into(),
            "vscode" | "gemini" => format!(
                "{{\n  // my servers\n  \"{}\": {{\n    \"other\": {{ \"command\": \"/bin/other\", \"args\": [] }}, // keep\n  }},\n  \"zSetting\": {{ \"a\": 1 }},\n}}\n",
                self.servers()
            ),
            _ => format!(
                "{{\n  \"zSetting\": {{ \"a\": 1 }},\n  \"{}\": {{\n    \"other\": {{ \"command\": \"/bin/other\", \"args\": [] }}\n  }}\n}}\n",
                self.servers()
            ),
        }
    }

    /// A file this client cannot read.
    fn garbage(self) -> &'static str {
        if self.client == "codex" {
            "[mcp_servers.arcade\ncommand = \n"
        } else {
            "{\"mcpServers\": {\"other\": "
        }
    }
}

/// The binary's path as `configure` writes it.
fn binary() -> String {
    std::fs::canonicalize(gateway_bin())
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

/// A home folder of its own, where `configure` runs with nothing else of this
/// environment: `HOME`, `XDG_CONFIG_HOME` and `CODEX_HOME` point inside it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn file(&self, case: Case) -> PathBuf {
        self.path(case.user_file)
    }

    /// Runs `configure ARGS` with these variables.
    fn configure(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = Command::new(gateway_bin());
        command
            .arg("configure")
            .args(args)
            .env_clear()
            .envs(crate::support::kept_env())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("xdg"))
            .env("CODEX_HOME", self.path("codex-home"))
            .envs(vars.iter().copied());
        command.output().expect("the binary runs")
    }

    /// `configure` with the key and the user set, which must succeed.
    fn configure_ok(&self, args: &[&str]) -> Output {
        let output = self.configure(
            args,
            &[("ARCADE_API_KEY", API_KEY), ("ARCADE_USER_ID", USER)],
        );
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        output
    }

    fn write(&self, case: Case, text: &str) {
        let path = self.file(case);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn read(&self, case: Case) -> String {
        std::fs::read_to_string(self.file(case)).unwrap()
    }

    /// Every folder and file under the home folder, with the files' content.
    fn snapshot(&self) -> Vec<(PathBuf, Option<Vec<u8>>)> {
        let mut found = Vec::new();
        let mut dirs = vec![self.dir.path().to_owned()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path.clone());
                    found.push((path, None));
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    found.push((path, Some(bytes)));
                }
            }
        }
        found.sort();
        found
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn entry(case: Case, text: &str) -> Value {
    case.parse(text)[case.servers()]["arcade"].clone()
}

#[test]
fn each_client_gets_its_own_shape_with_the_key_as_its_reference() {
    let home = Home::new();
    let bin = binary();
    let args = json!(["serve", "--toolkit", "Math"]);
    let env = |key: &str| json!({"ARCADE_API_KEY": key, "ARCADE_USER_ID": USER});
    let expected = |client| match client {
        "claude-desktop" => json!({"command": bin, "args": args, "env": env(API_KEY)}),
        "claude-code" => {
            json!({"type": "stdio", "command": bin, "args": args, "env": env("${ARCADE_API_KEY}")})
        }
        "cursor" => {
            json!({"type": "stdio", "command": bin, "args": args, "env": env("${env:ARCADE_API_KEY}")})
        }
        "vscode" => {
            json!({"type": "stdio", "command": bin, "args": args, "env": env("${input:arcade-api-key}")})
        }
        "windsurf" => json!({"command": bin, "args": args, "env": env("${env:ARCADE_API_KEY}")}),
        "codex" => json!({
            "command": bin, "args": args, "env_vars": ["ARCADE_API_KEY"], "env": {"ARCADE_USER_ID": USER}
        }),
        "gemini" => json!({"command": bin, "args": args, "env": env("$ARCADE_API_KEY")}),
        other => panic!("{other}"),
    };
    for case in CASES {
        let output = home.configure_ok(&[case.client, "--toolkit", "Math"]);
        let text = home.read(case);
        assert_eq!(entry(case, &text), expected(case.client), "{}", case.client);
        let file = home.file(case);
        let said = stderr(&output);
        assert!(
            said.contains("configured arcade for ") && said.contains(&file.display().to_string()),
            "{said}"
        );
        if case.client == "claude-desktop" {
            assert!(said.contains("key's value was written into"), "{said}");
        } else {
            assert!(
                !text.contains(API_KEY),
                "{} holds the key's value",
                case.client
            );
        }
    }
    let vscode = case("vscode").parse(&home.read(case("vscode")));
    assert_eq!(
        vscode["inputs"],
        json!([{"type": "promptString", "id": "arcade-api-key", "description": "Arcade API key", "password": true}])
    );
}

#[cfg(unix)]
#[test]
fn claude_desktops_file_holds_the_key_and_only_its_owner_reads_it() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let desktop = case("claude-desktop");
    home.write(desktop, "{\"preferences\": {}}");
    std::fs::set_permissions(home.file(desktop), std::fs::Permissions::from_mode(0o644)).unwrap();
    home.configure_ok(&["claude-desktop"]);
    assert!(home.read(desktop).contains(API_KEY));
    let mode = std::fs::metadata(home.file(desktop))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Other clients' files keep the mode they had.
    let cursor = case("cursor");
    home.write(cursor, "{}");
    std::fs::set_permissions(home.file(cursor), std::fs::Permissions::from_mode(0o640)).unwrap();
    home.configure_ok(&["cursor"]);
    let mode = std::fs::metadata(home.file(cursor))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn other_servers_settings_and_comments_survive_and_the_old_file_is_backed_up() {
    for case in CASES {
        let home = Home::new();
        let old = case.existing_file();
        home.write(case, &old);
        let output = home.configure_ok(&[case.client]);
        let text = home.read(case);
        let (before, after) = (case.parse(&old), case.parse(&text));
        assert_eq!(
            after[case.servers()]["other"],
            before[case.servers()]["other"],
            "{}",
            case.client
        );
        assert!(after[case.servers()]["arcade"].is_object(), "{text}");
        for setting in ["zSetting", "model"] {
            assert_eq!(
                after[setting], before[setting],
                "{}: {setting}",
                case.client
            );
        }
        assert!(
            text.find("other").unwrap() < text.find("arcade").unwrap(),
            "order kept: {text}"
        );
        for comment in ["// my servers", "// keep", "# my settings", "# keep"] {
            assert_eq!(
                text.contains(comment),
                old.contains(comment),
                "{}: {comment}",
                case.client
            );
        }
        let backup = PathBuf::from(format!("{}.bak", home.file(case).display()));
        assert_eq!(
            std::fs::read_to_string(&backup).unwrap(),
            old,
            "{}",
            case.client
        );
        assert!(stderr(&output).contains(&format!("(backup: {})", backup.display())));
    }
}

#[test]
fn a_byte_order_mark_stays_in_front() {
    let home = Home::new();
    let vscode = case("vscode");
    home.write(vscode, "\u{feff}{ \"servers\": {} }");
    home.configure_ok(&["vscode"]);
    let text = home.read(vscode);
    let body = text.strip_prefix('\u{feff}').expect("the mark is kept");
    assert!(entry(vscode, body).is_object(), "{text}");
}

#[test]
fn a_second_backup_does_not_overwrite_the_first() {
    let home = Home::new();
    let cursor = case("cursor");
    home.write(cursor, "{}");
    home.configure_ok(&["cursor"]);
    let first = home.read(cursor);
    home.configure_ok(&["cursor", "--force", "--emulator"]);
    let backups: Vec<String> = home
        .snapshot()
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().ends_with(".bak"))
        .map(|(_, bytes)| String::from_utf8(bytes.unwrap()).unwrap())
        .collect();
    assert_eq!(backups.len(), 2, "{backups:?}");
    assert!(backups.contains(&"{}".to_owned()) && backups.contains(&first));
}

#[test]
fn print_shows_the_whole_new_file_and_changes_nothing() {
    for case in CASES {
        let home = Home::new();
        let untouched = home.snapshot();
        let output = home.configure_ok(&[case.client, "--print"]);
        assert_eq!(
            home.snapshot(),
            untouched,
            "{}: nothing is created",
            case.client
        );
        let printed = String::from_utf8(output.stdout.clone()).unwrap();
        assert!(entry(case, &printed).is_object(), "{printed}");
        let said = stderr(&output);
        assert!(
            said.contains(&format!("# would write {}", home.file(case).display())),
            "{said}"
        );

        home.write(case, &case.existing_file());
        let untouched = home.snapshot();
        let output = home.configure_ok(&[case.client, "--print"]);
        assert_eq!(
            home.snapshot(),
            untouched,
            "{}: nothing changes",
            case.client
        );
        let printed = case.parse(&String::from_utf8(output.stdout).unwrap());
        assert!(
            printed[case.servers()]["other"].is_object()
                && printed[case.servers()]["arcade"].is_object()
        );
    }
}

/// Runs `configure` expecting exit code 2 with nothing changed, and returns stderr.
fn refused(home: &Home, args: &[&str], vars: &[(&str, &str)]) -> String {
    let untouched = home.snapshot();
    let output = home.configure(args, vars);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: {}",
        stderr(&output)
    );
    assert_eq!(home.snapshot(), untouched, "{args:?} changed a file");
    stderr(&output)
}

/// `refused`, said in one line.
fn refused_in_a_line(home: &Home, args: &[&str], vars: &[(&str, &str)]) -> String {
    let said = refused(home, args, vars);
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    said
}

/// `refused_in_a_line`, naming the file.
fn refused_naming(home: &Home, args: &[&str], vars: &[(&str, &str)], file: &Path) -> String {
    let said = refused_in_a_line(home, args, vars);
    assert!(said.contains(&file.display().to_string()), "{said}");
    said
}

#[test]
fn a_file_the_client_cannot_read_is_left_as_it_is() {
    let key = [("ARCADE_API_KEY", API_KEY), ("ARCADE_USER_ID", USER)];
    for case in CASES {
        let home = Home::new();
        home.write(case, case.garbage());
        let said = refused_naming(&home, &[case.client], &key, &home.file(case));
        assert!(
            said.contains("is not valid") && said.contains("line"),
            "{said}"
        );
    }
    // A comment breaks Claude Desktop's strict JSON, so it is refused there.
    let home = Home::new();
    let desktop = case("claude-desktop");
    home.write(desktop, "{\n  // mine\n}\n");
    refused_naming(&home, &["claude-desktop"], &key, &home.file(desktop));
}

#[test]
fn an_entry_of_the_same_name_needs_force_and_force_replaces_it_in_place() {
    for case in CASES {
        let home = Home::new();
        home.write(case, &case.existing_file());
        home.configure_ok(&[case.client, "--toolkit", "Math"]);
        let vars = [("ARCADE_API_KEY", API_KEY), ("ARCADE_USER_ID", USER)];
        let said = refused_naming(&home, &[case.client], &vars, &home.file(case));
        let expected = format!(
            "an entry named `arcade` is already in {}; pass --force to replace it",
            home.file(case).display()
        );
        assert!(said.contains(&expected), "{said}");

        home.configure_ok(&[case.client, "--toolkit", "Mail", "--force"]);
        let text = home.read(case);
        assert_eq!(
            entry(case, &text)["args"],
            json!(["serve", "--toolkit", "Mail"]),
            "{text}"
        );
        let entries =
            text.matches("\"arcade\":").count() + text.matches("[mcp_servers.arcade]").count();
        assert_eq!(entries, 1, "{text}");
        assert!(
            case.parse(&text)[case.servers()]["other"].is_object(),
            "{text}"
        );
    }
}

#[test]
fn configures_own_flags_and_the_serve_options_mix_in_any_order() {
    let home = Home::new();
    let cursor = case("cursor");
    home.configure_ok(&[
        "cursor",
        "--toolkit",
        "Math",
        "--name",
        "math",
        "--tool=Mail.ListEmails",
        "--emulator",
    ]);
    let value = cursor.parse(&home.read(cursor));
    assert_eq!(
        value["mcpServers"]["math"]["args"],
        json!([
            "serve",
            "--toolkit",
            "Math",
            "--tool",
            "Mail.ListEmails",
            "--emulator"
        ])
    );
}

#[test]
fn bad_input_exits_2_with_one_line_and_changes_nothing() {
    let home = Home::new();
    let user = [("ARCADE_USER_ID", USER)];
    let key = [("ARCADE_API_KEY", API_KEY), ("ARCADE_USER_ID", USER)];
    let desktop = home.file(case("claude-desktop"));

    let said = refused_naming(&home, &["claude-desktop"], &user, &desktop);
    assert!(
        said.contains("set ARCADE_API_KEY") && said.contains("--emulator"),
        "{said}"
    );
    assert!(!desktop.exists());

    let said = refused(&home, &["notepad"], &key);
    assert!(
        said.contains("possible values") && said.contains("claude-desktop"),
        "{said}"
    );
    let said = refused(&home, &["cursor", "--toolkits", "Math"], &key);
    assert!(said.contains("unexpected argument '--toolkits'"), "{said}");
    let said = refused(&home, &["cursor", "--tool", "NoToolkit"], &key);
    assert!(said.contains("Toolkit.Tool"), "{said}");

    for client in ["claude-desktop", "windsurf"] {
        let dir = home.path("project");
        std::fs::create_dir_all(&dir).unwrap();
        let args = [client, "--project", dir.to_str().unwrap()];
        let said = refused_in_a_line(&home, &args, &key);
        assert!(said.contains("has no project config file"), "{said}");
    }
    let said = refused_in_a_line(&home, &["cursor", "--api-key", "arc_typed"], &user);
    assert!(said.contains("set ARCADE_API_KEY instead"), "{said}");
    let sealing_key = [
        "cursor",
        "--request-state-key",
        "0123456789abcdef0123456789abcdef",
    ];
    let said = refused_in_a_line(&home, &sealing_key, &key);
    assert!(said.contains("in plain text"), "{said}");
    let said = refused_in_a_line(&home, &["cursor", "--transport", "http"], &key);
    assert!(said.contains("--transport"), "{said}");
    let said = refused_in_a_line(&home, &["cursor"], &[("ARCADE_API_KEY", API_KEY)]);
    assert!(said.contains("ARCADE_USER_ID"), "{said}");
}

#[test]
fn clients_that_reference_the_key_warn_when_it_is_not_set_here() {
    let home = Home::new();
    for case in CASES.into_iter().filter(|c| c.client != "claude-desktop") {
        let output = home.configure(&[case.client], &[("ARCADE_USER_ID", USER)]);
        assert!(output.status.success(), "{}", stderr(&output));
        let warned = stderr(&output).contains("warning: ARCADE_API_KEY is not set here");
        assert_eq!(
            warned,
            case.client != "vscode",
            "{}: {}",
            case.client,
            stderr(&output)
        );
    }
    // The emulator needs no key: no warning, and no key in any entry.
    for case in CASES {
        let home = Home::new();
        let output = home.configure(&[case.client, "--emulator"], &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
        let text = home.read(case);
        assert!(!text.contains("ARCADE_API_KEY"), "{text}");
        assert_eq!(entry(case, &text)["args"], json!(["serve", "--emulator"]));
    }
}

#[test]
fn project_files_are_written_in_the_project() {
    for case in CASES {
        let Some(project_file) = case.project_file else {
            continue;
        };
        let home = Home::new();
        let project = home.path("repo");
        std::fs::create_dir_all(&project).unwrap();
        let output = home.configure_ok(&[case.client, "--project", project.to_str().unwrap()]);
        let file = project.join(project_file);
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(entry(case, &text)["command"], binary());
        assert!(stderr(&output).contains(&file.display().to_string()));
        assert!(
            !home.file(case).exists(),
            "{}: the user's file is not written",
            case.client
        );
    }
    let home = Home::new();
    let missing = home.path("no-such-repo");
    let said = refused_naming(
        &home,
        &["cursor", "--project", missing.to_str().unwrap()],
        &[("ARCADE_USER_ID", USER)],
        &missing,
    );
    assert!(said.contains("no such folder"), "{said}");
}

#[test]
fn the_examples_launch_this_program_by_an_absolute_path_with_the_key_as_a_reference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |file| std::fs::read_to_string(root.join(file)).unwrap();
    let mcp: Value = serde_json::from_str(&read("mcp.json.example")).unwrap();
    let vscode: Value =
        jsonc_parser::parse_to_serde_value(&read("examples/vscode-mcp.json"), &Default::default())
            .unwrap();
    assert!(
        mcp["//"].is_array(),
        "the example says how `configure` writes it"
    );
    for (servers, reference) in [
        (&mcp["mcpServers"], "${env:ARCADE_API_KEY}"),
        (&vscode["servers"], "${input:arcade-api-key}"),
    ] {
        let servers = servers.as_object().unwrap();
        let launches: std::collections::BTreeSet<String> =
            servers.values().map(|s| s["args"].to_string()).collect();
        assert_eq!(
            launches.len(),
            servers.len(),
            "no two entries serve the same tools"
        );
        for server in servers.values() {
            assert_eq!(server["command"], "/ABSOLUTE/PATH/TO/arcade-mcp-gateway");
            assert_eq!(server["args"][0], "serve");
            let key = &server["env"]["ARCADE_API_KEY"];
            assert!(key.is_null() || key == reference, "{server}");
        }
    }
    for server in vscode["servers"].as_object().unwrap().values() {
        assert_eq!(server["type"], "stdio");
    }
    let inputs = vscode["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["id"] == "arcade-api-key" && i["password"] == true)
    );
}

/// The permission bits of `path`.
#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every mode seen on a file of `dir` while `run` runs, polled as fast as a local reader
/// could (the name and mode of each sighting).
#[cfg(unix)]
fn modes_seen_while(dir: &Path, run: impl FnOnce()) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let watcher = {
        let (dir, stop) = (dir.to_owned(), stop.clone());
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    if let Ok(meta) = entry.metadata() {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        seen.push((name, meta.permissions().mode() & 0o777));
                    }
                }
            }
            seen
        })
    };
    run();
    stop.store(true, Ordering::Relaxed);
    watcher.join().unwrap()
}

#[cfg(unix)]
#[test]
fn files_holding_secrets_are_never_readable_by_others_and_backups_stay_few() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    // A file `configure` creates is its owner's only.
    home.configure_ok(&["claude-code"]);
    assert_eq!(mode(&home.path(".claude.json")), 0o600);

    // A private file holding another server's token: neither the temporary file nor a
    // backup is ever readable by anyone else, and a few backups are kept, not one a run.
    let cursor = case("cursor");
    home.write(
        cursor,
        r#"{"mcpServers": {"other": {"command": "x", "env": {"TOKEN": "other-token-77"}}}}"#,
    );
    let file = home.file(cursor);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let seen = modes_seen_while(file.parent().unwrap(), || {
        for _ in 0..12 {
            home.configure_ok(&["cursor", "--force"]);
        }
    });
    assert!(seen.len() > 12, "the watcher saw the folder");
    let open: Vec<&(String, u32)> = seen.iter().filter(|(_, m)| m & 0o077 != 0).collect();
    assert!(open.is_empty(), "readable by others: {open:?}");
    assert_eq!(mode(&file), 0o600);
    let backups = home
        .snapshot()
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().ends_with(".bak"))
        .count();
    assert!((1..=3).contains(&backups), "{backups} backups kept");
}

#[cfg(unix)]
#[test]
fn a_project_file_that_is_a_symlink_out_of_the_project_is_refused() {
    let home = Home::new();
    let project = home.path("project");
    std::fs::create_dir_all(&project).unwrap();
    let outside = home.path("elsewhere.json");
    std::fs::write(&outside, "{}").unwrap();
    let link = project.join(".mcp.json");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let said = refused_naming(
        &home,
        &["claude-code", "--project", project.to_str().unwrap()],
        &[("ARCADE_API_KEY", API_KEY), ("ARCADE_USER_ID", USER)],
        &link,
    );
    assert!(said.contains("symlink"), "{said}");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "{}");
}
