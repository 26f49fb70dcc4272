//! Templates: strings holding `{{ ... }}` that render to a string, e.g.
//! `"Welcome {{$.input.name}}"` or `"{{join($.steps.find.output.names, ", ")}}"`.
//! Inside the braces stands one expression: a reference, a string literal in
//! double quotes (`\"` and `\\` escape), a number, or a call of `join(list, sep)`,
//! `lower(x)`, `upper(x)`, `trim(x)`, `default(x, fallback)` or
//! `date(x, "%Y-%m-%d")`. Templates are parsed when a flow is saved (errors
//! name the character where they stand) and rendered at run time.

use std::fmt::{self, Write as _};

use chrono::format::{Item, StrftimeItems};
use serde_json::Value;

use super::reference::{self, Reference};

/// Deepest nesting of calls inside one pair of braces.
const MAX_NESTING: usize = 16;

/// What a reference that finds nothing renders as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Missing {
    /// An error (card inputs: as a whole-string reference that finds nothing).
    Fail,
    /// Null, which renders as "" (conditions and the flow's output).
    Null,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Expr(Expr),
}

/// One expression inside the braces.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A reference, with its text.
    Ref(Reference, String),
    Str(String),
    Num(serde_json::Number),
    Call(Func, Vec<Expr>),
}

/// The functions a template may call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Func {
    Join,
    Lower,
    Upper,
    Trim,
    Default,
    Date,
}

impl Func {
    fn named(name: &str) -> Option<Func> {
        Some(match name {
            "join" => Func::Join,
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "trim" => Func::Trim,
            "default" => Func::Default,
            "date" => Func::Date,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Func::Join => "join",
            Func::Lower => "lower",
            Func::Upper => "upper",
            Func::Trim => "trim",
            Func::Default => "default",
            Func::Date => "date",
        }
    }

    fn arity(self) -> usize {
        match self {
            Func::Join | Func::Default | Func::Date => 2,
            Func::Lower | Func::Upper | Func::Trim => 1,
        }
    }
}

/// A template that cannot be parsed: where (1-based character) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "at character {}: {}", self.position, self.message)
    }
}

impl Template {
    /// Parse a template.
    pub fn parse(text: &str) -> Result<Template, SyntaxError> {
        let mut p = Parser {
            chars: text.chars().collect(),
            at: 0,
        };
        let mut parts = Vec::new();
        let mut literal = String::new();
        while p.at < p.chars.len() {
            if p.peek_str("{{") {
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                let open = p.at;
                p.at += 2;
                p.spaces();
                if p.peek_str("}}") {
                    return Err(p.error_at(open, "empty {{ }}: write an expression inside"));
                }
                let expr = p.expr(0)?;
                p.spaces();
                if !p.peek_str("}}") {
                    return Err(p.error(match p.peek() {
                        None => "the template ends before its closing }}",
                        Some(_) => "expected }} after the expression",
                    }));
                }
                p.at += 2;
                parts.push(Part::Expr(expr));
            } else {
                literal.push(p.chars[p.at]);
                p.at += 1;
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// Every reference the template holds, with its text.
    pub fn references(&self) -> Vec<(&Reference, &str)> {
        fn walk<'a>(e: &'a Expr, out: &mut Vec<(&'a Reference, &'a str)>) {
            match e {
                Expr::Ref(r, text) => out.push((r, text)),
                Expr::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for part in &self.parts {
            if let Part::Expr(e) = part {
                walk(e, &mut out);
            }
        }
        out
    }

    /// The text the template makes, references answered by `lookup`.
    pub fn render<'a>(
        &self,
        lookup: &dyn Fn(&Reference) -> Option<&'a Value>,
        missing: Missing,
    ) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(e) => match eval(e, lookup, missing)? {
                    Some(v) => out.push_str(&text(&v)),
                    None => return Err(not_found(e)),
                },
            }
        }
        Ok(out)
    }
}

fn not_found(e: &Expr) -> String {
    match e {
        Expr::Ref(_, text) => format!("{text} found nothing"),
        _ => "a value was not found".into(),
    }
}

/// A value as template text: null is "", a string itself, anything else
/// its compact JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value of an expression; `None` for a reference that found nothing
/// (with [`Missing::Fail`]; with [`Missing::Null`] it is null).
fn eval<'a>(
    e: &Expr,
    lookup: &dyn Fn(&Reference) -> Option<&'a Value>,
    missing: Missing,
) -> Result<Option<Value>, String> {
    Ok(match e {
        Expr::Ref(r, _) => match (lookup(r), missing) {
            (Some(v), _) => Some(v.clone()),
            (None, Missing::Null) => Some(Value::Null),
            (None, Missing::Fail) => None,
        },
        Expr::Str(s) => Some(Value::String(s.clone())),
        Expr::Num(n) => Some(Value::Number(n.clone())),
        Expr::Call(Func::Default, args) => {
            let x = eval(&args[0], lookup, Missing::Null)?;
            match x {
                Some(Value::Null) | None => eval(&args[1], lookup, missing)?,
                Some(Value::String(s)) if s.is_empty() => eval(&args[1], lookup, missing)?,
                some => some,
            }
        }
        Expr::Call(f, args) => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                match eval(a, lookup, missing)? {
                    Some(v) => values.push(v),
                    None => return Err(not_found(a)),
                }
            }
            Some(Value::String(call(*f, &values)?))
        }
    })
}

fn call(f: Func, args: &[Value]) -> Result<String, String> {
    Ok(match f {
        Func::Lower => text(&args[0]).to_lowercase(),
        Func::Upper => text(&args[0]).to_uppercase(),
        Func::Trim => text(&args[0]).trim().to_string(),
        Func::Join => match &args[0] {
            Value::Array(items) => items
                .iter()
                .map(text)
                .collect::<Vec<_>>()
                .join(&text(&args[1])),
            Value::Null => String::new(),
            other => {
                return Err(format!(
                    "join() needs a list, not {}",
                    super::condition::describe(other)
                ))
            }
        },
        Func::Date => date(&text(&args[0]), &text(&args[1]))?,
        Func::Default => unreachable!("default() is evaluated lazily"),
    })
}

/// Why `format` is not a valid strftime format, if it is not.
pub fn check_date_format(format: &str) -> Result<(), String> {
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        Err(format!(
            "{format:?} is not a valid date format (chrono's strftime: %Y-%m-%d, %d %b %Y, %H:%M ...)"
        ))
    } else {
        Ok(())
    }
}

/// An ISO-8601 date (`2026-11-30`) or date-time (RFC 3339, or without an
/// offset, taken as UTC) as a point in time.
pub fn parse_date(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    use chrono::{FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
    let s = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    let utc = FixedOffset::east_opt(0)?;
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    utc.from_local_datetime(&naive).single()
}

fn date(value: &str, format: &str) -> Result<String, String> {
    check_date_format(format).map_err(|e| format!("date(): {e}"))?;
    if value.is_empty() {
        return Ok(String::new());
    }
    let when = parse_date(value)
        .ok_or_else(|| format!("date(): {value:?} is not an ISO-8601 date or date-time"))?;
    let mut out = String::new();
    write!(out, "{}", when.format(format))
        .map_err(|_| format!("date(): {value:?} cannot be written as {format:?}"))?;
    Ok(out)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_str(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.chars.get(self.at + i) == Some(&c))
    }

    fn spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn error(&self, message: &str) -> SyntaxError {
        self.error_at(self.at, message)
    }

    fn error_at(&self, at: usize, message: &str) -> SyntaxError {
        SyntaxError {
            position: at + 1,
            message: message.to_string(),
        }
    }

    fn expr(&mut self, nesting: usize) -> Result<Expr, SyntaxError> {
        if nesting > MAX_NESTING {
            return Err(self.error("calls are nested too deeply"));
        }
        self.spaces();
        let start = self.at;
        match self.peek() {
            Some('"') => self.string(),
            Some('$') => {
                while self
                    .peek()
                    .is_some_and(|c| !c.is_whitespace() && !matches!(c, ',' | ')' | '}'))
                {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().collect();
                let r = reference::parse(&text).map_err(|e| self.error_at(start, &e))?;
                Ok(Expr::Ref(r, text))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => {
                self.at += 1;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
                {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().collect();
                serde_json::from_str::<serde_json::Number>(&text)
                    .map(Expr::Num)
                    .map_err(|_| self.error_at(start, &format!("{text:?} is not a number")))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.at += 1;
                }
                let name: String = self.chars[start..self.at].iter().collect();
                let f = Func::named(&name).ok_or_else(|| {
                    self.error_at(
                        start,
                        &format!(
                            "unknown function {name:?}: use join, lower, upper, trim, default or date"
                        ),
                    )
                })?;
                self.spaces();
                if self.peek() != Some('(') {
                    return Err(self.error(&format!("expected ( after {name}")));
                }
                self.at += 1;
                let mut args = Vec::new();
                self.spaces();
                if self.peek() == Some(')') {
                    self.at += 1;
                } else {
                    loop {
                        args.push(self.expr(nesting + 1)?);
                        self.spaces();
                        match self.peek() {
                            Some(',') => self.at += 1,
                            Some(')') => {
                                self.at += 1;
                                break;
                            }
                            _ => {
                                return Err(self.error(&format!(
                                    "expected , or ) in the arguments of {name}"
                                )))
                            }
                        }
                    }
                }
                if args.len() != f.arity() {
                    return Err(self.error_at(
                        start,
                        &format!(
                            "{}() takes {} argument(s), not {}",
                            f.name(),
                            f.arity(),
                            args.len()
                        ),
                    ));
                }
                if f == Func::Date {
                    if let Expr::Str(format) = &args[1] {
                        check_date_format(format).map_err(|e| self.error_at(start, &e))?;
                    }
                }
                Ok(Expr::Call(f, args))
            }
            None => Err(self.error("the template ends inside {{ }}")),
            Some(_) => Err(self.error(
                "expected a reference ($.…), a string in double quotes, a number or a function call",
            )),
        }
    }

    fn string(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error_at(start, "this string is not closed with \"")),
                Some('"') => {
                    self.at += 1;
                    return Ok(Expr::Str(out));
                }
                Some('\\') => {
                    match self.chars.get(self.at + 1) {
                        Some('"') => out.push('"'),
                        Some('\\') => out.push('\\'),
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        _ => return Err(self.error("unknown escape: use \\\", \\\\, \\n or \\t")),
                    }
                    self.at += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, data: &Value, missing: Missing) -> Result<String, String> {
        let lookup = |r: &Reference| reference::follow(data, &r.path);
        Template::parse(template)
            .map_err(|e| e.to_string())?
            .render(&lookup, missing)
    }

    fn ok(template: &str) -> String {
        let data = json!({"name": "Ada Lovelace", "names": ["a", "b", 3], "empty": "", "nil": null,
                          "when": "2026-11-30T09:05:00Z", "day": "2026-02-01", "pad": "  x  ", "n": 4});
        render(template, &data, Missing::Fail).unwrap()
    }

    #[test]
    fn each_function_renders() {
        assert_eq!(ok("Welcome {{$.input.name}}!"), "Welcome Ada Lovelace!");
        assert_eq!(ok("{{ lower($.input.name) }}"), "ada lovelace");
        assert_eq!(ok("{{upper($.input.name)}}"), "ADA LOVELACE");
        assert_eq!(ok("[{{trim($.input.pad)}}]"), "[x]");
        assert_eq!(ok("{{join($.input.names, \", \")}}"), "a, b, 3");
        assert_eq!(ok("{{default($.input.missing, \"none\")}}"), "none");
        assert_eq!(ok("{{default($.input.nil, \"none\")}}"), "none");
        assert_eq!(ok("{{default($.input.empty, 7)}}"), "7");
        assert_eq!(ok("{{default($.input.name, \"none\")}}"), "Ada Lovelace");
        assert_eq!(
            ok("{{date($.input.when, \"%d/%m/%Y %H:%M\")}}"),
            "30/11/2026 09:05"
        );
        assert_eq!(ok("{{date($.input.day, \"%b %-d\")}}"), "Feb 1");
        assert_eq!(ok("{{$.input.n}} and {{1.5}} {{\"{{\"}}"), "4 and 1.5 {{");
        assert_eq!(
            ok("{{upper(default($.input.x, lower(\"A\\\"B\")))}}"),
            "A\"B"
        );
        assert_eq!(ok("no braces }} here"), "no braces }} here");
    }

    #[test]
    fn missing_references_fail_or_are_empty() {
        let data = json!({});
        let err = render("Hi {{$.input.who}}", &data, Missing::Fail).unwrap_err();
        assert_eq!(err, "$.input.who found nothing");
        let err = render("{{lower($.input.who)}}", &data, Missing::Fail).unwrap_err();
        assert!(err.contains("$.input.who found nothing"), "{err}");
        assert_eq!(
            render("Hi {{$.input.who}}", &data, Missing::Null).unwrap(),
            "Hi "
        );
    }

    #[test]
    fn run_time_errors_are_clear() {
        let data = json!({"s": "text", "d": "not a date"});
        let err = render("{{join($.input.s, \",\")}}", &data, Missing::Fail).unwrap_err();
        assert!(err.contains("join() needs a list"), "{err}");
        let err = render("{{date($.input.d, \"%Y\")}}", &data, Missing::Fail).unwrap_err();
        assert!(err.contains("not an ISO-8601 date"), "{err}");
        let data = json!({"d": "2026-01-01", "f": "%Q"});
        let err = render("{{date($.input.d, $.input.f)}}", &data, Missing::Fail).unwrap_err();
        assert!(err.contains("not a valid date format"), "{err}");
    }

    #[test]
    fn syntax_errors_name_their_position() {
        let cases = [
            ("Hi {{$.input.name", 18, "closing }}"),
            ("Hi {{ }}", 4, "empty"),
            ("{{shout($.input.a)}}", 3, "unknown function \"shout\""),
            ("{{lower($.input.a, 1)}}", 3, "takes 1 argument"),
            ("{{join($.input.a \",\")}}", 18, "expected , or )"),
            ("{{\"open}}", 3, "not closed"),
            ("ab{{$.nowhere}}", 5, "must start with $.input"),
            ("{{date($.input.a, \"%Q\")}}", 3, "not a valid date format"),
            ("{{$.input.a $.input.b}}", 13, "expected }}"),
            ("{{ + }}", 4, "expected a reference"),
        ];
        for (template, position, message) in cases {
            let e = Template::parse(template).unwrap_err();
            assert_eq!(e.position, position, "{template}: {e}");
            assert!(e.message.contains(message), "{template}: {e}");
        }
    }

    #[test]
    fn references_are_listed_for_checking() {
        let t = Template::parse("{{default($.steps.a.output.x, $.input.y)}} {{$.item.z}}").unwrap();
        let texts: Vec<&str> = t.references().into_iter().map(|(_, t)| t).collect();
        assert_eq!(texts, vec!["$.steps.a.output.x", "$.input.y", "$.item.z"]);
    }
}
