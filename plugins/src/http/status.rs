//! Mule's response validation for `http:request`: which statuses fail, and the error type and
//! description each failing status gets (`HTTP:FORBIDDEN`, `... failed: forbidden (403).`).
//!
//! Statuses Mule has no error type for fail as `MULE:UNKNOWN`, which only `ANY` catches.

use flowrun_engine::event::{ErrorType, MuleError};

/// The default success range, `0..399`.
pub(crate) fn is_success(status: u16) -> bool {
    status <= 399
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
        assert!(is_success(0) && is_success(399) && !is_success(400));
    }
}
