//! The built-in cards declare the granular Asana scopes their requests need,
//! not Full permissions (`default`), unless an operation they call lists no
//! granular scope (the membership cards: see `asana_projects`): a connection
//! granted only those runs them.

use cardhost_tests::fake_asana::FakeAsana;

use crate::common::Host;

#[tokio::test]
async fn each_card_declares_granular_scopes_from_asanas_catalogue() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let expected: [(&str, &[&str]); 4] = [
        ("asana.read-user", &["users:read"]),
        (
            "asana.search-user",
            &["users:read", "workspaces.typeahead:read"],
        ),
        ("asana.create-task", &["tasks:write"]),
        ("asana.custom-api-action", &[]),
    ];
    for (card, scopes) in expected {
        let (status, body) = host.get(&format!("/cards/{card}")).await;
        assert_eq!(status, 200, "{body}");
        let declared: Vec<&str> = body["scopes"]
            .as_array()
            .unwrap_or_else(|| panic!("{card}: {body}"))
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(declared, scopes, "{card}");
        let asana = host.connector("asana");
        for scope in declared {
            assert_ne!(Some(scope), asana.full_access_scope(), "{card}");
            assert!(
                asana.known_scopes.iter().any(|known| known == scope),
                "{card}: {scope} is not one of Asana's scopes"
            );
        }
    }
}
