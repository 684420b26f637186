//! The app's Tauri commands through Tauri's mock runtime (`tauri::test`): the UI's `invoke`
//! reaches the command table, the sync status and pairing exactly as in the real app, with the
//! replica in a temporary folder.

use serde_json::{Value, json};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

fn app(dir: &std::path::Path) -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = gocua_phone::builder(mock_builder(), Some(dir.to_path_buf()))
        .expect("open the shell")
        .build(mock_context(noop_assets()))
        .expect("build the app on the mock runtime");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().expect("json answer"))
}

fn demo(window: &WebviewWindow<MockRuntime>) {
    invoke(
        window,
        "dispatch",
        json!({"cmd": "generate_demo", "args": {"seed": 7, "households": 30}, "lang": "vi"}),
    )
    .expect("demo ward");
}

#[test]
fn dispatch_runs_the_command_table_on_an_encrypted_replica() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());
    demo(&w);
    let streets = invoke(
        &w,
        "dispatch",
        json!({"cmd": "list_streets", "args": {}, "lang": "vi"}),
    )
    .expect("streets");
    assert!(!streets.as_array().expect("a list").is_empty(), "{streets}");
    let households = invoke(
        &w,
        "dispatch",
        json!({"cmd": "list_households", "args": {"filter": {}}, "lang": "vi"}),
    )
    .expect("households");
    let first = households[0]["id"].as_str().expect("an id").to_string();
    let detail = invoke(
        &w,
        "dispatch",
        json!({"cmd": "household_detail", "args": {"id": first}, "lang": "vi"}),
    )
    .expect("detail");
    assert_eq!(detail["row"]["id"], json!(first));
    assert!(
        !detail["residents"]
            .as_array()
            .expect("residents")
            .is_empty()
    );
    let replica = dir.path().join(gocua_shell::REPLICA_FILE);
    assert_eq!(
        gocua_store::file_kind(&replica).unwrap(),
        gocua_store::FileKind::Opaque,
        "encrypted from the first start"
    );
}

#[test]
fn errors_come_back_as_code_and_message_in_the_users_language() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());
    let vi = invoke(
        &w,
        "dispatch",
        json!({"cmd": "no_such_command", "args": {}, "lang": "vi"}),
    )
    .unwrap_err();
    let en = invoke(
        &w,
        "dispatch",
        json!({"cmd": "no_such_command", "args": {}, "lang": "en"}),
    )
    .unwrap_err();
    assert_eq!(vi["code"], en["code"]);
    assert!(vi["code"].as_str().is_some_and(|c| !c.is_empty()), "{vi}");
    assert_ne!(vi["message"], en["message"], "{vi} / {en}");
    let bad = invoke(
        &w,
        "dispatch",
        json!({"cmd": "household_detail", "args": {"nope": 1}, "lang": "en"}),
    )
    .unwrap_err();
    assert_eq!(bad["code"], json!("bad_args"), "{bad}");
}

#[test]
fn sync_status_and_pairing_before_any_hub() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());
    let st = invoke(&w, "sync_status", json!({"lang": "vi"})).expect("status");
    assert_eq!(st["paired"], json!(false));
    assert_eq!(st["state"], json!("idle"));
    assert_eq!(st["pending"], json!(0));
    assert_eq!(st["last_sync"], Value::Null);

    // Syncing unpaired is a status with its reason, not a rejection.
    // The UI passes a `Channel` for progress; on the wire it is `__CHANNEL__:<id>`.
    let st = invoke(
        &w,
        "sync",
        json!({"lang": "vi", "onProgress": "__CHANNEL__:7"}),
    )
    .expect("a status");
    assert_eq!(st["state"], json!("failed"));
    assert_eq!(st["error"]["code"], json!("not_paired"));
    assert!(
        st["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ghép nối"),
        "{st}"
    );

    // A payload that is not a hub's QR code is refused and pairs nothing.
    let err = invoke(
        &w,
        "pair",
        json!({"payload": "xin chào", "deviceName": "máy thử", "lang": "vi"}),
    )
    .unwrap_err();
    assert!(err["code"].as_str().is_some_and(|c| !c.is_empty()), "{err}");
    let st = invoke(&w, "sync_status", json!({"lang": "vi"})).expect("status");
    assert_eq!(st["paired"], json!(false));
}
