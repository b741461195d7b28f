//! What the console tests share: a fixed log, and a console that writes
//! into memory.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use eliot::console::{ColorChoice, ConsoleBuilder};
use eliot::{Destination, Message};

/// A writer whose bytes can be read back; clones share them.
#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.bytes()).expect("the console writes UTF-8")
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What `builder` prints for `lines`, each written as one message.
pub fn draw(builder: ConsoleBuilder, lines: &[&str]) -> String {
    let out = Shared::default();
    let console = builder.writer(out.clone());
    for line in lines {
        let message = Message::from_json(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        console.write(&message).unwrap();
    }
    out.text()
}

/// A console without colour, whatever the environment says.
pub fn plain() -> ConsoleBuilder {
    eliot::console::ConsoleDestination::builder().color(ColorChoice::Never)
}

pub const TASK_A: &str = "3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab";
pub const TASK_B: &str = "b7d41c09-5e6f-4a70-8b91-fedcba987654";

/// A request (task A) with a nested query, a failed action, a traceback and
/// a message of another task (B) in between; fixed times and UUIDs.
pub const LOG: [&str; 10] = [
    r#"{"path":"/users/7","action_status":"started","timestamp":1795682709.127,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","action_type":"app:request","task_level":[1]}"#,
    r#"{"version":"0.1.0","timestamp":1795682709.1275,"task_uuid":"b7d41c09-5e6f-4a70-8b91-fedcba987654","task_level":[1],"message_type":"app:startup"}"#,
    r#"{"size":512,"ratio":0.25,"secure":true,"timestamp":1795682709.1281,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","task_level":[2],"message_type":"app:request:received"}"#,
    r#"{"table":"users","limit":null,"action_status":"started","timestamp":1795682709.129,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","action_type":"app:db:query","task_level":[3,1]}"#,
    r#"{"row":{"id":7,"name":"Ada","roles":["admin","ops"]},"timestamp":1795682709.1296,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","task_level":[3,2],"message_type":"app:db:row"}"#,
    r#"{"rows":1,"action_status":"succeeded","timestamp":1795682709.13025,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","action_type":"app:db:query","task_level":[3,3]}"#,
    r#"{"text":"80a","action_status":"started","timestamp":1795682709.1305,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","action_type":"app:parse_port","task_level":[4,1]}"#,
    r#"{"exception":"core::num::error::ParseIntError","reason":"invalid digit found in string","action_status":"failed","timestamp":1795682709.130552,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","action_type":"app:parse_port","task_level":[4,2]}"#,
    r#"{"reason":"No such file or directory (os error 2)","traceback":"std::io::error::Error: No such file or directory (os error 2)\n\nCaused by:\n    0: not found\n","exception":"std::io::error::Error","errno":2,"timestamp":1795682709.1308,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","task_level":[5],"message_type":"eliot:traceback"}"#,
    r#"{"status":200,"action_status":"succeeded","timestamp":1795682709.1311,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","action_type":"app:request","task_level":[6]}"#,
];
