//! The user verifier in a real headless Chromium (Debian's, over WebDriver), in OAuth
//! mode: the browser opens the authorization link an MCP client received, approves at
//! the engine's consent page, is sent to the gateway's verifier, signs in at the test
//! OpenID provider, and lands on the success page, while the client's waiting call
//! returns the tool's result. In the same browser, a flow started for Bob and opened
//! by Ann is refused, and Bob's next call still gets a link. A screenshot of each page
//! (success, refused, error) is saved under `target/screenshots/`.

use std::time::Duration;

use serde_json::json;

use crate::common::person::Person;
use crate::common::verifier::{Mode, Team, link_sent_to};
use crate::common::{assert_inbox_of, mail_runs};
use crate::support::chromium::Chromium;

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";

#[tokio::test]
async fn in_chromium_a_signed_in_person_completes_their_grant_and_not_anothers() {
    let Some(browser) = Chromium::start("user_verifier_browser").await else {
        return;
    };
    let team = Team::start(Mode::OAuth).await;

    // Ann's call waits for her grant; her browser opens the link she was sent.
    let ann = Person::without_elicitation(None);
    let client = team.client(ANN, ann.clone()).await;
    let call = tokio::spawn(async move { client.call("Mail_ListEmails", json!({})).await });
    browser.open(&link_sent_to(&ann).await).await;
    browser.wait_for(ANN).await;
    browser.click("button[value=approve]").await;
    browser.wait_for("Sign in (TEST-ONLY provider)").await;
    browser.type_into("#username", ANN).await;
    browser.click("#sign-in").await;
    browser.wait_for("Access granted").await;
    assert!(browser.url().await.contains("/arcade/verify/callback"));
    let shot = browser.screenshot("user-verifier-success").await;
    eprintln!("screenshot: {}", shot.display());
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
    let shot = browser.screenshot("user-verifier-refused").await;
    eprintln!("screenshot: {}", shot.display());
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
    browser
        .open(&format!(
            "{}/arcade/verify?flow_id=af_0&user_id=bob%40example.com",
            team.gateway.base
        ))
        .await;
    browser
        .wait_for("This is not a valid authorization link")
        .await;
    let shot = browser.screenshot("user-verifier-error").await;
    eprintln!("screenshot: {}", shot.display());
    assert_eq!(team.confirmations(), 2);
    browser.quit().await;
}
