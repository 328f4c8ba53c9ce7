//! Arcade `ToolDefinition` JSON → the MCP tools `tools/list` serves.
//!
//! Any definitions Arcade could send (any JSON the wire type accepts) must convert
//! without a panic into tools whose names are valid and unique, whose input schema is
//! a JSON Schema the gateway can compile, and which serialize.

#![no_main]

use arcade_mcp_gateway::arcade::types::ToolDefinition;
use arcade_mcp_gateway::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(definitions) = serde_json::from_slice::<Vec<ToolDefinition>>(data) else {
        return;
    };
    let count = definitions.len();
    let catalog = Catalog::from_definitions(definitions);
    assert_eq!(catalog.len(), count, "no definition is dropped");
    let tools = catalog.tools();
    assert_eq!(tools.len(), count, "every tool is listed");
    let mut names = std::collections::HashSet::new();
    for (entry, tool) in catalog.iter().zip(&tools) {
        let name = entry.name();
        assert!(
            arcade_mcp_gateway::catalog::is_valid_name(name),
            "invalid MCP name {name:?}"
        );
        assert!(names.insert(name.to_owned()), "duplicate MCP name {name:?}");
        let schema = serde_json::Value::Object((*tool.input_schema).clone());
        assert!(
            jsonschema::meta::is_valid(&schema),
            "input schema of {name} is not a JSON Schema: {schema}"
        );
        // The gateway compiles it on the tool's first call; an empty call must get an
        // answer (accepted or a list of problems), never a panic.
        let _ = entry.validate_arguments(&serde_json::Map::new());
    }
    serde_json::to_vec(&tools).expect("tools/list serializes");
});
