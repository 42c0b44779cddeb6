//! Listener paths: parses `http:listener` paths (static segments, `{param}`, `*`) and picks
//! the route a request goes to, the way Mule's request matcher registry does.
//!
//! Precedence is decided segment by segment from the left: an exact static segment beats a
//! `{param}` or `*` segment, which beats the remainder swallowed by a trailing `/*`; when
//! two patterns rank the same on every segment, the one without a trailing `/*` wins. Routes
//! are matched on the percent-decoded path. A path that matches but whose methods do not is
//! a 405, not a 404.

use std::fmt;

/// One segment of a listener path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// Literal text, compared with the decoded request segment.
    Static(String),
    /// `{name}`: any one segment, captured into `uriParams`.
    Param(String),
    /// `*` in the middle of a path: any one segment.
    Star,
}

/// A parsed listener path, such as `/api/users/{id}` or `/static/*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathPattern {
    /// The path as normalised: leading `/`, no empty segments.
    text: String,
    segments: Vec<Segment>,
    /// True when the path ends in `/*`, which matches the prefix and anything below it.
    catch_all: bool,
}

/// Why a listener path is not valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PathError {
    /// `*` mixed with other text in one segment, such as `/a*`.
    PartialWildcard(String),
    /// A `{` or `}` that does not make a whole `{name}` segment.
    MalformedParam(String),
    /// The same `{name}` twice.
    DuplicateParam(String),
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::PartialWildcard(segment) => {
                write!(
                    f,
                    "the path segment `{segment}` mixes `*` with text; `*` must be a whole segment"
                )
            }
            PathError::MalformedParam(segment) => {
                write!(f, "the path segment `{segment}` is not a `{{name}}` uri parameter")
            }
            PathError::DuplicateParam(name) => {
                write!(f, "the uri parameter `{name}` appears twice in the path")
            }
        }
    }
}

impl PathPattern {
    /// Parses a path; a missing leading `/` is added.
    pub(crate) fn parse(path: &str) -> Result<PathPattern, PathError> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut segments = Vec::with_capacity(parts.len());
        let mut catch_all = false;
        for (idx, part) in parts.iter().enumerate() {
            let segment = parse_segment(part)?;
            if let Segment::Param(name) = &segment
                && segments.iter().any(|s| matches!(s, Segment::Param(other) if other == name))
            {
                return Err(PathError::DuplicateParam(name.clone()));
            }
            if segment == Segment::Star && idx + 1 == parts.len() {
                catch_all = true;
                continue;
            }
            segments.push(segment);
        }
        let text = format!("/{}", parts.join("/"));
        Ok(PathPattern { text, segments, catch_all })
    }

    /// The path as normalised, such as `/api/users/{id}`.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the path ends in `/*`.
    pub(crate) fn is_catch_all(&self) -> bool {
        self.catch_all
    }

    /// The number of segments before a trailing `/*`.
    pub(crate) fn n_fixed_segments(&self) -> usize {
        self.segments.len()
    }

    /// Matches the raw segments of a request path; on a match, returns its rank (higher is a
    /// better match) and the captured `{params}` with their raw (still encoded) values.
    fn match_segments<'r>(
        &self,
        raw: &[&'r str],
        decoded: &[String],
    ) -> Option<(Rank, Vec<(String, &'r str)>)> {
        let fits = if self.catch_all {
            raw.len() >= self.segments.len()
        } else {
            raw.len() == self.segments.len()
        };
        if !fits {
            return None;
        }
        let mut ranks = Vec::with_capacity(raw.len());
        let mut params = Vec::new();
        for (idx, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Static(text) if *text == decoded[idx] => ranks.push(3),
                Segment::Static(_) => return None,
                Segment::Param(name) => {
                    params.push((name.clone(), raw[idx]));
                    ranks.push(2);
                }
                Segment::Star => ranks.push(2),
            }
        }
        ranks.resize(raw.len(), 1);
        Some((Rank { ranks, exact: !self.catch_all }, params))
    }

    /// True when both patterns match exactly the same request paths.
    fn same_shape(&self, other: &PathPattern) -> bool {
        let segment_eq = |a: &Segment, b: &Segment| match (a, b) {
            (Segment::Static(x), Segment::Static(y)) => x == y,
            (Segment::Static(_), _) | (_, Segment::Static(_)) => false,
            // `{a}`, `{b}` and `*` all take any one segment.
            _ => true,
        };
        self.catch_all == other.catch_all
            && self.segments.len() == other.segments.len()
            && self.segments.iter().zip(&other.segments).all(|(a, b)| segment_eq(a, b))
    }
}

fn parse_segment(part: &str) -> Result<Segment, PathError> {
    if part == "*" {
        return Ok(Segment::Star);
    }
    if part.contains('*') {
        return Err(PathError::PartialWildcard(part.to_owned()));
    }
    if let Some(name) = part.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')) {
        let is_name = !name.is_empty() && !name.contains(['{', '}']);
        return if is_name {
            Ok(Segment::Param(name.to_owned()))
        } else {
            Err(PathError::MalformedParam(part.to_owned()))
        };
    }
    if part.contains(['{', '}']) {
        return Err(PathError::MalformedParam(part.to_owned()));
    }
    Ok(Segment::Static(part.to_owned()))
}

/// How well a pattern matches a request: compared segment by segment, then exact beats `/*`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    ranks: Vec<u8>,
    exact: bool,
}

/// `{name}` captures with their raw (still percent-encoded) values.
pub(crate) type Captures<'a> = Vec<(String, &'a str)>;

/// Upper-case method names a route accepts; `None` accepts every method.
pub(crate) type Methods = Option<Vec<String>>;

/// A listener registered for a path and methods, carrying what serves it.
pub(crate) struct Route<T> {
    pub(crate) pattern: PathPattern,
    pub(crate) methods: Methods,
    pub(crate) target: T,
}

/// The routes of one listener configuration.
pub(crate) struct Router<T> {
    routes: Vec<Route<T>>,
}

/// The outcome of looking a request up.
pub(crate) enum Lookup<'a, T> {
    /// A route takes the request.
    Found {
        /// The route.
        route: &'a Route<T>,
        /// `{name}` captures.
        raw_params: Captures<'a>,
    },
    /// Some route has the path but none takes the method.
    MethodNotAllowed,
    /// No route has the path.
    NotFound,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router { routes: Vec::new() }
    }
}

impl<T> Router<T> {
    /// Adds a route.
    ///
    /// # Errors
    ///
    /// A message when an existing route has the same path shape and an overlapping method.
    pub(crate) fn add(&mut self, route: Route<T>) -> Result<(), String> {
        if let Some(existing) = self.clash(&route.pattern, &route.methods) {
            return Err(clash_message(&route.pattern, &route.methods, existing));
        }
        self.routes.push(route);
        Ok(())
    }

    /// The route that a new route with `pattern` and `methods` would clash with: the same path
    /// shape and an overlapping method.
    pub(crate) fn clash(&self, pattern: &PathPattern, methods: &Methods) -> Option<&Route<T>> {
        self.routes
            .iter()
            .find(|r| r.pattern.same_shape(pattern) && methods_overlap(&r.methods, methods))
    }

    /// Finds the route for a method and a raw (still percent-encoded) request path.
    pub(crate) fn lookup<'a>(&'a self, method: &str, raw_path: &'a str) -> Lookup<'a, T> {
        let raw: Vec<&str> = raw_path.split('/').filter(|s| !s.is_empty()).collect();
        let decoded: Vec<String> = raw.iter().map(|s| crate::http::codec::decode_path(s)).collect();
        let mut best: Option<(Rank, &Route<T>, Captures<'_>)> = None;
        let mut path_matched = false;
        for route in &self.routes {
            let Some((rank, params)) = route.pattern.match_segments(&raw, &decoded) else {
                continue;
            };
            path_matched = true;
            if !accepts(&route.methods, method) {
                continue;
            }
            if best.as_ref().is_none_or(|(best_rank, _, _)| rank > *best_rank) {
                best = Some((rank, route, params));
            }
        }
        match best {
            Some((_, route, raw_params)) => Lookup::Found { route, raw_params },
            None if path_matched => Lookup::MethodNotAllowed,
            None => Lookup::NotFound,
        }
    }
}

/// Says that a route with `pattern` and `methods` clashes with `existing`.
pub(crate) fn clash_message<T>(
    pattern: &PathPattern,
    methods: &Methods,
    existing: &Route<T>,
) -> String {
    format!(
        "a listener for path `{}` and methods {} is already registered (as `{}` with methods {})",
        pattern.as_str(),
        describe_methods(methods),
        existing.pattern.as_str(),
        describe_methods(&existing.methods),
    )
}

/// Parses `allowedMethods`: a comma list, trimmed and upper-cased; blank entries dropped.
pub(crate) fn parse_methods(text: &str) -> Methods {
    let methods: Vec<String> =
        text.split(',').map(|m| m.trim().to_ascii_uppercase()).filter(|m| !m.is_empty()).collect();
    (!methods.is_empty()).then_some(methods)
}

fn accepts(methods: &Methods, method: &str) -> bool {
    methods.as_ref().is_none_or(|list| list.iter().any(|m| m == method))
}

fn methods_overlap(a: &Methods, b: &Methods) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.iter().any(|m| b.contains(m)),
        _ => true,
    }
}

fn describe_methods(methods: &Methods) -> String {
    match methods {
        Some(list) => list.join(", "),
        None => "(all)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, Option<&str>)]) -> Router<usize> {
        let mut router = Router::default();
        for (idx, (path, methods)) in routes.iter().enumerate() {
            let pattern = PathPattern::parse(path).expect("valid path");
            router
                .add(Route { pattern, methods: methods.and_then(parse_methods), target: idx })
                .expect("no clash");
        }
        router
    }

    fn check(router: &Router<usize>, method: &str, path: &str) -> String {
        match router.lookup(method, path) {
            Lookup::Found { route, raw_params } => {
                let params: Vec<String> =
                    raw_params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{} {}", route.target, params.join(","))
            }
            Lookup::MethodNotAllowed => "405".into(),
            Lookup::NotFound => "404".into(),
        }
    }

    #[test]
    fn parses_and_normalises_paths() {
        assert_eq!(PathPattern::parse("api//users/").unwrap().as_str(), "/api/users");
        assert_eq!(PathPattern::parse("/").unwrap().as_str(), "/");
        assert!(PathPattern::parse("/files/*").unwrap().is_catch_all());
        assert_eq!(PathPattern::parse("/a*").unwrap_err(), PathError::PartialWildcard("a*".into()));
        assert_eq!(
            PathPattern::parse("/a/{id").unwrap_err(),
            PathError::MalformedParam("{id".into())
        );
        assert_eq!(
            PathPattern::parse("/{id}/x/{id}").unwrap_err(),
            PathError::DuplicateParam("id".into())
        );
        assert_eq!(
            PathPattern::parse("/a*").unwrap_err().to_string(),
            "the path segment `a*` mixes `*` with text; `*` must be a whole segment"
        );
    }

    #[test]
    fn static_beats_param_beats_catch_all() {
        let router =
            router(&[("/api/*", None), ("/api/users/{id}", None), ("/api/users/me", None)]);
        assert_eq!(check(&router, "GET", "/api/users/me"), "2 ");
        assert_eq!(check(&router, "GET", "/api/users/42"), "1 id=42");
        assert_eq!(check(&router, "GET", "/api/users/42/books"), "0 ");
        assert_eq!(check(&router, "GET", "/api"), "0 ");
        assert_eq!(check(&router, "GET", "/other"), "404");
    }

    #[test]
    fn deeper_catch_all_wins_and_exact_beats_catch_all() {
        let router = router(&[("/*", None), ("/api/*", None), ("/api", None)]);
        assert_eq!(check(&router, "GET", "/api/x"), "1 ");
        assert_eq!(check(&router, "GET", "/api"), "2 ");
        assert_eq!(check(&router, "GET", "/"), "0 ");
        assert_eq!(check(&router, "GET", "/zzz/y"), "0 ");
    }

    #[test]
    fn middle_star_takes_one_segment() {
        let router = router(&[("/a/*/c", None)]);
        assert_eq!(check(&router, "GET", "/a/b/c"), "0 ");
        assert_eq!(check(&router, "GET", "/a/b/x/c"), "404");
    }

    #[test]
    fn methods_split_routes_and_give_405() {
        let router = router(&[("/items", Some("GET")), ("/items", Some("post, put"))]);
        assert_eq!(check(&router, "GET", "/items"), "0 ");
        assert_eq!(check(&router, "PUT", "/items"), "1 ");
        assert_eq!(check(&router, "DELETE", "/items"), "405");
    }

    #[test]
    fn matching_uses_decoded_segments_and_keeps_raw_params() {
        let router = router(&[("/a b/{name}", None)]);
        assert_eq!(check(&router, "GET", "/a%20b/x%2By"), "0 name=x%2By");
    }

    #[test]
    fn overlapping_registrations_clash() {
        let mut router = router(&[("/items/{id}", Some("GET"))]);
        let clash = router.add(Route {
            pattern: PathPattern::parse("/items/{key}").unwrap(),
            methods: None,
            target: 9,
        });
        assert_eq!(
            clash.unwrap_err(),
            "a listener for path `/items/{key}` and methods (all) is already registered \
             (as `/items/{id}` with methods GET)"
        );
        let disjoint = router.add(Route {
            pattern: PathPattern::parse("/items/{id}").unwrap(),
            methods: parse_methods("POST"),
            target: 9,
        });
        assert!(disjoint.is_ok());
    }
}
