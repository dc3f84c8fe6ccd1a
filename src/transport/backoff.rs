//! Jittered exponential backoff for reconnecting: about 0.5 s doubling to a
//! 30 s cap, with "full jitter" over the upper half so a broker restart is
//! not met by every agent at the same instant (no retry storm).

/// The first delay, in milliseconds.
pub const BASE_MS: u64 = 500;
/// The cap, in milliseconds.
pub const CAP_MS: u64 = 30_000;

/// Delay before reconnect attempt number `attempt` (0 for the first), given a
/// random value in `0..=u32::MAX`. Always within `[ceiling/2, ceiling]`.
pub fn delay_ms(attempt: u32, random: u32) -> u64 {
    let ceiling = BASE_MS.saturating_mul(1u64 << attempt.min(16)).min(CAP_MS);
    let half = ceiling / 2;
    half + (u64::from(random) * (ceiling - half)) / u64::from(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_and_stays_jittered() {
        assert!((250..=500).contains(&delay_ms(0, 0)));
        assert_eq!(delay_ms(0, u32::MAX), 500);
        assert_eq!(delay_ms(3, u32::MAX), 4_000);
        assert_eq!(delay_ms(10, u32::MAX), CAP_MS);
        assert_eq!(delay_ms(40, 0), CAP_MS / 2);
    }
}
