//! Update Project (`asana.update-project`): changes an Asana project
//! (`PUT /projects/{project_gid}`): only the fields given are sent, so the
//! others keep their values.

use cardhost_sdk::asana::{Project, ProjectColor, PROJECT_FIELDS};
use cardhost_sdk::prelude::*;

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the project to change.
    #[schemars(length(min = 1))]
    #[serde(skip_serializing)]
    project: String,
    /// The new name.
    name: Option<String>,
    /// The new description, as plain text.
    notes: Option<String>,
    /// The new color: one of Asana's eighteen (`dark-pink` …
    /// `light-warm-gray`) or `none`.
    color: Option<ProjectColor>,
    /// `true` to archive the project, `false` to bring it back.
    archived: Option<bool>,
    /// The new due date, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    due_on: Option<String>,
    /// The new start date, `YYYY-MM-DD`: Asana takes it only with `due_on`
    /// in the same change, and it must be before it.
    #[schemars(extend("format" = "date"))]
    start_on: Option<String>,
    /// The gid of the user who becomes the project's owner.
    owner: Option<String>,
}

struct UpdateProject;

impl Card for UpdateProject {
    type Input = Input;
    type Output = Project;
    const ID: &'static str = "asana.update-project";
    const NAME: &'static str = "Update Project";
    const DESCRIPTION: &'static str =
        "Changes an Asana project's name, notes, color, archived state, dates or owner; the \
         fields not given keep their values.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["projects:write"];

    fn run(mut input: Input, ctx: &Context) -> Result<Project, CardError> {
        let path = format!(
            "/projects/{}",
            asana::path_segment("project", &input.project)?
        );
        for (field, value) in [("name", &mut input.name), ("owner", &mut input.owner)] {
            if let Some(v) = value {
                *v = v.trim().to_string();
                if v.is_empty() {
                    return Err(CardError::invalid_input(
                        field,
                        format!("`{field}` must not be empty when given"),
                    ));
                }
            }
        }
        asana::check_start_and_due(input.start_on.as_deref(), input.due_on.as_deref())?;
        let mut changes = serde_json::to_value(&input)?;
        if let Value::Object(fields) = &mut changes {
            fields.retain(|_, value| !value.is_null());
            if fields.is_empty() {
                return Err(CardError::invalid_input(
                    "project",
                    "nothing to change: give at least one of name, notes, color, archived, \
                     due_on, start_on and owner",
                ));
            }
        }
        Asana::new(ctx)
            .put_with_query(&path, &[("opt_fields", PROJECT_FIELDS)], &changes)
            .map_err(|e| e.naming_any(&["project", "owner"]))
    }
}

export_card!(UpdateProject);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
