//! The data every fake GitHub starts with, and the constants tests refer to.
//!
//! Four users: The Octocat ([`OCTOCAT`], signed in on the authorization page
//! by default, with a public email), Mona Lisa ([`MONALISA`]), hubot
//! ([`HUBOT`], no name, in no organization and collaborator nowhere) and
//! Codertocat ([`CODERTOCAT`], read access only).
//!
//! Six organizations: octocat belongs to all of them, publicly to
//! [`OCTOCAT_PUBLIC_ORGS`] and privately to `octo-stealth`, so that listing
//! `/user/orgs` with `per_page=2` spans three pages. [`ORG`] (`octo-org`)
//! defines GitHub's default issue types (Task, Bug, Feature).
//!
//! Four repositories: `octo-org/hello-world` (public; octocat admin, monalisa
//! write, codertocat read; labels bug, documentation and enhancement;
//! milestone 1), `octo-org/secret` (private; octocat admin, monalisa write),
//! `octo-org/no-issues` (public, issues disabled) and `octocat/Spoon-Knife`
//! (public, owned by a user; monalisa write).
//!
//! One OAuth app ([`CLIENT_ID`]), a personal access token (classic) of
//! octocat ([`CLASSIC_TOKEN`]) and a fine-grained one ([`FINE_GRAINED_TOKEN`]).

use super::model::{IssueType, Label, Membership, Milestone, Org, Permission, Repo, Store, User};

/// The Octocat: the signed-in user of the authorization page by default.
pub const OCTOCAT: &str = "octocat";
/// The Octocat's id.
pub const OCTOCAT_ID: u64 = 583231;
/// The Octocat's name.
pub const OCTOCAT_NAME: &str = "The Octocat";
/// The Octocat's public email.
pub const OCTOCAT_EMAIL: &str = "octocat@github.com";
/// Mona Lisa: member of octo-org, write access to hello-world and secret.
pub const MONALISA: &str = "monalisa";
/// Mona Lisa's id.
pub const MONALISA_ID: u64 = 1_000_001;
/// hubot: no name (`"name": null`), in no organization, collaborator nowhere.
pub const HUBOT: &str = "hubot";
/// hubot's id.
pub const HUBOT_ID: u64 = 1_000_002;
/// Codertocat: read access to hello-world (so no push access: labels,
/// assignees, milestone and type are silently dropped from its issues).
pub const CODERTOCAT: &str = "codertocat";
/// Codertocat's id.
pub const CODERTOCAT_ID: u64 = 1_000_003;

/// `octo-org`, owner of the seeded organization repositories.
pub const ORG: &str = "octo-org";
/// `octo-org`'s id.
pub const ORG_ID: u64 = 9_000_001;
/// The organizations octocat belongs to publicly, in listing order.
pub const OCTOCAT_PUBLIC_ORGS: &[&str] = &[
    "octo-org",
    "octo-labs",
    "octo-docs",
    "octo-design",
    "octo-research",
];
/// The organization octocat belongs to privately (listed by `/user/orgs`
/// only).
pub const OCTOCAT_PRIVATE_ORG: &str = "octo-stealth";

/// `octo-org/hello-world`: public, issues enabled.
pub const PUBLIC_REPO: &str = "hello-world";
/// Its id.
pub const PUBLIC_REPO_ID: u64 = 1_296_269;
/// `octo-org/secret`: private.
pub const PRIVATE_REPO: &str = "secret";
/// `octo-org/no-issues`: public, issues disabled (410 on issue creation).
pub const NO_ISSUES_REPO: &str = "no-issues";
/// `octocat/Spoon-Knife`: public, owned by a user (no issue types).
pub const USER_REPO: &str = "Spoon-Knife";
/// The open milestone of hello-world.
pub const MILESTONE_NUMBER: u64 = 1;
/// The labels hello-world starts with.
pub const LABELS: &[&str] = &["bug", "documentation", "enhancement"];
/// The issue types of octo-org.
pub const ISSUE_TYPES: &[&str] = &["Task", "Bug", "Feature"];

/// The seeded OAuth app's client id.
pub const CLIENT_ID: &str = "Ov23liCardhostFake01";
/// The seeded OAuth app's client secret.
pub const CLIENT_SECRET: &str = "5e1f0c7a9b3d2e4f6a8c0b1d3e5f7a9c2b4d6e8f";
/// The seeded OAuth app's name, shown on the authorization page.
pub const CLIENT_NAME: &str = "Cardhost";
/// The seeded OAuth app's callback URL. A loopback callback, so any port
/// of `http://127.0.0.1:<port>/oauth/callback` (and paths below it) match.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/oauth/callback";

/// octocat's personal access token (classic), with [`CLASSIC_TOKEN_SCOPES`].
pub const CLASSIC_TOKEN: &str = "ghp_F4k3Cl4ss1cT0k3n0fTh30ct0c4t00000001";
/// The scopes of [`CLASSIC_TOKEN`].
pub const CLASSIC_TOKEN_SCOPES: &[&str] = &["repo", "read:org", "user"];
/// octocat's fine-grained personal access token: only
/// `octo-org/hello-world`, "Issues" write.
pub const FINE_GRAINED_TOKEN: &str =
    "github_pat_11AAFAKE00000000000000_F4k3F1n3Gr41n3dT0k3nF0rH3ll0W0rld00000000000000000000000000";

fn user(id: u64, login: &str, name: Option<&str>, email: Option<&str>) -> User {
    User {
        id,
        login: login.to_string(),
        name: name.map(String::from),
        company: None,
        blog: String::new(),
        location: None,
        email: email.map(String::from),
        bio: None,
        twitter_username: None,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        site_admin: false,
        created_at: "2015-03-04T10:20:30Z".to_string(),
        updated_at: "2024-06-01T08:00:00Z".to_string(),
    }
}

fn users() -> Vec<User> {
    let octocat = User {
        company: Some("@github".to_string()),
        blog: "https://github.blog".to_string(),
        location: Some("San Francisco".to_string()),
        bio: Some("GitHub's mascot".to_string()),
        twitter_username: Some("github".to_string()),
        public_repos: 8,
        public_gists: 8,
        followers: 9000,
        following: 9,
        created_at: "2011-01-25T18:44:36Z".to_string(),
        ..user(OCTOCAT_ID, OCTOCAT, Some(OCTOCAT_NAME), Some(OCTOCAT_EMAIL))
    };
    let monalisa = User {
        company: Some("Octo Org".to_string()),
        location: Some("Florence".to_string()),
        public_repos: 2,
        followers: 42,
        following: 3,
        ..user(MONALISA_ID, MONALISA, Some("Mona Lisa"), None)
    };
    let hubot = User {
        bio: Some("I am a robot.".to_string()),
        ..user(HUBOT_ID, HUBOT, None, None)
    };
    let codertocat = user(CODERTOCAT_ID, CODERTOCAT, Some("Codertocat"), None);
    vec![octocat, monalisa, hubot, codertocat]
}

fn orgs() -> Vec<Org> {
    let org = |id: u64, login: &str, name: &str, description: &str| Org {
        id,
        login: login.to_string(),
        name: name.to_string(),
        description: Some(description.to_string()),
        issue_types: Vec::new(),
        created_at: "2014-02-10T12:00:00Z".to_string(),
    };
    let mut octo_org = org(ORG_ID, ORG, "Octo Org", "The home of hello-world");
    let types = [
        ("Task", "A specific piece of work", "yellow"),
        ("Bug", "An unexpected problem or behavior", "red"),
        ("Feature", "A request, idea, or new functionality", "blue"),
    ];
    octo_org.issue_types = types
        .iter()
        .enumerate()
        .map(|(i, (name, description, color))| IssueType {
            id: 10_000_001 + i as u64,
            name: name.to_string(),
            description: description.to_string(),
            color: color.to_string(),
        })
        .collect();
    vec![
        octo_org,
        org(9_000_002, "octo-labs", "Octo Labs", "Experiments"),
        org(9_000_003, "octo-docs", "Octo Docs", "Documentation"),
        org(9_000_004, "octo-design", "Octo Design", "Design"),
        org(9_000_005, "octo-research", "Octo Research", "Research"),
        org(
            9_000_006,
            OCTOCAT_PRIVATE_ORG,
            "Octo Stealth",
            "Nothing to see",
        ),
    ]
}

fn memberships() -> Vec<Membership> {
    let member = |org: &str, user: &str, public: bool| Membership {
        org: org.to_string(),
        user: user.to_string(),
        public,
    };
    let mut all: Vec<Membership> = OCTOCAT_PUBLIC_ORGS
        .iter()
        .map(|org| member(org, OCTOCAT, true))
        .collect();
    all.push(member(OCTOCAT_PRIVATE_ORG, OCTOCAT, false));
    all.push(member(ORG, MONALISA, true));
    all.push(member("octo-labs", MONALISA, false));
    all.push(member("octo-docs", CODERTOCAT, true));
    all
}

fn repos() -> Vec<Repo> {
    let repo = |id: u64, owner: &str, name: &str, private: bool| Repo {
        id,
        owner: owner.to_string(),
        name: name.to_string(),
        private,
        has_issues: true,
        collaborators: vec![(OCTOCAT.to_string(), Permission::Admin)],
        labels: Vec::new(),
        milestones: Vec::new(),
        next_issue_number: 1,
        issues: Vec::new(),
    };
    let label = |id: u64, name: &str, color: &str, description: &str| Label {
        id,
        name: name.to_string(),
        color: color.to_string(),
        default: true,
        description: Some(description.to_string()),
    };
    let mut hello = repo(PUBLIC_REPO_ID, ORG, PUBLIC_REPO, false);
    hello
        .collaborators
        .push((MONALISA.to_string(), Permission::Write));
    hello
        .collaborators
        .push((CODERTOCAT.to_string(), Permission::Read));
    hello.labels = vec![
        label(208_045_946, "bug", "d73a4a", "Something isn't working"),
        label(
            208_045_947,
            "documentation",
            "0075ca",
            "Improvements or additions to documentation",
        ),
        label(
            208_045_948,
            "enhancement",
            "a2eeef",
            "New feature or request",
        ),
    ];
    hello.milestones = vec![Milestone {
        id: 1_002_604,
        number: MILESTONE_NUMBER,
        title: "v1.0".to_string(),
        description: Some("Tracking milestone for version 1.0".to_string()),
        creator: OCTOCAT.to_string(),
        created_at: "2020-01-10T10:00:00Z".to_string(),
    }];
    hello.next_issue_number = 1348;
    let mut secret = repo(1_296_270, ORG, PRIVATE_REPO, true);
    secret
        .collaborators
        .push((MONALISA.to_string(), Permission::Write));
    let mut no_issues = repo(1_296_271, ORG, NO_ISSUES_REPO, false);
    no_issues.has_issues = false;
    let mut spoon = repo(1_300_192, OCTOCAT, USER_REPO, false);
    spoon.collaborators = vec![(MONALISA.to_string(), Permission::Write)];
    vec![hello, secret, no_issues, spoon]
}

/// The seeded data.
pub fn store() -> Store {
    Store {
        users: users(),
        orgs: orgs(),
        memberships: memberships(),
        repos: repos(),
        next_id: 2_000_000_001,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_credentials_have_githubs_shapes() {
        assert_eq!(CLASSIC_TOKEN.len(), "ghp_".len() + 36);
        let rest = FINE_GRAINED_TOKEN.strip_prefix("github_pat_").unwrap();
        let (id, secret) = rest.split_once('_').unwrap();
        assert_eq!((id.len(), secret.len()), (22, 59));
        assert_eq!(CLIENT_ID.len(), 20);
        assert_eq!(CLIENT_SECRET.len(), 40);
    }

    #[test]
    fn octocat_is_in_six_organizations_one_of_them_privately() {
        let store = store();
        assert_eq!(store.orgs_of(OCTOCAT, true).len(), 6);
        let public: Vec<&str> = store
            .orgs_of(OCTOCAT, false)
            .iter()
            .map(|o| o.login.as_str())
            .collect();
        assert_eq!(public, OCTOCAT_PUBLIC_ORGS);
        assert!(store.user(HUBOT).unwrap().name.is_none());
    }
}
