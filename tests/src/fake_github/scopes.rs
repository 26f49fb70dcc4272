//! OAuth scopes as GitHub documents them ("Scopes for OAuth apps"): the
//! known scopes, which scope includes which, and the normalization GitHub
//! applies to a requested list ("requesting `user,gist,user:email` will
//! result in a token with `user` and `gist` scopes only").

/// Scopes included in another: `(scope, the scope that includes it)`.
const PARENTS: &[(&str, &str)] = &[
    ("repo:status", "repo"),
    ("repo_deployment", "repo"),
    ("public_repo", "repo"),
    ("repo:invite", "repo"),
    ("security_events", "repo"),
    ("write:repo_hook", "admin:repo_hook"),
    ("read:repo_hook", "write:repo_hook"),
    ("write:org", "admin:org"),
    ("read:org", "write:org"),
    ("write:public_key", "admin:public_key"),
    ("read:public_key", "write:public_key"),
    ("read:user", "user"),
    ("user:email", "user"),
    ("user:follow", "user"),
    ("read:project", "project"),
    ("write:gpg_key", "admin:gpg_key"),
    ("read:gpg_key", "write:gpg_key"),
    ("manage_runners:enterprise", "admin:enterprise"),
    ("manage_billing:enterprise", "admin:enterprise"),
    ("read:enterprise", "admin:enterprise"),
];

/// Scopes no other scope includes.
const ROOTS: &[&str] = &[
    "repo",
    "admin:repo_hook",
    "admin:org",
    "admin:public_key",
    "admin:org_hook",
    "gist",
    "notifications",
    "user",
    "project",
    "delete_repo",
    "write:packages",
    "read:packages",
    "delete:packages",
    "admin:gpg_key",
    "codespace",
    "workflow",
    "admin:enterprise",
    "read:audit_log",
    // GitHub Enterprise Server only, which is the layout this fake mimics.
    "site_admin",
];

/// Whether GitHub knows this scope.
pub fn is_known(scope: &str) -> bool {
    ROOTS.contains(&scope) || PARENTS.iter().any(|(s, _)| *s == scope)
}

/// The scope that directly includes `scope`, if any.
fn parent(scope: &str) -> Option<&'static str> {
    PARENTS.iter().find(|(s, _)| *s == scope).map(|(_, p)| *p)
}

/// Whether a token with `granted` scopes has `scope` (itself or a scope
/// that includes it).
pub fn grants(granted: &[String], scope: &str) -> bool {
    let mut current = Some(scope);
    while let Some(s) = current {
        if granted.iter().any(|g| g == s) {
            return true;
        }
        current = parent(s);
    }
    false
}

/// Splits a `scope` parameter. GitHub documents it as space-delimited;
/// commas (which many clients send, and GitHub accepts) separate too.
pub fn parse(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// GitHub's normalized list, in the order asked: duplicates and scopes
/// included in another one of the list are dropped. Unknown scopes are
/// dropped too: GitHub's documentation does not say what happens to them,
/// and GitHub is known not to refuse the request, so the fake ignores them.
pub fn normalize<S: AsRef<str>>(requested: &[S]) -> Vec<String> {
    let known: Vec<String> = requested
        .iter()
        .map(|s| s.as_ref().trim().to_string())
        .filter(|s| is_known(s))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for (i, scope) in known.iter().enumerate() {
        let included_elsewhere = known
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && other != scope && included_in(scope, other));
        if !included_elsewhere && !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    out
}

/// Whether `scope` is strictly included in `other`.
fn included_in(scope: &str, other: &str) -> bool {
    let mut current = parent(scope);
    while let Some(p) = current {
        if p == other {
            return true;
        }
        current = parent(p);
    }
    false
}

/// What the user is asked to grant, for the authorization page.
pub fn description(scope: &str) -> &'static str {
    match scope {
        "repo" => "Full control of public and private repositories",
        "public_repo" => "Access public repositories",
        "repo:status" => "Access commit status",
        "repo_deployment" => "Access deployment status",
        "repo:invite" => "Access repository invitations",
        "security_events" => "Read and write security events",
        "read:org" => "Read org and team membership, read org projects",
        "write:org" => "Read and write org and team membership, read and write org projects",
        "admin:org" => "Full control of orgs and teams, read and write org projects",
        "user" => "Update all user data",
        "read:user" => "Read all user profile data",
        "user:email" => "Access user email addresses (read-only)",
        "user:follow" => "Follow and unfollow users",
        "gist" => "Create gists",
        "notifications" => "Access notifications",
        "workflow" => "Update GitHub Action workflows",
        "delete_repo" => "Delete repositories",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_drops_included_duplicate_and_unknown_scopes() {
        assert_eq!(
            normalize(&["user", "gist", "user:email"]),
            vec!["user", "gist"]
        );
        assert_eq!(
            normalize(&["public_repo", "repo", "bogus", "repo", "read:org"]),
            vec!["repo", "read:org"]
        );
        assert_eq!(normalize(&["read:org", "admin:org"]), vec!["admin:org"]);
        assert!(normalize::<&str>(&[]).is_empty());
    }

    #[test]
    fn included_scopes_are_granted() {
        let granted = vec!["repo".to_string(), "admin:org".to_string()];
        assert!(grants(&granted, "public_repo"));
        assert!(grants(&granted, "read:org"));
        assert!(!grants(&granted, "user"));
        assert_eq!(
            parse("repo, user:email  read:org"),
            vec!["repo", "user:email", "read:org"]
        );
    }
}
