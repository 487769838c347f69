use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Output piped into `head` and closed early ends the process quietly,
    // as for any Unix filter, instead of panicking on the write.
    // SAFETY: restoring the default disposition of SIGPIPE at start-up,
    // before any thread exists, has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = mirrorids::cli::Cli::parse();
    ExitCode::from(mirrorids::cli::run(cli))
}
