//! Create User (`asana.create-user`): provisions a user in the Asana
//! organization of the connection's service account token, with SCIM
//! (`POST /scim/Users`).

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The new user's email address: their sign-in and SCIM `userName`.
    #[schemars(extend("format" = "email"))]
    email: String,
    /// The user's full name, e.g. `Ada Lovelace`. Without it, the given and
    /// family names joined.
    #[serde(default)]
    name: Option<String>,
    /// The user's given (first) name.
    #[serde(default)]
    given_name: Option<String>,
    /// The user's family (last) name.
    #[serde(default)]
    family_name: Option<String>,
    /// The user's job title.
    #[serde(default)]
    title: Option<String>,
    /// The user's department.
    #[serde(default)]
    department: Option<String>,
}

struct CreateUser;

impl Card for CreateUser {
    type Input = Input;
    type Output = asana::ScimProfile;
    const ID: &'static str = "asana.create-user";
    const NAME: &'static str = "Create User";
    const DESCRIPTION: &'static str =
        "Creates (provisions) a user in your Asana organization with SCIM. Needs an Asana \
         Enterprise service account token on the connection; a user who already exists is an error.";
    const VERSION: &'static str = "1.0.0";
    /// None: SCIM takes the connection's service account token, not its
    /// OAuth grant, and no OAuth scope covers SCIM.
    const SCOPES: &'static [&'static str] = &[];
    const USES_SERVICE_ACCOUNT: bool = true;

    fn run(input: Input, ctx: &Context) -> Result<asana::ScimProfile, CardError> {
        let email = asana::email("email", &input.email)?;
        let given = asana::non_blank("given_name", input.given_name.as_deref())?;
        let family = asana::non_blank("family_name", input.family_name.as_deref())?;
        let joined = [given, family]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let formatted = asana::non_blank("name", input.name.as_deref())?
            .map(str::to_string)
            .or((!joined.is_empty()).then_some(joined));
        let title = asana::non_blank("title", input.title.as_deref())?;
        let department = asana::non_blank("department", input.department.as_deref())?;
        asana::require_service_account(ctx, Self::ID)?;

        let mut user = json!({"schemas": [asana::SCIM_USER_SCHEMA], "userName": email});
        let mut name = serde_json::Map::new();
        for (key, value) in [
            ("formatted", formatted.as_deref()),
            ("givenName", given),
            ("familyName", family),
        ] {
            if let Some(value) = value {
                name.insert(key.into(), value.into());
            }
        }
        if !name.is_empty() {
            user["name"] = name.into();
        }
        if let Some(title) = title {
            user["title"] = title.into();
        }
        if let Some(department) = department {
            user["schemas"] = json!([asana::SCIM_USER_SCHEMA, asana::SCIM_ENTERPRISE_SCHEMA]);
            user[asana::SCIM_ENTERPRISE_SCHEMA] = json!({ "department": department });
        }
        match Asana::new(ctx).scim_create_user(&user) {
            Ok(created) => Ok(created.into()),
            Err(e) if e.status == 409 && e.capability.is_none() => Err(CardError::invalid_input(
                "email",
                format!(
                    "an Asana user with email {email} already exists (409): {}",
                    e.detail()
                ),
            )),
            Err(e) => Err(asana::scim_card_error(e)),
        }
    }
}

export_card!(CreateUser);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
