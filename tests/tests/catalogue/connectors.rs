//! Connector packages over REST: the built-in connectors listed with their
//! auth methods, installing one from its definition (checked like a card),
//! and removing it.

use cardhost_tests::fake_asana::FakeAsana;

use crate::common::Host;
use crate::{card_bytes, code, install, install_connector, TEST_CONNECTOR};

#[tokio::test]
async fn the_builtin_connectors_are_listed_with_their_auth_methods() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (status, body) = host.get("/connectors").await;
    assert_eq!(status, 200, "{body}");
    let list = body["data"].as_array().unwrap();
    let ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"asana") && ids.contains(&"github"), "{ids:?}");
    let types = |id: &str| -> Vec<String> {
        let c = list.iter().find(|c| c["id"] == id).unwrap();
        assert_eq!(c["builtin"], true);
        c["auth_methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["type"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(types("asana"), ["oauth2", "token", "service_account"]);
    assert_eq!(types("github"), ["oauth2", "token"]);
    let github = list.iter().find(|c| c["id"] == "github").unwrap();
    let oauth = &github["auth_methods"][0];
    assert_eq!(oauth["pkce"], true);
    assert_eq!(
        oauth["refresh_tokens"], false,
        "OAuth apps get no refresh token"
    );
    assert_eq!(oauth["revoke"]["method"], "DELETE");
    assert_eq!(oauth["revoke"]["client_auth"], "basic");
    assert!(oauth["scope_implies"]["repo"]
        .as_array()
        .unwrap()
        .contains(&"public_repo".into()));
    let (status, one) = host.get("/connectors/github").await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["definition"]["whoami"]["path"], "/user");
    let (status, body) = host.get("/connectors/nope").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn a_connector_installs_persists_and_is_removed_when_unused() {
    let fake = FakeAsana::start().await;
    let data = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, data.path(), &[]).await;

    let (status, body) = install_connector(&host, TEST_CONNECTOR, false).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["builtin"], false);
    assert_eq!(body["auth_methods"][1]["type"], "token");
    let (status, body) = install_connector(&host, TEST_CONNECTOR, false).await;
    assert_eq!((status, code(&body)), (409, "connector_exists"), "{body}");
    let changed = TEST_CONNECTOR.replace("The connector of", "Still the connector of");
    let (status, body) = install_connector(&host, &changed, true).await;
    assert_eq!(status, 200, "{body}");

    // A card of it installs; while it is there the connector stays.
    let (status, body) = install(&host, card_bytes("hostile_card"), false).await;
    assert_eq!(status, 201, "{body}");
    let delete = |path: &str| host.api(reqwest::Method::DELETE, path).send();
    let r = delete("/connectors/test").await.unwrap();
    let (status, body) = crate::common::status_json(r).await;
    assert_eq!((status, code(&body)), (409, "connector_in_use"), "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("test.hostile"));

    // It survives a restart, and so does its card.
    let host = {
        host.stop().await;
        Host::start_in(&fake, data.path(), &[]).await
    };
    let (status, body) = host.get("/connectors/test").await;
    assert_eq!(status, 200, "{body}");
    assert!(body["description"].as_str().unwrap().starts_with("Still"));
    let (_, card) = host.get("/cards/test.hostile").await;
    assert_eq!(card["available"], true, "{card}");

    let r = host
        .api(reqwest::Method::DELETE, "/cards/test.hostile")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = host
        .api(reqwest::Method::DELETE, "/connectors/test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = host.get("/connectors/test").await;
    assert_eq!(status, 404);
    let r = host
        .api(reqwest::Method::DELETE, "/connectors/github")
        .send()
        .await
        .unwrap();
    let (status, body) = crate::common::status_json(r).await;
    assert_eq!((status, code(&body)), (409, "builtin_connector"), "{body}");
}

#[tokio::test]
async fn a_bad_definition_is_refused_naming_its_field_and_nothing_is_kept() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let cases = [
        (
            TEST_CONNECTOR.replace("id = \"test\"", "id = \"Test Two\""),
            "id",
        ),
        (
            TEST_CONNECTOR.replace("https://api.test.example", "http://api.test.example"),
            "api.base_url",
        ),
        (
            TEST_CONNECTOR.replace("path = \"/me\"", "path = \"https://elsewhere/me\""),
            "whoami.path",
        ),
        (
            TEST_CONNECTOR.replace(
                "[whoami]",
                "[settings]\naccess_token = [\"ASANA_TOKEN\"]\n\n[whoami]",
            ),
            "settings",
        ),
        (
            TEST_CONNECTOR.replace("id = \"test\"", "id = \"github\""),
            "id",
        ),
    ];
    for (definition, field) in cases {
        let (status, body) = install_connector(&host, &definition, false).await;
        assert!(
            matches!(status, 400 | 409 | 422),
            "{field}: {status} {body}"
        );
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let (status, body) = install_connector(&host, "id = ", false).await;
    assert_eq!(status, 422, "{body}");
    let r = host
        .api(reqwest::Method::POST, "/connectors")
        .header("content-type", "text/plain")
        .body(TEST_CONNECTOR)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (_, list) = host.get("/connectors").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        2,
        "nothing was installed"
    );
}
