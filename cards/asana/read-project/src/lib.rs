//! Read Project (`asana.read-project`): one Asana project by gid
//! (`GET /projects/{project_gid}`), with its owner, team, members, latest
//! status update, dates and URL.

use cardhost_sdk::asana::{Project, PROJECT_FIELDS};
use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The project's gid.
    #[schemars(length(min = 1))]
    project: String,
}

struct ReadProject;

impl Card for ReadProject {
    type Input = Input;
    type Output = Project;
    const ID: &'static str = "asana.read-project";
    const NAME: &'static str = "Read Project";
    const DESCRIPTION: &'static str =
        "Reads an Asana project by gid: owner, team, members, latest status update, dates, \
         archived and its URL.";
    const VERSION: &'static str = "1.0.0";
    /// `projects:read` for the project, and `teams:read` because the answer
    /// holds its `team`: Asana's description of this operation lists that
    /// scope for that field.
    const SCOPES: &'static [&'static str] = &["projects:read", "teams:read"];

    fn run(input: Input, ctx: &Context) -> Result<Project, CardError> {
        let path = format!(
            "/projects/{}",
            asana::path_segment("project", &input.project)?
        );
        Asana::new(ctx)
            .get(&path, &[("opt_fields", PROJECT_FIELDS)])
            .map_err(|e| e.naming("project"))
    }
}

export_card!(ReadProject);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
