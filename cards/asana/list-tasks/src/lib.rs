//! List Tasks (`asana.list-tasks`): the tasks of a project, of a section, or
//! assigned to a user in a workspace, optionally only the incomplete ones
//! (`completed_since=now`), following Asana's pages.

use cardhost_sdk::asana::TaskSummary;
use cardhost_sdk::dates;
use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of a project: its tasks, in the project's order. Give exactly
    /// one of `project`, `section` and `assignee`.
    project: Option<String>,
    /// The gid of a section: its tasks. Give exactly one of `project`,
    /// `section` and `assignee`.
    section: Option<String>,
    /// A user (gid, email or `me`): the tasks assigned to them in
    /// `workspace`. Give exactly one of `project`, `section` and `assignee`.
    assignee: Option<String>,
    /// The gid of the workspace, with `assignee` only; defaults to the
    /// connection's default workspace.
    workspace: Option<String>,
    /// Only tasks that are incomplete or were completed since this time:
    /// `now` for incomplete tasks only, or an RFC 3339 date-time. Without
    /// it, all tasks.
    completed_since: Option<String>,
    /// The most tasks to return, 1 to 1000.
    #[serde(default = "asana::default_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: u32,
    /// Tasks asked for per request, 1 to 100.
    #[serde(default = "asana::default_page_size")]
    #[schemars(range(min = 1, max = 100))]
    page_size: u32,
    /// The most requests (pages) to make, 1 to 100.
    #[serde(default = "asana::default_max_pages")]
    #[schemars(range(min = 1, max = 100))]
    max_pages: u32,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The tasks, in Asana's order (`tasks[0].gid` is the first one's gid).
    tasks: Vec<TaskSummary>,
    /// How many tasks were returned.
    count: usize,
    /// Whether Asana had more tasks than were read (raise `limit` or
    /// `max_pages` to read them).
    more: bool,
}

struct ListTasks;

impl Card for ListTasks {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.list-tasks";
    const NAME: &'static str = "List Tasks";
    const DESCRIPTION: &'static str =
        "Lists the tasks of an Asana project or section, or those assigned to a user in a \
         workspace; `completed_since: now` keeps only the incomplete ones.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["tasks:read"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let (field, value) = asana::exactly_one(&[
            ("project", input.project.as_deref()),
            ("section", input.section.as_deref()),
            ("assignee", input.assignee.as_deref()),
        ])?;
        if field != "assignee" && input.workspace.is_some() {
            return Err(CardError::invalid_input(
                "workspace",
                "`workspace` goes with `assignee` only: a project or section is in one workspace",
            ));
        }
        let (limit, size, pages) =
            asana::check_paging(input.limit, input.page_size, input.max_pages)?;
        let since = (input.completed_since.as_deref())
            .map(|s| dates::completed_since("completed_since", s))
            .transpose()?;
        let mut query = vec![("opt_fields", asana::TASK_SUMMARY_FIELDS)];
        let path = if field == "assignee" {
            asana::path_segment("assignee", value)?;
            let workspace = asana::workspace_or_default(ctx, input.workspace.as_deref())?;
            query.extend([("assignee", value.trim()), ("workspace", workspace)]);
            "/tasks".to_string()
        } else {
            format!("/{field}s/{}/tasks", asana::gid(field, value)?)
        };
        query.extend(since.as_deref().map(|s| ("completed_since", s)));
        let (tasks, more) = Asana::new(ctx)
            .get_all_by(&path, &query, limit, size, pages)
            .map_err(|e| e.naming_any(&[field, "workspace"]))?;
        Ok(Output {
            count: tasks.len(),
            tasks,
            more,
        })
    }
}

export_card!(ListTasks);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
