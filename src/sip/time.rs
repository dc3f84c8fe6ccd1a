//! Time and randomness, both injected: the core never reads a clock or an entropy source.

/// Milliseconds on a monotonic clock chosen by the caller (the browser passes
/// `performance.now()`, tests pass whatever they like).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash, Default)]
pub struct Instant(pub u64);

impl Instant {
    /// This instant moved `ms` milliseconds into the future (saturating, never wraps).
    #[must_use]
    pub fn plus(self, ms: u64) -> Instant {
        Instant(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, or 0 when `earlier` is later.
    #[must_use]
    pub fn saturating_since(self, earlier: Instant) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// A source of random bytes. The browser edge passes `crypto.getRandomValues`; tests pass
/// a seeded PRNG so every tag, branch and cnonce is reproducible.
pub trait Random {
    fn fill(&mut self, buf: &mut [u8]);
}

/// Helpers over the injected source, used for tags, branches, Call-IDs and cnonces.
pub(crate) trait RandomExt {
    /// `len` characters from `[0-9a-z]`: valid in a SIP token, a host label and a tag.
    fn token(&mut self, len: usize) -> String;
    /// A uniformly-ish distributed value in `0..bound` (`bound > 0`), for jitter.
    fn below(&mut self, bound: u64) -> u64;
}

impl RandomExt for dyn Random + '_ {
    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut bytes = [0u8; 32];
        let mut out = String::with_capacity(len);
        while out.len() < len {
            let take = (len - out.len()).min(bytes.len());
            self.fill(&mut bytes);
            // Modulo bias over 36 symbols is irrelevant for uniqueness tokens.
            let symbol = |b: &u8| {
                char::from(
                    ALPHABET
                        .get(usize::from(*b) % ALPHABET.len())
                        .copied()
                        .unwrap_or(b'0'),
                )
            };
            out.extend(bytes.iter().take(take).map(symbol));
        }
        out
    }

    fn below(&mut self, bound: u64) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes);
        u64::from_le_bytes(bytes) % bound.max(1)
    }
}
