//! A `stdout` sink: records on standard output, for a container runtime
//! or a supervisor that collects it.

use std::io::Write;

use super::{DropReason, Records, Sink, SinkError};

#[derive(Default)]
pub struct StdoutSink;

impl Sink for StdoutSink {
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        let mut out = std::io::stdout().lock();
        for (i, line) in records.iter().enumerate() {
            if let Err(e) = out.write_all(line) {
                return Err(SinkError {
                    delivered: i,
                    reason: DropReason::WriteError,
                    refused: 0,
                    rejected: 0,
                    message: format!("standard output: {e}"),
                });
            }
        }
        Ok(0)
    }

    fn flush(&mut self) -> Result<(), String> {
        std::io::stdout().flush().map_err(|e| format!("standard output: {e}"))
    }
}
