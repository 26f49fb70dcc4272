//! Tests of connector definitions, and a made-up connector for the tests of
//! other modules.

use super::*;

/// A made-up provider's definition, served at `api_base`.
pub(crate) fn example_definition(api_base: &str) -> String {
    format!(
        r#"
id = "example"
name = "Example"
description = "A made-up provider for tests."

[api]
base_url = "{api_base}"
allowed_hosts = ["files.example.com"]
headers = {{ "X-Example-Version" = "2" }}

[auth.oauth2]
authorize_url = "https://example.com/oauth/authorize"
token_url = "https://example.com/oauth/token"
client_auth = "basic"
full_access_scope = "all"
default_scopes = {{ from = "cards", scopes = ["read"] }}
revoke = {{ url = "https://example.com/apps/{{client_id}}/grant", method = "DELETE", client_auth = "basic", body = "json", token = "access_token", token_field = "access_token" }}
scopes = {{ all = "Everything", read = "Read", write = "Write", admin = "Administer" }}
scope_implies = {{ admin = ["write"], write = ["read"] }}

[auth.token]
label = "API key"
description = "An API key from the example console."

[settings]
api_base_url = ["EXAMPLE_API_BASE_URL"]
client_id = ["EXAMPLE_CLIENT_ID"]

[whoami]
path = "/me"
account = {{ id = ["/id"], name = ["/name", "/login"], email = ["/email"] }}

[webhooks]
create = "/hooks"
id = "/id"
get = "/hooks/{{id}}"
delete = "/hooks/{{id}}"
handshake_header = "X-Example-Secret"
signature_header = "X-Example-Signature"
events = "/events"
"#
    )
}

/// The made-up connector at `https://api.example.com/v1/`.
pub(crate) fn example() -> Connector {
    example_at("https://api.example.com/v1")
}

/// The made-up connector at another API base.
pub(crate) fn example_at(api_base: &str) -> Connector {
    let definition = ConnectorDefinition::parse(&example_definition(api_base)).unwrap();
    Connector::resolve(definition, &|_| None, false).unwrap()
}

#[test]
fn the_builtin_connectors_are_valid_and_distinct() {
    let builtins = Connector::builtins(&|_| None).unwrap();
    assert!(builtins.len() >= 2, "{}", builtins.len());
    let mut keys = BTreeSet::new();
    for c in &builtins {
        assert_eq!(c.api_base.scheme(), "https", "{}", c.id);
        assert!(c.api_base.as_str().ends_with('/'));
        assert!(!c.is_loopback());
        for key in validate::env_key_set(&c.definition) {
            assert!(keys.insert(key.clone()), "{key} is used twice");
        }
    }
}

#[test]
fn a_definition_resolves_with_overrides_and_json() {
    let c = example();
    assert_eq!(c.api_base.as_str(), "https://api.example.com/v1/");
    assert_eq!(
        c.allowed_hosts,
        vec!["files.example.com", "api.example.com"]
    );
    let lookup =
        |k: &str| (k == "EXAMPLE_API_BASE_URL").then(|| "http://127.0.0.1:9/v1".to_string());
    let definition =
        ConnectorDefinition::parse(&example_definition("https://api.example.com/v1")).unwrap();
    let json = serde_json::to_string(&definition).unwrap();
    let back = ConnectorDefinition::parse(&json).unwrap();
    assert_eq!(back, definition);
    let local = Connector::resolve(definition, &lookup, false).unwrap();
    assert!(local.is_loopback());
    assert!(local.allowed_hosts.contains(&"127.0.0.1".to_string()));
    let err = Connector::resolve(
        ConnectorDefinition::parse(&example_definition("https://api.example.com/v1")).unwrap(),
        &|k: &str| (k == "EXAMPLE_API_BASE_URL").then(|| "ftp://x".to_string()),
        false,
    )
    .unwrap_err();
    assert_eq!(err.field, "EXAMPLE_API_BASE_URL");
}

#[test]
fn implied_and_full_scopes_cover_what_they_grant() {
    let c = example();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(c
        .missing_scopes(&s(&["read", "write"]), &s(&["admin"]))
        .is_empty());
    assert_eq!(
        c.missing_scopes(&s(&["admin"]), &s(&["write"])),
        s(&["admin"])
    );
    assert!(c.missing_scopes(&s(&["admin"]), &s(&["all"])).is_empty());
    assert_eq!(c.missing_scopes(&s(&["read"]), &[]), s(&["read"]));
}

#[test]
fn bad_definitions_name_their_field() {
    let base = example_definition("https://api.example.com/v1");
    let cases = [
        ("id = \"example\"", "id = \"Example!\"", "id"),
        (
            "base_url = \"https://api.example.com/v1\"",
            "base_url = \"http://api.example.com\"",
            "api.base_url",
        ),
        (
            "full_access_scope = \"all\"",
            "full_access_scope = \"nope\"",
            "auth.oauth2.full_access_scope",
        ),
        (
            "admin = [\"write\"]",
            "admin = [\"root\"]",
            "auth.oauth2.scope_implies.admin",
        ),
        ("path = \"/me\"", "path = \"me\"", "whoami.path"),
        (
            "[\"EXAMPLE_CLIENT_ID\"]",
            "[\"CARDHOST_API_KEY\"]",
            "settings.client_id",
        ),
        (
            "\"X-Example-Version\" = \"2\"",
            "\"Authorization\" = \"x\"",
            "api.headers.Authorization",
        ),
        (
            "allowed_hosts = [\"files.example.com\"]",
            "allowed_hosts = [\"https://x\"]",
            "api.allowed_hosts[0]",
        ),
        ("get = \"/hooks/{id}\"", "get = \"/hooks\"", "webhooks.get"),
        (
            "delete = \"/hooks/{id}\"",
            "delete = \"https://evil.example/{id}\"",
            "webhooks.delete",
        ),
        (
            "signature_header = \"X-Example-Signature\"",
            "signature_header = \"Content-Length\"",
            "webhooks.signature_header",
        ),
        (
            "events = \"/events\"",
            "events = \"events\"",
            "webhooks.events",
        ),
    ];
    for (from, to, field) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replace(from, to);
        let err = ConnectorDefinition::parse(&text)
            .and_then(|d| Connector::resolve(d, &|_| None, false))
            .unwrap_err();
        assert_eq!(err.field, field, "{to}: {err}");
    }
    let unknown = ConnectorDefinition::parse(&base.replace("[whoami]", "surprise = 1\n[whoami]"));
    assert!(unknown.is_err());
}

#[test]
fn accounts_are_read_through_pointers() {
    let c = example();
    let pointers = &c.definition.whoami.account;
    let a = account_at(
        &serde_json::json!({"id": 42, "name": null, "login": "octo"}),
        pointers,
    )
    .unwrap();
    assert_eq!(
        (a.id.as_str(), a.name.as_str(), a.email),
        ("42", "octo", None)
    );
    assert!(account_at(&serde_json::json!({"name": "x"}), pointers).is_none());
}

#[test]
fn cards_are_checked_against_their_connector() {
    let registry = Registry::new(vec![example()]);
    assert!(registry
        .check_card("example.read", &["read".into()])
        .is_ok());
    assert!(registry
        .check_card("example.read", &["root".into()])
        .is_err());
    assert!(registry
        .check_card("other.read", &[])
        .unwrap_err()
        .contains("install the connector"));
}
