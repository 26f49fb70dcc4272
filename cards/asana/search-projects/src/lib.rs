//! Search Projects (`asana.search-projects`): the projects of a workspace,
//! or of one of its teams, whose name contains some text.
//!
//! It lists the projects (`GET /projects?workspace=`, or
//! `GET /teams/{team_gid}/projects` for a team: `GET /projects`'s own `team`
//! filter is deprecated) page by page and keeps those whose name contains the
//! text, ignoring case. The typeahead (`resource_type=project`) would be one
//! call, but it returns one page of at most 100 projects ranked by how
//! recently the user visited them, matches in a way Asana does not document,
//! and filters on neither team nor archived; Asana's project search
//! (`/workspaces/{workspace_gid}/projects/search`) is for premium workspaces
//! only and cannot be paged.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// Text the project's name must contain (ignoring case).
    #[schemars(length(min = 1))]
    query: String,
    /// The gid of the workspace or organization to search; defaults to the
    /// connection's default workspace. Ignored when `team` is given.
    workspace: Option<String>,
    /// The gid of a team: only the team's projects are searched.
    team: Option<String>,
    /// `false` for active projects only, `true` for archived ones only;
    /// both when not given.
    archived: Option<bool>,
    /// The most projects to return, 1 to 1000.
    #[serde(default = "asana::default_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: u32,
    /// How many projects to ask Asana for per page, 1 to 100.
    #[serde(default = "asana::default_page_size")]
    #[schemars(range(min = 1, max = 100))]
    page_size: u32,
    /// The most pages to read, 1 to 100.
    #[serde(default = "asana::default_max_pages")]
    #[schemars(range(min = 1, max = 100))]
    max_pages: u32,
}

/// A project found.
#[derive(Serialize, Deserialize, JsonSchema)]
struct FoundProject {
    /// The project's gid.
    gid: String,
    /// The project's name.
    name: Option<String>,
    /// Whether the project is archived.
    archived: Option<bool>,
    /// The project's URL in Asana.
    permalink_url: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The projects whose name contains `query`, in Asana's order.
    projects: Vec<FoundProject>,
    /// Whether there may be more: Asana had pages left unread (past
    /// `max_pages`), or more matches than `limit`.
    more: bool,
}

struct SearchProjects;

impl Card for SearchProjects {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.search-projects";
    const NAME: &'static str = "Search Projects";
    const DESCRIPTION: &'static str =
        "Finds the Asana projects of a workspace, or of a team, whose name contains some text.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["projects:read"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let needle = input.query.trim().to_lowercase();
        if needle.is_empty() {
            return Err(CardError::invalid_input(
                "query",
                "`query` must not be empty",
            ));
        }
        let paging = asana::check_paging(input.limit, input.page_size, input.max_pages)?;
        let archived = input.archived.map(|a| a.to_string());
        let mut query = vec![("opt_fields", "name,archived,permalink_url")];
        query.extend(archived.as_deref().map(|a| ("archived", a)));
        let (path, field) = match asana::trimmed(input.team.as_deref()) {
            Some(team) => (
                format!("/teams/{}/projects", asana::path_segment("team", team)?),
                "team",
            ),
            None => {
                query.push((
                    "workspace",
                    asana::workspace_or_default(ctx, input.workspace.as_deref())?,
                ));
                ("/projects".to_string(), "workspace")
            }
        };
        let named = |p: &FoundProject| {
            p.name
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&needle))
        };
        let (projects, more) = Asana::new(ctx)
            .get_all_where(&path, &query, paging, named)
            .map_err(|e| e.naming(field))?;
        Ok(Output { projects, more })
    }
}

export_card!(SearchProjects);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
