//! The console in Chromium: the whole life of a connection, a denied
//! consent, a hostile nickname, and the screenshot of the Connections page.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::json;

use crate::chromium::{output_dir, with_browser, HEIGHT, WIDTH};
use crate::common::Host;
use crate::{connection_id, sign_in};

#[tokio::test]
async fn a_connection_from_new_to_deleted_through_the_pages() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    with_browser(async |b| {
        sign_in(b, &host).await;
        assert!(b.body_text().await.contains("No connections yet"));

        // New Connection → Create: straight on to Asana's consent page.
        b.click("#new-connection").await;
        b.fill("#nickname", "Marketing Asana").await;
        b.save("new-connection").await;
        b.click("#create").await;
        b.wait("#allow").await;
        assert!(
            b.url().await.starts_with(&fake.base_url()),
            "{}",
            b.url().await
        );
        assert!(b.body_text().await.contains(seed::ME_NAME));

        // Allow: back on the connection's page, connected.
        b.click("#allow").await;
        let url = b.wait_url("authorized=1").await;
        let id = connection_id(&url);
        let banner = b.wait_text("#banner", "Connected").await;
        assert!(
            banner.contains("Marketing Asana is connected as Ada Lovelace"),
            "{banner}"
        );
        assert_eq!(b.text("h1 .badge").await, "Healthy");
        b.save("connected").await;
        assert_eq!(b.text("#account").await, "Ada Lovelace (ada@example.com)");
        let (_, conn) = host.get(&format!("/connections/{id}")).await;
        assert_eq!(conn["status"], "connected", "{conn}");

        // Test connection.
        b.click("#test").await;
        let banner = b.wait_text("#banner", "Test passed").await;
        assert!(banner.contains("connected as Ada Lovelace"), "{banner}");

        // The list shows it, healthy.
        b.goto(&format!("{}/console/connections", host.base)).await;
        let row = b.text(&format!("tr[data-id=\"{id}\"]")).await;
        for part in [
            "Marketing Asana",
            "OAuth",
            "Asana",
            "Ada Lovelace",
            "Healthy",
        ] {
            assert!(row.contains(part), "{part} not in {row:?}");
        }

        // Cards: grouped by connector, then category; the filter is a GET
        // form the server answers (no script).
        b.click("nav a[href=\"/console/cards\"]").await;
        for (connector, category, card) in [
            ("asana", "users", "asana.read-user"),
            ("asana", "tasks", "asana.create-task"),
            ("asana", "other", "asana.custom-api-action"),
            ("github", "tasks", "github.create-issue"),
        ] {
            let tile = format!(
                "section[data-connector=\"{connector}\"] div[data-category=\"{category}\"] a[data-card=\"{card}\"]"
            );
            assert!(b.exists(&tile).await, "{tile}");
        }
        b.fill("#q", "asana.search-user").await;
        b.click("#filter").await;
        b.wait_url("q=asana.search-user").await;
        assert!(b.exists("a[data-card=\"asana.search-user\"]").await);
        assert!(!b.exists("a[data-card=\"asana.read-user\"]").await);
        assert!(b.text("#filter-count").await.contains("1 of"));
        b.save("cards-filtered").await;
        b.fill("#q", "no such card").await;
        b.click("#filter").await;
        b.wait_text("#no-cards", "No card matches").await;
        b.click("#clear-filter").await;

        // Cards → Read User → run on the connection: Ada's name.
        b.click("a[data-card=\"asana.read-user\"]").await;
        b.wait_text("main h1", "Read User").await;
        let inputs = b.text("#inputs").await.to_lowercase();
        assert!(
            inputs.contains("user") && inputs.contains("required"),
            "{inputs}"
        );
        let outputs = b.text("#outputs").await;
        assert!(outputs.contains("workspaces[].gid"), "{outputs}");
        b.click(&format!("#connection option[value=\"{id}\"]"))
            .await;
        b.fill("#input", r#"{"user": "me"}"#).await;
        b.click("#run").await;
        let output = b.wait_text("#output", "Ada Lovelace").await;
        assert!(output.contains(seed::ME_EMAIL), "{output}");
        assert!(b.text("table.calls").await.contains("/users/me"));
        b.save("card-run").await;

        // Rename.
        b.goto(&format!("{}/console/connections/{id}", host.base))
            .await;
        b.fill("#new-nickname", "Marketing (EMEA)").await;
        b.click("#rename").await;
        b.wait_text("#banner", "Renamed").await;
        assert!(b.text("h1#nickname").await.contains("Marketing (EMEA)"));

        // The service account token: write-only, shown as set / not set.
        assert_eq!(b.text("#service-account-state").await, "Not set");
        b.fill("#service_account_token", seed::SERVICE_ACCOUNT_TOKEN)
            .await;
        b.click("#set-service-account").await;
        b.wait_text("#banner", "Service account token saved").await;
        assert_eq!(b.text("#service-account-state").await, "Set");
        assert!(!b.source().await.contains(seed::SERVICE_ACCOUNT_TOKEN));
        b.click("#clear-service-account").await;
        b.wait_text("#banner", "cleared").await;
        assert_eq!(b.text("#service-account-state").await, "Not set");

        // Reauthorize: through the consent page again.
        let codes_before = fake.token_grants("authorization_code");
        b.click("#reauthorize").await;
        b.click("#allow").await;
        b.wait_url("authorized=1").await;
        b.wait_text("#banner", "Marketing (EMEA) is connected")
            .await;
        assert_eq!(fake.token_grants("authorization_code"), codes_before + 1);

        // Flow runs: a flow run over REST shows step by step.
        let (s, flow) = host
            .post(
                "/flows",
                json!({"name": "Who am I", "steps": [{"id": "me", "card": "asana.read-user",
                       "connection": id, "input": {"user": "$.input.user"}}]}),
            )
            .await;
        assert_eq!(s, 201, "{flow}");
        let flow_id = flow["id"].as_str().unwrap();
        let (s, run) = host
            .post(
                &format!("/flows/{flow_id}/runs"),
                json!({"input": {"user": "me"}}),
            )
            .await;
        assert_eq!(s, 200, "{run}");
        b.click("nav a[href=\"/console/flows\"]").await;
        let row = b.text(&format!("#flows tr[data-id=\"{flow_id}\"]")).await;
        assert!(
            row.contains("Who am I") && row.contains("Succeeded"),
            "{row}"
        );
        b.click(&format!("#flows tr[data-id=\"{flow_id}\"] a"))
            .await;
        b.click(&format!(
            "#runs tr[data-id=\"{}\"] a",
            run["id"].as_str().unwrap()
        ))
        .await;
        let step = b.wait_text("#step-me", "Succeeded").await;
        for part in [
            "asana.read-user",
            "Marketing (EMEA)",
            "Ada Lovelace",
            "/api/1.0/users/me",
        ] {
            assert!(step.contains(part), "{part} not in {step:?}");
        }
        b.save("flow-run").await;

        // Delete, with its confirmation.
        b.goto(&format!("{}/console/connections/{id}", host.base))
            .await;
        b.click("#delete").await;
        let consequence = b.text("#consequence").await;
        assert!(consequence.contains("revoked at Asana"), "{consequence}");
        b.save("delete-confirm").await;
        assert!(fake.revocations().is_empty());
        b.click("#confirm-delete").await;
        b.wait_url("/console/connections").await;
        let banner = b.wait_text("#banner", "Connection deleted").await;
        assert!(banner.contains("revoked at Asana"), "{banner}");
        assert_eq!(fake.revocations().len(), 1);
        assert!(!b.exists(&format!("tr[data-id=\"{id}\"]")).await);
        let (status, _) = host.get(&format!("/connections/{id}")).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn a_denied_consent_shows_the_failure_page() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    with_browser(async |b| {
        sign_in(b, &host).await;
        b.click("#new-connection").await;
        b.fill("#nickname", "Declined").await;
        b.click("#create").await;
        b.click("#deny").await;
        b.wait("#landing[data-outcome=\"failed\"]").await;
        assert_eq!(b.text("main h1").await, "Access was not allowed");
        assert_eq!(b.text("#error-code").await, "consent_denied");
        assert!(b.text("#message").await.contains("declined"));
        assert!(b.text("#advice").await.contains("Reauthorize"));
        assert!(b.url().await.contains("/oauth/callback"));
        b.save("consent-denied").await;

        // What to do: open the connection, which says what went wrong.
        b.click("#open-connection").await;
        b.wait_text("h1 .badge", "Error").await;
        assert!(b.exists("#reauthorize").await);
        assert!(b.body_text().await.contains("needs attention"));
    })
    .await;
}

#[tokio::test]
async fn a_nickname_with_a_script_renders_as_text() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let hostile = "<script>alert(1)</script>";
    with_browser(async |b| {
        sign_in(b, &host).await;
        // A personal access token connection made through the page.
        b.click("#new-connection").await;
        b.fill("#nickname", hostile).await;
        b.click("input[name=auth][value=token]").await;
        b.fill("#access_token", seed::PAT).await;
        b.click("#create").await;
        b.wait_text("#banner", "is connected as Ada Lovelace").await;
        assert_eq!(b.alert_text().await, None, "a script ran");
        assert!(b.text("h1#nickname").await.starts_with(hostile));
        assert!(
            !b.source().await.contains(seed::PAT),
            "the token is in the page"
        );

        for path in ["/console/connections", "/console/cards/asana.read-user"] {
            b.goto(&format!("{}{path}", host.base)).await;
            b.wait("main h1").await;
            assert_eq!(b.alert_text().await, None, "a script ran on {path}");
            assert!(b.body_text().await.contains(hostile), "{path}");
            let source = b.source().await;
            assert!(!source.contains(hostile), "{path} holds the raw tag");
            assert!(
                source.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{path}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_screenshot_of_the_connections_page() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    // A healthy OAuth connection, used just now.
    let marketing = host.oauth_connection("Marketing Asana").await;
    let (s, _) = host
        .run("asana.read-user", &marketing, json!({"user": "me"}))
        .await;
    assert_eq!(s, 200);
    // A token connection of another person, with a service account token.
    let ops_token = "2/1200000000000104/1200000000000977:0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
    fake.add_personal_access_token(ops_token, seed::ALAN_TURING_GID);
    let (s, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "IT automation",
                   "access_token": ops_token, "service_account_token": seed::SERVICE_ACCOUNT_TOKEN}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    // One whose refresh token the provider no longer accepts.
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "Support Asana"}),
        )
        .await;
    let support = body["connection"]["id"].as_str().unwrap().to_string();
    let url = format!(
        "{}&as_user={}",
        body["authorize_url"].as_str().unwrap(),
        seed::GRACE_HOPPER_GID
    );
    let callback = host.approve(&url).await;
    assert_eq!(
        host.client.get(&callback).send().await.unwrap().status(),
        200
    );
    let refresh = fake.refresh_tokens().last().unwrap().clone();
    fake.revoke_refresh_token(&refresh);
    fake.expire_access_tokens();
    let (s, _) = host
        .run("asana.read-user", &support, json!({"user": "me"}))
        .await;
    assert_eq!(s, 409);
    // One whose consent was declined.
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "Finance"}),
        )
        .await;
    let denied = host
        .client
        .get(format!(
            "{}&approve=deny",
            body["authorize_url"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    let callback = denied.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        host.client.get(&callback).send().await.unwrap().status(),
        422
    );
    // And one still waiting for its consent.
    let (s, _) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "Sales pipeline"}),
        )
        .await;
    assert_eq!(s, 201);

    with_browser(async |b| {
        sign_in(b, &host).await;
        let table = b.text("#connections").await;
        for part in [
            "Healthy",
            "Needs re-authorization",
            "Error",
            "Pending",
            "Grace Hopper",
        ] {
            assert!(table.contains(part), "{part} not in {table:?}");
        }
        let png = b.screenshot().await;
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (WIDTH, HEIGHT));
        assert!(png.len() < 150 * 1024, "{} bytes", png.len());
        let path = output_dir().join("connections.png");
        std::fs::write(&path, &png).unwrap();
        // `CARDHOST_UPDATE_SCREENSHOT=1` refreshes the README's copy.
        if std::env::var_os("CARDHOST_UPDATE_SCREENSHOT").is_some() {
            let docs =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/connections.png");
            std::fs::write(docs, &png).unwrap();
        }
        println!("screenshot: {} ({} bytes)", path.display(), png.len());
    })
    .await;
}
