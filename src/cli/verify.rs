//! `mirrorids verify`.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Keep each test's output in OUT/<test name>/eve.json.
    #[arg(long, value_name = "OUT")]
    pub keep_output: Option<PathBuf>,
    /// Print each test's checks, not only failures.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Test folders (a folder with test.yaml), or folders containing them.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

pub fn run(a: VerifyArgs) -> u8 {
    crate::verify::run_cli(&a.dirs, a.keep_output.as_deref(), a.verbose)
}
