//! Create Project (`asana.create-project`): creates an Asana project in a
//! workspace or organization (`POST /projects`), shared with a team, which an
//! organization requires. Colors, views, privacy and dates are checked before
//! any call.

use cardhost_sdk::asana::{Project, ProjectColor, PROJECT_FIELDS};
use cardhost_sdk::prelude::*;

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The project's name.
    #[schemars(length(min = 1))]
    name: String,
    /// The gid of the workspace or organization to create the project in;
    /// defaults to the connection's default workspace.
    workspace: Option<String>,
    /// The gid of the team to share the project with. Asana requires one in
    /// an organization; a plain workspace has no teams.
    team: Option<String>,
    /// The description, as plain text.
    notes: Option<String>,
    /// The project's color: one of Asana's eighteen (`dark-pink` …
    /// `light-warm-gray`) or `none`.
    color: Option<ProjectColor>,
    /// The view the project opens in.
    default_view: Option<View>,
    /// The due date, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    due_on: Option<String>,
    /// The start date, `YYYY-MM-DD`: needs `due_on`, and must be before it.
    #[schemars(extend("format" = "date"))]
    start_on: Option<String>,
    /// Who can see the project. Asana's older boolean `public` is deprecated
    /// in favor of this, and so is `private_to_team` (share with a team
    /// through a membership instead); an organization's admins may restrict
    /// the values.
    privacy_setting: Option<Privacy>,
}

/// The views a project opens in.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum View {
    List,
    Board,
    Calendar,
    Timeline,
}

/// Who can see a project: the workspace, the team, or its members only.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Privacy {
    PublicToWorkspace,
    PrivateToTeam,
    Private,
}

struct CreateProject;

impl Card for CreateProject {
    type Input = Input;
    type Output = Project;
    const ID: &'static str = "asana.create-project";
    const NAME: &'static str = "Create Project";
    const DESCRIPTION: &'static str =
        "Creates an Asana project in a workspace or organization, shared with a team, with notes, \
         color, default view, privacy and dates.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["projects:write"];

    fn run(mut input: Input, ctx: &Context) -> Result<Project, CardError> {
        input.name = input.name.trim().to_string();
        if input.name.is_empty() {
            return Err(CardError::invalid_input("name", "`name` must not be empty"));
        }
        let workspace = asana::workspace_or_default(ctx, input.workspace.as_deref())?;
        input.workspace = Some(workspace.to_string());
        input.team = asana::trimmed(input.team.as_deref()).map(String::from);
        asana::check_start_and_due(input.start_on.as_deref(), input.due_on.as_deref())?;
        let mut body = serde_json::to_value(&input)?;
        if let Value::Object(fields) = &mut body {
            fields.retain(|_, value| !value.is_null());
        }
        Ok(Asana::new(ctx).post_with_query(
            "/projects",
            &[("opt_fields", PROJECT_FIELDS)],
            &body,
        )?)
    }
}

export_card!(CreateProject);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
