//! The OAuth callback: `GET /oauth/callback?<query>` sent through the
//! host's router, as a provider's redirect reaches it: the query parsed
//! into code, state, error and error_description, the state looked up and
//! taken, a provider's error mapped, a code exchanged (against a token
//! endpoint that refuses at once), and the console's landing page rendered.
//!
//! Input: the query string. Each `{state}` in it becomes a state the host
//! has just issued for a pending connection (Asana's, or GitHub's when the
//! input holds `{github}`), so that mutations get past the state check.
#![no_main]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use url::Url;

fuzz_target!(init: {
    cardhost_fuzz::host();
}, |data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let host = cardhost_fuzz::host();
    host.rt.block_on(async {
        let mut query = query.to_string();
        if query.contains("{state}") {
            let connection = if query.contains("{github}") {
                &host.github
            } else {
                &host.asana
            };
            let authorize = host
                .app
                .connections
                .authorize(connection)
                .await
                .expect("a pending connection can be authorized");
            let state = Url::parse(&authorize)
                .expect("an authorize URL")
                .query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
                .expect("the authorize URL carries a state");
            query = query.replace("{state}", &state);
        }
        let Ok(request) = Request::get(format!("/oauth/callback?{query}"))
            .header("host", "127.0.0.1:7077")
            .body(Body::empty())
        else {
            return;
        };
        let response = router()
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        assert_ne!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "the callback failed inside the host on {query:?}"
        );
        let _ = axum::body::to_bytes(response.into_body(), 1 << 20).await;
    });
});

/// The host's router, built once.
fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| cardhost::api::router(cardhost_fuzz::host().app.clone()))
}
