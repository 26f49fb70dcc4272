//! Destination resolution (`capability::destination::resolve`): a card's
//! request target resolved against a connector's API base and allowed hosts.
//!
//! Input, one part a line: the API base, the allowed hosts (comma-separated),
//! the card's target, then `key=value` query pairs. The Asana connector's
//! definition is used with that base and those hosts.
//!
//! Besides not panicking, an accepted URL must never escape: no
//! credentials; https, or plain http only to the API base's own origin when
//! that is on loopback; the API base's origin or an allowed host on 443; a
//! path given as relative stays under the base's path on the base's host
//! and has no `.`, `..` or hidden slash in any segment, however often
//! percent-decoded; and its text parses back to the same host.
#![no_main]

use std::sync::OnceLock;

use cardhost::capability::destination::resolve;
use cardhost::connectors::{is_loopback_host, Connector, ConnectorDefinition};
use cardhost::runtime::builtin::BUILTIN_CONNECTORS;
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let parts = cardhost_fuzz::parts(data, 4);
    let (base, hosts, target) = (&parts[0], &parts[1], &parts[2]);
    let query: Vec<(String, String)> = parts[3]
        .lines()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect();
    let Some(connector) = connector(base, hosts) else {
        return;
    };
    if let Ok(url) = resolve(&connector, target, &query) {
        if let Some(why) = escape(&connector, &url, target) {
            panic!(
                "{target:?} on {} escaped to {url}: {why}",
                connector.api_base
            );
        }
    }
});

/// The Asana connector at `base`, allowed `hosts`; `None` when the host
/// refuses that base or those hosts.
fn connector(base: &str, hosts: &str) -> Option<Connector> {
    static ASANA: OnceLock<ConnectorDefinition> = OnceLock::new();
    let mut definition = ASANA
        .get_or_init(|| {
            let asana = BUILTIN_CONNECTORS.iter().find(|c| c.id == "asana");
            ConnectorDefinition::parse(asana.expect("a built-in asana").definition)
                .expect("asana is valid")
        })
        .clone();
    definition.api.allowed_hosts = hosts
        .split(',')
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect();
    let base = base.to_string();
    let lookup = move |k: &str| (k == "ASANA_API_BASE_URL").then(|| base.clone());
    Connector::resolve(definition, &lookup, false).ok()
}

/// Why an accepted URL escaped, if it did.
fn escape(connector: &Connector, url: &Url, target: &str) -> Option<String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Some("credentials in the URL".into());
    }
    let Some(host) = url.host_str() else {
        return Some("no host".into());
    };
    let base = &connector.api_base;
    // Host and port: the scheme is checked on its own below.
    let same_origin = base.host_str() == Some(host)
        && base.port_or_known_default() == url.port_or_known_default();
    let listed = connector
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
        && url.port_or_known_default() == Some(443);
    match url.scheme() {
        "https" if same_origin || listed => {}
        "http" if same_origin && is_loopback_host(base) && is_loopback_host(url) => {}
        other => return Some(format!("scheme {other} to {host}:{:?}", url.port())),
    }
    if target.starts_with('/') {
        if base.host_str() != Some(host) {
            return Some(format!("a relative path went to {host}"));
        }
        if !url.path().starts_with(base.path()) {
            return Some(format!("path {} is outside the base", url.path()));
        }
        for segment in url.path().split('/') {
            let decoded = decoded(segment);
            if decoded == ".." || decoded == "." || decoded.contains(['/', '\\']) {
                return Some(format!("segment {segment:?} of {}", url.path()));
            }
        }
    }
    match Url::parse(url.as_str()) {
        Ok(again) if again.host_str() == Some(host) && again.port() == url.port() => None,
        Ok(again) => Some(format!("reparsed to {again}")),
        Err(e) => Some(format!("does not parse back: {e}")),
    }
}

/// `segment` percent-decoded three times over (what a server that decodes
/// more than once would see).
fn decoded(segment: &str) -> String {
    let mut bytes = segment.as_bytes().to_vec();
    for _ in 0..3 {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        bytes = out;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
