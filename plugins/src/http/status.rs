//! Mule's response validation for `http:request`: which statuses fail, and the error type and
//! description each failing status gets (`HTTP:FORBIDDEN`, `... failed: forbidden (403).`).
//!
//! Statuses Mule has no error type for fail as `MULE:UNKNOWN`, which only `ANY` catches.
//! `<http:response-validator>` replaces the default `0..399` success range with its own
//! success or failure ranges.

use flowrun_engine::event::{ErrorType, MuleError};
use flowrun_engine::plugin::{AttrSpec, BuildContext, ChildSpec, Schema};
use flowrun_engine::xml::{Element, ns};

static RANGES_SCHEMA: Schema =
    Schema { attributes: &[AttrSpec::required("values")], children: &[], text: false };

/// What `<http:response-validator>` accepts: one of the two validators.
pub(crate) static VALIDATOR_SCHEMA: Schema = Schema {
    attributes: &[],
    children: &[
        ChildSpec {
            ns: ns::HTTP,
            name: "success-status-code-validator",
            schema: &RANGES_SCHEMA,
            required: false,
        },
        ChildSpec {
            ns: ns::HTTP,
            name: "failure-status-code-validator",
            schema: &RANGES_SCHEMA,
            required: false,
        },
    ],
    text: false,
};

/// Which statuses fail a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Validator {
    /// Statuses in these ranges succeed, all others fail.
    Success(Vec<(u16, u16)>),
    /// Statuses in these ranges fail, all others succeed.
    Failure(Vec<(u16, u16)>),
}

impl Default for Validator {
    fn default() -> Self {
        Validator::Success(vec![(0, 399)])
    }
}

impl Validator {
    /// True when the status passes.
    pub(crate) fn accepts(&self, status: u16) -> bool {
        let within =
            |ranges: &[(u16, u16)]| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&status));
        match self {
            Validator::Success(ranges) => within(ranges),
            Validator::Failure(ranges) => !within(ranges),
        }
    }

    /// Compiles `<http:response-validator>`; `Some(None)` when there is none, `None` (reported)
    /// when it is invalid.
    pub(crate) fn compile(
        parent: &Element,
        cx: &mut BuildContext<'_>,
    ) -> Option<Option<Validator>> {
        let Some(element) = parent.child(ns::HTTP, "response-validator") else { return Some(None) };
        let mut validators = element.children.iter().filter_map(|child| {
            let ranges = child.attr("values")?;
            let parsed = parse_ranges(&ranges.value).ok_or(ranges.value_span);
            if child.is(ns::HTTP, "success-status-code-validator") {
                Some((child, parsed.map(Validator::Success)))
            } else {
                Some((child, parsed.map(Validator::Failure)))
            }
        });
        let Some((_, first)) = validators.next() else {
            cx.error(
                element.span,
                "`http:response-validator` needs a success or failure status code validator",
            );
            return None;
        };
        if let Some((extra, _)) = validators.next() {
            cx.error(extra.span, "`http:response-validator` takes one validator");
            return None;
        }
        match first {
            Ok(validator) => Some(Some(validator)),
            Err(span) => {
                cx.error(
                    span,
                    "status codes must be a comma list of codes and ranges, such as `200..299,404`",
                );
                None
            }
        }
    }
}

/// Parses `200..299,404`.
fn parse_ranges(text: &str) -> Option<Vec<(u16, u16)>> {
    let mut ranges = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (lo, hi) = part.split_once("..").unwrap_or((part, part));
        let (lo, hi) = (lo.trim().parse::<u16>().ok()?, hi.trim().parse::<u16>().ok()?);
        if lo > hi {
            return None;
        }
        ranges.push((lo, hi));
    }
    Some(ranges)
}

/// The error for a failing status: `HTTP <METHOD> on resource '<uri>' failed: <name> (<code>).`
///
/// `request_content_type` is what was sent, quoted by the 415 description.
pub(crate) fn status_error(
    method: &str,
    resource: &str,
    status: u16,
    request_content_type: Option<&str>,
) -> MuleError {
    let prefix = format!("HTTP {method} on resource '{resource}' failed");
    let Some((identifier, reason)) = typed_status(status) else {
        return MuleError::new(
            ErrorType::unknown(),
            format!("{prefix} with status code {status}."),
        );
    };
    let reason = if status == 415 {
        format!("media type {} not supported", request_content_type.unwrap_or("null"))
    } else {
        reason.to_owned()
    };
    MuleError::new(ErrorType::new("HTTP", identifier), format!("{prefix}: {reason} ({status})."))
}

/// Error identifier and description words of the statuses Mule's `HttpError` names.
fn typed_status(status: u16) -> Option<(&'static str, &'static str)> {
    let typed = match status {
        300 => ("MULTIPLE_CHOICES", "multiple choices"),
        301 => ("MOVED_PERMANENTLY", "moved permanently"),
        302 => ("MOVED_TEMPORARILY", "moved temporarily"),
        303 => ("SEE_OTHER", "see other"),
        304 => ("NOT_MODIFIED", "not modified"),
        400 => ("BAD_REQUEST", "bad request"),
        401 => ("UNAUTHORIZED", "unauthorized"),
        403 => ("FORBIDDEN", "forbidden"),
        404 => ("NOT_FOUND", "not found"),
        405 => ("METHOD_NOT_ALLOWED", "method not allowed"),
        406 => ("NOT_ACCEPTABLE", "not acceptable"),
        415 => ("UNSUPPORTED_MEDIA_TYPE", "unsupported media type"),
        429 => ("TOO_MANY_REQUESTS", "too many requests"),
        500 => ("INTERNAL_SERVER_ERROR", "internal server error"),
        502 => ("BAD_GATEWAY", "bad gateway"),
        503 => ("SERVICE_UNAVAILABLE", "service unavailable"),
        504 => ("GATEWAY_TIMEOUT", "gateway timeout"),
        _ => return None,
    };
    Some(typed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_statuses_follow_mules_table() {
        let uri = "http://127.0.0.1:8200/v1/secret/data/ai-keys";
        let error = status_error("GET", uri, 403, None);
        assert_eq!(error.error_type.to_string(), "HTTP:FORBIDDEN");
        assert_eq!(
            error.description,
            format!("HTTP GET on resource '{uri}' failed: forbidden (403).")
        );
        assert_eq!(
            status_error("GET", uri, 302, None).description,
            format!("HTTP GET on resource '{uri}' failed: moved temporarily (302).")
        );
        let error = status_error("POST", uri, 415, Some("application/xml"));
        assert_eq!(error.error_type.to_string(), "HTTP:UNSUPPORTED_MEDIA_TYPE");
        assert_eq!(
            error.description,
            format!(
                "HTTP POST on resource '{uri}' failed: media type application/xml not supported (415)."
            )
        );
    }

    #[test]
    fn other_failing_statuses_are_unknown() {
        let error = status_error("PUT", "http://h:80/x", 409, None);
        assert_eq!(error.error_type.to_string(), "MULE:UNKNOWN");
        assert_eq!(
            error.description,
            "HTTP PUT on resource 'http://h:80/x' failed with status code 409."
        );
        let default = Validator::default();
        assert!(default.accepts(0) && default.accepts(399) && !default.accepts(400));
    }

    #[test]
    fn validator_ranges_parse_and_apply() {
        assert_eq!(parse_ranges("200..299, 404"), Some(vec![(200, 299), (404, 404)]));
        assert_eq!(parse_ranges("299..200"), None);
        assert_eq!(parse_ranges("2xx"), None);
        let success = Validator::Success(vec![(200, 299), (404, 404)]);
        assert!(success.accepts(404) && !success.accepts(302));
        let failure = Validator::Failure(vec![(500, 599)]);
        assert!(failure.accepts(404) && !failure.accepts(503));
    }
}
