//! Bakes the build-time configuration defaults from `.env` into the gadget.
//!
//! `.env` (git-ignored, per deployment) wins; without it `.env.example` gives
//! the documented defaults. Only `TTEC_*` keys are taken, values verbatim;
//! `components::config` validates them at runtime together with
//! `config.json` and the gadget URL parameters, so one set of rules applies.

use std::{env, fs, path::Path};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&root);
    let source = [".env", ".env.example"]
        .iter()
        .map(|name| root.join(name))
        .find(|path| path.exists());
    println!("cargo:rerun-if-changed=.env");
    println!("cargo:rerun-if-changed=.env.example");

    let mut pairs = Vec::new();
    if let Some(path) = &source {
        let text = fs::read_to_string(path).expect("readable .env");
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            if let Some((key, value)) = line.split_once('=') {
                let key = key.trim();
                if key.starts_with("TTEC_") {
                    pairs.push((key.to_string(), unquote(value.trim()).to_string()));
                }
            }
        }
    }
    let body: String = pairs
        .iter()
        .map(|(k, v)| format!("    ({k:?}, {v:?}),\n"))
        .collect();
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("env_defaults.rs");
    fs::write(
        out,
        format!("/// `TTEC_*` pairs from the build's `.env`.\npub const ENV_DEFAULTS: &[(&str, &str)] = &[\n{body}];\n"),
    )
    .expect("write env_defaults.rs");
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    // Unquoted values may carry a trailing comment.
    value.split(" #").next().unwrap_or(value).trim()
}
