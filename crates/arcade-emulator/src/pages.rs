//! The authorization page a user opens from an authorization URL: it stands in for the
//! provider's OAuth consent screen. No API key (a browser opens it), no external
//! assets, every shown value HTML-escaped.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;

use super::grants::{Consent, Snapshot};
use super::state::EmulatorState;
use arcade_types::AuthStatus;

/// The form the page posts: `decision=approve` or `decision=deny`.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    decision: String,
}

/// `GET /authorize/{id}`: who asks what, with Approve and Deny buttons while pending.
pub async fn show(State(state): State<EmulatorState>, Path(id): Path<String>) -> Response {
    match state.grants().status(&id) {
        Some(snapshot) => page(StatusCode::OK, "Authorize access", &body(&snapshot)),
        None => unknown(&id),
    }
}

/// `POST /authorize/{id}`: records the decision and says what happened.
pub async fn decide(
    State(state): State<EmulatorState>,
    Path(id): Path<String>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    let approve = match form.as_ref().map(|Form(f)| f.decision.as_str()) {
        Ok("approve") => true,
        Ok("deny") => false,
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "<p>Send <code>decision=approve</code> or <code>decision=deny</code>.</p>",
            );
        }
    };
    match state.grants().consent(&id, approve) {
        Some(Consent::Decided(snapshot)) => {
            tracing::info!(authorization = %id, approve, "authorization decided");
            page(StatusCode::OK, "Authorization", &body(&snapshot))
        }
        Some(Consent::Verify(verifier)) => {
            tracing::info!(authorization = %id, "approved; sending the browser to the user verifier");
            (StatusCode::SEE_OTHER, [(LOCATION, verifier)]).into_response()
        }
        None => unknown(&id),
    }
}

fn unknown(id: &str) -> Response {
    let message = format!(
        "<p>There is no authorization <code>{}</code>. It may have come from another emulator run.</p>",
        text(id)
    );
    page(StatusCode::NOT_FOUND, "Authorization not found", &message)
}

fn body(snapshot: &Snapshot) -> String {
    let scopes: String = snapshot
        .ask
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", text(s)))
        .collect();
    let scopes = if scopes.is_empty() {
        "<li>(no particular scope)</li>".to_owned()
    } else {
        scopes
    };
    let summary = format!(
        "<p>User <strong>{}</strong> is asked to let the assistant use <strong>{}</strong> with these scopes:</p><ul>{scopes}</ul>",
        text(&snapshot.ask.user_id),
        text(&snapshot.ask.provider_id),
    );
    let outcome = match snapshot.status {
        AuthStatus::Pending => format!(
            r#"<form method="post" action="/authorize/{}"><button name="decision" value="approve" class="ok">Approve</button> <button name="decision" value="deny">Deny</button></form>"#,
            attr(&snapshot.id)
        ),
        AuthStatus::Completed => {
            "<p class=\"done\">Access granted, you can return to your assistant.</p>".to_owned()
        }
        _ => "<p class=\"no\">Access denied. The assistant will not get access.</p>".to_owned(),
    };
    let next = match (&snapshot.next_uri, snapshot.status) {
        (Some(uri), AuthStatus::Completed | AuthStatus::Failed) => {
            format!(r#"<p><a href="{}">Continue</a></p>"#, attr(uri))
        }
        _ => String::new(),
    };
    format!("{summary}{outcome}{next}")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title} · Arcade emulator</title><style>
body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}}
h1{{font-size:1.4rem}} code{{background:#f3f3f3;padding:0 .2rem}}
button{{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:.3rem;border:1px solid #888;background:#fff;cursor:pointer}}
button.ok{{background:#1a7f37;color:#fff;border-color:#1a7f37}} .done{{color:#1a7f37}} .no{{color:#b42318}}
</style></head><body><h1>{title}</h1>{body}<p><small>Arcade emulator: no real provider is contacted.</small></p></body></html>"#
    );
    (status, Html(html)).into_response()
}
