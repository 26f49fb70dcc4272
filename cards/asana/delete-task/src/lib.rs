//! Delete Task (`asana.delete-task`): deletes an Asana task
//! (`DELETE /tasks/{gid}`). Asana keeps a deleted task in its trash for 30
//! days, where a person can restore it.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the task to delete.
    #[schemars(length(min = 1))]
    task: String,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// Always true: the task was deleted.
    deleted: bool,
    /// The gid of the task deleted.
    task: String,
}

struct DeleteTask;

impl Card for DeleteTask {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.delete-task";
    const NAME: &'static str = "Delete Task";
    const DESCRIPTION: &'static str =
        "Deletes an Asana task by gid (it goes to Asana's trash, restorable for 30 days).";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["tasks:delete"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let task = asana::gid("task", &input.task)?;
        Asana::new(ctx)
            .delete(&format!("/tasks/{task}"))
            .map_err(|e| e.naming("task"))?;
        Ok(Output {
            deleted: true,
            task: task.to_string(),
        })
    }
}

export_card!(DeleteTask);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
