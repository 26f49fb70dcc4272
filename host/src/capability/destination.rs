//! Where a card's request may go: resolves a path or URL against the
//! connector's API base and refuses anything outside its allowed hosts.

use crate::connectors::{is_loopback_host, Connector};
use url::Url;

/// Resolve what the card asked for into the URL the host will call.
///
/// A path starting with `/` is joined to the API base and may not leave it
/// (no `..`, `.`, `//` or backslash, also when percent-encoded, once or
/// more). A full URL
/// must be https on one of the connector's allowed hosts; plain http is only
/// allowed to the API base's own origin, and only when that is on loopback.
pub fn resolve(
    connector: &Connector,
    target: &str,
    query: &[(String, String)],
) -> Result<Url, String> {
    let mut url = if target.starts_with('/') {
        relative(connector, target)?
    } else {
        Url::parse(target).map_err(|_| format!("{target:?} is neither a path nor a valid URL"))?
    };
    check_allowed(connector, &url)?;
    url.set_fragment(None);
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    Ok(url)
}

fn relative(connector: &Connector, path: &str) -> Result<Url, String> {
    let (path_part, query_part) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    if path_part.starts_with("//") || path_part.contains('\\') {
        return Err(format!("path {path_part:?} is not a plain path"));
    }
    if !plain_segments(path_part) {
        return Err(format!("path {path_part:?} leaves the API base"));
    }
    let mut url = connector
        .api_base
        .join(&path_part[1..])
        .map_err(|_| format!("path {path_part:?} is not valid"))?;
    url.set_query(query_part);
    if !url.path().starts_with(connector.api_base.path()) || !plain_segments(url.path()) {
        return Err(format!("path {path_part:?} leaves the API base"));
    }
    Ok(url)
}

fn check_allowed(connector: &Connector, url: &Url) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URLs with credentials in them are not allowed".into());
    }
    let host = url
        .host_str()
        .ok_or_else(|| format!("{} has no host", url.scheme()))?;
    let base = &connector.api_base;
    let same_origin = base.host_str() == Some(host)
        && base.port_or_known_default() == url.port_or_known_default();
    match url.scheme() {
        "https" => {}
        "http" if connector.is_loopback() && is_loopback_host(url) && same_origin => {}
        "http" => return Err(format!("plain http to {host} is not allowed; use https")),
        other => return Err(format!("the {other} scheme is not allowed")),
    }
    let allowed_host = connector
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
        && (same_origin || url.port_or_known_default() == Some(443));
    if same_origin || allowed_host {
        Ok(())
    } else {
        Err(format!(
            "{host} is not one of the hosts the {} connector may reach",
            connector.name
        ))
    }
}

/// Whether no segment of `path`, however often decoded, is `.` or `..` or
/// hides a slash or a backslash.
fn plain_segments(path: &str) -> bool {
    path.split('/').all(|segment| {
        let decoded = fully_decoded(segment);
        decoded != ".." && decoded != "." && !decoded.contains(['/', '\\'])
    })
}

/// A segment percent-decoded until it no longer changes (at most three
/// times), so that a double-encoded `..` (`%252e%252e`) is seen for what a
/// server that decodes twice would make of it.
fn fully_decoded(segment: &str) -> String {
    let mut decoded = segment.to_string();
    for _ in 0..3 {
        let next = percent_decode(&decoded);
        if next == decoded {
            break;
        }
        decoded = next;
    }
    decoded
}

fn percent_decode(segment: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::tests::{example, example_at};

    fn loopback() -> Connector {
        example_at("http://127.0.0.1:7080/v1")
    }

    #[test]
    fn relative_paths_join_the_base() {
        let url = resolve(&example(), "/users/me", &[("fields".into(), "name".into())]).unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.example.com/v1/users/me?fields=name"
        );
    }

    #[test]
    fn paths_cannot_escape_the_base() {
        for bad in [
            "/../secret",
            "/users/../../x",
            "/%2e%2e/x",
            "/%2E%2e/x",
            "//evil.com/x",
            "/a\\b",
            "/users/%2f..%2fx",
            "/%252e%252e/x",
            "/%25252E%25252e/x",
        ] {
            assert!(resolve(&example(), bad, &[]).is_err(), "{bad} was allowed");
        }
    }

    #[test]
    fn foreign_hosts_and_schemes_are_refused() {
        for bad in [
            "https://example.org/",
            "http://api.example.com/v1/users/me",
            "https://api.example.com.evil.com/x",
            "https://user:pw@api.example.com/x",
            "file:///etc/passwd",
            "http://169.254.169.254/",
            "https://api.example.com:8443/x",
        ] {
            assert!(resolve(&example(), bad, &[]).is_err(), "{bad} was allowed");
        }
        assert!(resolve(&example(), "https://api.example.com/v1/admin/users", &[]).is_ok());
    }

    #[test]
    fn loopback_http_only_when_the_base_is_loopback() {
        assert!(resolve(&loopback(), "/users/me", &[]).is_ok());
        assert!(resolve(&loopback(), "http://127.0.0.1:7080/v1/users/me", &[]).is_ok());
        assert!(resolve(&loopback(), "http://127.0.0.1:9999/other", &[]).is_err());
        // Port 443 is allowed for a listed host over https only.
        assert!(resolve(&loopback(), "http://127.0.0.1:443/", &[]).is_err());
        assert!(resolve(&loopback(), "http://10.0.0.1/", &[]).is_err());
        assert!(resolve(&example(), "http://127.0.0.1:7080/v1/users/me", &[]).is_err());
    }

    /// Destination resolution never lets a request escape: whatever a card
    /// writes (userinfo tricks, IP literals, encoded and uppercase hosts,
    /// trailing dots, ports, schemes, `..` and its encodings, backslashes),
    /// an accepted URL is https (http only to the loopback base) on an
    /// allowed host and port, carries no credentials, and a path a card gave
    /// as relative stays under the API base, even percent-decoded.
    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Each case tries a target as written and rooted with `/`.
        const CASES: u32 = 100_000;

        fn piece() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec![
                "",
                "/",
                "//",
                "\\",
                "..",
                ".",
                "%2e",
                "%2E",
                "%2e%2e",
                "%2E%2e",
                ".%2e",
                "%2f",
                "%2F",
                "%5c",
                "%5C",
                "%252e%252e",
                "%00",
                "%",
                "users",
                "me",
                "v1",
                "v2",
                "?",
                "#",
                "@",
                ":",
                ";",
                "api.example.com",
                "API.EXAMPLE.COM",
                "api.example.com.",
                "files.example.com",
                "api.example.com.evil.com",
                "evil.com",
                "example.org",
                "127.0.0.1",
                "127.0.0.1:7080",
                "[::1]",
                "0x7f.1",
                "2130706433",
                "169.254.169.254",
                "localhost",
                "xn--pple-43d.com",
                "\u{0430}pi.example.com",
                "api%2eexample%2ecom",
                ":443",
                ":8443",
                ":80",
                ":7080",
                "user:pw@",
                "api.example.com@",
                "@evil.com",
                "https:",
                "http:",
                "file:",
                "javascript:",
                "https://",
                "http://",
                "HTTPS://",
                "\t",
                " ",
                "\n",
                "\u{ff0e}",
                "..;",
                "/..",
                "/./",
                "/%2e%2e/",
            ])
        }

        fn target() -> impl Strategy<Value = String> {
            prop::collection::vec(piece(), 1..10).prop_map(|parts| parts.concat())
        }

        /// Why an accepted URL escaped, if it did.
        fn escape(connector: &Connector, url: &Url, target: &str) -> Option<String> {
            let host = url.host_str().unwrap_or_default();
            if !url.username().is_empty() || url.password().is_some() {
                return Some("credentials".into());
            }
            let base = &connector.api_base;
            let same_origin = base.host_str() == Some(host)
                && base.port_or_known_default() == url.port_or_known_default();
            let listed = connector.allowed_hosts.iter().any(|h| h == host)
                && url.port_or_known_default() == Some(443);
            if !(same_origin || listed) {
                return Some(format!(
                    "host {host} port {:?}",
                    url.port_or_known_default()
                ));
            }
            match url.scheme() {
                "https" => {}
                "http" if connector.is_loopback() && same_origin => {}
                other => return Some(format!("scheme {other}")),
            }
            if target.starts_with('/') {
                if !url.path().starts_with(base.path()) {
                    return Some(format!("path {} outside the base", url.path()));
                }
                for segment in url.path().split('/') {
                    let mut decoded = segment.to_string();
                    for _ in 0..3 {
                        decoded = percent_decode(&decoded);
                    }
                    if decoded == ".." || decoded == "." || decoded.contains(['/', '\\']) {
                        return Some(format!("segment {segment:?} of {}", url.path()));
                    }
                }
            }
            None
        }

        fn check(connector: &Connector, target: &str) -> Result<(), TestCaseError> {
            if let Ok(url) = resolve(connector, target, &[]) {
                if let Some(why) = escape(connector, &url, target) {
                    return Err(TestCaseError::fail(format!(
                        "{target:?} escaped to {url}: {why}"
                    )));
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: CASES,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            #[test]
            fn no_target_escapes(target in target(), loopback_base in any::<bool>()) {
                let connector = if loopback_base { loopback() } else { example() };
                check(&connector, &target)?;
                check(&connector, &format!("/{target}"))?;
            }
        }
    }
}
