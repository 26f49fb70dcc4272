//! Read User (`github.read-user`): a GitHub user (the connection's own with
//! `me`), and on request the organizations they publicly belong to.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The user's login; omit it or give `me` for the connection's own user.
    username: Option<String>,
    /// Whether to list the organizations the user publicly belongs to.
    #[serde(default)]
    include_organizations: bool,
    /// The most organizations to list, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    max_organizations: Option<u32>,
    /// How many organizations each request asks GitHub for, 1 to 100
    /// (default 100); the card follows the `Link` header's next pages.
    #[schemars(range(min = 1, max = 100))]
    page_size: Option<u32>,
}

/// An organization the user belongs to.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Organization {
    /// The organization's login.
    login: String,
    /// The organization's numeric id.
    id: u64,
    /// The organization's description, or null.
    description: Option<String>,
}

/// The user.
#[derive(Serialize, Deserialize, JsonSchema)]
struct User {
    /// The user's login.
    login: String,
    /// The user's numeric id.
    id: u64,
    /// The user's display name, or null.
    name: Option<String>,
    /// The user's public email, or null: GitHub shows only an email the user made public.
    email: Option<String>,
    /// The user's company, or null.
    company: Option<String>,
    /// The user's location, or null.
    location: Option<String>,
    /// The user's profile page.
    html_url: String,
    /// `User`, `Organization` or `Bot`.
    #[serde(rename = "type")]
    kind: String,
    /// When the account was created (ISO 8601).
    created_at: String,
    /// The organizations the user publicly belongs to (with `include_organizations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organizations: Option<Vec<Organization>>,
    /// Whether the user belongs to more organizations than listed (with `include_organizations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organizations_truncated: Option<bool>,
}

struct ReadUser;

impl Card for ReadUser {
    type Input = Input;
    type Output = User;
    const ID: &'static str = "github.read-user";
    const NAME: &'static str = "Read User";
    const DESCRIPTION: &'static str =
        "Reads a GitHub user by login, or the connection's own with `me`, optionally with their public organizations.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["read:user"];

    fn run(input: Input, ctx: &Context) -> Result<User, CardError> {
        let max = input.max_organizations.unwrap_or(100);
        if !(1..=1000).contains(&max) {
            let why = "`max_organizations` must be between 1 and 1000";
            return Err(CardError::invalid_input("max_organizations", why));
        }
        let page_size = input.page_size.unwrap_or(100);
        if !(1..=100).contains(&page_size) {
            let why = "`page_size` must be between 1 and 100";
            return Err(CardError::invalid_input("page_size", why));
        }
        let gh = GitHub::new(ctx);
        let mut user: User = match input.username.as_deref().map(str::trim) {
            None | Some("me") => gh.get("/user", &[])?,
            Some(name) => {
                let login = github::login("username", name)?;
                let missing = format!("GitHub has no user `{login}`");
                let path = format!("/users/{login}");
                gh.get(&path, &[])
                    .map_err(|e| e.explain(404, Some("username"), missing))?
            }
        };
        if input.include_organizations {
            let path = format!("/users/{}/orgs", github::path_segment(&user.login));
            let (orgs, truncated) =
                gh.get_at_most_by(&path, &[], max as usize, page_size as usize)?;
            (user.organizations, user.organizations_truncated) = (Some(orgs), Some(truncated));
        }
        Ok(user)
    }
}

export_card!(ReadUser);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
