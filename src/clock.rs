//! The page's monotonic clock, read only at the edges.

/// Milliseconds since the page started (`performance.now()`), never going back.
pub fn now() -> u64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now().max(0.0) as u64)
        .unwrap_or(0)
}

/// A User Timing mark (`performance.mark("ttec:<name>")`): start-up steps show in the
/// browser's performance timeline and in `unit_testing/bench/timeline.mjs`.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(&format!("ttec:{name}"));
    }
}
