//! Writing a message serialized elsewhere (Python's `Logger.write`): for a
//! relay that forwards the lines of a child process or another service to
//! this process's destinations.

use crate::message::{Message, with_global_fields};
use crate::registry;

/// Writes `message`, an Eliot message serialized elsewhere, to every
/// registered destination (or, before any was added, to the startup
/// buffer), as Python Eliot's `Logger.write` does. The message is written
/// as it is, plus the global fields it does not have (see
/// [`add_global_fields`](crate::add_global_fields)); its `task_uuid` and
/// `task_level` are its own, so a relayed task keeps its place in its tree.
/// Inside a test's capturing logger (`MemoryLogger::run`,
/// `#[capture_logging]`) it goes to that logger instead.
///
/// ```
/// use eliot_core::{Message, add_destination, relay, remove_destination, FileDestination};
///
/// let path = std::env::temp_dir().join("eliot-doc-relay.log");
/// let file = add_destination(FileDestination::create(&path)?);
/// // A line a child process wrote on its stdout:
/// let line = r#"{"timestamp":1795682709.2,"task_uuid":"33eb52ae-a906-4532-b550-dbf7c91a0806","task_level":[2],"message_type":"child:note"}"#;
/// relay(&Message::from_json(line)?);
/// remove_destination(&file).unwrap();
/// assert!(std::fs::read_to_string(&path)?.contains("child:note"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn relay(message: &Message) {
    if let Some(route) = crate::context::current_route() {
        registry::deliver(std::slice::from_ref(&route), message);
        return;
    }
    registry::with_snapshot(|snapshot| {
        let message = with_global_fields(message, &snapshot.global_fields);
        registry::dispatch(snapshot, &message);
    });
}
