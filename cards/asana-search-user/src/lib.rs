//! Search User (`asana.search-user`): finds Asana users by name (typeahead)
//! or by exact email, with their secondary emails (from SCIM) when the
//! connection has a service account token.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// A name (or part of one), or an email address for an exact lookup.
    #[schemars(length(min = 1))]
    query: String,
    /// The gid of the workspace to search; defaults to the connection's
    /// default workspace.
    #[serde(default)]
    workspace: Option<String>,
    /// The most users to return, 1 to 100.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 100))]
    limit: u32,
}

fn default_limit() -> u32 {
    20
}

/// A user found.
#[derive(Serialize, Deserialize, JsonSchema)]
struct FoundUser {
    /// The user's gid.
    gid: String,
    /// The user's name.
    name: Option<String>,
    /// The user's (primary) email.
    email: Option<String>,
    /// The user's secondary emails, read with SCIM. Present only when the
    /// connection has a service account token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secondary_emails: Option<Vec<String>>,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The users found, best match first.
    users: Vec<FoundUser>,
    /// How many users were found.
    count: usize,
}

struct SearchUser;

impl Card for SearchUser {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.search-user";
    const NAME: &'static str = "Search User";
    const DESCRIPTION: &'static str =
        "Finds Asana users in a workspace by name, or by exact email.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["default"];
    const USES_SERVICE_ACCOUNT: bool = true;

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let query = input.query.trim();
        if query.is_empty() {
            return Err(CardError::invalid_input(
                "query",
                "`query` must not be empty",
            ));
        }
        if !(1..=100).contains(&input.limit) {
            return Err(CardError::invalid_input(
                "limit",
                "`limit` must be between 1 and 100",
            ));
        }
        let workspace = input
            .workspace
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty());
        let Some(workspace) = workspace.or(ctx.default_workspace()) else {
            return Err(CardError::invalid_input(
                "workspace",
                "give a `workspace`: the connection has no default workspace",
            ));
        };
        let asana = Asana::new(ctx);
        let mut users: Vec<FoundUser> = if asana::looks_like_email(query) {
            let path = format!("/users/{}", asana::path_segment("query", query)?);
            match asana.get(&path, &[("opt_fields", "name,email")]) {
                Ok(user) => vec![user],
                Err(e) if e.is_not_found() => Vec::new(),
                Err(e) => return Err(e.into()),
            }
        } else {
            let path = format!(
                "/workspaces/{}/typeahead",
                asana::path_segment("workspace", workspace)?
            );
            let count = input.limit.to_string();
            let params = [
                ("resource_type", "user"),
                ("query", query),
                ("count", count.as_str()),
                ("opt_fields", "name,email"),
            ];
            asana.get(&path, &params)?
        };
        users.truncate(input.limit as usize);
        if ctx.has_service_account() {
            for user in &mut users {
                user.secondary_emails = Some(match &user.email {
                    Some(email) => asana.secondary_emails(email)?,
                    None => Vec::new(),
                });
            }
        }
        Ok(Output {
            count: users.len(),
            users,
        })
    }
}

export_card!(SearchUser);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
