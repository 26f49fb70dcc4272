//! `#[card_io]`: the serde and schemars derives of a card's input and output
//! types, through the paths `cardhost-sdk` re-exports, so that a card crate
//! needs no `serde` or `schemars` dependency of its own.
//!
//! Use it through the sdk (`use cardhost_sdk::prelude::*;`), not from this
//! crate: the code it writes names `::cardhost_sdk`.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Derives what a card's input or output type needs, with the sdk's serde
/// and schemars:
///
/// - `#[card_io(input)]`: `Deserialize` and `JsonSchema` (an input is only read);
/// - `#[card_io(output)]`: `Serialize` and `JsonSchema` (an output is only written);
/// - `#[card_io]`: `Serialize`, `Deserialize` and `JsonSchema` (a type both
///   read from a provider's answer and returned, or shared).
///
/// The item's own `#[serde(...)]` and `#[schemars(...)]` attributes work as
/// with the derives written by hand; doc comments become the schema's
/// descriptions.
///
/// ```ignore
/// use cardhost_sdk::prelude::*;
///
/// /// The card's input.
/// #[card_io(input)]
/// #[serde(deny_unknown_fields)]
/// struct Input {
///     /// "me", a user gid or an email.
///     user: String,
/// }
/// ```
#[proc_macro_attribute]
pub fn card_io(attr: TokenStream, item: TokenStream) -> TokenStream {
    let derives: &[&str] = match attr.to_string().trim() {
        "" => &["Serialize", "Deserialize", "JsonSchema"],
        "input" => &["Deserialize", "JsonSchema"],
        "output" => &["Serialize", "JsonSchema"],
        other => {
            return compile_error(&format!(
                "#[card_io({other})]: write #[card_io(input)], #[card_io(output)] or #[card_io]"
            ))
        }
    };
    let paths: Vec<String> = derives
        .iter()
        .map(|d| match *d {
            "JsonSchema" => "::cardhost_sdk::__private::schemars::JsonSchema".to_string(),
            serde => format!("::cardhost_sdk::__private::serde::{serde}"),
        })
        .collect();
    let head = format!(
        "#[derive({})] \
         #[serde(crate = \"::cardhost_sdk::__private::serde\")] \
         #[schemars(crate = \"::cardhost_sdk::__private::schemars\")]",
        paths.join(", ")
    );
    let mut out: TokenStream = head.parse().expect("the derive attributes parse");
    out.extend(item);
    out
}

/// `compile_error!("message");`
fn compile_error(message: &str) -> TokenStream {
    let span = Span::call_site();
    let tokens = [
        TokenTree::Ident(Ident::new("compile_error", span)),
        TokenTree::Punct(Punct::new('!', Spacing::Alone)),
        TokenTree::Group(Group::new(
            Delimiter::Parenthesis,
            TokenTree::Literal(Literal::string(message)).into(),
        )),
        TokenTree::Punct(Punct::new(';', Spacing::Alone)),
    ];
    tokens.into_iter().collect()
}
