// The shapes #[derive(ActionType)] and #[derive(Fields)] accept: start
// fields borrowed or owned, generic, raw identifiers, no fields at all;
// success fields shared by several action types, or none; the library
// named by `crate = path`; started through the declaration from sync code,
// from an #[inline_actions] function, and from spawned async code.
use eliot::testing::MemoryLogger;
use eliot::{ActionType, Fields, inline_actions};

#[derive(Fields)]
struct Written {
    bytes: u64,
}

#[derive(ActionType)]
#[eliot(action_type = "ui:save", success = Written, description = "Saves a file")]
struct Save<'a> {
    path: &'a str,
    r#type: &'a str,
}

#[derive(ActionType)]
#[eliot(action_type = "ui:upload", success = Written)]
struct Upload<K: serde::Serialize> {
    key: K,
}

#[derive(ActionType)]
#[eliot(action_type = "ui:tick")]
struct Tick;

#[derive(ActionType)]
#[eliot(action_type = "ui:unit_fields")]
struct Empty {}

#[derive(ActionType)]
#[eliot(crate = ::eliot, action_type = "ui:explicit", success = crate::Written)]
struct Explicit {
    n: u32,
}

#[derive(Fields)]
#[eliot(crate = ::eliot)]
struct ExplicitFields {
    n: u32,
}

#[inline_actions]
async fn save(path: &str) -> Result<u64, std::io::Error> {
    let save = Save { path, r#type: "text" }.start();
    tokio::task::yield_now().await;
    save.add_success(Written { bytes: 3 });
    Ok(3)
}

fn main() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        Save { path: "a", r#type: "text" }.start().succeed(Written { bytes: 1 });
        Upload { key: 7_u32 }.run(|upload| upload.add_success(Written { bytes: 2 }));
        let _tick = Tick.start();
        Empty {}.start().finish();
        Explicit { n: 1 }.start().succeed(Written { bytes: 0 });
        let _: ExplicitFields = ExplicitFields { n: 1 };
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let written = runtime.block_on(async {
        let spawned = tokio::spawn(Tick.run_async(|_| async { 1 }));
        save("b").await.unwrap() + spawned.await.unwrap()
    });
    assert_eq!(written, 4);
    assert_eq!(logger.messages()[0]["type"], "text");
    logger.validate().unwrap();
}
