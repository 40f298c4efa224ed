//! Replays every fixture in tests/fixtures/patch: the RFC 7644 §3.5.2 examples, the
//! Entra ID shapes of docs/clients.md, and error cases. Each file holds the resource before,
//! the PATCH request, and either the exact resource after or the expected error; an
//! optional `compat` names the [`Compat`] profile to apply it under (default: the
//! default).

use std::fs;
use std::path::Path;

use scim2_core::patch::{apply, Compat, PatchRequest};
use scim2_core::schema::SchemaRegistry;
use serde_json::Value;

fn run(path: &Path, registry: &SchemaRegistry) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let schema = registry
        .resource_schema(case["resourceType"].as_str().unwrap())
        .unwrap();
    // `"compat": "strict"` (or another profile name) replays the case under that
    // profile; without it, under the default.
    let compat = match case.get("compat").and_then(Value::as_str) {
        None => Compat::default(),
        Some(name) => Compat::profile(name).ok_or_else(|| format!("no profile `{name}`"))?,
    };
    let before = &case["before"];
    let outcome = PatchRequest::from_value(&case["request"], &compat)
        .and_then(|req| apply(&schema, before, &req, &compat));
    match (case.get("after"), case.get("error"), outcome) {
        (Some(after), _, Ok(result)) if &result == after => Ok(()),
        (Some(after), _, Ok(result)) => {
            Err(format!("result differs\n  want {after}\n  got  {result}"))
        }
        (Some(_), _, Err(e)) => Err(format!("unexpected error: {e}")),
        (None, Some(err), Ok(result)) => Err(format!("expected {err}, got success: {result}")),
        (None, Some(err), Err(e)) => {
            let status = err["status"].as_u64().unwrap() as u16;
            let scim_type = err["scimType"].as_str().unwrap();
            let got_type = e.scim_type().map(|t| t.as_str()).unwrap_or("");
            if e.status().as_u16() == status && got_type == scim_type && !e.detail().is_empty() {
                Ok(())
            } else {
                Err(format!("expected {status} {scim_type}, got {e}"))
            }
        }
        (None, None, _) => Err("fixture has neither `after` nor `error`".into()),
    }
}

#[test]
fn every_patch_fixture() {
    let registry = SchemaRegistry::standard();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/patch");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 50, "fixtures missing: {}", files.len());
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            run(f, &registry)
                .err()
                .map(|e| format!("{}: {e}", f.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
