//! The values that flow through an app: payloads, attributes and variables.
//!
//! A [`TypedValue`] is a [`Value`] plus the [`MediaType`] that says how to read it,
//! as in Mule, where every payload and variable carries a data type. Bodies received
//! over HTTP stay [`Value::Binary`] until an expression reads them; the expression
//! language then parses them according to their media type.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use bigdecimal::BigDecimal;
use bytes::Bytes;

/// A DataWeave value.
///
/// Containers are reference counted so that copying an event from step to step is cheap.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An arbitrary-precision decimal that keeps its scale, as DataWeave's Number does.
    Number(BigDecimal),
    /// A Unicode string.
    String(Arc<str>),
    /// The key of an object's pair, as `keysOf` and `$$` of `mapObject` give it: text
    /// that is not a String, so `==` with a String is false (`~=` is true).
    Key(Arc<str>),
    /// A type as a value, named (`Number`, `Array`): what `typeOf` gives and what a type name
    /// written as an expression is. Text for most purposes, but `==` with a String is false
    /// and `is String` too, as in DataWeave.
    Type(Arc<str>),
    /// An ordered list.
    Array(Arc<Vec<Value>>),
    /// An ordered list of key-value pairs; keys may repeat (DataWeave objects allow that).
    Object(Arc<Vec<(Arc<str>, Value)>>),
    /// Raw bytes, such as an HTTP body not yet parsed.
    Binary(Bytes),
    /// A date, a time, or both (DataWeave's `Date`, `DateTime`, `LocalDateTime`, `Time`,
    /// `LocalTime`).
    Temporal(Temporal),
    /// A length of time (DataWeave's `Period`): `|P1Y2M3D|` or `|PT1H30M|`.
    Period(Period),
    /// A time zone, as an offset from UTC in seconds (DataWeave's `TimeZone`): `|-08:00|`.
    TimeZone(i32),
    /// A function of the expression language (DataWeave's `Function`): a lambda, a `fun` or
    /// a built-in function, as a value that can be stored, returned and called later.
    Function(Function),
    /// DataWeave's `Range` (`1 to 3`): an array of numbers one apart, kept as its bounds so
    /// that `1 to 100000000` costs nothing until its elements are read.
    Range(Arc<Range>),
}

/// A function as a value: an opaque handle that only the expression language, which made
/// it, can look into and call. The rest of the runtime never sees one outside a script
/// (a result that holds a function is an evaluation error), but can carry it as it carries
/// any value.
#[derive(Clone)]
pub struct Function(Arc<dyn Any + Send + Sync>);

impl Function {
    /// Wraps what the expression language calls.
    pub fn new(inner: impl Any + Send + Sync) -> Function {
        Function(Arc::new(inner))
    }

    /// What [`Function::new`] wrapped, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Function")
    }
}

/// The same handle. DataWeave's `==` is false even then; the expression language says so.
impl PartialEq for Function {
    fn eq(&self, other: &Function) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(&other.0))
    }
}

/// The bounds of a [`Value::Range`]: `start`, then numbers one apart towards `end` as long
/// as they do not pass it (`1.5 to 3` is `[1.5, 2.5]`, `3 to 1` is `[3, 2, 1]`).
/// Two ranges are equal when their bounds are (`(1 to 3) == (1 to 3.5)` is false).
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    /// The first element.
    pub start: BigDecimal,
    /// The bound the elements go towards.
    pub end: BigDecimal,
}

/// DataWeave's `Period`, which is one of two `java.time` types underneath, each written
/// and compared as it is: `P14M` stays fourteen months and is not equal to `P1Y2M`, and
/// `P1D` is not equal to `PT24H`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    /// Years, months and days, as written (`java.time.Period`): `|P1Y2M3D|`.
    Date {
        /// Years.
        years: i32,
        /// Months, not folded into years.
        months: i32,
        /// Days, not folded into months.
        days: i32,
    },
    /// An exact length (`java.time.Duration`): `|PT1H30M|`, and also `|P1DT2H|` (as 26
    /// hours) and the difference of two dates or times.
    Time {
        /// Whole seconds, rounded towards negative infinity.
        seconds: i64,
        /// Nanoseconds added to `seconds`, below 1e9.
        nanos: u32,
    },
}

/// Which of DataWeave's date and time types a [`Temporal`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TemporalKind {
    /// A calendar date: `|2003-10-01|`.
    Date,
    /// A date and time with an offset: `|2003-10-01T23:57:59-03:00|`.
    DateTime,
    /// A date and time without offset: `|2003-10-01T23:57:59|`.
    LocalDateTime,
    /// A time with an offset: `|23:57:59Z|`.
    Time,
    /// A time without offset: `|23:57:59|`.
    LocalTime,
}

/// A date and/or time of day, as written in its own offset (not converted to UTC).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Temporal {
    /// Which parts are meaningful.
    pub kind: TemporalKind,
    /// Days since 1970-01-01 in the proleptic Gregorian calendar; 0 for times.
    pub days: i64,
    /// Nanoseconds since midnight; 0 for dates.
    pub nanos: u64,
    /// Offset from UTC in seconds; 0 for local and date values.
    pub offset_seconds: i32,
    /// The `java.time` pattern the value was read with (`as Date {format: "MM/dd/yyyy"}`),
    /// which writers use instead of ISO form, as DataWeave does.
    pub format: Option<Arc<TemporalFormat>>,
}

/// How a [`Temporal`] read with a pattern is written back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TemporalFormat {
    /// The `java.time` pattern.
    pub pattern: String,
    /// The zone name the text gave (`GMT` in `10:00 GMT`), which the pattern's `z` writes.
    pub zone: Option<String>,
    /// The locale given with the pattern (`fr`), whose names of months and days writing
    /// the value back uses too.
    pub locale: Option<String>,
}

impl Temporal {
    /// True when the value has a date part.
    pub fn has_date(&self) -> bool {
        !matches!(self.kind, TemporalKind::Time | TemporalKind::LocalTime)
    }

    /// True when the value has a time-of-day part.
    pub fn has_time(&self) -> bool {
        self.kind != TemporalKind::Date
    }

    /// True when the value carries an offset.
    pub fn has_offset(&self) -> bool {
        matches!(self.kind, TemporalKind::DateTime | TemporalKind::Time)
    }
}

impl Value {
    /// A string value.
    pub fn string(text: impl Into<Arc<str>>) -> Value {
        Value::String(text.into())
    }

    /// An object from key-value pairs, keeping their order.
    pub fn object<K: Into<Arc<str>>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(Arc::new(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()))
    }

    /// An array of values.
    pub fn array(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Array(Arc::new(items.into_iter().collect()))
    }

    /// The value of the first pair with `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(pairs) => pairs.iter().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string content, if this is a string or a key.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Key(s) => Some(s),
            _ => None,
        }
    }

    /// Converts a parsed JSON document into a value, keeping key order and number scale.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                Value::Number(n.to_string().parse().unwrap_or_else(|_| BigDecimal::from(0)))
            }
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(items) => Value::array(items.iter().map(Value::from_json)),
            serde_json::Value::Object(map) => {
                Value::object(map.iter().map(|(k, v)| (k.as_str(), Value::from_json(v))))
            }
        }
    }

    /// Reads a value given as text on the command line (`--attribute KEY=VALUE`): a JSON
    /// object or array when the text starts with `{` or `[` and parses as one, so that
    /// `uriParams={"id":"7"}` gives `attributes.uriParams.id`; otherwise the text as a String.
    pub fn from_argument(text: &str) -> Value {
        if text.trim_start().starts_with(['{', '['])
            && let Ok(json @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) =
                serde_json::from_str(text)
        {
            return Value::from_json(&json);
        }
        Value::string(text)
    }
}

/// A media type such as `application/json; charset=UTF-8`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType {
    /// Primary type, lowercase (`application`).
    pub primary: Arc<str>,
    /// Subtype, lowercase (`json`).
    pub sub: Arc<str>,
    /// Parameters in order, such as `("charset", "UTF-8")`.
    ///
    /// Shared, because media types are copied with every value and rarely changed.
    pub params: Arc<Vec<(String, String)>>,
}

impl MediaType {
    /// `*/*`: nothing is known about the value.
    pub fn any() -> MediaType {
        static ANY: OnceLock<MediaType> = OnceLock::new();
        ANY.get_or_init(|| MediaType::new("*", "*")).clone()
    }

    /// `application/java`: a native value handed from step to step.
    pub fn java() -> MediaType {
        static JAVA: OnceLock<MediaType> = OnceLock::new();
        JAVA.get_or_init(|| MediaType::new("application", "java")).clone()
    }

    /// `application/json`.
    pub fn json() -> MediaType {
        static JSON: OnceLock<MediaType> = OnceLock::new();
        JSON.get_or_init(|| MediaType::new("application", "json")).clone()
    }

    /// `text/plain`.
    pub fn text() -> MediaType {
        static TEXT: OnceLock<MediaType> = OnceLock::new();
        TEXT.get_or_init(|| MediaType::new("text", "plain")).clone()
    }

    /// A media type without parameters.
    pub fn new(primary: &str, sub: &str) -> MediaType {
        MediaType {
            primary: primary.to_ascii_lowercase().into(),
            sub: sub.to_ascii_lowercase().into(),
            params: Arc::default(),
        }
    }

    /// Parses `type/subtype; name=value; ...`. Returns `None` when the text is not a media type.
    pub fn parse(text: &str) -> Option<MediaType> {
        let mut parts = text.split(';');
        let essence = parts.next()?.trim();
        let (primary, sub) = essence.split_once('/')?;
        let is_token = |s: &str| {
            !s.is_empty()
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+*".contains(c))
        };
        if !is_token(primary) || !is_token(sub) {
            return None;
        }
        let mut media_type = MediaType::new(primary, sub);
        for param in parts {
            let param = param.trim();
            if param.is_empty() {
                continue;
            }
            let (name, value) = param.split_once('=')?;
            let value = value.trim().trim_matches('"');
            Arc::make_mut(&mut media_type.params)
                .push((name.trim().to_ascii_lowercase(), value.to_owned()));
        }
        Some(media_type)
    }

    /// The `charset` parameter, if any.
    pub fn charset(&self) -> Option<&str> {
        self.param("charset")
    }

    /// A parameter by (lowercase) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// This media type with `charset` set to `charset`.
    pub fn with_charset(mut self, charset: &str) -> MediaType {
        let params = Arc::make_mut(&mut self.params);
        params.retain(|(n, _)| n != "charset");
        params.push(("charset".into(), charset.into()));
        self
    }

    /// True for JSON, including `application/*+json` types.
    pub fn is_json(&self) -> bool {
        (&*self.primary == "application" || &*self.primary == "text")
            && (&*self.sub == "json" || self.sub.ends_with("+json"))
    }

    /// True for `text/*`.
    pub fn is_text(&self) -> bool {
        &*self.primary == "text"
    }

    /// True for `*/*`.
    pub fn is_any(&self) -> bool {
        &*self.primary == "*" && &*self.sub == "*"
    }

    /// True for `application/java`.
    pub fn is_java(&self) -> bool {
        &*self.primary == "application" && &*self.sub == "java"
    }

    /// `type/subtype` without parameters.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.primary, self.sub)
    }

    /// Decodes `bytes` as text in this media type's `charset` (UTF-8 when there is none),
    /// as Java does: bytes that are not valid in the charset become U+FFFD.
    ///
    /// Names follow Java rather than the WHATWG table: `ISO-8859-1` is Latin-1 (not
    /// windows-1252), `US-ASCII` is 7-bit, and `UTF-16` without a byte order mark is big-endian.
    ///
    /// # Errors
    ///
    /// [`UnknownCharset`] when the `charset` names no encoding we know.
    pub fn decode_text<'b>(&self, bytes: &'b [u8]) -> Result<Cow<'b, str>, UnknownCharset> {
        let Some(label) = self.charset() else {
            return Ok(String::from_utf8_lossy(bytes));
        };
        let name = label.trim().trim_matches('"').to_ascii_lowercase();
        let unknown = || UnknownCharset(label.to_owned());
        let text = match name.as_str() {
            "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "l1" | "cp819" => {
                Cow::Owned(bytes.iter().map(|&byte| char::from(byte)).collect())
            }
            "us-ascii" | "ascii" | "iso646-us" => Cow::Owned(
                bytes
                    .iter()
                    .map(|&byte| if byte.is_ascii() { char::from(byte) } else { '\u{FFFD}' })
                    .collect(),
            ),
            "utf-16" | "utf16" => encoding_rs::UTF_16BE.decode(bytes).0,
            _ => {
                encoding_rs::Encoding::for_label_no_replacement(name.as_bytes())
                    .ok_or_else(unknown)?
                    .decode(bytes)
                    .0
            }
        };
        Ok(text)
    }
}

/// A `charset` parameter that names no encoding flowrun can decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown charset `{0}`")]
pub struct UnknownCharset(pub String);

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.primary, self.sub)?;
        for (name, value) in self.params.iter() {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}

/// A value with the media type that says how to read it.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedValue {
    /// The value.
    pub value: Value,
    /// How to read it.
    pub media_type: MediaType,
}

impl TypedValue {
    /// A value with a media type.
    pub fn new(value: Value, media_type: MediaType) -> TypedValue {
        TypedValue { value, media_type }
    }

    /// `null` of media type `*/*`, the payload of an event that has none.
    pub fn null() -> TypedValue {
        TypedValue::new(Value::Null, MediaType::any())
    }

    /// A native (`application/java`) value.
    pub fn java(value: Value) -> TypedValue {
        TypedValue::new(value, MediaType::java())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_read_json_structures_only() {
        let object = Value::from_argument(r#"{"id": "7", "n": [1]}"#);
        let expected_n = Value::array([Value::Number(1.into())]);
        assert_eq!(object, Value::object([("id", Value::string("7")), ("n", expected_n)]));
        assert_eq!(Value::from_argument("[]"), Value::array([]));
        for text in ["{not json", "[1,", "7", "\"quoted\"", "true", "text", ""] {
            assert_eq!(Value::from_argument(text), Value::string(text), "{text}");
        }
    }

    #[test]
    fn text_is_decoded_by_its_charset() {
        let decode = |media_type: &str, bytes: &[u8]| {
            let media_type = MediaType::parse(media_type).expect("valid media type");
            media_type.decode_text(bytes).map(Cow::into_owned)
        };
        assert_eq!(decode("text/plain", "café".as_bytes()), Ok("café".into()));
        assert_eq!(
            decode("text/plain; charset=ISO-8859-1", b"caf\xe9 \x80"),
            Ok("café \u{80}".into())
        );
        assert_eq!(decode("text/plain; charset=latin1", b"caf\xe9"), Ok("café".into()));
        assert_eq!(decode("text/plain; charset=US-ASCII", b"caf\xe9"), Ok("caf\u{FFFD}".into()));
        assert_eq!(decode("text/plain; charset=UTF-16", b"\0c\0\xe9"), Ok("cé".into()));
        assert_eq!(decode("text/plain; charset=UTF-16", b"\xff\xfec\0\xe9\0"), Ok("cé".into()));
        assert_eq!(decode("text/plain; charset=UTF-16LE", b"c\0\xe9\0"), Ok("cé".into()));
        assert_eq!(decode("text/plain; charset=windows-1252", b"\x80"), Ok("€".into()));
        assert_eq!(
            decode("text/plain; charset=klingon", b"x"),
            Err(UnknownCharset("klingon".into()))
        );
    }

    #[test]
    fn media_type_parses_parameters() {
        let mt = MediaType::parse("Application/JSON; charset=\"utf-8\"").expect("valid");
        assert!(mt.is_json());
        assert_eq!(mt.charset(), Some("utf-8"));
        assert_eq!(mt.to_string(), "application/json; charset=utf-8");
        assert!(MediaType::parse("nonsense").is_none());
        assert!(MediaType::parse("a b/c").is_none());
    }

    #[test]
    fn json_keeps_order_and_scale() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"b":1.50,"a":[true,null]}"#).expect("valid json");
        let value = Value::from_json(&json);
        let Value::Object(pairs) = &value else { panic!("object expected") };
        assert_eq!(&*pairs[0].0, "b");
        assert_eq!(pairs[0].1, Value::Number("1.50".parse().expect("number")));
    }
}
