//! DNS rebinding in Chromium. Chromium resolves every `*.localhost` name to
//! loopback, just as an attacker's rebound name resolves to 127.0.0.1, so a
//! tab at `http://rebound.localhost:PORT/` reaches the host under a name that
//! is not its own, and must get nothing from it.

use cardhost_tests::fake_asana::FakeAsana;

use crate::chromium::with_browser;
use crate::common::Host;

#[tokio::test]
async fn a_name_rebound_to_loopback_gets_nothing_and_localhost_signs_in() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("Ops", false).await;
    let port = host.base.rsplit(':').next().unwrap().to_string();
    with_browser(async |b| {
        for path in [
            "/console/login",
            "/console/connections",
            "/api/v1/connections",
        ] {
            b.goto(&format!("http://rebound.localhost:{port}{path}"))
                .await;
            let text = b.body_text().await;
            assert!(text.contains("misdirected_request"), "{path}: {text}");
            assert!(
                !text.contains("Sign in") && !text.contains("Ops"),
                "{path}: {text}"
            );
        }

        // The host's own loopback name, in the same browser: the console signs in
        // and its forms post (Chromium sends `Origin: null` under the console's
        // no-referrer policy, with `Sec-Fetch-Site: same-origin`).
        b.goto(&format!("http://localhost:{port}/console/connections"))
            .await;
        b.wait_url("/console/login").await;
        b.fill("#api_key", &host.api_key()).await;
        b.click("#sign-in").await;
        b.wait_url("/console/connections").await;
        b.wait_text("main h1", "Connections").await;
        assert!(b.body_text().await.contains("Ops"));
        b.click(".signout button").await;
        b.wait_url("/console/login").await;
    })
    .await;
}
