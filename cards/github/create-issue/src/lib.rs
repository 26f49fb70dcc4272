//! Create Issue (`github.create-issue`): opens an issue in a GitHub
//! repository, with assignees and labels, validating the input before the call.
//!
//! Limits: GitHub's reference for "Create an issue"
//! (<https://docs.github.com/en/rest/issues/issues#create-an-issue>) documents
//! no maximum length for `title` or `body`, so the card checks none and lets
//! GitHub judge: its 422 answer names the field and becomes an
//! `invalid-input` error naming it. For assignees the reference says "Adds up
//! to 10 assignees to an issue"
//! (<https://docs.github.com/en/rest/issues/assignees#add-assignees-to-an-issue>);
//! the create endpoint states no number, and the card applies the same 10.

use cardhost_sdk::prelude::*;

/// The most assignees GitHub documents for an issue.
const MAX_ASSIGNEES: usize = 10;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The login of the user or organization that owns the repository.
    owner: String,
    /// The repository's name, e.g. `hello-world`.
    repo: String,
    /// The issue's title.
    #[schemars(length(min = 1))]
    title: String,
    /// The issue's description, in GitHub Markdown.
    body: Option<String>,
    /// Logins of people to assign, at most 10. GitHub sets assignees only when
    /// the connection's user can push to the repository, and drops them
    /// silently otherwise (the run logs a warning).
    #[serde(default)]
    #[schemars(length(max = 10))]
    assignees: Vec<String>,
    /// Names of labels to add. GitHub sets labels only when the connection's user can push to the
    /// repository, and drops them silently otherwise (the run logs a warning).
    #[serde(default)]
    labels: Vec<String>,
}

/// What is sent to `POST /repos/{owner}/{repo}/issues`.
#[derive(Serialize, Debug, PartialEq)]
struct NewIssue<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    assignees: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<&'a str>,
}

/// The issue created.
#[derive(Serialize, JsonSchema)]
struct Issue {
    /// The issue's number in the repository (`#12`).
    number: u64,
    /// The issue's numeric id.
    id: u64,
    /// The issue's GraphQL node id.
    node_id: String,
    /// The issue's page on GitHub.
    html_url: String,
    /// The issue's REST API URL.
    url: String,
    /// `open` or `closed`.
    state: String,
    /// The issue's title.
    title: String,
    /// The logins of the people assigned.
    assignees: Vec<String>,
    /// The names of the issue's labels.
    labels: Vec<String>,
    /// When the issue was created (ISO 8601).
    created_at: String,
}

/// GitHub's answer, as far as the card reads it.
#[derive(Deserialize)]
struct Created {
    number: u64,
    id: u64,
    node_id: String,
    html_url: String,
    url: String,
    state: String,
    title: String,
    #[serde(default)]
    assignees: Vec<Account>,
    #[serde(default)]
    labels: Vec<LabelRef>,
    created_at: String,
}

#[derive(Deserialize)]
struct Account {
    login: String,
}

/// GitHub describes a label as an object, or in older answers by its name.
#[derive(Deserialize)]
#[serde(untagged)]
enum LabelRef {
    Object { name: String },
    Name(String),
}

/// GitHub's field names and the card's, for a 422.
const FIELDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("body", "body"),
    ("assignees", "assignees"),
    ("labels", "labels"),
];

struct CreateIssue;

impl Card for CreateIssue {
    type Input = Input;
    type Output = Issue;
    const ID: &'static str = "github.create-issue";
    const NAME: &'static str = "Create Issue";
    const DESCRIPTION: &'static str =
        "Opens an issue in a GitHub repository, with a Markdown body, assignees and labels.";
    const VERSION: &'static str = "1.0.0";
    // `repo` reaches private repositories too, and implies `public_repo`.
    const SCOPES: &'static [&'static str] = &["repo"];

    fn run(input: Input, ctx: &Context) -> Result<Issue, CardError> {
        let (owner, repo, issue) = validate(&input)?;
        let path = format!("/repos/{owner}/{repo}/issues");
        let created: Created = GitHub::new(ctx).post(&path, &issue).map_err(|e| {
            e.with_fields(FIELDS)
                .explain(
                    404,
                    Some("repo"),
                    format!(
                        "the repository {owner}/{repo} does not exist, or the connection cannot \
                         see it (GitHub answers 404 for a private repository its credential may not read)"
                    ),
                )
                .explain(
                    410,
                    Some("repo"),
                    format!("issues are disabled for the repository {owner}/{repo}"),
                )
        })?;
        let issue = Issue {
            number: created.number,
            id: created.id,
            node_id: created.node_id,
            html_url: created.html_url,
            url: created.url,
            state: created.state,
            title: created.title,
            assignees: created.assignees.into_iter().map(|a| a.login).collect(),
            labels: created
                .labels
                .into_iter()
                .map(|l| match l {
                    LabelRef::Object { name } | LabelRef::Name(name) => name,
                })
                .collect(),
            created_at: created.created_at,
        };
        warn_dropped(ctx, "assignees", &input.assignees, &issue.assignees);
        warn_dropped(ctx, "labels", &input.labels, &issue.labels);
        Ok(issue)
    }
}

export_card!(CreateIssue);

/// Checks the input and builds the issue to create; no HTTP.
fn validate(input: &Input) -> Result<(&str, &str, NewIssue<'_>), CardError> {
    let owner = github::login("owner", &input.owner)?;
    let repo = github::repo_name("repo", &input.repo)?;
    let title = input.title.trim();
    if title.is_empty() {
        return Err(CardError::invalid_input(
            "title",
            "`title` must not be empty",
        ));
    }
    if input.assignees.len() > MAX_ASSIGNEES {
        return Err(CardError::invalid_input(
            "assignees",
            format!(
                "`assignees` may name at most {MAX_ASSIGNEES} people (got {})",
                input.assignees.len()
            ),
        ));
    }
    let assignees = input
        .assignees
        .iter()
        .enumerate()
        .map(|(i, a)| github::login(&format!("assignees[{i}]"), a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut labels = Vec::with_capacity(input.labels.len());
    for (i, label) in input.labels.iter().enumerate() {
        let label = label.trim();
        if label.is_empty() {
            let why = "`labels` must not hold an empty name";
            return Err(CardError::invalid_input(format!("labels[{i}]"), why));
        }
        labels.push(label);
    }
    let issue = NewIssue {
        title,
        body: input.body.as_deref(),
        assignees,
        labels,
    };
    Ok((owner, repo, issue))
}

/// Logs a warning naming what was asked for in `field` but is not on the
/// issue: GitHub drops assignees and labels silently without push access.
fn warn_dropped(ctx: &Context, field: &str, asked: &[String], got: &[String]) {
    let dropped: Vec<&str> = asked
        .iter()
        .map(|a| a.trim())
        .filter(|a| !got.iter().any(|g| g.eq_ignore_ascii_case(a)))
        .collect();
    if !dropped.is_empty() {
        ctx.warn(format!(
            "GitHub did not set these {field}: {}. It sets {field} on a new issue only when \
             the connection's user can push to the repository, and drops them silently otherwise.",
            dropped.join(", ")
        ));
    }
}

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
