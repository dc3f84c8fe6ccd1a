//! The page's monotonic clock, read only at the edges.

/// Milliseconds since the page started (`performance.now()`), never going back.
pub fn now() -> u64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now().max(0.0) as u64)
        .unwrap_or(0)
}
