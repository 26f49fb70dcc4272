//! List Users (`asana.list-users`): the users of a workspace (or of a team),
//! read page by page from `GET /users`.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the workspace whose users to list; defaults to the
    /// connection's default workspace (not used when only `team` is given).
    #[serde(default)]
    workspace: Option<String>,
    /// The gid of a team: list only its members.
    #[serde(default)]
    team: Option<String>,
    /// The most users to return in all, 1 to 1000.
    #[serde(default = "asana::default_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: u32,
    /// How many users to ask Asana for in each request, 1 to 100.
    #[serde(default = "asana::default_page_size")]
    #[schemars(range(min = 1, max = 100))]
    page_size: u32,
    /// The most requests (pages) to make, 1 to 100.
    #[serde(default = "asana::default_max_pages")]
    #[schemars(range(min = 1, max = 100))]
    max_pages: u32,
}

/// A user listed.
#[derive(Serialize, Deserialize, JsonSchema)]
struct User {
    /// The user's gid.
    gid: String,
    /// The user's name.
    #[serde(default)]
    name: Option<String>,
    /// The user's (primary) email.
    #[serde(default)]
    email: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The users, in Asana's order (by user id).
    users: Vec<User>,
    /// How many users were returned.
    count: usize,
    /// Whether Asana had more users than were read (raise `limit` or
    /// `max_pages` to read them).
    more: bool,
}

struct ListUsers;

impl Card for ListUsers {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.list-users";
    const NAME: &'static str = "List Users";
    const DESCRIPTION: &'static str =
        "Lists the users of an Asana workspace, or the members of a team, with their names and emails.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["users:read"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        asana::check_paging(input.limit, input.page_size, input.max_pages)?;
        let team = asana::non_blank("team", input.team.as_deref())?;
        let team = team.map(|t| asana::path_segment("team", t)).transpose()?;
        let workspace = match (input.workspace.as_deref(), &team) {
            (None, Some(_)) => None,
            (given, _) => Some(asana::workspace_or_default(ctx, given)?),
        };
        let mut query = vec![("opt_fields", "name,email")];
        query.extend(workspace.map(|w| ("workspace", w)));
        query.extend(team.as_deref().map(|t| ("team", t)));
        let (users, more) = Asana::new(ctx)
            .get_all_by(
                "/users",
                &query,
                input.limit as usize,
                input.page_size as usize,
                input.max_pages as usize,
            )
            .map_err(|e| match (&team, e.field.as_deref()) {
                (Some(t), Some("team") | None) => e.or_not_found("team", t),
                _ => e.or_not_found("workspace", workspace.unwrap_or_default()),
            })?;
        Ok(Output {
            count: users.len(),
            users,
            more,
        })
    }
}

export_card!(ListUsers);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
