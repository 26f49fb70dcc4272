//! Add User to Team (`asana.add-user-to-team`): adds a user to an Asana team
//! (`POST /teams/{team_gid}/addUser`) and returns the team membership.
//!
//! Asana's OpenAPI description lists no granular OAuth scope for this
//! operation (`oauth2: []`): granular scopes do not cover it, so it needs
//! Full permissions (`default`, which "provides access to all endpoints"):
//! a personal access token, or an OAuth app registered with Full permissions.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the team. The connection's user must be a member of it.
    #[schemars(length(min = 1))]
    team: String,
    /// The user to add: `me`, a user gid or an email address. They must be
    /// in the team's organization.
    #[schemars(length(min = 1))]
    user: String,
    /// Act with the connection's service account token (an Asana
    /// Enterprise service account, which may change any team) instead of
    /// the connection's user, who must be a member of the team.
    #[serde(default)]
    as_service_account: bool,
}

/// The user's membership of the team.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Membership {
    /// The team membership's gid.
    gid: String,
    /// The user added.
    #[serde(default)]
    user: Option<Compact>,
    /// The team.
    #[serde(default)]
    team: Option<Compact>,
    /// Whether the user is a guest in the team.
    #[serde(default)]
    is_guest: Option<bool>,
    /// Whether the user is a team admin.
    #[serde(default)]
    is_admin: Option<bool>,
    /// Whether the user has limited access to the team.
    #[serde(default)]
    is_limited_access: Option<bool>,
}

const OPT_FIELDS: &str = "user.name,team.name,is_guest,is_admin,is_limited_access";

struct AddUserToTeam;

impl Card for AddUserToTeam {
    type Input = Input;
    type Output = Membership;
    const ID: &'static str = "asana.add-user-to-team";
    const NAME: &'static str = "Add User to Team";
    const DESCRIPTION: &'static str =
        "Adds a user (me, gid or email) to an Asana team. Needs Full permissions: Asana has no \
         granular scope for it.";
    const VERSION: &'static str = "1.0.0";
    /// Full permissions: Asana lists no granular scope for `addUser`.
    const SCOPES: &'static [&'static str] = &["default"];
    const USES_SERVICE_ACCOUNT: bool = true;

    fn run(input: Input, ctx: &Context) -> Result<Membership, CardError> {
        let team = asana::path_segment("team", &input.team)?;
        let user = asana::user_ref("user", &input.user)?;
        Asana::acting(ctx, input.as_service_account)?
            .post_with_query(
                &format!("/teams/{team}/addUser"),
                &[("opt_fields", OPT_FIELDS)],
                &json!({ "user": user }),
            )
            .map_err(|e| match e.field.as_deref() {
                Some("user") => e.or_not_found("user", user),
                _ => e.or_not_found("team", &team),
            })
    }
}

export_card!(AddUserToTeam);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
