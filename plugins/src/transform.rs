//! `ee:transform`: DataWeave scripts that set the payload, the attributes and variables.
//!
//! Every script is compiled when the app loads, from its inline text (usually CDATA) or from
//! a `resource="x.dwl"` file, and every script of one transform sees the event as it was
//! before the transform: setting the payload first does not change what the variable scripts
//! read. Parts the transform does not set are left as they were.
//!
//! A script without an `output` directive gives a native value (Mule's `application/java`).
//! Mule would infer the writer from the inputs the script reads (selecting from a JSON
//! payload writes JSON); flowrun does not, as for inline `#[...]` expressions (see
//! `engine/src/expr/DESIGN.md`). Write `output application/json` to get JSON.

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;

use flowrun_engine::diag::{Diagnostic, Span};
use flowrun_engine::event::{Event, MuleError};
use flowrun_engine::expr::{Expr, Scope, ValueExpr};
use flowrun_engine::plugin::{
    AttrSpec, BuildContext, ChildSpec, Kind, Processor, ProcessorKind, Registry, Schema,
    StepContext,
};
use flowrun_engine::value::TypedValue;
use flowrun_engine::xml::{Element, ns};

use crate::core::expression_error;

/// Adds `ee:transform` to a registry.
pub fn register(registry: &mut Registry) {
    registry.add(Kind::Processor(Box::new(TransformKind)));
}

static SCRIPT: Schema =
    Schema { attributes: &[AttrSpec::optional("resource")], children: &[], text: true };

static VARIABLE_SCRIPT: Schema = Schema {
    attributes: &[AttrSpec::required("variableName"), AttrSpec::optional("resource")],
    children: &[],
    text: true,
};

static MESSAGE: Schema = Schema {
    attributes: &[],
    children: &[
        ChildSpec { ns: ns::EE, name: "set-payload", schema: &SCRIPT, required: false },
        ChildSpec { ns: ns::EE, name: "set-attributes", schema: &SCRIPT, required: false },
    ],
    text: false,
};

static VARIABLES: Schema = Schema {
    attributes: &[],
    children: &[ChildSpec {
        ns: ns::EE,
        name: "set-variable",
        schema: &VARIABLE_SCRIPT,
        required: false,
    }],
    text: false,
};

static TRANSFORM: Schema = Schema {
    attributes: &[],
    children: &[
        ChildSpec { ns: ns::EE, name: "message", schema: &MESSAGE, required: false },
        ChildSpec { ns: ns::EE, name: "variables", schema: &VARIABLES, required: false },
    ],
    text: false,
};

/// `<ee:transform>`.
struct TransformKind;

flowrun_engine::component!(
    TransformKind,
    ns::EE,
    "transform",
    "sets the payload, attributes and variables with DataWeave scripts",
    &TRANSFORM
);

impl ProcessorKind for TransformKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<Arc<dyn Processor>> {
        let mut transform = Transform { payload: None, attributes: None, vars: Vec::new() };
        let mut ok = true;
        let children = element.children.iter().filter(|child| &*child.ns == ns::EE);
        for part in children.flat_map(|child| child.children.iter()) {
            let script = script(part, cx);
            ok &= script.is_some();
            let Some(script) = script else { continue };
            match &*part.name {
                "set-payload" => transform.payload = Some(script),
                "set-attributes" => transform.attributes = Some(script),
                "set-variable" => {
                    let name = part.attr_value("variableName").unwrap_or_default();
                    if !is_variable_name(name) {
                        let span = part.attr("variableName").map_or(part.span, |a| a.value_span);
                        cx.error(
                            span,
                            format!("invalid variable name `{name}`: use letters, digits and `_`"),
                        );
                        ok = false;
                        continue;
                    }
                    transform.vars.push((name.to_owned(), script));
                }
                // The schema check admits no other children.
                _ => {}
            }
        }
        ok.then(|| Arc::new(transform) as Arc<dyn Processor>)
    }
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Compiles the script of one `ee:set-*` element, inline or from its `resource` file.
fn script(element: &Element, cx: &mut BuildContext<'_>) -> Option<ValueExpr> {
    let resource = element.attr("resource");
    match (resource, &element.text) {
        (Some(resource), Some(text)) => {
            let message = format!("`{}` has both a `resource` and a script", element.qname);
            cx.report(
                Diagnostic::error(text.span, message)
                    .with_related(resource.value_span, "the `resource` is here")
                    .with_note("keep one of them"),
            );
            None
        }
        (Some(resource), None) => {
            let Some(path) = cx.find_file(&resource.value) else {
                cx.error(
                    resource.value_span,
                    format!("cannot find the script `{}`", resource.value),
                );
                return None;
            };
            let source = match std::fs::read_to_string(&path) {
                Ok(source) => source,
                Err(err) => {
                    let message = format!("cannot read `{}`: {err}", path.display());
                    cx.error(resource.value_span, message);
                    return None;
                }
            };
            match Expr::compile(&source, Span::default()) {
                Ok(expr) => Some(ValueExpr::Expr(expr)),
                Err(diag) => {
                    cx.report(in_resource(diag, &path, &source, resource.value_span));
                    None
                }
            }
        }
        (None, Some(text)) => {
            // The text's span starts at its first non-blank character.
            let source = text.value.trim();
            Expr::compile(source, text.span)
                .map(ValueExpr::Expr)
                .map_err(|d| cx.report(text.in_file(d)))
                .ok()
        }
        (None, None) => {
            let message =
                format!("`{}` needs a script, inline or as `resource=\"x.dwl\"`", element.qname);
            cx.error(element.span, message);
            None
        }
    }
}

/// A diagnostic from a script compiled out of `path` (whose offsets count from the start of
/// the file), moved to the `resource` attribute with the place in the `.dwl` file spelled
/// out, since the loader's source map only knows the XML files.
fn in_resource(diag: Diagnostic, path: &Path, source: &str, resource: Span) -> Diagnostic {
    let offset = diag.span.map_or(0, |span| span.start).min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    let mut moved = Diagnostic::error(
        resource,
        format!("{}:{line}:{column}: {}", path.display(), diag.message),
    );
    moved.notes = diag.notes;
    moved
}

/// A built `ee:transform`.
struct Transform {
    payload: Option<ValueExpr>,
    attributes: Option<ValueExpr>,
    vars: Vec<(String, ValueExpr)>,
}

impl Processor for Transform {
    fn process<'a>(
        &'a self,
        event: &'a mut Event,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<(), MuleError>> {
        Box::pin(async move {
            // Every script reads the event as it was: evaluate all, then apply.
            let (payload, attributes, vars) = {
                let scope = Scope::of(event, cx.properties).in_flow(cx.app_name, cx.flow_name);
                let eval = |script: &ValueExpr| -> Result<TypedValue, MuleError> {
                    script.eval(&scope).map_err(|err| expression_error(&err.message, script))
                };
                let payload = self.payload.as_ref().map(eval).transpose()?;
                let attributes = self.attributes.as_ref().map(eval).transpose()?;
                let mut vars = Vec::with_capacity(self.vars.len());
                for (name, script) in &self.vars {
                    vars.push((name.clone(), eval(script)?));
                }
                (payload, attributes, vars)
            };
            if let Some(payload) = payload {
                event.message.payload = payload;
            }
            if let Some(attributes) = attributes {
                event.message.attributes = attributes;
            }
            event.vars.extend(vars);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use bytes::Bytes;

    use flowrun_engine::event::{Event, Message};
    use flowrun_engine::expr::to_text;
    use flowrun_engine::model::{self, App, LoadError, LoadOptions};
    use flowrun_engine::value::{MediaType, Value};

    use super::*;

    fn app_xml(body: &str) -> String {
        format!(
            r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:ee="http://www.mulesoft.org/schema/mule/ee/core">
<flow name="f">
{body}
</flow>
</mule>"#
        )
    }

    fn load_at(path: &Path, body: &str) -> Result<App, LoadError> {
        let options = LoadOptions { app_name: Some("test-app".into()), ..LoadOptions::default() };
        model::load_str(path, &app_xml(body), &crate::registry(), &options)
    }

    fn load(body: &str) -> Result<App, LoadError> {
        load_at(Path::new("test-app.xml"), body)
    }

    /// Every diagnostic, rendered as the command line prints it.
    fn load_errors(path: &Path, body: &str) -> String {
        match load_at(path, body) {
            Ok(_) => panic!("the app loaded"),
            Err(err) => err
                .diagnostics
                .iter()
                .map(|d| d.render(&err.sources))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn json_event(body: &str) -> Event {
        let payload = TypedValue::new(
            Value::Binary(Bytes::from(body.to_owned())),
            MediaType::json().with_charset("UTF-8"),
        );
        let mut event = Event::new(Message::of(payload));
        event.vars.insert("n".into(), TypedValue::java(Value::string("1")));
        event
    }

    async fn run(app: &App, event: Event) -> Result<Event, MuleError> {
        let runner = app.runner("f").expect("flow `f`");
        runner.run(event).await.map_err(|failure| failure.error)
    }

    /// A fresh folder under the system's temporary directory.
    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("flowrun-transform-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[tokio::test]
    async fn sets_payload_attributes_and_variables_from_the_input_event() {
        let app = load(
            r#"<ee:transform>
  <ee:message>
    <ee:set-payload><![CDATA[%dw 2.0
output application/json indent=false
---
{total: payload.a + 1, n: vars.n}]]></ee:set-payload>
    <ee:set-attributes><![CDATA[{kind: "t"}]]></ee:set-attributes>
  </ee:message>
  <ee:variables>
    <ee:set-variable variableName="old"><![CDATA[payload.a]]></ee:set-variable>
    <ee:set-variable variableName="n">vars.n ++ "!"</ee:set-variable>
  </ee:variables>
</ee:transform>"#,
        )
        .expect("loads");
        let event = run(&app, json_event(r#"{"a": 41}"#)).await.expect("runs");
        let payload = &event.message.payload;
        assert_eq!(payload.value, Value::Binary(Bytes::from_static(br#"{"total": 42,"n": "1"}"#)));
        assert_eq!(payload.media_type.to_string(), "application/json; charset=UTF-8");
        assert_eq!(to_text(&event.message.attributes), "{\n  \"kind\": \"t\"\n}");
        // `old` read the payload from before the transform, `n` the old `n`.
        assert_eq!(to_text(&event.vars["old"]), "41");
        assert_eq!(to_text(&event.vars["n"]), "1!");
    }

    #[tokio::test]
    async fn header_lines_may_end_in_comments_and_hold_several_directives() {
        let app = load(
            r#"<ee:transform><ee:message>
  <ee:set-payload><![CDATA[%dw 2.0
import * from dw::core::Strings // for capitalize
output application/json indent=false /* compact */ var greeting = "hello"
---
{g: capitalize(greeting)}]]></ee:set-payload>
</ee:message></ee:transform>"#,
        )
        .expect("loads");
        let event = run(&app, json_event("{}")).await.expect("runs");
        let payload = &event.message.payload;
        assert_eq!(payload.value, Value::Binary(Bytes::from_static(br#"{"g": "Hello"}"#)));
    }

    #[tokio::test]
    async fn parts_not_set_are_kept_and_scripts_without_output_give_native_values() {
        let app = load(
            r#"<ee:transform><ee:variables>
  <ee:set-variable variableName="v"><![CDATA[{a: payload.a}]]></ee:set-variable>
</ee:variables></ee:transform>"#,
        )
        .expect("loads");
        let input = json_event(r#"{"a": [1, 2]}"#);
        let payload = input.message.payload.clone();
        let event = run(&app, input).await.expect("runs");
        assert_eq!(event.message.payload, payload);
        let v = &event.vars["v"];
        assert!(v.media_type.is_java(), "{}", v.media_type);
        assert!(matches!(v.value, Value::Object(_)));
        assert_eq!(to_text(&event.vars["n"]), "1");
    }

    #[tokio::test]
    async fn failing_scripts_raise_mule_expression() {
        let app = load(
            r#"<ee:transform><ee:message>
  <ee:set-payload><![CDATA[payload.a ++ "x"]]></ee:set-payload>
</ee:message></ee:transform>"#,
        )
        .expect("loads");
        let err = run(&app, json_event(r#"{"b": 1}"#)).await.expect_err("null ++");
        assert_eq!(err.error_type.to_string(), "MULE:EXPRESSION");
        let description = &err.description;
        assert!(description.starts_with("\"You called the function '++'"), "{description}");
        assert!(
            description.ends_with("evaluating expression: \"payload.a ++ \"x\"\"."),
            "{description}"
        );
    }

    #[tokio::test]
    async fn resource_scripts_are_found_next_to_the_app() {
        let dir = temp_dir("resource");
        std::fs::write(dir.join("double.dwl"), "output application/json\n---\npayload.a * 2\n")
            .expect("writes");
        let body = r#"<ee:transform><ee:message>
  <ee:set-payload resource="double.dwl"/>
</ee:message></ee:transform>"#;
        let app = load_at(&dir.join("app.xml"), body).expect("loads");
        let event = run(&app, json_event(r#"{"a": 21}"#)).await.expect("runs");
        assert_eq!(to_text(&event.message.payload), "42");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn syntax_errors_point_into_the_flow_file() {
        let body = "<ee:transform><ee:message>\n<ee:set-payload><![CDATA[%dw 2.0\n---\n{a: payload.a +}]]></ee:set-payload>\n</ee:message></ee:transform>";
        let errors = load_errors(Path::new("app.xml"), body);
        // The XML's `{body}` starts on line 4; the script's third line is line 7.
        assert!(errors.starts_with("app.xml:7:16: error: "), "{errors}");
    }

    #[test]
    fn syntax_errors_in_resources_name_the_dwl_file() {
        let dir = temp_dir("bad-resource");
        let dwl = dir.join("bad.dwl");
        std::fs::write(&dwl, "%dw 2.0\n---\n{a: nope}\n").expect("writes");
        let body = r#"<ee:transform><ee:message><ee:set-payload resource="bad.dwl"/></ee:message></ee:transform>"#;
        let errors = load_errors(&dir.join("app.xml"), body);
        let expected = format!("{}:3:5: unable to resolve reference of: `nope`", dwl.display());
        assert!(errors.contains(&expected), "{errors}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_scripts_and_resources_are_load_errors() {
        let errors = load_errors(
            Path::new("app.xml"),
            r#"<ee:transform><ee:message><ee:set-payload resource="nowhere.dwl"/><ee:set-attributes/></ee:message></ee:transform>"#,
        );
        assert!(errors.contains("cannot find the script `nowhere.dwl`"), "{errors}");
        assert!(errors.contains("`ee:set-attributes` needs a script"), "{errors}");
    }
}
