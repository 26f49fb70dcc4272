//! The fake's data (users, organizations, repositories with their
//! collaborators, labels, milestones and issues, organizations' issue types)
//! and its JSON renderings, in the shapes of GitHub's OpenAPI description
//! (`simple-user`, `public-user`, `private-user`, `organization-simple`,
//! `issue`, `label`, `milestone`, `issue-type`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// A user account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    pub company: Option<String>,
    pub blog: String,
    pub location: Option<String>,
    /// The public email (null when the user keeps it private).
    pub email: Option<String>,
    pub bio: Option<String>,
    pub twitter_username: Option<String>,
    pub public_repos: u64,
    pub public_gists: u64,
    pub followers: u64,
    pub following: u64,
    pub site_admin: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// An organization.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: u64,
    pub login: String,
    pub name: String,
    pub description: Option<String>,
    /// Issue types defined by the organization (GitHub's defaults are Task,
    /// Bug and Feature).
    pub issue_types: Vec<IssueType>,
    pub created_at: String,
}

/// A user's membership of an organization; private ones are listed only to
/// the user.
#[derive(Debug, Clone)]
pub struct Membership {
    pub org: String,
    pub user: String,
    pub public: bool,
}

/// A repository role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

/// A label of a repository.
#[derive(Debug, Clone)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub default: bool,
    pub description: Option<String>,
}

/// A milestone of a repository.
#[derive(Debug, Clone)]
pub struct Milestone {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub description: Option<String>,
    pub creator: String,
    pub created_at: String,
}

/// An issue type of an organization.
#[derive(Debug, Clone)]
pub struct IssueType {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub color: String,
}

/// A repository.
#[derive(Debug, Clone)]
pub struct Repo {
    pub id: u64,
    /// Login of the owning user or organization.
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub has_issues: bool,
    /// Users with a role on the repository (besides a user owner).
    pub collaborators: Vec<(String, Permission)>,
    pub labels: Vec<Label>,
    pub milestones: Vec<Milestone>,
    pub next_issue_number: u64,
    /// Issues created through the API, as rendered.
    pub issues: Vec<Value>,
}

impl Repo {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// Everything the fake knows.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub users: Vec<User>,
    pub orgs: Vec<Org>,
    pub memberships: Vec<Membership>,
    pub repos: Vec<Repo>,
    /// The next id for a created object (issue, label).
    pub next_id: u64,
}

impl Store {
    /// The user with this login (case-insensitive).
    pub fn user(&self, login: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.login.eq_ignore_ascii_case(login))
    }

    /// The organization with this login (case-insensitive).
    pub fn org(&self, login: &str) -> Option<&Org> {
        self.orgs
            .iter()
            .find(|o| o.login.eq_ignore_ascii_case(login))
    }

    /// The repository `owner/name` (both case-insensitive, as GitHub documents).
    pub fn repo(&self, owner: &str, name: &str) -> Option<&Repo> {
        self.repos
            .iter()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    /// The index of the repository `owner/name`.
    pub fn repo_index(&self, owner: &str, name: &str) -> Option<usize> {
        self.repos
            .iter()
            .position(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    /// The organizations `login` belongs to, in seeding order; private
    /// memberships only with `include_private`.
    pub fn orgs_of(&self, login: &str, include_private: bool) -> Vec<&Org> {
        self.memberships
            .iter()
            .filter(|m| m.user.eq_ignore_ascii_case(login) && (m.public || include_private))
            .filter_map(|m| self.org(&m.org))
            .collect()
    }

    /// Whether `login` is a member of the organization `org`.
    pub fn is_member(&self, login: &str, org: &str) -> bool {
        self.memberships
            .iter()
            .any(|m| m.user.eq_ignore_ascii_case(login) && m.org.eq_ignore_ascii_case(org))
    }

    /// The role `login` has on `repo`: admin on their own repository, their
    /// collaborator role, read on any public repository, none otherwise.
    pub fn permission(&self, login: &str, repo: &Repo) -> Option<Permission> {
        if repo.owner.eq_ignore_ascii_case(login) {
            return Some(Permission::Admin);
        }
        let role = repo
            .collaborators
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(login))
            .map(|(_, p)| *p);
        match role {
            Some(p) => Some(p),
            None if !repo.private => Some(Permission::Read),
            None => None,
        }
    }

    /// Whether `login` can be assigned issues in `repo`: its owner and its
    /// collaborators.
    pub fn assignable(&self, login: &str, repo: &Repo) -> bool {
        repo.owner.eq_ignore_ascii_case(login)
            || repo
                .collaborators
                .iter()
                .any(|(l, _)| l.eq_ignore_ascii_case(login))
    }

    /// A fresh id.
    pub fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

/// A legacy global node ID (`MDQ6VXNlcjU4MzIzMQ==` for user 583231): the
/// base64 of `0<length of type>:<Type><id>`.
pub fn node_id(kind: &str, id: u64) -> String {
    STANDARD.encode(format!("0{}:{kind}{id}", kind.len()))
}

/// Where avatars would be served.
pub fn avatar_url(base: &str, id: u64) -> String {
    format!("{base}/avatars/u/{id}?v=4")
}

/// A `simple-user`.
pub fn simple_user(user: &User, base: &str, api: &str) -> Value {
    account_links(&user.login, user.id, "User", base, api)
}

/// The link fields shared by users and organizations seen as accounts.
fn account_links(login: &str, id: u64, kind: &str, base: &str, api: &str) -> Value {
    let url = format!("{api}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": node_id(if kind == "User" { "User" } else { "Organization" }, id),
        "avatar_url": avatar_url(base, id),
        "gravatar_id": "",
        "url": url,
        "html_url": format!("{base}/{login}"),
        "followers_url": format!("{url}/followers"),
        "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"),
        "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"),
        "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// A `public-user` (`GET /users/{username}`), or with `private` a
/// `private-user` (`GET /user` with the `user` scope).
pub fn full_user(user: &User, base: &str, api: &str, private: bool) -> Value {
    let mut value = simple_user(user, base, api);
    value["site_admin"] = json!(user.site_admin);
    let extra = json!({
        "name": user.name,
        "company": user.company,
        "blog": user.blog,
        "location": user.location,
        "email": user.email,
        "hireable": null,
        "bio": user.bio,
        "twitter_username": user.twitter_username,
        "public_repos": user.public_repos,
        "public_gists": user.public_gists,
        "followers": user.followers,
        "following": user.following,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    });
    merge(&mut value, extra);
    if private {
        merge(
            &mut value,
            json!({
                "private_gists": 0,
                "total_private_repos": 1,
                "owned_private_repos": 0,
                "disk_usage": 1024,
                "collaborators": 0,
                "two_factor_authentication": true,
                "plan": {
                    "name": "free",
                    "space": 976562499,
                    "private_repos": 10000,
                    "collaborators": 0,
                },
            }),
        );
    }
    value
}

/// An organization seen through `GET /users/{username}`: GitHub answers
/// with the account, `type: "Organization"`.
pub fn org_as_account(org: &Org, base: &str, api: &str, public_repos: u64) -> Value {
    let mut value = account_links(&org.login, org.id, "Organization", base, api);
    merge(
        &mut value,
        json!({
            "name": org.name,
            "company": null,
            "blog": "",
            "location": null,
            "email": null,
            "hireable": null,
            "bio": org.description,
            "twitter_username": null,
            "public_repos": public_repos,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": org.created_at,
            "updated_at": org.created_at,
        }),
    );
    value
}

/// An `organization-simple`.
pub fn org_simple(org: &Org, base: &str, api: &str) -> Value {
    let url = format!("{api}/orgs/{}", org.login);
    json!({
        "login": org.login,
        "id": org.id,
        "node_id": node_id("Organization", org.id),
        "url": url,
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events"),
        "hooks_url": format!("{url}/hooks"),
        "issues_url": format!("{url}/issues"),
        "members_url": format!("{url}/members{{/member}}"),
        "public_members_url": format!("{url}/public_members{{/member}}"),
        "avatar_url": avatar_url(base, org.id),
        "description": org.description,
    })
}

/// A `label` of `repo`.
pub fn label(label: &Label, repo: &Repo, api: &str) -> Value {
    let name: String = url::form_urlencoded::byte_serialize(label.name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    json!({
        "id": label.id,
        "node_id": node_id("Label", label.id),
        "url": format!("{api}/repos/{}/labels/{name}", repo.full_name()),
        "name": label.name,
        "color": label.color,
        "default": label.default,
        "description": label.description,
    })
}

/// A `milestone` of `repo` (open, with `open_issues` issues).
pub fn milestone(m: &Milestone, repo: &Repo, creator: Value, base: &str, api: &str) -> Value {
    let url = format!("{api}/repos/{}/milestones/{}", repo.full_name(), m.number);
    json!({
        "url": url,
        "html_url": format!("{base}/{}/milestone/{}", repo.full_name(), m.number),
        "labels_url": format!("{url}/labels"),
        "id": m.id,
        "node_id": node_id("Milestone", m.id),
        "number": m.number,
        "state": "open",
        "title": m.title,
        "description": m.description,
        "creator": creator,
        "open_issues": 0,
        "closed_issues": 0,
        "created_at": m.created_at,
        "updated_at": m.created_at,
        "closed_at": null,
        "due_on": null,
    })
}

/// An `issue-type`.
pub fn issue_type(t: &IssueType, created_at: &str) -> Value {
    json!({
        "id": t.id,
        "node_id": node_id("IssueType", t.id),
        "name": t.name,
        "description": t.description,
        "color": t.color,
        "created_at": created_at,
        "updated_at": created_at,
        "is_enabled": true,
    })
}

/// What an issue is made of, resolved against its repository.
pub struct NewIssue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub user: Value,
    pub labels: Vec<Value>,
    pub assignees: Vec<Value>,
    pub milestone: Option<Value>,
    pub issue_type: Option<Value>,
    pub author_association: &'static str,
    pub created_at: String,
}

/// An `issue` of `repo`, just opened.
pub fn issue(new: NewIssue, repo: &Repo, base: &str, api: &str) -> Value {
    let repo_url = format!("{api}/repos/{}", repo.full_name());
    let url = format!("{repo_url}/issues/{}", new.number);
    json!({
        "url": url,
        "repository_url": repo_url,
        "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"),
        "html_url": format!("{base}/{}/issues/{}", repo.full_name(), new.number),
        "id": new.id,
        "node_id": node_id("Issue", new.id),
        "number": new.number,
        "title": new.title,
        "user": new.user,
        "labels": new.labels,
        "state": "open",
        "locked": false,
        "assignee": new.assignees.first().cloned(),
        "assignees": new.assignees,
        "milestone": new.milestone,
        "comments": 0,
        "created_at": new.created_at,
        "updated_at": new.created_at,
        "closed_at": null,
        "author_association": new.author_association,
        "active_lock_reason": null,
        "body": new.body,
        "closed_by": null,
        "reactions": {
            "url": format!("{url}/reactions"),
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        },
        "timeline_url": format!("{url}/timeline"),
        "performed_via_github_app": null,
        "state_reason": null,
        "type": new.issue_type,
        "sub_issues_summary": { "total": 0, "completed": 0, "percent_completed": 0 },
    })
}

/// Adds the fields of `extra` (an object) to `value` (an object).
fn merge(value: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(source)) = (value, extra) {
        target.extend(source);
    }
}

/// Now, as GitHub writes timestamps (`2011-01-26T19:06:43Z`).
pub fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_are_githubs_legacy_ones() {
        assert_eq!(node_id("User", 583231), "MDQ6VXNlcjU4MzIzMQ==");
        assert_eq!(node_id("Organization", 1), "MDEyOk9yZ2FuaXphdGlvbjE=");
        assert_eq!(node_id("Label", 208045946), "MDU6TGFiZWwyMDgwNDU5NDY=");
    }
}
