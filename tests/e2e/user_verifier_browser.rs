//! The user verifier in a real headless Chromium (Debian's, over WebDriver), in OAuth
//! mode and in trusted-header mode: the browser opens the authorization link an MCP
//! client received, approves at the engine's consent page, is sent to the gateway's
//! verifier, signs in at the test OpenID provider (OAuth) or passes the authenticating
//! proxy (trusted header), and lands on the success page, while the client's waiting
//! call returns the tool's result. In the same browser, a flow started for Bob and
//! opened by Ann is refused, and Bob's next call still gets a link. A screenshot of
//! each page (success, refused, error) is saved as
//! `target/screenshots/user-verifier-<mode>-<page>.png`.

use std::time::Duration;

use serde_json::json;

use crate::support::chromium::Chromium;
use crate::support::person::Person;
use crate::support::verifier::{Mode, Team, link_sent_to};
use crate::support::{assert_inbox_of, mail_runs};

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";

#[tokio::test]
async fn in_chromium_a_person_signed_in_at_the_issuer_completes_their_grant_and_not_anothers() {
    let Some(browser) = Chromium::start("user_verifier_browser (OAuth)").await else {
        return;
    };
    let team = Team::start(Mode::OAuth).await;
    walk(&browser, &team, "oauth").await;
    browser.quit().await;
}

#[tokio::test]
async fn in_chromium_a_person_behind_the_proxy_completes_their_grant_and_not_anothers() {
    let Some(browser) = Chromium::start("user_verifier_browser (trusted header)").await else {
        return;
    };
    let team = Team::behind_proxy(ANN).await;
    walk(&browser, &team, "trusted-header").await;
    browser.quit().await;
}

/// The whole walk of Ann's browser in `team`, screenshots named after `mode`.
async fn walk(browser: &Chromium, team: &Team, mode: &str) {
    // Ann's call waits for her grant; her browser opens the link she was sent.
    let ann = Person::without_elicitation(None);
    let client = team.client(ANN, ann.clone()).await;
    let call = tokio::spawn(async move { client.call("Mail_ListEmails", json!({})).await });
    browser.open(&link_sent_to(&ann).await).await;
    browser.wait_for(ANN).await;
    browser.click("button[value=approve]").await;
    if team.mode == Mode::OAuth {
        browser.wait_for("Sign in (TEST-ONLY provider)").await;
        browser.type_into("#username", ANN).await;
        browser.click("#sign-in").await;
    }
    browser.wait_for("Access granted").await;
    assert!(browser.url().await.contains("/arcade/verify"));
    screenshot(browser, mode, "success").await;
    let result = tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("the waiting call returns once the grant completes")
        .unwrap();
    assert_inbox_of(&result, ANN);
    assert_eq!(team.confirmations(), 1);

    // Bob's call waits too; Ann, still signed in, opens his link.
    let bob = Person::without_elicitation(None);
    let bobs_client = team.client(BOB, bob.clone()).await;
    let bobs_call =
        tokio::spawn(async move { bobs_client.call("Mail_ListEmails", json!({})).await });
    browser.open(&link_sent_to(&bob).await).await;
    browser.wait_for(BOB).await;
    browser.click("button[value=approve]").await;
    let page = browser
        .wait_for("This link belongs to another account")
        .await;
    assert!(page.contains("Nothing was granted"), "{page}");
    screenshot(browser, mode, "refused").await;
    assert_eq!(
        team.confirmations(),
        2,
        "Arcade was asked, for Ann, and refused"
    );
    bobs_call.abort();
    assert_eq!(mail_runs(&team.emulator, BOB), 0);
    let again = Person::without_elicitation(None);
    let bobs_client = team.client(BOB, again.clone()).await;
    let next = tokio::spawn(async move { bobs_client.call("Mail_ListEmails", json!({})).await });
    assert!(
        link_sent_to(&again).await.contains("/authorize/ac_"),
        "Bob still gets a link"
    );
    next.abort();

    // A link carrying a user is not one: the error page, and Arcade is not asked.
    let base = team.proxy.as_ref().map_or(&team.gateway.base, |p| &p.base);
    browser
        .open(&format!(
            "{base}/arcade/verify?flow_id=af_0&user_id=bob%40example.com"
        ))
        .await;
    browser
        .wait_for("This is not a valid authorization link")
        .await;
    screenshot(browser, mode, "error").await;
    assert_eq!(team.confirmations(), 2);
}

async fn screenshot(browser: &Chromium, mode: &str, page: &str) {
    let path = browser
        .screenshot(&format!("user-verifier-{mode}-{page}"))
        .await;
    eprintln!("screenshot: {}", path.display());
}
