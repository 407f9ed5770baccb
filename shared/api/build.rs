//! Builds the served OpenAPI document from `openapi/openapi.yaml`: every operation marked
//! `x-act-for-tenant: true` is also listed under `/v1/tenants/{tenant_id}`, with the tenant parameter,
//! the `ForTenant` operationId suffix and the answers a platform key can get there. Writing each of those
//! routes twice by hand would let the two copies drift.

#![allow(clippy::expect_used, reason = "a document that cannot be built must stop the build, loudly")]

use std::path::PathBuf;

use serde_yaml::{Mapping, Value};

const SOURCE: &str = "../../openapi/openapi.yaml";
const MARK: &str = "x-act-for-tenant";

fn main() {
    println!("cargo::rerun-if-changed={SOURCE}");
    let text = std::fs::read_to_string(SOURCE).expect("openapi/openapi.yaml is readable");
    let mut spec: Value = serde_yaml::from_str(&text).expect("openapi/openapi.yaml is YAML");
    let paths = spec.get_mut("paths").and_then(Value::as_mapping_mut).expect("the document has paths");
    let mut added = Mapping::new();
    for (path, item) in paths.iter_mut() {
        let path = path.as_str().expect("paths are strings");
        let item = item.as_mapping_mut().expect("path items are maps");
        let mut copy = Mapping::new();
        for (method, operation) in item.iter_mut() {
            let Some(operation) = operation.as_mapping_mut() else { continue };
            if operation.remove(MARK) != Some(Value::Bool(true)) {
                continue;
            }
            copy.insert(method.clone(), Value::Mapping(for_tenant(operation)));
        }
        if !copy.is_empty() {
            let prefixed = format!("/v1/tenants/{{tenant_id}}{}", path.trim_start_matches("/v1"));
            added.insert(Value::String(prefixed), Value::Mapping(copy));
        }
    }
    paths.extend(added);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("openapi.yaml");
    let rendered = serde_yaml::to_string(&spec).expect("the document renders");
    std::fs::write(out, rendered).expect("OUT_DIR is writable");
}

/// The operation as served under the tenant prefix.
fn for_tenant(operation: &Mapping) -> Mapping {
    let mut copy = operation.clone();
    let text = |key: &str| copy.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let id = format!("{}ForTenant", text("operationId"));
    let summary = format!("{} (for a tenant)", text("summary"));
    copy.insert("operationId".into(), id.into());
    copy.insert("summary".into(), summary.into());
    let mut parameters = vec![reference("#/components/parameters/TenantIdInPath")];
    if let Some(Value::Sequence(own)) = copy.get("parameters") {
        parameters.extend(own.iter().cloned());
    }
    copy.insert("parameters".into(), Value::Sequence(parameters));
    if let Some(Value::Mapping(responses)) = copy.get_mut("responses") {
        responses.entry("404".into()).or_insert_with(|| reference("#/components/responses/NotFound"));
    }
    copy
}

fn reference(to: &str) -> Value {
    let mut map = Mapping::new();
    map.insert("$ref".into(), to.into());
    Value::Mapping(map)
}
