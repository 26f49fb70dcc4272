//! Search Teams (`asana.search-teams`): the teams of an organization whose
//! name contains a text, without regard to case.
//!
//! It lists `GET /workspaces/{workspace_gid}/teams` page by page and filters
//! the names itself, rather than asking the typeahead
//! (`/workspaces/{workspace_gid}/typeahead?resource_type=team`): Asana does
//! not document what the typeahead matches (nor whether a match inside a
//! word counts), returns a single page of at most 100 results and needs
//! the `workspaces.typeahead:read` scope, while the listing gives exactly
//! "contains" with `teams:read`, paged. (Asana's description has no
//! `/organizations/{workspace_gid}/teams`: the workspace route is the one
//! it documents for organizations too.)

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// Text the team's name contains, compared without regard to case.
    #[schemars(length(min = 1))]
    query: String,
    /// The gid of the organization whose teams to search; defaults to the
    /// connection's default workspace.
    #[serde(default)]
    workspace: Option<String>,
    /// The most teams to return, 1 to 1000.
    #[serde(default = "asana::default_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: u32,
    /// How many teams to ask Asana for in each request, 1 to 100.
    #[serde(default = "asana::default_page_size")]
    #[schemars(range(min = 1, max = 100))]
    page_size: u32,
    /// The most requests (pages) to make, 1 to 100.
    #[serde(default = "asana::default_max_pages")]
    #[schemars(range(min = 1, max = 100))]
    max_pages: u32,
}

/// A team found.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Team {
    /// The team's gid.
    gid: String,
    /// The team's name.
    #[serde(default)]
    name: Option<String>,
    /// The team's URL in Asana.
    #[serde(default)]
    permalink_url: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The teams whose name contains `query`, in Asana's order.
    teams: Vec<Team>,
    /// How many teams were returned.
    count: usize,
    /// Whether there may be more matches: `limit` was reached, or pages
    /// were left unread after `max_pages`.
    more: bool,
}

struct SearchTeams;

impl Card for SearchTeams {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.search-teams";
    const NAME: &'static str = "Search Teams";
    const DESCRIPTION: &'static str =
        "Finds the teams of an Asana organization whose name contains a text (any case).";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["teams:read"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let query = input.query.trim().to_lowercase();
        if query.is_empty() {
            return Err(CardError::invalid_input(
                "query",
                "`query` must not be empty",
            ));
        }
        asana::check_paging(input.limit, input.page_size, input.max_pages)?;
        let workspace = asana::workspace_or_default(ctx, input.workspace.as_deref())?;
        let matches = |team: &Team| {
            team.name
                .as_deref()
                .is_some_and(|name| name.to_lowercase().contains(&query))
        };
        let (teams, more) = Asana::new(ctx)
            .get_all_where(
                &format!("/workspaces/{workspace}/teams"),
                &[("opt_fields", "name,permalink_url")],
                (
                    input.limit as usize,
                    input.page_size as usize,
                    input.max_pages as usize,
                ),
                matches,
            )
            .map_err(|e| e.or_not_found("workspace", workspace))?;
        Ok(Output {
            count: teams.len(),
            teams,
            more,
        })
    }
}

export_card!(SearchTeams);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
