//! Delete Membership (`asana.delete-membership`): removes a user or a team
//! from an Asana project (`DELETE /memberships/{membership_gid}`), by the
//! membership's gid, or by the project and the member, looked up first with
//! `GET /memberships?parent=&member=`.
//!
//! Scopes: Asana's description of `deleteMembership` and `getMemberships`
//! lists no granular OAuth scope, so an app registered with granular scopes
//! cannot call them: the card needs Full permissions (`default`), or a
//! personal access token connection.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the membership to delete (Create Membership outputs it).
    /// Give this, or `project` and `member`.
    membership: Option<String>,
    /// The gid of the project to remove `member` from.
    project: Option<String>,
    /// The gid of the user or team to remove from `project`.
    member: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The gid of the membership deleted.
    membership: String,
}

struct DeleteMembership;

impl Card for DeleteMembership {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.delete-membership";
    const NAME: &'static str = "Delete Membership";
    const DESCRIPTION: &'static str =
        "Removes a user or a team from an Asana project, by membership gid or by project and member.";
    const VERSION: &'static str = "1.0.0";
    /// Full permissions: see the module's documentation.
    const SCOPES: &'static [&'static str] = &["default"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let asana = Asana::new(ctx);
        let project = asana::trimmed(input.project.as_deref());
        let member = asana::trimmed(input.member.as_deref());
        let membership = match asana::trimmed(input.membership.as_deref()) {
            Some(_) if project.is_some() || member.is_some() => {
                return Err(CardError::invalid_input(
                    "membership",
                    "give `membership`, or `project` and `member`, not both",
                ))
            }
            Some(gid) => asana::gid("membership", gid)?.to_string(),
            None => {
                let parent = asana::gid("project", project.unwrap_or(""))?;
                let member = asana::gid("member", member.unwrap_or(""))?;
                let query = [("parent", parent), ("member", member), ("limit", "1")];
                let found = asana.get_page::<Compact>("/memberships", &query);
                let found = found.map_err(project_error)?.data.into_iter().next();
                found.map(|m| m.gid).ok_or_else(|| {
                    CardError::not_found(format!("{member} is not a member of project {parent}"))
                        .with_field("member")
                })?
            }
        };
        let path = format!(
            "/memberships/{}",
            asana::path_segment("membership", &membership)?
        );
        asana.delete(&path).map_err(|e| e.naming("membership"))?;
        Ok(Output { membership })
    }
}

/// An error of the look-up: a 404 names `project`, and so does an error
/// about Asana's `parent`, which is the project.
fn project_error(e: AsanaError) -> CardError {
    let e = e.naming_any(&["project", "member", "parent"]);
    match e.field.as_deref() {
        Some("parent") => e.with_field("project"),
        _ => e,
    }
}

export_card!(DeleteMembership);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
