//! Property tests, run by plain `cargo test`: printing any tree and parsing the text gives
//! the same tree; no input makes the parsers or the evaluator panic.

use proptest::prelude::*;
use scim2_filter::{
    parse_filter, parse_path, AttrExpr, AttrPath, CompValue, CompareOp, CompiledFilter, Filter,
    NoSchema, Number, PatchPath, PatchValuePath, Predicate, SubAttrExpr, ValuePathExpr,
};
use serde_json::{json, Value};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => "[a-zA-Z][a-zA-Z0-9_-]{0,6}",
        1 => Just("$ref".to_owned()),
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    let urn = prop::option::weighted(
        0.2,
        "urn:[a-zA-Z]{1,5}(:[a-zA-Z0-9.-]{1,6}){0,4}:[A-Z][a-z0-9]{0,4}",
    );
    (urn, name(), prop::option::of(name())).prop_map(|(urn, name, sub_attr)| {
        let path = AttrPath::new(name);
        let path = match sub_attr {
            Some(sub) => path.with_sub_attr(sub),
            None => path,
        };
        match urn {
            Some(urn) => path.with_urn(urn),
            None => path,
        }
    })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?"
            .prop_map(|t| CompValue::Number(Number::new(t).unwrap())),
        any::<String>().prop_map(CompValue::String),
    ]
}

fn predicate() -> impl Strategy<Value = Predicate> {
    prop_oneof![
        1 => Just(Predicate::Present),
        4 => (prop::sample::select(CompareOp::ALL.to_vec()), comp_value())
            .prop_map(|(op, v)| Predicate::Compare(op, v)),
    ]
}

fn attr_expr() -> impl Strategy<Value = Filter> {
    (attr_path(), predicate())
        .prop_map(|(path, predicate)| Filter::Attribute(AttrExpr { path, predicate }))
}

/// Filters built from `leaf` with and, or and not.
fn combine(leaf: BoxedStrategy<Filter>) -> impl Strategy<Value = Filter> {
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(Filter::negate),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::and(l, r)),
            (inner.clone(), inner).prop_map(|(l, r)| Filter::or(l, r)),
        ]
    })
}

/// Filters allowed inside `[...]`: no value paths.
fn inner_filter() -> impl Strategy<Value = Filter> {
    combine(attr_expr().boxed())
}

fn value_path() -> impl Strategy<Value = Filter> {
    let sub = prop::option::weighted(
        0.3,
        (name(), predicate()).prop_map(|(name, predicate)| SubAttrExpr { name, predicate }),
    );
    (attr_path(), inner_filter(), sub).prop_map(|(attr, filter, sub_attr)| {
        Filter::ValuePath(ValuePathExpr {
            attr,
            filter: Box::new(filter),
            sub_attr,
        })
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    combine(prop_oneof![3 => attr_expr(), 1 => value_path()].boxed())
}

fn patch_path() -> impl Strategy<Value = PatchPath> {
    prop_oneof![
        attr_path().prop_map(PatchPath::Attribute),
        (attr_path(), inner_filter(), prop::option::of(name())).prop_map(
            |(attr, filter, sub_attr)| {
                PatchPath::ValuePath(PatchValuePath {
                    attr,
                    filter,
                    sub_attr,
                })
            }
        ),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9 @.:-]{0,12}".prop_map(Value::from),
        Just(json!("2011-05-13T04:42:34Z")),
    ];
    leaf.prop_recursive(3, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z$]{1,6}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printed_filters_parse_back_equal(f in filter()) {
        let text = f.to_string();
        let parsed = parse_filter(&text);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&f), "text: {} error: {:?}", text, parsed.as_ref().err());
    }

    #[test]
    fn printed_paths_parse_back_equal(p in patch_path()) {
        let text = p.to_string();
        let parsed = parse_path(&text);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&p), "text: {} error: {:?}", text, parsed.as_ref().err());
    }

    #[test]
    fn arbitrary_text_never_panics_the_parsers(s in any::<String>()) {
        let _ = parse_filter(&s);
        let _ = parse_path(&s);
    }

    #[test]
    fn filter_like_text_never_panics_the_parsers(s in r#"[a-z \[\]().:"\\0-9-]{0,60}( (eq|and|or|pr|not) )?[a-z \[\]().:"\\0-9-]{0,20}"#) {
        if let Ok(f) = parse_filter(&s) {
            // Whatever parses, prints to text that parses to the same tree.
            prop_assert_eq!(parse_filter(&f.to_string()).ok(), Some(f));
        }
        let _ = parse_path(&s);
    }

    #[test]
    fn evaluation_never_panics(f in filter(), resource in json_value()) {
        if let Ok(compiled) = CompiledFilter::new(&f, &NoSchema) {
            let _ = compiled.matches(&resource);
            let wrapped = json!({"a": resource});
            let _ = compiled.matches(&wrapped);
        }
    }

    #[test]
    fn serde_round_trips_the_tree(f in filter()) {
        let json = serde_json::to_string(&f).unwrap();
        let back: Filter = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, f);
    }
}
