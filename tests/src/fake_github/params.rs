//! Query strings and forms, and GitHub's page-based pagination: `per_page`
//! and `page` in, a `Link` header out
//! (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api).

/// Decoded `key=value` pairs, in order; never rejects.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Decodes a query string or a form body.
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first non-blank value of `name`.
    pub fn non_blank(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }
}

/// GitHub's default page size.
pub const DEFAULT_PER_PAGE: usize = 30;
/// GitHub's largest page size.
pub const MAX_PER_PAGE: usize = 100;

/// The page a list request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub per_page: usize,
    pub page: usize,
}

impl Page {
    /// Reads `per_page` and `page`. GitHub documents `per_page` as "max
    /// 100", default 30, and `page` as starting at 1, but not its answer to
    /// other values; it does not refuse them, and neither does the fake: a
    /// `per_page` above 100 is 100, one below 1 or not a number is the
    /// default 30; a `page` below 1 or not a number is 1.
    pub fn from_params(params: &Params) -> Page {
        let per_page = match params.get("per_page").map(|v| v.trim().parse::<i64>()) {
            Some(Ok(n)) if n > MAX_PER_PAGE as i64 => MAX_PER_PAGE,
            Some(Ok(n)) if n >= 1 => n as usize,
            _ => DEFAULT_PER_PAGE,
        };
        let page = match params.get("page").map(|v| v.trim().parse::<i64>()) {
            Some(Ok(n)) if n >= 1 => n as usize,
            _ => 1,
        };
        Page { per_page, page }
    }

    /// The items of this page.
    pub fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        let start = (self.page - 1).saturating_mul(self.per_page);
        items
            .iter()
            .skip(start)
            .take(self.per_page)
            .cloned()
            .collect()
    }

    /// The `Link` header for a list of `total` items served at `url`
    /// (absolute, without query) and asked with `params`; `None` when
    /// everything fits on the first page, as GitHub omits it then.
    ///
    /// Each link keeps the other query parameters, in their order, with
    /// `page` last (`?per_page=2&page=2`, GitHub's form), and the relations
    /// come in GitHub's order: `prev`, `next`, `last`, `first`. `next` and
    /// `last` are left out on the last page, `prev` and `first` on the first.
    pub fn link(&self, total: usize, url: &str, params: &Params) -> Option<String> {
        let last = total.div_ceil(self.per_page).max(1);
        if last == 1 && self.page == 1 {
            return None;
        }
        let href = |page: usize| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in params.0.iter().filter(|(k, _)| k != "page") {
                query.append_pair(k, v);
            }
            query.append_pair("page", &page.to_string());
            format!("<{url}?{}>", query.finish())
        };
        let mut links = Vec::new();
        if self.page > 1 {
            links.push(format!("{}; rel=\"prev\"", href(self.page - 1)));
        }
        if self.page < last {
            links.push(format!("{}; rel=\"next\"", href(self.page + 1)));
            links.push(format!("{}; rel=\"last\"", href(last)));
        }
        if self.page > 1 {
            links.push(format!("{}; rel=\"first\"", href(1)));
        }
        Some(links.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str) -> Page {
        Page::from_params(&Params::parse(Some(query)))
    }

    #[test]
    fn per_page_and_page_are_clamped_never_refused() {
        assert_eq!(
            page(""),
            Page {
                per_page: 30,
                page: 1
            }
        );
        assert_eq!(
            page("per_page=500&page=3"),
            Page {
                per_page: 100,
                page: 3
            }
        );
        assert_eq!(
            page("per_page=0&page=0"),
            Page {
                per_page: 30,
                page: 1
            }
        );
        assert_eq!(
            page("per_page=abc&page=-2"),
            Page {
                per_page: 30,
                page: 1
            }
        );
    }

    #[test]
    fn links_keep_other_parameters_and_githubs_order() {
        let params = Params::parse(Some("per_page=2&page=2&sort=x"));
        let link = page("per_page=2&page=2").link(5, "http://h/api/v3/user/orgs", &params);
        assert_eq!(
            link.as_deref(),
            Some(
                "<http://h/api/v3/user/orgs?per_page=2&sort=x&page=1>; rel=\"prev\", \
                 <http://h/api/v3/user/orgs?per_page=2&sort=x&page=3>; rel=\"next\", \
                 <http://h/api/v3/user/orgs?per_page=2&sort=x&page=3>; rel=\"last\", \
                 <http://h/api/v3/user/orgs?per_page=2&sort=x&page=1>; rel=\"first\""
            )
        );
        assert_eq!(page("").link(5, "http://h/x", &Params::default()), None);
        assert_eq!(page("").slice(&[1, 2, 3]), vec![1, 2, 3]);
        assert!(page("per_page=2&page=9").slice(&[1, 2, 3]).is_empty());
    }
}
