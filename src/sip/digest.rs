//! Digest access authentication (RFC 7616, RFC 8760 for SIP): MD5 and SHA-256, with and
//! without `-sess`, `qop=auth` or none (RFC 2069 style). `auth-int` is not offered by the
//! registrars we target and is refused rather than answered wrongly.

use core::fmt::Write as _;

use md5::Md5;
use sha2::Sha256;

use crate::error::DigestError;
use crate::wire::header::{Challenge, Credentials};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
}

impl Algorithm {
    /// `None` (no `algorithm=` parameter) means MD5 (RFC 7616 §3.3).
    pub fn from_challenge(name: Option<&str>) -> Result<Algorithm, DigestError> {
        let Some(name) = name else {
            return Ok(Algorithm::Md5);
        };
        match name.to_ascii_uppercase().as_str() {
            "MD5" => Ok(Algorithm::Md5),
            "MD5-SESS" => Ok(Algorithm::Md5Sess),
            "SHA-256" => Ok(Algorithm::Sha256),
            "SHA-256-SESS" => Ok(Algorithm::Sha256Sess),
            _ => Err(DigestError::UnsupportedAlgorithm(name.to_owned())),
        }
    }

    fn hash_hex(self, parts: &[&str]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&hash_parts::<Md5>(parts)),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&hash_parts::<Sha256>(parts)),
        }
    }

    fn is_sess(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }
}

/// Hashes `parts` joined by ':' without building the joined string.
fn hash_parts<D: md5::Digest>(parts: &[&str]) -> Vec<u8> {
    let mut hasher = D::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b":");
        }
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Computes the digest response to `challenge` for one request.
pub fn respond(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> Result<Credentials, DigestError> {
    let algorithm = Algorithm::from_challenge(challenge.algorithm.as_deref())?;
    let use_qop = if challenge.qop.is_empty() {
        false
    } else if challenge.qop.iter().any(|q| q == "auth") {
        true
    } else {
        return Err(DigestError::UnsupportedQop);
    };
    let mut ha1 = algorithm.hash_hex(&[username, &challenge.realm, password]);
    if algorithm.is_sess() {
        ha1 = algorithm.hash_hex(&[&ha1, &challenge.nonce, cnonce]);
    }
    let ha2 = algorithm.hash_hex(&[method, uri]);
    let nc_hex = format!("{nc:08x}");
    let response = if use_qop {
        algorithm.hash_hex(&[&ha1, &challenge.nonce, &nc_hex, cnonce, "auth", &ha2])
    } else {
        algorithm.hash_hex(&[&ha1, &challenge.nonce, &ha2])
    };
    Ok(Credentials {
        username: username.to_owned(),
        realm: challenge.realm.clone(),
        nonce: challenge.nonce.clone(),
        uri: uri.to_owned(),
        response,
        algorithm: challenge.algorithm.clone(),
        opaque: challenge.opaque.clone(),
        qop_auth: (use_qop || algorithm.is_sess()).then(|| (cnonce.to_owned(), nc)),
    })
}

/// A challenge we answer repeatedly (REGISTER refreshes reuse the nonce with a growing
/// nonce count, saving a 401 round trip per refresh).
#[derive(Clone, Debug)]
pub struct DigestSession {
    pub challenge: Challenge,
    /// Proxy-Authenticate (407) rather than WWW-Authenticate (401).
    pub proxy: bool,
    nc: u32,
}

impl DigestSession {
    #[must_use]
    pub fn new(challenge: Challenge, proxy: bool) -> DigestSession {
        DigestSession {
            challenge,
            proxy,
            nc: 0,
        }
    }

    /// The header name and credentials for the next request under this challenge.
    pub fn authorize(
        &mut self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> Result<(&'static str, Credentials), DigestError> {
        self.nc = self.nc.saturating_add(1);
        let creds = respond(
            &self.challenge,
            username,
            password,
            method,
            uri,
            cnonce,
            self.nc,
        )?;
        let header = if self.proxy {
            crate::wire::name::PROXY_AUTHORIZATION
        } else {
            crate::wire::name::AUTHORIZATION
        };
        Ok((header, creds))
    }
}
