//! Typed errors, one enum per layer. None of them carries a secret.

use thiserror::Error;

/// Wire layer: the text is not a SIP message we can use.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("malformed start line")]
    BadStartLine,
    #[error("malformed header line")]
    BadHeaderLine,
    #[error("Content-Length {declared} exceeds the {actual}-byte body")]
    ContentLengthExceedsBody { declared: usize, actual: usize },
    #[error("malformed Content-Length")]
    BadContentLength,
    #[error("malformed name-addr or URI")]
    BadAddress,
    #[error("malformed Via")]
    BadVia,
    #[error("malformed CSeq")]
    BadCSeq,
    #[error("malformed digest challenge")]
    BadChallenge,
    #[error("malformed Session-Expires")]
    BadSessionExpires,
    #[error("missing or malformed {0} header")]
    Header(&'static str),
    #[error("message of {0} bytes exceeds the size limit")]
    TooLarge(usize),
    #[error("more than the allowed number of header fields")]
    TooManyHeaders,
}

/// Digest layer: a challenge we cannot answer.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DigestError {
    #[error("unsupported digest algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("unsupported qop (only auth is implemented)")]
    UnsupportedQop,
}
