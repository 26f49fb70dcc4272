//! The console over plain HTTP: sign-in, the session cookie, CSRF, the
//! security headers, no secret in a page, and the OAuth callback's landing.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::json;

use crate::common::{Host, API_KEY};
use crate::http::{input_value, page, post, set_cookie, sign_in};

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let id = host.token_connection("Ops", false).await;
    let cookie = sign_in(&host).await;
    let (status, html) = page(&host, &cookie, &format!("/console/connections/{id}")).await;
    assert_eq!(status, 200);
    let csrf = input_value(&html, "csrf");
    let rename = format!("/console/connections/{id}/rename");

    // No token, a wrong one, one of another session, or a cross-site post: 403.
    let r = post(&host, &cookie, &rename, &[("nickname", "Hijacked")]).await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("csrf_failed") && body.contains("no security token"),
        "{body}"
    );
    let r = post(
        &host,
        &cookie,
        &rename,
        &[("csrf", "forged"), ("nickname", "Hijacked")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let other = sign_in(&host).await;
    let (_, other_html) = page(&host, &other, "/console/connections").await;
    let other_csrf = input_value(&other_html, "csrf");
    assert_ne!(other_csrf, csrf);
    let r = post(
        &host,
        &cookie,
        &rename,
        &[("csrf", &other_csrf), ("nickname", "Hijacked")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = host
        .client
        .post(format!("{}{rename}", host.base))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", csrf.as_str()), ("nickname", "Hijacked")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Without a session at all.
    let r = host
        .client
        .post(format!("{}{rename}", host.base))
        .form(&[("csrf", csrf.as_str()), ("nickname", "Hijacked")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Delete is refused the same way.
    let r = post(
        &host,
        &cookie,
        &format!("/console/connections/{id}/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 403);
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(conn["nickname"], "Ops", "nothing changed");

    // With the session's token: done.
    let r = post(
        &host,
        &cookie,
        &rename,
        &[("csrf", &csrf), ("nickname", "Ops (renamed)")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/console/connections/{id}")
    );
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(conn["nickname"], "Ops (renamed)");
}

#[tokio::test]
async fn sign_in_sessions_and_headers() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    // Signed out: pages send you to the login page, and back afterwards.
    let r = host
        .client
        .get(format!("{}/console/cards", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/console/login?next=%2Fconsole%2Fcards"
    );
    let r = host
        .client
        .get(format!("{}/", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/console/connections");

    // The login page: strict headers, a nonce cookie.
    let r = host
        .client
        .get(format!("{}/console/login", host.base))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    for part in [
        "default-src 'none'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        &format!("form-action 'self' {}", fake.base_url()),
    ] {
        assert!(csp.contains(part), "{part} not in {csp}");
    }
    // Script: only the host's own file (the flow builder), never inline or eval.
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let (login_cookie, _) = set_cookie(&r, "cardhost_login").unwrap();
    let nonce = input_value(&r.text().await.unwrap(), "nonce");

    // A wrong key, or a form without its nonce, is refused.
    let r = host
        .client
        .post(format!("{}/console/login", host.base))
        .header("cookie", &login_cookie)
        .form(&[("api_key", "wrong"), ("nonce", &nonce)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(set_cookie(&r, "cardhost_session").is_none());
    let r = host
        .client
        .post(format!("{}/console/login", host.base))
        .form(&[("api_key", API_KEY), ("nonce", &nonce)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(set_cookie(&r, "cardhost_session").is_none());

    // The right key: an HttpOnly, SameSite=Strict session cookie.
    let r = host
        .client
        .post(format!("{}/console/login", host.base))
        .header("cookie", &login_cookie)
        .form(&[("api_key", API_KEY), ("nonce", &nonce)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (cookie, header) = set_cookie(&r, "cardhost_session").unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(header.contains(part), "{part} not in {header}");
    }
    assert!(!header.contains("Secure"), "http host: {header}");

    // No secret in any page, even with every token set.
    let id = host.token_connection("With tokens", true).await;
    let oauth = host.oauth_connection("OAuth one").await;
    let refresh = fake.refresh_tokens().last().unwrap().clone();
    for path in [
        "/console/connections".to_string(),
        format!("/console/connections/{id}"),
        format!("/console/connections/{oauth}"),
        "/console/cards/asana.read-user".to_string(),
    ] {
        let (status, html) = page(&host, &cookie, &path).await;
        assert_eq!(status, 200, "{path}");
        for secret in [
            seed::PAT,
            seed::SERVICE_ACCOUNT_TOKEN,
            seed::CLIENT_SECRET,
            API_KEY,
            &refresh,
        ] {
            assert!(!html.contains(secret), "{path} shows a secret");
        }
    }
    let (_, html) = page(&host, &cookie, &format!("/console/connections/{id}")).await;
    assert!(
        html.contains("id=\"service-account-state\"><span class=\"tag on\">Set"),
        "{html}"
    );

    // The stylesheet and the builder's script.
    let r = host
        .client
        .get(format!("{}/console/assets/console.css", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    let r = host
        .client
        .get(format!("{}/console/assets/builder.js", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");

    // Sign out: the session is gone.
    let (_, html) = page(&host, &cookie, "/console/connections").await;
    let csrf = input_value(&html, "csrf");
    let r = post(&host, &cookie, "/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let (status, _) = page(&host, &cookie, "/console/connections").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn without_an_api_key_the_console_signs_in_with_the_key_file() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, dir.path(), &[("CARDHOST_API_KEY", "")]).await;
    // Not open: every page asks to sign in, and so does every form.
    let r = host
        .client
        .get(format!("{}/console/connections/new", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(set_cookie(&r, "cardhost_session").is_none());
    let form = [
        ("connector", "asana"),
        ("nickname", "Open"),
        ("auth", "token"),
        ("access_token", seed::PAT),
    ];
    let r = host
        .client
        .post(format!("{}/console/connections", host.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The key the host wrote to its data dir signs in; forms still need their token.
    let key = std::fs::read_to_string(dir.path().join("api.key")).unwrap();
    assert_eq!(key.trim(), host.api_key());
    let cookie = sign_in(&host).await;
    let (status, html) = page(&host, &cookie, "/console/connections/new").await;
    assert_eq!(status, 200);
    assert!(!html.contains(key.trim()), "the page never shows the key");
    let csrf = input_value(&html, "csrf");
    let r = post(&host, &cookie, "/console/connections", &form).await;
    assert_eq!(r.status(), 403);
    let mut with_token = form.to_vec();
    with_token.push(("csrf", &csrf));
    let r = post(&host, &cookie, "/console/connections", &with_token).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (_, list) = host.get("/connections").await;
    assert_eq!(list["data"][0]["nickname"], "Open");
}

#[tokio::test]
async fn the_callback_lands_on_the_connection_page_or_explains_the_failure() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "Landing"}),
        )
        .await;
    let id = body["connection"]["id"].as_str().unwrap().to_string();
    let callback = host.approve(body["authorize_url"].as_str().unwrap()).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"0; url=/console/connections/{id}?authorized=1\">"
        )),
        "{html}"
    );
    assert!(html.contains("Landing is connected."));

    // Replayed: 400, invalid_state, and what to do.
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("invalid_state") && html.contains("What to do"),
        "{html}"
    );
    assert!(!html.contains("http-equiv"));
}
