//! Validation of the custom action's `relative_url`: a path that stays below
//! the connector's API base.

/// `Ok` when `url` is a path below the API base: it starts with `/`, has no
/// scheme or host (`//`), no backslash, no query or fragment, no spaces or
/// control characters, and no `.` or `..` segment, even percent-encoded
/// (once or more), nor an encoded `/` or `\`. The error says why, to follow
/// "`relative_url` ".
pub fn check_relative_url(url: &str) -> Result<(), &'static str> {
    if !url.starts_with('/') {
        return Err("must start with `/` (a path below the API base, not a full URL)");
    }
    if url.contains("//") {
        return Err("must not hold `//` (no scheme or host)");
    }
    if url.contains('\\') {
        return Err("must not hold a backslash");
    }
    if url.contains('?') || url.contains('#') {
        return Err("must not hold `?` or `#`: put query parameters in `query`");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not hold spaces or control characters");
    }
    for segment in url.split('/') {
        let decoded = fully_decoded(segment);
        if decoded == "." || decoded == ".." {
            return Err("must not hold `.` or `..` segments (it must stay below the API base)");
        }
        if decoded.contains('/')
            || decoded.contains('\\')
            || decoded.contains('?')
            || decoded.contains('#')
        {
            return Err("must not hold an encoded `/`, `\\`, `?` or `#`");
        }
        if decoded.chars().any(|c| c.is_control()) {
            return Err("must not hold encoded control characters");
        }
    }
    Ok(())
}

/// `segment` percent-decoded until it no longer changes (bounded), so that
/// `%252e%252e` is seen as `..`.
fn fully_decoded(segment: &str) -> String {
    let mut current = segment.to_string();
    for _ in 0..4 {
        let next = percent_decode(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// One round of percent-decoding; malformed escapes are kept as they are.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_api_paths() {
        for good in [
            "/users/me",
            "/tasks",
            "/",
            "/workspaces/123/typeahead",
            "/users/ada@x.io",
            "/a.b/c..d/%41",
            "/scim/Users",
        ] {
            assert_eq!(check_relative_url(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn refuses_what_leaves_the_api_base() {
        for bad in [
            "users/me",
            "https://evil.example/",
            "//evil.example/x",
            "/https://evil.example/",
            "/users\\..\\x",
            "/..",
            "/../oauth_token",
            "/users/../../x",
            "/users/./me",
            "/%2e%2e/x",
            "/%2E%2e/x",
            "/.%2e/x",
            "/%252e%252e/x",
            "/users/%2f%2fevil",
            "/users/%5c",
            "/users/me?opt_fields=name",
            "/users/me#x",
            "/users/ me",
            "/users/%0d%0aX:1",
            "",
        ] {
            assert!(check_relative_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("%41%zz%4"), "A%zz%4");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(fully_decoded("%25252e"), ".");
    }
}
