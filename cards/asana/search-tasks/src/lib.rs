//! Search Tasks (`asana.search-tasks`): Asana's task search in a workspace
//! (`GET /workspaces/{gid}/tasks/search`), which needs Asana Premium or
//! higher (Asana answers 402 otherwise).
//!
//! Search does not page: Asana's results are not stable between requests,
//! so it offers no `offset`. The card makes one request for up to `limit`
//! (at most 100) tasks in `sort_by` order and says whether the page came
//! back full (`more`): to see further, narrow the filters. Asana's own
//! advice for more is to sort by creation time and search again past the
//! last one seen, which needs a date filter this card does not take.

use cardhost_sdk::asana::TaskSummary;
use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the workspace to search; defaults to the connection's
    /// default workspace.
    workspace: Option<String>,
    /// Words to find in task names and descriptions.
    text: Option<String>,
    /// Only tasks assigned to this user: a user gid, an email or `me`.
    assignee: Option<String>,
    /// Only tasks in this project (its gid).
    project: Option<String>,
    /// Only completed tasks (true) or only incomplete ones (false).
    completed: Option<bool>,
    /// The order: `modified_at` (Asana's default), `created_at`,
    /// `completed_at`, `due_date`, `likes` or `relevance`.
    sort_by: Option<SortBy>,
    /// Whether to sort oldest (or least) first; Asana's default is false.
    sort_ascending: Option<bool>,
    /// The most tasks to return, 1 to 100 (one request: search does not page).
    #[serde(default = "asana::default_page_size")]
    #[schemars(range(min = 1, max = 100))]
    limit: u32,
}

/// The orders Asana's search sorts by.
#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum SortBy {
    DueDate,
    CreatedAt,
    CompletedAt,
    Likes,
    ModifiedAt,
    Relevance,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The tasks found, in `sort_by` order (`tasks[0].gid` is the first one's gid).
    tasks: Vec<TaskSummary>,
    /// How many tasks were returned.
    count: usize,
    /// Whether the page came back full, so more tasks may match: narrow the
    /// filters to see them.
    more: bool,
}

struct SearchTasks;

impl Card for SearchTasks {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.search-tasks";
    const NAME: &'static str = "Search Tasks";
    const DESCRIPTION: &'static str =
        "Searches an Asana workspace's tasks by text, assignee, project and completion \
         (Asana Premium or higher); returns one sorted page of up to 100 tasks.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["tasks:read"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let workspace = asana::workspace_or_default(ctx, input.workspace.as_deref())?;
        // Checked as a path segment is, sent as given (the query encodes it).
        let assignee = input.assignee.as_deref().map(str::trim);
        if let Some(assignee) = assignee {
            asana::path_segment("assignee", assignee)?;
        }
        let project = input.project.as_deref().map(str::trim);
        if let Some(project) = project {
            asana::gid("project", project)?;
        }
        let limit = asana::check_range("limit", input.limit, 1, 100)?.to_string();
        let completed = input.completed.map(|b| b.to_string());
        let ascending = input.sort_ascending.map(|b| b.to_string());
        let sort_by = input.sort_by.map(serde_json::to_value).transpose()?;
        let mut query = Vec::new();
        for (name, value) in [
            ("opt_fields", Some(asana::TASK_SUMMARY_FIELDS)),
            ("limit", Some(limit.as_str())),
            ("text", input.text.as_deref()),
            ("assignee.any", assignee),
            ("projects.any", project),
            ("completed", completed.as_deref()),
            ("sort_by", sort_by.as_ref().and_then(Value::as_str)),
            ("sort_ascending", ascending.as_deref()),
        ] {
            query.extend(value.map(|v| (name, v)));
        }
        let path = format!("/workspaces/{workspace}/tasks/search");
        let found = Asana::new(ctx).get::<Vec<TaskSummary>>(&path, &query);
        let tasks = found.map_err(|e| match e.status {
            402 => e.premium_only("workspace", "task search"),
            _ => e.naming_any(&["workspace", "project"]),
        })?;
        let (count, more) = (tasks.len(), tasks.len() >= input.limit as usize);
        Ok(Output { tasks, count, more })
    }
}

export_card!(SearchTasks);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
