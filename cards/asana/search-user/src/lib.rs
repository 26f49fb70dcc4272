//! Search User (`asana.search-user`): finds Asana users of one workspace by
//! name (typeahead, then each match's email) or by exact email, with their
//! secondary emails (from SCIM) when the connection has a service account
//! token.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// A name (or part of one), or an email address for an exact lookup.
    #[schemars(length(min = 1))]
    query: String,
    /// The gid of the workspace to search; defaults to the connection's
    /// default workspace. Users outside it are not found.
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

/// The user fields read for each user found.
const USER_FIELDS: &str = "name,email";

struct SearchUser;

impl Card for SearchUser {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.search-user";
    const NAME: &'static str = "Search User";
    const DESCRIPTION: &'static str =
        "Finds Asana users in a workspace by name, or by exact email, with their emails.";
    const VERSION: &'static str = "1.1.0";
    const SCOPES: &'static [&'static str] = &["users:read", "workspaces.typeahead:read"];
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
        let workspace = asana::path_segment("workspace", workspace)?;
        let asana = Asana::new(ctx);
        let mut users = if asana::looks_like_email(query) {
            by_email(&asana, &workspace, query)?
        } else {
            by_name(&asana, &workspace, query, input.limit)?
        };
        users.truncate(input.limit as usize);
        if ctx.has_service_account() {
            add_secondary_emails(&asana, &mut users)?;
        }
        Ok(Output {
            count: users.len(),
            users,
        })
    }
}

/// The member of `workspace` whose email is `email`: nobody when Asana
/// answers 404 (no such user, or not in that workspace).
fn by_email(asana: &Asana, workspace: &str, email: &str) -> Result<Vec<FoundUser>, CardError> {
    let path = format!(
        "/workspaces/{workspace}/users/{}",
        asana::path_segment("query", email)?
    );
    match asana.get(&path, &[("opt_fields", USER_FIELDS)]) {
        Ok(user) => Ok(vec![user]),
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The typeahead's matches for `name` in `workspace` (compact: gid and name),
/// then each match's email from `GET /users/{gid}`, read at once. A match
/// Asana no longer finds (404) is left out.
fn by_name(
    asana: &Asana,
    workspace: &str,
    name: &str,
    limit: u32,
) -> Result<Vec<FoundUser>, CardError> {
    let count = limit.to_string();
    let matches: Vec<Compact> = asana.get(
        &format!("/workspaces/{workspace}/typeahead"),
        &[
            ("resource_type", "user"),
            ("query", name),
            ("count", count.as_str()),
            ("opt_fields", "name"),
        ],
    )?;
    let paths = matches
        .iter()
        .map(|m| Ok(format!("/users/{}", asana::path_segment("gid", &m.gid)?)))
        .collect::<Result<Vec<String>, CardError>>()
        .map_err(|_| {
            CardError::provider("Asana's typeahead answered a user gid that is not one")
        })?;
    let mut users = Vec::with_capacity(matches.len());
    for (found, compact) in asana
        .get_each::<FoundUser>(&paths, &[("opt_fields", USER_FIELDS)])
        .into_iter()
        .zip(matches)
    {
        match found {
            Ok(user) => users.push(FoundUser {
                name: user.name.or(compact.name),
                ..user
            }),
            Err(e) if e.is_not_found() => {
                asana.context().warn(format!(
                    "user {} matched but is gone: left out",
                    compact.gid
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(users)
}

/// Each user's secondary emails, read with SCIM at once; a user without a
/// visible email has none.
fn add_secondary_emails(asana: &Asana, users: &mut [FoundUser]) -> Result<(), CardError> {
    let emails: Vec<&str> = users.iter().filter_map(|u| u.email.as_deref()).collect();
    let mut secondary = asana.secondary_emails_each(&emails)?.into_iter();
    for user in users.iter_mut() {
        user.secondary_emails = Some(match user.email {
            Some(_) => secondary.next().unwrap_or_default(),
            None => Vec::new(),
        });
    }
    Ok(())
}

export_card!(SearchUser);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
