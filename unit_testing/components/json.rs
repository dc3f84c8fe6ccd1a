//! The small JSON module (components/src/json.rs) that replaced serde_json:
//! the documents the phone reads (config.json, iceServers, Wazo token and confd
//! answers, the cached session) and the inputs it must refuse.

use ttecphone_components::json::Json;

#[test]
fn reads_a_wazo_token_answer() {
    // Shape from wazo-auth's POST /api/auth/0.1/token (REFERENCE.md).
    let text = r#"{"data": {"metadata": {"uuid": "a1b2", "tenant_uuid": "t9", "pbx_user_uuid": "a1b2"},
        "token": "5e1d", "refresh_token": null, "acls": ["confd.users.me.read", "websocketd"],
        "utc_expires_at": "2026-11-25T10:41:19.412947", "utc_issued_at": "2026-11-25T09:41:19.412947",
        "auth_id": "a1b2", "xivo_uuid": "x", "issued_at": "2026-11-25T09:41:19.412947",
        "expires_at": "2026-11-25T10:41:19.412947", "session_uuid": "s1", "remote_addr": "10.0.0.1",
        "user_agent": "Mozilla/5.0", "xivo_user_uuid": null}}"#;
    let json = Json::parse(text).unwrap();
    let data = json.get("data").unwrap();
    assert_eq!(data.get("token").and_then(Json::as_str), Some("5e1d"));
    assert_eq!(data.get("refresh_token"), Some(&Json::Null));
    assert_eq!(
        data.get("metadata")
            .and_then(|m| m.get("uuid"))
            .and_then(Json::as_str),
        Some("a1b2")
    );
    assert_eq!(
        data.get("acls").and_then(Json::as_array).map(<[Json]>::len),
        Some(2)
    );
}

#[test]
fn reads_numbers_as_written() {
    let json =
        Json::parse(r#"{"id": 42, "neg": -7, "big": 18446744073709551615, "f": 1.5e3, "z": 0}"#)
            .unwrap();
    assert_eq!(json.get("id").and_then(Json::as_u64), Some(42));
    assert_eq!(json.get("neg").and_then(Json::as_i64), Some(-7));
    assert_eq!(json.get("neg").and_then(Json::as_u64), None);
    assert_eq!(json.get("big").and_then(Json::as_u64), Some(u64::MAX));
    assert_eq!(
        json.get("f").and_then(Json::as_i64),
        None,
        "not a plain integer"
    );
    assert_eq!(
        json.get("f").map(ToString::to_string).as_deref(),
        Some("1.5e3")
    );
    assert_eq!(json.get("z").and_then(Json::as_u64), Some(0));
}

#[test]
fn decodes_escapes_and_unicode() {
    let json = Json::parse(r#"["a\"b\\c\/d\n\t", "\u00e9\u20ac", "\ud83d\ude00", "ünï"]"#).unwrap();
    let items: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert_eq!(items, ["a\"b\\c/d\n\t", "é€", "😀", "ünï"]);
}

#[test]
fn writes_what_it_reads() {
    let text = r#"{"apiBase":"https://wazo.example.com","token":"t\"\\\n\u0001","refreshToken":null,"n":-12,"ok":true,"list":[1,"x",{}],"o":{}}"#;
    let json = Json::parse(text).unwrap();
    assert_eq!(json.to_string(), text);
    assert_eq!(Json::parse(&json.to_string()).unwrap(), json);
}

#[test]
fn a_repeated_key_keeps_its_last_value_like_json_parse() {
    let json = Json::parse(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
    assert_eq!(json.get("a").and_then(Json::as_u64), Some(3));
    assert_eq!(json.to_string(), r#"{"b":2,"a":3}"#);
}

#[test]
fn refuses_what_json_parse_refuses() {
    let bad = [
        "",
        "   ",
        "{",
        "[1,]",
        r#"{"a":1,}"#,
        "{a:1}",
        "{'a':1}",
        "01",
        "-",
        "1.",
        ".5",
        "1e",
        "+1",
        "NaN",
        "tru",
        "nul",
        r#""abc"#,
        r#""bad \x escape""#,
        "\"tab\tinside\"",
        r#""\ud83d alone""#,
        r#""\ude00""#,
        r#""\u12""#,
        "[1] 2",
        "// comment\n{}",
        "{\"a\" 1}",
    ];
    for text in bad {
        assert!(Json::parse(text).is_err(), "accepted {text:?}");
    }
}

#[test]
fn errors_say_what_and_where() {
    let error = Json::parse(r#"{"autoAnswerDelayMs": 0,}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected a member name in double quotes at byte 24"
    );
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep = "[".repeat(100_000);
    assert_eq!(Json::parse(&deep).unwrap_err().message, "nested too deeply");
    let ok = format!("{}{}", "[".repeat(30), "]".repeat(30));
    assert!(Json::parse(&ok).is_ok());
}

#[test]
fn non_objects_have_no_members() {
    assert_eq!(Json::parse("[1]").unwrap().get("a"), None);
    assert_eq!(Json::parse("\"s\"").unwrap().as_array(), None);
    assert_eq!(Json::parse("true").unwrap().as_bool(), Some(true));
}
