//! Reads flow files into a tree of [`Element`]s with namespaces resolved and every element,
//! attribute and text node located in its file.
//!
//! This is the first stage of loading: it knows XML, not Mule. Prefixes are the author's
//! choice, so elements are identified by namespace URI and local name; the URIs Mule uses
//! are listed in [`ns`].

use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::name::ResolveResult;

use crate::diag::{Diagnostic, FileId, OffsetMap, Span};

/// Namespace URIs of the Mule modules flowrun understands.
pub mod ns {
    /// Mule core: `flow`, `set-variable`, `logger`, `configuration-properties`...
    pub const CORE: &str = "http://www.mulesoft.org/schema/mule/core";
    /// The HTTP connector.
    pub const HTTP: &str = "http://www.mulesoft.org/schema/mule/http";
    /// The secure configuration properties module.
    pub const SECURE_PROPERTIES: &str = "http://www.mulesoft.org/schema/mule/secure-properties";
    /// The DataWeave transform module (`ee:transform`).
    pub const EE: &str = "http://www.mulesoft.org/schema/mule/ee/core";
    /// The AI connector.
    pub const AI: &str = "http://www.mulesoft.org/schema/mule/ai";
    /// Documentation attributes (`doc:name`), accepted everywhere and otherwise ignored.
    pub const DOC: &str = "http://www.mulesoft.org/schema/mule/documentation";
    /// XML Schema instance attributes (`xsi:schemaLocation`), ignored.
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
}

/// One XML element.
#[derive(Clone, Debug)]
pub struct Element {
    /// Namespace URI; empty when the element has none.
    pub ns: Arc<str>,
    /// Local name, without prefix.
    pub name: Arc<str>,
    /// The name as written, with its prefix (`http:listener`); used in messages.
    pub qname: Arc<str>,
    /// Attributes in document order, `xmlns` declarations left out.
    pub attrs: Vec<Attribute>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Text and CDATA content joined, when the element has any non-blank text.
    pub text: Option<Text>,
    /// The element's name in its start tag.
    pub span: Span,
    /// The whole start tag, from `<` to `>`, as written (used in error reports).
    pub start_tag: Arc<str>,
}

/// One attribute.
#[derive(Clone, Debug)]
pub struct Attribute {
    /// Namespace URI; empty for unprefixed attributes, which belong to their element.
    pub ns: Arc<str>,
    /// Local name.
    pub name: Arc<str>,
    /// The name as written.
    pub qname: Arc<str>,
    /// The value: entities decoded, then property placeholders replaced.
    pub value: String,
    /// The value as written in the file (entities decoded), before placeholders.
    pub raw: String,
    /// True when a placeholder brought secret material into `value`.
    pub secret: bool,
    /// The attribute's name.
    pub span: Span,
    /// The value between the quotes.
    pub value_span: Span,
    /// Where the bytes of `raw` are in the file, from `value_span.start`: entities make the
    /// file longer than the value. Places found in the value go through it (see
    /// [`Attribute::in_file`]).
    pub value_map: OffsetMap,
}

impl Attribute {
    /// A diagnostic found in the value, with spans counted from `value_span.start` byte for
    /// byte in the decoded value (as `value_span.sub` gives them), moved to where those bytes
    /// are written in the file: `&gt;` is one byte of the value and four of the file.
    pub fn in_file(&self, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.relocated(&self.value_map, self.value_span)
    }
}

/// The text content of an element.
#[derive(Clone, Debug)]
pub struct Text {
    /// The content: entities decoded, then property placeholders replaced.
    pub value: String,
    /// The content as written (entities decoded), before placeholders.
    pub raw: String,
    /// True when a placeholder brought secret material into `value`.
    pub secret: bool,
    /// Where the content starts: its first non-blank character.
    pub span: Span,
    /// Where the bytes of `raw` are in the file, counted from its first non-blank character
    /// (at `span.start`): entities, and the `<![CDATA[` and `]]>` around a section, are
    /// written longer than they read. See [`Text::in_file`].
    pub value_map: OffsetMap,
}

impl Text {
    /// A diagnostic found in the trimmed content, with spans counted from `span.start` byte
    /// for byte, moved to where those bytes are written in the file.
    pub fn in_file(&self, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.relocated(&self.value_map, self.span)
    }
}

impl Element {
    /// True when this element is `name` in namespace `ns`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        &*self.ns == ns && &*self.name == name
    }

    /// The attribute with the given unprefixed name.
    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attrs.iter().find(|a| a.ns.is_empty() && &*a.name == name)
    }

    /// The value of the attribute with the given unprefixed name.
    pub fn attr_value(&self, name: &str) -> Option<&str> {
        self.attr(name).map(|a| a.value.as_str())
    }

    /// The first child element `name` in namespace `ns`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// The `doc:name` attribute, if any.
    pub fn doc_name(&self) -> Option<&str> {
        self.attrs.iter().find(|a| &*a.ns == ns::DOC && &*a.name == "name").map(|a| &*a.raw)
    }

    /// Visits every attribute and text node of this element and its descendants.
    pub fn for_each_value_mut(&mut self, visit: &mut dyn FnMut(ValueMut<'_>)) {
        for attr in &mut self.attrs {
            visit(ValueMut {
                value: &mut attr.value,
                raw: &attr.raw,
                secret: &mut attr.secret,
                span: attr.value_span,
            });
        }
        if let Some(text) = &mut self.text {
            visit(ValueMut {
                value: &mut text.value,
                raw: &text.raw,
                secret: &mut text.secret,
                span: text.span,
            });
        }
        for child in &mut self.children {
            child.for_each_value_mut(visit);
        }
    }
}

/// A mutable view of an attribute value or a text node, for placeholder replacement.
pub struct ValueMut<'a> {
    /// The value to rewrite.
    pub value: &'a mut String,
    /// The value as written.
    pub raw: &'a str,
    /// Set when the rewritten value contains secret material.
    pub secret: &'a mut bool,
    /// Where the value is.
    pub span: Span,
}

/// How deeply a document's elements may nest. Far beyond any real app; it keeps the reader
/// and everything that walks the tree within bounds on hostile input.
const MAX_DEPTH: usize = 1000;

/// Parses one file into its root element.
///
/// # Errors
///
/// A malformed document or an undeclared namespace prefix gives one diagnostic at the
/// place the parser stopped.
pub fn parse(text: &str, file: FileId) -> Result<Element, Diagnostic> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().expand_empty_elements = false;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;

    loop {
        let event = reader.read_resolved_event();
        let err_at = |message: String, pos: u64| {
            let pos = usize::try_from(pos).unwrap_or(text.len()).min(text.len());
            Diagnostic::error(Span::new(file, pos, pos), message)
        };
        let (resolved, event) = match event {
            Ok(pair) => pair,
            Err(err) => {
                return Err(err_at(format!("malformed XML: {err}"), reader.error_position()));
            }
        };
        match event {
            XmlEvent::Start(start) => {
                let ns = element_namespace(resolved, &start, text, file)?;
                let element = read_element(&reader, ns, &start, text, file)?;
                if stack.len() >= MAX_DEPTH {
                    let message = format!("elements nest more than {MAX_DEPTH} levels deep");
                    return Err(Diagnostic::error(element.span, message));
                }
                stack.push(element);
            }
            XmlEvent::Empty(start) => {
                let ns = element_namespace(resolved, &start, text, file)?;
                let element = read_element(&reader, ns, &start, text, file)?;
                attach(&mut stack, &mut root, element)?;
            }
            XmlEvent::End(_) => {
                let element = stack.pop().expect("the parser checks that end tags match");
                attach(&mut stack, &mut root, element)?;
            }
            XmlEvent::Text(content) => {
                let raw = content.decode().map_err(|err| {
                    err_at(format!("malformed XML text: {err}"), reader.buffer_position())
                })?;
                let unescaped = quick_xml::escape::unescape(&raw).map_err(|err| {
                    err_at(format!("malformed XML text: {err}"), reader.buffer_position())
                })?;
                let pos = offset_of(text, &content);
                if stack.is_empty() && !unescaped.trim().is_empty() {
                    let lead = unescaped.len() - unescaped.trim_start().len();
                    let at = Span::new(file, pos + lead, pos + lead + 1);
                    let message = if root.is_some() {
                        "text after the root element"
                    } else {
                        "text before the root element"
                    };
                    return Err(Diagnostic::error(at, message));
                }
                push_text(&mut stack, &unescaped, pos, raw.len(), file);
            }
            XmlEvent::CData(content) => {
                let raw = content.decode().map_err(|err| {
                    err_at(format!("malformed CDATA: {err}"), reader.buffer_position())
                })?;
                push_text(&mut stack, &raw, offset_of(text, &content), raw.len(), file);
            }
            XmlEvent::GeneralRef(reference) => {
                let pos = offset_of(text, &reference);
                let name = reference.decode().map_err(|err| {
                    err_at(format!("malformed entity: {err}"), reader.buffer_position())
                })?;
                let resolved = resolve_entity(&name).ok_or_else(|| {
                    Diagnostic::error(
                        Span::new(file, pos, pos + name.len()),
                        format!("unknown entity `&{name};`"),
                    )
                })?;
                push_text(&mut stack, &resolved, pos.saturating_sub(1), name.len() + 2, file);
            }
            XmlEvent::Eof => {
                if let Some(open) = stack.last() {
                    let end = Span::new(file, text.len(), text.len());
                    return Err(Diagnostic::error(
                        end,
                        format!("`<{}>` is not closed", open.qname),
                    )
                    .with_note(format!(
                        "add `</{}>`; the element starts at {}",
                        open.qname,
                        line_col(text, open.span.start)
                    )));
                }
                break;
            }
            XmlEvent::Comment(_) | XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::DocType(_) => {}
        }
    }

    root.ok_or_else(|| Diagnostic::error(Span::new(file, 0, 0), "the file has no root element"))
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    mut element: Element,
) -> Result<(), Diagnostic> {
    if element.text.as_ref().is_some_and(|t| t.raw.trim().is_empty()) {
        element.text = None;
    }
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => {
            return Err(Diagnostic::error(element.span, "a second root element")
                .with_note("an XML file has exactly one root element, `<mule>`"));
        }
    }
    Ok(())
}

/// Adds a piece of an element's content: `content` as it reads, written as `written_len`
/// bytes from `pos` in the file (an entity is longer written than read).
fn push_text(stack: &mut [Element], content: &str, pos: usize, written_len: usize, file: FileId) {
    let Some(element) = stack.last_mut() else { return };
    // Whitespace between child elements is kept only until it is clear whether the element
    // has real text; the span moves to the first non-blank character when it comes.
    let text = element.text.get_or_insert_with(|| Text {
        value: String::new(),
        raw: String::new(),
        secret: false,
        span: Span::new(file, pos, pos),
        value_map: OffsetMap::default(),
    });
    let is_entity = written_len != content.len();
    if !text.value.trim().is_empty() {
        // Real text so far: map this piece from where the text before it ends in the file.
        let text_offset = text.value.trim_start().len();
        let expected = text.span.start + text.value_map.to_file(text_offset);
        if pos > expected {
            // Markup between the pieces, such as `]]>` and `<![CDATA[`.
            text.value_map.push_atom(text_offset, 0, pos - expected);
        }
        if is_entity {
            text.value_map.push_atom(text_offset, content.len(), written_len);
        }
    } else if !content.trim().is_empty() {
        let lead = if is_entity { 0 } else { content.len() - content.trim_start().len() };
        text.span = Span::new(file, pos + lead, pos + written_len);
        if is_entity {
            text.value_map.push_atom(0, content.len(), written_len);
        }
    }
    text.value.push_str(content);
    text.raw.push_str(content);
}

fn element_namespace(
    resolved: ResolveResult<'_>,
    start: &BytesStart<'_>,
    text: &str,
    file: FileId,
) -> Result<Arc<str>, Diagnostic> {
    let qname = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let name_pos = offset_of(text, start.name().as_ref());
    namespace_of(resolved, &qname, Span::new(file, name_pos, name_pos + qname.len()))
}

/// A malformed attribute, placed where the XML reader found the problem. Its positions
/// count from the start of the element's name.
fn attribute_error(
    err: &quick_xml::events::attributes::AttrError,
    file: FileId,
    name_pos: usize,
) -> Diagnostic {
    use quick_xml::events::attributes::AttrError;
    let (at, message) = match err {
        AttrError::ExpectedEq(at) => (*at, "expected `=` after the attribute name".to_owned()),
        AttrError::ExpectedValue(at) => (*at, "expected a quoted value after `=`".to_owned()),
        AttrError::UnquotedValue(at) => (*at, "attribute values must be quoted".to_owned()),
        AttrError::ExpectedQuote(at, quote) => {
            (*at, format!("expected a closing `{}` for the attribute value", char::from(*quote)))
        }
        AttrError::Duplicated(at, _) => (*at, "this attribute is given twice".to_owned()),
    };
    let pos = name_pos + at;
    Diagnostic::error(Span::new(file, pos, pos + 1), format!("malformed attribute: {message}"))
}

fn read_element(
    reader: &NsReader<&[u8]>,
    ns: Arc<str>,
    start: &BytesStart<'_>,
    text: &str,
    file: FileId,
) -> Result<Element, Diagnostic> {
    let qname = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let name_pos = offset_of(text, start.name().as_ref());
    let span = Span::new(file, name_pos, name_pos + qname.len());
    let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let tag_start = name_pos.saturating_sub(1);
    let tag_end = usize::try_from(reader.buffer_position()).unwrap_or(text.len()).min(text.len());
    let start_tag = text.get(tag_start..tag_end).unwrap_or("").to_owned();

    let mut attrs = Vec::new();
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|err| attribute_error(&err, file, name_pos))?;
        let attr_qname = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        if attr_qname == "xmlns" || attr_qname.starts_with("xmlns:") {
            continue;
        }
        let key_pos = offset_of(text, attr.key.as_ref());
        let attr_span = Span::new(file, key_pos, key_pos + attr_qname.len());
        let value_pos = offset_of(text, &attr.value);
        let value_span = Span::new(file, value_pos, value_pos + attr.value.len());
        let (attr_ns, attr_local) = reader.resolve_attribute(attr.key);
        let attr_ns = match attr_ns {
            ResolveResult::Unbound => Arc::from(""),
            other => namespace_of(other, &attr_qname, attr_span)?,
        };
        let value = attr
            .unescape_value()
            .map_err(|err| {
                Diagnostic::error(value_span, format!("malformed attribute value: {err}"))
            })?
            .into_owned();
        let value_map = entity_map(&attr.value);
        attrs.push(Attribute {
            value_map,
            ns: attr_ns,
            name: String::from_utf8_lossy(attr_local.as_ref()).into(),
            qname: attr_qname.into(),
            raw: value.clone(),
            value,
            secret: false,
            span: attr_span,
            value_span,
        });
    }

    Ok(Element {
        ns,
        name: local.into(),
        qname: qname.into(),
        attrs,
        children: Vec::new(),
        text: None,
        span,
        start_tag: start_tag.into(),
    })
}

fn namespace_of(
    resolved: ResolveResult<'_>,
    qname: &str,
    span: Span,
) -> Result<Arc<str>, Diagnostic> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(String::from_utf8_lossy(ns.as_ref()).into()),
        ResolveResult::Unbound => Ok(Arc::from("")),
        ResolveResult::Unknown(prefix) => {
            let prefix = String::from_utf8_lossy(&prefix).into_owned();
            Err(Diagnostic::error(
                span,
                format!("undeclared namespace prefix `{prefix}` in `{qname}`"),
            )
            .with_note(format!("declare it on the root element, e.g. xmlns:{prefix}=\"...\"")))
        }
    }
}

/// The offsets of an attribute value as written (`escaped`, with its entities) against the
/// value decoded; an entity flowrun cannot decode fails the reader before this is used.
fn entity_map(escaped: &[u8]) -> OffsetMap {
    let mut map = OffsetMap::default();
    let mut decoded_len = 0;
    let mut idx = 0;
    while idx < escaped.len() {
        let entity = (escaped[idx] == b'&')
            .then(|| escaped[idx + 1..].iter().position(|&byte| byte == b';'))
            .flatten()
            .and_then(|len| {
                let name = std::str::from_utf8(&escaped[idx + 1..idx + 1 + len]).ok()?;
                Some((len + 2, resolve_entity(name)?.len()))
            });
        match entity {
            Some((written_len, text_len)) => {
                map.push_atom(decoded_len, text_len, written_len);
                decoded_len += text_len;
                idx += written_len;
            }
            None => {
                decoded_len += 1;
                idx += 1;
            }
        }
    }
    map
}

fn resolve_entity(name: &str) -> Option<String> {
    let predefined = match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                name.strip_prefix('#')?.parse().ok()?
            };
            return char::from_u32(code).map(String::from);
        }
    };
    Some(predefined.to_owned())
}

/// `line L, column C` of a byte offset, for notes that point at a second place.
fn line_col(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("line {line}, column {column}")
}

/// Byte offset of `slice` inside `text`; `slice` must borrow from `text`.
fn offset_of(text: &str, slice: &[u8]) -> usize {
    let base = text.as_ptr() as usize;
    let ptr = slice.as_ptr() as usize;
    if ptr >= base && ptr <= base + text.len() { ptr - base } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:h="http://www.mulesoft.org/schema/mule/http">
  <flow name="f">
    <h:request path="/a?x=1&amp;y=2"><h:body><![CDATA[#[payload]]]></h:body></h:request>
    <logger message="a &lt; b"/>
  </flow>
</mule>"#;

    #[test]
    fn resolves_namespaces_and_locates_nodes() {
        let root = parse(DOC, FileId(0)).expect("valid");
        assert!(root.is(ns::CORE, "mule"));
        let flow = &root.children[0];
        let request = &flow.children[0];
        assert!(request.is(ns::HTTP, "request"));
        assert_eq!(&*request.qname, "h:request");
        let path = request.attr("path").expect("path");
        assert_eq!(path.value, "/a?x=1&y=2");
        assert_eq!(&DOC[path.span.start..path.span.end], "path");
        let body = request.child(ns::HTTP, "body").expect("body");
        let text = body.text.as_ref().expect("text");
        assert_eq!(text.value, "#[payload]");
        assert_eq!(&DOC[text.span.start..text.span.start + 2], "#[");
        assert_eq!(flow.children[1].attr_value("message"), Some("a < b"));
        assert_eq!(&*flow.children[1].start_tag, "<logger message=\"a &lt; b\"/>");
    }

    #[test]
    fn unknown_prefix_is_located() {
        let err = parse("<mule>\n  <x:flow/></mule>", FileId(0)).expect_err("undeclared");
        assert!(err.message.contains("undeclared namespace prefix `x`"), "{}", err.message);
        assert_eq!(err.span.map(|s| s.start), Some(10));
    }

    #[test]
    fn unclosed_root_and_stray_text_are_errors() {
        let err = parse("<mule>\n  <flow name=\"f\"/>\n", FileId(0)).expect_err("unclosed");
        assert_eq!(err.message, "`<mule>` is not closed");
        let err = parse("<mule/>\ngarbage", FileId(0)).expect_err("trailing text");
        assert_eq!(
            (err.message.as_str(), err.span.map(|s| s.start)),
            ("text after the root element", Some(8))
        );
    }

    #[test]
    fn malformed_attributes_point_at_the_problem() {
        let cases = [
            ("<mule>\n <a b=\"1\" b=\"2\"/></mule>", "this attribute is given twice", "b=\"2\""),
            ("<mule>\n <a b=1/></mule>", "attribute values must be quoted", "1/>"),
            ("<mule>\n <a b c=\"1\"/></mule>", "expected `=` after the attribute name", "c=\""),
        ];
        for (doc, message, at) in cases {
            let err = parse(doc, FileId(0)).expect_err(doc);
            assert_eq!(err.message, format!("malformed attribute: {message}"), "{doc}");
            let start = err.span.map(|s| s.start).expect("located");
            assert!(doc[start..].starts_with(at), "{doc}: error at {:?}", &doc[start..]);
        }
    }

    #[test]
    fn malformed_xml_is_an_error() {
        let err = parse("<mule><flow></mule>", FileId(0)).expect_err("mismatched");
        assert!(err.message.starts_with("malformed XML"), "{}", err.message);
    }
}
