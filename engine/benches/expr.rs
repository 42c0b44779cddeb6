//! How long [`Expr::eval`] takes on the three expressions the issue "DataWeave expressions,
//! version 1" sets speed targets for (recorded in bench/README.md):
//!
//! - `payload.data.data.openai_key` on a parsed JSON payload: under 200 ns;
//! - a 10-field object constructor: under 2 µs;
//! - `payload map {...}` over 1,000 elements: under 1 ms.
//!
//! It also measures a lookup object built with `reduce` over the same 1,000 elements, which
//! has no target but must not grow quadratically.
//!
//! "A parsed JSON payload" is a native [`Value`] object built once with [`Value::from_json`],
//! outside the timed loop. The same selector on the JSON bytes (as an HTTP body arrives, read
//! on every evaluation) is measured too, so that the cost of reading is on record as well.
//! Compiling is done once per benchmark and never timed: flows compile when the app loads.
//!
//! Run with `cargo bench -p flowrun-engine --bench expr`.

use std::hint::black_box;

// The allocator of the `flowrun` binary, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};

use flowrun_engine::diag::Span;
use flowrun_engine::event::{Event, Message};
use flowrun_engine::expr::{Expr, Scope};
use flowrun_engine::props::NoProperties;
use flowrun_engine::value::{MediaType, TypedValue, Value};

/// An 800-byte body shaped like the demo's key-rotation response, the key three levels down.
fn key_body() -> String {
    let filler: String = (0..20).map(|i| format!(r#""field{i}": "value number {i}", "#)).collect();
    format!(
        r#"{{"request_id": "4f1c", "lease_id": "", "renewable": false, {filler}
            "data": {{"data": {{"openai_key": "sk-proj-0123456789abcdef", "other": 1}},
            "metadata": {{"created_time": "2024-05-01T10:00:00Z", "version": 3}}}}}}"#
    )
}

/// 1,000 order lines for the `map` benchmark.
fn orders_body() -> String {
    let lines: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "name": "item {i}", "price": {}.25, "qty": {}}}"#,
                i % 97,
                i % 7
            )
        })
        .collect();
    format!("[{}]", lines.join(","))
}

fn parsed(body: &str) -> TypedValue {
    let json: serde_json::Value = serde_json::from_str(body).expect("benchmark JSON is valid");
    TypedValue::java(Value::from_json(&json))
}

fn unparsed(body: &str) -> TypedValue {
    TypedValue::new(Value::Binary(body.to_owned().into()), MediaType::json())
}

fn compile(source: &str) -> Expr {
    Expr::compile(source, Span::default()).expect("benchmark script compiles")
}

/// Times `source` against an event whose payload is `payload`.
fn bench_eval(c: &mut Criterion, name: &str, source: &str, payload: TypedValue) {
    let expr = compile(source);
    let event = Event::new(Message::of(payload));
    let scope = Scope::of(&event, &NoProperties);
    expr.eval(&scope).expect("benchmark script evaluates");
    c.bench_function(name, |b| b.iter(|| black_box(expr.eval(black_box(&scope)))));
}

fn selector(c: &mut Criterion) {
    let body = key_body();
    let source = "payload.data.data.openai_key";
    bench_eval(c, "selector/parsed", source, parsed(&body));
    bench_eval(c, "selector/json_bytes", source, unparsed(&body));
}

fn object_constructor(c: &mut Criterion) {
    let source = r#"{
        id: payload.request_id,
        key: payload.data.data.openai_key,
        version: payload.data.metadata.version,
        created: payload.data.metadata.created_time,
        renewable: payload.renewable,
        name: "ai.openai.key",
        kind: "secret",
        count: 3,
        enabled: true,
        note: null
    }"#;
    bench_eval(c, "object_10_fields/native", source, parsed(&key_body()));
    let json_source = format!("output application/json --- {source}");
    bench_eval(c, "object_10_fields/json_output", &json_source, parsed(&key_body()));
}

fn map_1000(c: &mut Criterion) {
    let source = r#"payload map {
        id: $.id,
        label: upper($.name),
        total: $.price * $.qty,
        index: $$
    }"#;
    bench_eval(c, "map_1000/parsed", source, parsed(&orders_body()));
    bench_eval(c, "map_1000/json_bytes", source, unparsed(&orders_body()));
}

/// A lookup object built by `reduce`, as apps index a list by a key: no target, but the time
/// should grow with the number of elements, not with its square.
fn reduce_lookup(c: &mut Criterion) {
    let concat = "payload reduce ((order, index = {}) -> index ++ {(order.name): order.id})";
    bench_eval(c, "reduce_lookup_1000/concat", concat, parsed(&orders_body()));
    let spread = "payload reduce ((order, index = {}) -> {(index), (order.name): order.id})";
    bench_eval(c, "reduce_lookup_1000/spread", spread, parsed(&orders_body()));
}

criterion_group!(benches, selector, object_constructor, map_1000, reduce_lookup);
criterion_main!(benches);
