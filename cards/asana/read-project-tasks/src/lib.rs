//! Read Project Tasks (`asana.read-project-tasks`): the tasks of an Asana
//! project (`GET /projects/{project_gid}/tasks`) in the project's order,
//! page by page, optionally leaving out tasks completed before a time.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The project's gid.
    #[schemars(length(min = 1))]
    project: String,
    /// Only tasks that are incomplete or were completed since this time: an
    /// RFC 3339 date-time (`2027-01-01T00:00:00Z`) or `now` (incomplete
    /// tasks only). All tasks when not given.
    completed_since: Option<String>,
    /// The most tasks to return, 1 to 1000.
    #[serde(default = "asana::default_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: u32,
    /// How many tasks to ask Asana for per page, 1 to 100.
    #[serde(default = "asana::default_page_size")]
    #[schemars(range(min = 1, max = 100))]
    page_size: u32,
    /// The most pages to read, 1 to 100.
    #[serde(default = "asana::default_max_pages")]
    #[schemars(range(min = 1, max = 100))]
    max_pages: u32,
}

/// A task of the project.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Task {
    /// The task's gid.
    gid: String,
    /// The task's name.
    name: Option<String>,
    /// `default_task`, `milestone`, `approval` or `custom`.
    resource_subtype: Option<String>,
    /// Whether the task is completed.
    completed: Option<bool>,
    /// When the task was completed, or null.
    completed_at: Option<String>,
    /// Who the task is assigned to, or null.
    assignee: Option<Compact>,
    /// The due date, `YYYY-MM-DD`, or null.
    due_on: Option<String>,
    /// The due date and time, or null.
    due_at: Option<String>,
    /// The task's URL in Asana.
    permalink_url: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The project's tasks, in the project's order.
    tasks: Vec<Task>,
    /// Whether Asana had more tasks than were read (past `limit` or
    /// `max_pages`).
    more: bool,
}

const TASK_FIELDS: &str =
    "name,resource_subtype,completed,completed_at,assignee.name,due_on,due_at,permalink_url";

struct ReadProjectTasks;

impl Card for ReadProjectTasks {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.read-project-tasks";
    const NAME: &'static str = "Read Project Tasks";
    const DESCRIPTION: &'static str =
        "Lists the tasks of an Asana project, optionally only those incomplete or completed \
         since a time.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["tasks:read"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let path = format!(
            "/projects/{}/tasks",
            asana::path_segment("project", &input.project)?
        );
        let (limit, page_size, max_pages) =
            asana::check_paging(input.limit, input.page_size, input.max_pages)?;
        let mut query = vec![("opt_fields", TASK_FIELDS)];
        if let Some(since) = input.completed_since.as_deref().map(str::trim) {
            if since != "now" && !asana::is_date_time(since) {
                return Err(CardError::invalid_input(
                    "completed_since",
                    "`completed_since` must be `now` or an RFC 3339 date-time such as \
                     2027-01-01T00:00:00Z",
                ));
            }
            query.push(("completed_since", since));
        }
        let (tasks, more) = Asana::new(ctx)
            .get_all_by(&path, &query, limit, page_size, max_pages)
            .map_err(|e| e.naming("project"))?;
        Ok(Output { tasks, more })
    }
}

export_card!(ReadProjectTasks);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
