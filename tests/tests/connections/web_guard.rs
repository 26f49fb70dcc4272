//! DNS rebinding and cross-site requests: the host answers only to its own
//! names, refuses state changes sent by other sites' pages, and is never
//! open: without `CARDHOST_API_KEY` it makes a key of its own.

use std::os::unix::fs::PermissionsExt;

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::{status_json, Host};

/// `path` on the host, sent with `host` as the `Host` header.
async fn get_as(host: &Host, name: &str, path: &str, key: bool) -> (u16, Value) {
    let mut request = host
        .client
        .get(format!("{}{path}", host.base))
        .header("host", name);
    if key {
        request = request.bearer_auth(host.api_key());
    }
    status_json(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_rebound_name_is_misdirected_even_with_the_key() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("Ops", false).await;
    let port = host.base.rsplit(':').next().unwrap().to_string();
    let rebound = format!("attacker.example:{port}");
    for path in [
        "/api/v1/connections",
        "/console/login",
        "/healthz",
        "/oauth/callback?state=x&code=y",
    ] {
        let (status, body) = get_as(&host, &rebound, path, true).await;
        assert_eq!(status, 421, "{path}: {body}");
        assert_eq!(body["error"]["code"], "misdirected_request", "{path}");
        assert!(!body.to_string().contains("Ops"), "{path} leaks nothing");
    }
    let r = host
        .client
        .post(format!("{}/api/v1/connections", host.base))
        .header("host", &rebound)
        .bearer_auth(host.api_key())
        .json(&json!({"connector": "asana", "nickname": "Planted", "access_token": seed::PAT}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 421);

    // The host's own names are served: the listen address and the loopback names.
    for name in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
    ] {
        let (status, body) = get_as(&host, &name, "/api/v1/connections", true).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(
            body["data"].as_array().unwrap().len(),
            1,
            "nothing was planted"
        );
    }
}

#[tokio::test]
async fn state_changes_from_another_site_are_refused() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let id = host.token_connection("Ops", false).await;
    let create = json!({"connector": "asana", "nickname": "Planted", "access_token": seed::PAT});
    let post = |path: &str| host.api(reqwest::Method::POST, path);

    // A page of another site, or one that hides its origin from a frame or a file.
    let refused = [
        post("/connections")
            .header("origin", "http://attacker.example")
            .json(&create),
        post("/connections")
            .header("sec-fetch-site", "cross-site")
            .json(&create),
        post("/connections").header("origin", "null").json(&create),
        post("/connections")
            .header("origin", "null")
            .header("sec-fetch-site", "same-site")
            .json(&create),
        post("/connections")
            .header("origin", "http://127.0.0.1:1")
            .json(&create),
        // Body-less POSTs need no preflight: they are the easiest to forge.
        post(&format!("/connections/{id}/test")).header("origin", "http://attacker.example"),
        post(&format!("/connections/{id}/authorize")).header("sec-fetch-site", "cross-site"),
        host.api(reqwest::Method::DELETE, &format!("/connections/{id}"))
            .header("origin", "http://attacker.example"),
        host.api(reqwest::Method::PATCH, &format!("/connections/{id}"))
            .header("origin", "http://attacker.example")
            .json(&json!({"nickname": "Hijacked"})),
    ];
    for request in refused {
        let (status, body) = status_json(request.send().await.unwrap()).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"]["code"], "cross_site_request");
    }
    // The console's sign-in form is refused the same way.
    let r = host
        .client
        .post(format!("{}/console/login", host.base))
        .header("origin", "http://attacker.example")
        .form(&[("api_key", host.api_key().as_str()), ("nonce", "n")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let (_, list) = host.get("/connections").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["data"][0]["nickname"], "Ops");

    // The host's own pages, and clients that send no origin (the CLI, curl).
    let own = [
        post("/connections")
            .header("origin", &host.base)
            .header("sec-fetch-site", "same-origin")
            .json(&json!({"connector": "asana", "nickname": "From the console", "access_token": seed::PAT})),
        post("/connections")
            .header("origin", "null")
            .header("sec-fetch-site", "same-origin")
            .json(&json!({"connector": "asana", "nickname": "No referrer", "access_token": seed::PAT})),
        post("/connections").json(&json!({"connector": "asana", "nickname": "CLI", "access_token": seed::PAT})),
    ];
    for request in own {
        let (status, body) = status_json(request.send().await.unwrap()).await;
        assert_eq!(status, 201, "{body}");
    }
    // The OAuth callback is a cross-site navigation from the provider: it stays reachable.
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "OAuth"}),
        )
        .await;
    let callback = host.approve(body["authorize_url"].as_str().unwrap()).await;
    let r = host
        .client
        .get(&callback)
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (status, list) = host.get("/connections").await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 5, "{list}");
}

#[tokio::test]
async fn without_an_api_key_the_host_makes_one_and_stays_shut() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, tmp.path(), &[("CARDHOST_API_KEY", "")]).await;
    let path = tmp.path().join("api.key");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let key = std::fs::read_to_string(&path).unwrap().trim().to_string();
    assert!(key.len() >= 43, "32 random bytes");
    assert_eq!(key, host.api_key());

    // What a rebound page could try first: no key, no way in.
    let url = format!("{}/api/v1/connections", host.base);
    let r = host.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = host
        .client
        .post(format!(
            "{}/api/v1/cards/asana.custom-api-action/run",
            host.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = host
        .client
        .get(format!("{}/console/connections", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the console asks to sign in");
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/console/login"));

    // The key of the file opens it; a restart keeps the same key.
    let r = host
        .client
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    host.stop().await;
    let host = Host::start_in(&fake, tmp.path(), &[("CARDHOST_API_KEY", "")]).await;
    assert_eq!(host.api_key(), key);
    let (status, _) = host.get("/connections").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn short_api_keys_are_refused_at_start() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let short = "k".repeat(31);
    let err = Host::try_start_in(&fake, tmp.path(), &[("CARDHOST_API_KEY", &short)])
        .await
        .err()
        .expect("a short env key is refused");
    let text = format!("{err:#}");
    assert!(
        text.contains("CARDHOST_API_KEY") && text.contains("at least 32"),
        "{text}"
    );
    assert!(!text.contains(&short), "{text}");

    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let path = tmp.path().join("api.key");
    std::fs::write(&path, format!("{short}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = Host::try_start_in(&fake, tmp.path(), &[("CARDHOST_API_KEY", "")])
        .await
        .err()
        .expect("a short key file is refused");
    let text = format!("{err:#}");
    assert!(
        text.contains("CARDHOST_API_KEY") && text.contains("api.key"),
        "{text}"
    );

    // A key of 32 characters serves.
    let host = Host::try_start_in(&fake, tmp.path(), &[("CARDHOST_API_KEY", &"k".repeat(32))])
        .await
        .expect("a 32-character key is fine");
    let (status, _) = host.get("/connections").await;
    assert_eq!(status, 200);
}
