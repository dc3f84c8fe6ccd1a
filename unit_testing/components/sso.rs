//! Finesse single sign-on, the pure parts (components/src/sso.rs): which credentials
//! Finesse gave (password, bearer token, nothing) as finesse.gadget.Config holds them
//! before ClientServices.init, wazo-auth's SAML bodies and answers, the SAML landing,
//! and the administrator's SIP credential service's answer.

use ttecphone_components::config::{BrokerKind, ConfigBuilder};
use ttecphone_components::json::Json;
use ttecphone_components::sso::{
    base64_bytes, classify, landing, saml_sso_body, saml_start, saml_token_body,
    service_credentials, FinesseAuth, Landing,
};

/// Base64 one byte per character, as finesse.js encodes `authorization`.
fn b64(text: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[test]
fn base64_reads_as_finesse_js_does() {
    assert_eq!(base64_bytes(&b64("agent3000:pw")).unwrap(), b"agent3000:pw");
    assert_eq!(base64_bytes("YWI").unwrap(), b"ab"); // padding optional
    assert_eq!(
        base64_bytes(&b64("caf\u{e9}")).unwrap(),
        vec![b'c', b'a', b'f', 0xE9]
    );
    assert!(base64_bytes("not base64!").is_none());
    assert!(base64_bytes("abcde").is_none());
}

#[test]
fn a_password_is_only_this_agents_id_colon_password() {
    let auth = b64("agent3000:test-password-3000");
    match classify("agent3000", Some(&auth), None) {
        FinesseAuth::Basic {
            authorization,
            password,
        } => {
            assert_eq!(authorization, auth);
            assert_eq!(password, "test-password-3000");
        }
        other => panic!("{other:?}"),
    }
    // A `Basic ` prefix is accepted; a non-ASCII password stays one char per byte.
    let latin = b64("agent3000:p\u{e9}");
    assert!(matches!(
        classify("agent3000", Some(&format!("Basic {latin}")), Some("")),
        FinesseAuth::Basic { password, .. } if password == "p\u{e9}"
    ));
    // The Debug form never shows the secret.
    assert_eq!(
        format!("{:?}", classify("agent3000", Some(&auth), None)),
        "Basic(..)"
    );
}

#[test]
fn sso_is_the_auth_token_whatever_authorization_holds() {
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudDMwMDAifQ.c2ln";
    for authorization in [None, Some(""), Some("b3BhcXVl"), Some(token)] {
        assert_eq!(
            classify("agent3000", authorization, Some(token)),
            FinesseAuth::Sso {
                token: token.into()
            },
            "{authorization:?}"
        );
    }
    // `Bearer <token>` in authorization.
    assert_eq!(
        classify("agent3000", Some("Bearer abc.def"), None),
        FinesseAuth::Sso {
            token: "abc.def".into()
        }
    );
    assert_eq!(format!("{:?}", classify("a", None, Some(token))), "Sso(..)");
}

#[test]
fn a_token_in_authorization_is_not_a_password() {
    // finesse.js 10.6.1 would take the text before a colon as the id: a JWT's
    // Base64 decodes to `{"alg":…` (a colon, but not this agent's id).
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudDMwMDAifQ.c2ln";
    assert_eq!(
        classify("agent3000", Some(jwt), None),
        FinesseAuth::Sso { token: jwt.into() }
    );
    // Opaque, no colon (10.6.1's init throws on it).
    let opaque = b64("opaque-sso-token");
    assert_eq!(
        classify("agent3000", Some(&opaque), None),
        FinesseAuth::Sso { token: opaque }
    );
    // A login name rather than the id (what the agent typed) is still a password.
    assert!(matches!(
        classify("1001001", Some(&b64("jsmith:pw")), None),
        FinesseAuth::Basic { password, .. } if password == "pw"
    ));
    // JSON before the colon (a JWT header's `{"alg":…`) is no login.
    assert!(classify("agent3000", Some(&b64(r#"{"alg":"RS256"}.x"#)), None).is_sso());
}

#[test]
fn nothing_and_what_init_makes_of_nothing() {
    assert_eq!(classify("agent3000", None, None), FinesseAuth::Nothing);
    assert_eq!(
        classify("agent3000", Some("  "), Some("")),
        FinesseAuth::Nothing
    );
    // 10.6.1 rewrites an empty authorization to `<id>:undefined`: no password.
    let rewritten = b64("agent3000:undefined");
    assert!(!matches!(
        classify("agent3000", Some(&rewritten), None),
        FinesseAuth::Basic { .. }
    ));
    assert!(!matches!(
        classify("agent3000", Some(&b64("agent3000:")), None),
        FinesseAuth::Basic { .. }
    ));
}

#[test]
fn saml_bodies_as_wazo_auth_reads_them() {
    assert_eq!(
        saml_sso_body(
            "https://finesse.example/3rdpartygadget/files/TTECPhone/sso.html",
            "ttec.example"
        )
        .to_string(),
        r#"{"redirect_url":"https://finesse.example/3rdpartygadget/files/TTECPhone/sso.html","domain":"ttec.example"}"#
    );
    let body = saml_token_body("abc_-123").to_string();
    assert!(body.contains(r#""saml_session_id":"abc_-123""#), "{body}");
    assert!(
        body.contains(r#""access_type":"offline""#) && body.contains(r#""client_id":"ttecphone""#),
        "{body}"
    );
    assert!(!body.contains("domain_name"), "{body}");
}

#[test]
fn saml_start_needs_a_web_location_and_a_session_id() {
    let ok = Json::parse(r#"{"location":"https://idp.example/sso?SAMLRequest=x&RelayState=y","saml_session_id":"s1"}"#).unwrap();
    let start = saml_start(&ok).unwrap();
    assert_eq!(
        start.location,
        "https://idp.example/sso?SAMLRequest=x&RelayState=y"
    );
    assert_eq!(start.saml_session_id, "s1");
    assert_eq!(format!("{start:?}"), "SamlStart { .. }");
    for bad in [
        r#"{"location":"javascript:alert(1)","saml_session_id":"s1"}"#,
        r#"{"location":"https://idp.example/","saml_session_id":""}"#,
        r#"{"saml_session_id":"s1"}"#,
    ] {
        assert!(saml_start(&Json::parse(bad).unwrap()).is_none(), "{bad}");
    }
}

#[test]
fn the_landing_says_whether_wazo_auth_took_the_idps_answer() {
    assert_eq!(landing(""), Landing::SignedIn);
    assert_eq!(landing("?x=1"), Landing::SignedIn);
    assert_eq!(landing("?login_failure_code=500"), Landing::Refused(500));
    assert_eq!(
        landing("?a=b&login_failure_code=401"),
        Landing::Refused(401)
    );
    assert_eq!(landing("?login_failure_code=zz"), Landing::Refused(500));
}

#[test]
fn the_credential_services_answer() {
    let body = Json::parse(r#"{"username":"u1","password":"p1","number":"3000"}"#).unwrap();
    let c = service_credentials(&body).unwrap();
    assert_eq!((c.username.as_str(), c.password.as_str()), ("u1", "p1"));
    assert_eq!(c.aor, None);
    assert_eq!(c.number.as_deref(), Some("3000"));
    assert!(!format!("{c:?}").contains("p1"));
    for bad in [
        r#"{"username":"u1"}"#,
        r#"{"username":"","password":"p"}"#,
        r#"[]"#,
    ] {
        assert!(
            service_credentials(&Json::parse(bad).unwrap()).is_none(),
            "{bad}"
        );
    }
}

#[test]
fn sip_credentials_url_is_https_or_loopback() {
    let build = |url: &str| {
        ConfigBuilder::default()
            .with_url_parameters([
                ("brokerKind", "sip"),
                ("wsUrl", "wss://sip.example/ws"),
                ("sipCredentialsUrl", url),
            ])
            .finish()
    };
    let ok = build("https://creds.example/sip").unwrap();
    assert_eq!(ok.broker_kind, BrokerKind::Sip);
    assert_eq!(
        ok.sip_credentials_url.as_deref(),
        Some("https://creds.example/sip")
    );
    assert!(build("http://127.0.0.1:9000/sip").is_ok());
    let err = build("http://creds.example/sip").unwrap_err();
    assert_eq!(err[0].key, "sipCredentialsUrl");
}

#[test]
fn sso_refusals_in_plain_words_with_one_next_step() {
    use ttecphone_components::problems::Problem;
    use ttecphone_components::store::{Refusal, UserCommand};
    let refused = |refusal, detail: &str| Problem::Refused {
        refusal,
        detail: detail.into(),
    };
    let no_password = refused(
        Refusal::SsoNoPassword,
        "single sign-on with brokerKind=sip needs the administrator's SIP credential service (sipCredentialsUrl)",
    );
    assert_eq!(no_password.code(), "sso-no-password");
    assert!(no_password
        .title()
        .starts_with("Finesse signed you in with single sign-on"));
    assert!(no_password.title().contains("sipCredentialsUrl"));
    assert!(no_password.next_step().contains("administrator"));
    assert_eq!(no_password.action(), None);
    assert_eq!(no_password.severity(), "error");
    // The IdP needs the agent: a button, and the click's command.
    for refusal in [Refusal::SsoSignIn, Refusal::SsoPopupBlocked] {
        let p = refused(refusal, "");
        assert_eq!(
            p.action(),
            Some(("Sign in to the phone", UserCommand::SignInToPhone))
        );
        assert_eq!(p.severity(), "action");
        assert!(
            p.next_step().contains("Sign in to the phone"),
            "{}",
            p.next_step()
        );
    }
    let refused_by_idp = refused(Refusal::SsoRefused, "Wazo did not accept it");
    assert_eq!(
        refused_by_idp.title(),
        "Your company sign-in did not let the phone in: Wazo did not accept it."
    );
    assert!(refused_by_idp
        .next_step()
        .starts_with("Sign out of Finesse"));
    let no_account = refused(Refusal::SsoNoAccount, "");
    assert_eq!(no_account.code(), "sso-no-account");
    assert!(no_account.next_step().contains("SIP credential service"));
}
