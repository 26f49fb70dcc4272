//! Connector definitions: a `connector.toml` (or its JSON form) parsed,
//! checked and resolved as installing one does
//! (`ConnectorDefinition::parse`, `Connector::resolve`), then used the way
//! the host uses a connector: its scopes, its env keys, the account its
//! whoami answer points at, and its whoami path resolved as a card's
//! request would be.
//!
//! A definition the host accepts is stored as JSON and read back at the next
//! start, so its JSON must parse and resolve again to the same definition.
#![no_main]

use cardhost::capability::destination;
use cardhost::connectors::{account_at, Connector, ConnectorDefinition};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(definition) = ConnectorDefinition::parse(text) else {
        return;
    };
    let Ok(connector) = Connector::resolve(definition.clone(), &|_| None, false) else {
        return;
    };
    let stored = serde_json::to_string(&definition).expect("a definition serialises");
    let back = ConnectorDefinition::parse(&stored).unwrap_or_else(|e| {
        panic!("the stored form of an accepted definition does not parse: {e}")
    });
    assert_eq!(back, definition, "the stored form reads back differently");
    if let Err(e) = Connector::resolve(back, &|_| None, false) {
        panic!("the stored form of an accepted definition does not resolve: {e}");
    }

    let scopes = connector.known_scopes.clone();
    let _ = connector.missing_scopes(&scopes, &scopes[..scopes.len() / 2]);
    let _ = connector.missing_scopes(&scopes, &[]);
    let _ = connector.scope_descriptions();
    let _ = connector.scopes_follow_cards();
    for (setting, _) in definition.settings.all() {
        let _ = connector.env_keys(setting);
    }
    let whoami = &definition.whoami;
    let answer = json!({ "data": { "gid": "1", "id": 2, "name": "Ada", "email": "ada@example.com" },
                         "id": 3, "login": "ada", "name": null });
    let _ = account_at(&answer, &whoami.account);
    let query: Vec<(String, String)> = whoami
        .query
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let _ = destination::resolve(&connector, &whoami.path, &query);
});
