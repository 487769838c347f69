use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mirrorids::cli::Cli::parse();
    ExitCode::from(mirrorids::cli::run(cli))
}
