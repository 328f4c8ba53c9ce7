//! The variables `serve` reads that the launched server needs too and that a client
//! would not pass on go into the entry's `env`: the user, and the toolkits of
//! `ARCADE_GATEWAY_TOOLKITS` (what the Claude Desktop bundle sets), so that the entry
//! serves what `configure` was shown.

use super::{Home, USER, case, entry};
use crate::support::API_KEY;

#[test]
fn the_toolkit_variable_goes_into_the_entry_and_serve_reads_it() {
    let home = Home::new();
    let cursor = case("cursor");
    let vars = [
        ("ARCADE_API_KEY", API_KEY),
        ("ARCADE_USER_ID", USER),
        ("ARCADE_GATEWAY_TOOLKITS", "Math, Mail"),
    ];
    let output = home.configure(&["cursor", "--emulator"], &vars);
    assert!(output.status.success(), "{}", super::stderr(&output));
    let written = entry(cursor, &home.read(cursor));
    assert_eq!(
        written["env"]["ARCADE_GATEWAY_TOOLKITS"], "Math,Mail",
        "{written}"
    );
    assert_eq!(written["env"]["ARCADE_USER_ID"], USER, "{written}");

    // The entry's variable selects exactly those toolkits when `serve` starts.
    let listed = std::process::Command::new(crate::support::gateway_bin())
        .args(["tools", "--emulator"])
        .env_clear()
        .env("ARCADE_GATEWAY_TOOLKITS", "Math,Mail")
        .output()
        .unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains("Math_Add") && listed.contains("Mail_ListEmails"),
        "{listed}"
    );
    assert!(!listed.contains("CodeHost_"), "{listed}");
}
