//! Remove User from Team (`asana.remove-user-from-team`): removes a user
//! from an Asana team (`POST /teams/{team_gid}/removeUser`).
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
    /// The user to remove: `me`, a user gid or an email address.
    #[schemars(length(min = 1))]
    user: String,
    /// Act with the connection's service account token (an Asana
    /// Enterprise service account, which may change any team) instead of
    /// the connection's user, who must be a member of the team.
    #[serde(default)]
    as_service_account: bool,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The gid of the team the user was removed from.
    team: String,
    /// The user removed, as given (`me`, a gid or an email).
    user: String,
    /// Always true: Asana removed the user (an error is returned otherwise).
    removed: bool,
}

struct RemoveUserFromTeam;

impl Card for RemoveUserFromTeam {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.remove-user-from-team";
    const NAME: &'static str = "Remove User from Team";
    const DESCRIPTION: &'static str =
        "Removes a user (me, gid or email) from an Asana team. Needs Full permissions: Asana has \
         no granular scope for it.";
    const VERSION: &'static str = "1.0.0";
    /// Full permissions: Asana lists no granular scope for `removeUser`.
    const SCOPES: &'static [&'static str] = &["default"];
    const USES_SERVICE_ACCOUNT: bool = true;

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let team = asana::path_segment("team", &input.team)?;
        let user = asana::user_ref("user", &input.user)?;
        Asana::acting(ctx, input.as_service_account)?
            .post::<Value, _>(
                &format!("/teams/{team}/removeUser"),
                &json!({ "user": user }),
            )
            .map_err(|e| match e.field.as_deref() {
                Some("user") => e.or_not_found("user", user),
                _ => e.or_not_found("team", &team),
            })?;
        Ok(Output {
            team,
            user: user.to_string(),
            removed: true,
        })
    }
}

export_card!(RemoveUserFromTeam);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
