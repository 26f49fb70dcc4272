//! Read User Tasks (`asana.read-user-tasks`): the tasks in a user's My Tasks
//! list in a workspace (`GET /users/{user}/user_task_list`, then
//! `GET /user_task_lists/{gid}/tasks`), optionally only the incomplete ones
//! (`completed_since=now`, My Tasks' default view), following Asana's pages.

use cardhost_sdk::asana::TaskSummary;
use cardhost_sdk::dates;
use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The user: a user gid, an email or `me`.
    #[schemars(length(min = 1))]
    user: String,
    /// The gid of the workspace of the My Tasks list; defaults to the
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
    /// The most requests (pages) of tasks to make, 1 to 100.
    #[serde(default = "asana::default_max_pages")]
    #[schemars(range(min = 1, max = 100))]
    max_pages: u32,
}

/// The user's task list as Asana answers it.
#[derive(Deserialize)]
struct UserTaskList {
    gid: String,
    owner: Option<Compact>,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The user whose My Tasks these are (their gid and name).
    user: Option<Compact>,
    /// The gid of the user's My Tasks list in the workspace.
    user_task_list: String,
    /// The tasks, in My Tasks' order (`tasks[0].gid` is the first one's gid).
    tasks: Vec<TaskSummary>,
    /// How many tasks were returned.
    count: usize,
    /// Whether Asana had more tasks than were read (raise `limit` or
    /// `max_pages` to read them).
    more: bool,
}

struct ReadUserTasks;

impl Card for ReadUserTasks {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.read-user-tasks";
    const NAME: &'static str = "Read User Tasks";
    const DESCRIPTION: &'static str =
        "Lists the tasks in a user's My Tasks in an Asana workspace; `completed_since: now` keeps \
         only the incomplete ones.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["tasks:read"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let user = asana::path_segment("user", &input.user)?;
        let workspace = asana::workspace_or_default(ctx, input.workspace.as_deref())?;
        let since = (input.completed_since.as_deref())
            .map(|s| dates::completed_since("completed_since", s))
            .transpose()?;
        let (limit, size, pages) =
            asana::check_paging(input.limit, input.page_size, input.max_pages)?;
        let asana = Asana::new(ctx);
        let list: UserTaskList = asana
            .get(
                &format!("/users/{user}/user_task_list"),
                &[("workspace", workspace), ("opt_fields", "owner")],
            )
            .map_err(|e| e.naming_any(&["user", "workspace"]))?;
        let mut query = vec![("opt_fields", asana::TASK_SUMMARY_FIELDS)];
        query.extend(since.as_deref().map(|s| ("completed_since", s)));
        let path = format!(
            "/user_task_lists/{}/tasks",
            asana::gid("user_task_list", &list.gid)?
        );
        let (tasks, more) = asana
            .get_all_by(&path, &query, limit, size, pages)
            .map_err(|e| e.naming("user"))?;
        Ok(Output {
            user: list.owner,
            user_task_list: list.gid,
            count: tasks.len(),
            tasks,
            more,
        })
    }
}

export_card!(ReadUserTasks);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
