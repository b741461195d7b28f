use eliot::log_call;

struct Connection;

#[log_call]
fn connect(url: &str) -> Connection {
    let _ = url;
    Connection
}

#[log_call]
async fn try_connect(url: &str) -> Result<Connection, std::io::Error> {
    let _ = url;
    Ok(Connection)
}

fn main() {}
