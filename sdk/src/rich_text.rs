//! The check of Asana rich text (a task's `html_notes`, a comment's
//! `html_text`): Asana takes it as XML whose root is `<body>`
//! (<https://developers.asana.com/docs/rich-text>) and refuses anything else
//! with a 400. A card refuses it first, saying where the XML breaks.

/// `Ok` when `xml` is well-formed XML with a single `<body>` root element;
/// otherwise why not, for a person to read.
pub fn check(xml: &str) -> Result<(), String> {
    let document =
        roxmltree::Document::parse(xml).map_err(|e| format!("is not well-formed XML: {e}"))?;
    let root = document.root_element();
    if root.tag_name().name() != "body" || root.tag_name().namespace().is_some() {
        return Err(format!(
            "must have <body> as its root element, not <{}>",
            root.tag_name().name()
        ));
    }
    Ok(())
}

/// [`check`] for a card's input field: the error is `invalid-input` naming
/// `field` and saying why.
pub fn check_field(field: &str, xml: &str) -> Result<(), crate::CardError> {
    check(xml).map_err(|why| crate::CardError::invalid_input(field, format!("`{field}` {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_body_passes() {
        for good in [
            "<body></body>",
            "<body/>",
            "<body>Mittens <em>really</em> likes the stuff from Humboldt.</body>",
            "<body><ul><li>a &amp; b</li><li>&lt;c&gt;</li></ul></body>",
            "\n<body><a href=\"https://asana.com\">link</a></body>\n",
            "<?xml version=\"1.0\"?><body>x</body>",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn a_field_is_named() {
        assert!(check_field("html_text", "<body>ok</body>").is_ok());
        let e = check_field("html_text", "<body>a & b</body>").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("html_text"));
        assert!(
            e.message.starts_with("`html_text` is not well-formed XML"),
            "{}",
            e.message
        );
    }

    #[test]
    fn anything_else_says_why() {
        for (bad, why) in [
            ("plain text", "well-formed"),
            ("", "well-formed"),
            ("<body><b>bold</body>", "well-formed"),
            ("<body>a & b</body>", "well-formed"),
            ("<body>&nbsp;</body>", "well-formed"),
            ("<body>x</body><body>y</body>", "well-formed"),
            ("<body>x</body>trailing", "well-formed"),
            (
                "<!DOCTYPE body [<!ENTITY e \"x\">]><body>&e;</body>",
                "well-formed",
            ),
            ("<p>no body</p>", "not <p>"),
            ("<x:body xmlns:x=\"urn:x\">ns</x:body>", "<body>"),
        ] {
            let err = check(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
