use eliot::log_call;

struct Connection;

#[log_call]
fn query(sql: &str, connection: &Connection) -> usize {
    let _ = connection;
    sql.len()
}

#[log_call(include(sql, connection))]
async fn query_async(sql: &str, connection: &Connection) -> usize {
    let _ = connection;
    sql.len()
}

fn main() {}
