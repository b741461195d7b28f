//! Buffering and reconnecting: what is kept while the server cannot be
//! reached, the notice of what the full buffer dropped, and the backoff
//! between attempts.

use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

use super::NOTICE_INTERVAL;
use super::destination::{SyslogDestination, SyslogReport};
use super::format::Head;
use super::transport::{Connection, peer_closed};
use crate::message::Message;
use crate::own_messages::MessagesDropped;

pub(super) struct State {
    pub(super) connection: Option<Connection>,
    /// Framed records (for TCP with their length prefix), oldest first.
    pub(super) pending: VecDeque<Vec<u8>>,
    /// Messages dropped since the last notice: count, first and last
    /// timestamp.
    pub(super) gap: Option<(u64, f64, f64)>,
    /// No connection attempt before this.
    pub(super) next_attempt: Option<Instant>,
    pub(super) backoff: Duration,
    pub(super) outage: Option<Outage>,
    /// No outage is reported on stderr before this.
    pub(super) quiet_until: Option<Instant>,
    pub(super) report: SyslogReport,
}

/// A time the server could not be reached.
pub(super) struct Outage {
    pub(super) since: Instant,
    /// What went wrong first.
    pub(super) error: String,
    /// Reported on stderr (then its end is reported too).
    pub(super) announced: bool,
}

impl SyslogDestination {
    /// Buffers a message, or counts it as dropped when the buffer is full.
    pub(super) fn enqueue(&self, state: &mut State, message: &Message) {
        let capacity = self.config.buffer_capacity;
        self.note_gap(state);
        // While a drop notice waits for room, later messages are dropped
        // too: the notice must stand exactly where the gap is.
        if state.pending.len() >= capacity || state.gap.is_some() {
            let timestamp = Head::of(message).timestamp.unwrap_or(0.0);
            let gap = state.gap.get_or_insert((0, timestamp, timestamp));
            gap.0 += 1;
            gap.2 = timestamp;
            state.report.dropped += 1;
            let now = Instant::now();
            if gap.0 == 1 && state.quiet_until.is_none_or(|quiet| now >= quiet) {
                state.quiet_until = Some(now + NOTICE_INTERVAL);
                eprintln!(
                    "eliot: the syslog buffer for {} is full ({capacity} messages); dropping \
                     messages until the server takes them again (they are counted in the log)",
                    self.config.target
                );
            }
            return;
        }
        let record = self.frame(message, state);
        state.pending.push_back(record);
    }

    /// Puts the drop notice into the stream if there is room for it.
    pub(super) fn note_gap(&self, state: &mut State) {
        let Some((dropped, first, last)) = state.gap else {
            return;
        };
        if state.pending.len() >= self.config.buffer_capacity {
            return;
        }
        state.gap = None;
        let reason = format!(
            "the syslog server at {} was unreachable and the buffer was full",
            self.config.target
        );
        let notice = MessagesDropped {
            dropped,
            capacity: self.config.buffer_capacity,
            reason: &reason,
            first_timestamp: Some(first),
            last_timestamp: Some(last),
        }
        .message();
        let record = self.frame(&notice, state);
        state.pending.push_back(record);
    }

    /// Sends what is pending, connecting first if the backoff allows.
    pub(super) fn pump(&self, state: &mut State) {
        if let Some(Connection::Tcp(stream)) = &state.connection
            && let Err(error) = peer_closed(stream)
        {
            self.lost_connection(state, &error);
        }
        loop {
            self.note_gap(state);
            if state.pending.is_empty() {
                return;
            }
            if state.connection.is_none() {
                let now = Instant::now();
                if state.next_attempt.is_some_and(|at| now < at) {
                    return;
                }
                match self.connect() {
                    Ok(connection) => {
                        state.connection = Some(connection);
                        state.report.connects += 1;
                    }
                    Err(error) => {
                        self.failed(state, &error);
                        return;
                    }
                }
            }
            match self.send_some(state) {
                Ok(()) => self.recovered(state),
                Err(error) => {
                    self.failed(state, &error);
                    return;
                }
            }
        }
    }

    /// A connection attempt or a write failed: drop the connection, back
    /// off, and report the outage (at most one report per
    /// [`NOTICE_INTERVAL`], so a flapping server does not flood stderr).
    pub(super) fn failed(&self, state: &mut State, error: &io::Error) {
        state.connection = None;
        state.report.failures += 1;
        let now = Instant::now();
        state.next_attempt = Some(now + state.backoff);
        state.backoff = (state.backoff * 2).min(self.config.backoff.1);
        if state.outage.is_none() {
            let error = match error.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
                    "no progress within {:?} (the server stalls)",
                    self.config.write_timeout
                ),
                _ => error.to_string(),
            };
            let announced = state.quiet_until.is_none_or(|quiet| now >= quiet);
            if announced {
                state.quiet_until = Some(now + NOTICE_INTERVAL);
                eprintln!(
                    "eliot: cannot send to the syslog server at {}: {error}; keeping up to {} \
                     messages and retrying with backoff",
                    self.config.target, self.config.buffer_capacity
                );
            }
            state.outage = Some(Outage {
                since: now,
                error,
                announced,
            });
        }
    }

    /// The peer closed a TCP connection between writes: reconnect now.
    pub(super) fn lost_connection(&self, state: &mut State, error: &io::Error) {
        state.connection = None;
        if state.outage.is_none() {
            state.outage = Some(Outage {
                since: Instant::now(),
                error: error.to_string(),
                announced: false,
            });
        }
    }

    /// A write succeeded: the outage, if any, is over.
    pub(super) fn recovered(&self, state: &mut State) {
        state.backoff = self.config.backoff.0;
        state.next_attempt = None;
        if let Some(outage) = state.outage.take()
            && outage.announced
        {
            eprintln!(
                "eliot: the syslog server at {} takes messages again after {:.1} s ({}); \
                     {} message(s) dropped so far",
                self.config.target,
                outage.since.elapsed().as_secs_f64(),
                outage.error,
                state.report.dropped
            );
        }
    }
}
