//! Command-line interface. Exit codes:
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | runtime failure (unreadable capture, I/O error) |
//! | 2 | usage, configuration or rule-file error |
//! | 3 | finished, but something needs attention: a capture ended early (replay, send), a rule was skipped (rules check), a test failed (verify) |

pub mod generate;
pub mod replay;
pub mod rules;
pub mod run;
pub mod send;
pub mod verify;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub const EXIT_OK: u8 = 0;
pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_ATTENTION: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "mirrorids",
    version,
    about = "Network IDS for AWS VPC Traffic Mirroring (VXLAN/GENEVE), Suricata-rule and EVE compatible"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by commands that load a configuration.
#[derive(Debug, Args, Clone, Default)]
pub struct ConfigArgs {
    /// Configuration file (YAML, or TOML when it ends in .toml); defaults
    /// suit a mirror target.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override a configuration key, e.g. --set stream.midstream=false.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// Rules, output and threads: what `replay` and `run` both take.
#[derive(Debug, Args, Clone, Default)]
pub struct EngineArgs {
    /// Rule file or directory of *.rules (repeatable; default
    /// detect.rule_files).
    #[arg(long, short = 'r', value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Where EVE alerts go: a file, or - for standard output (default
    /// output.eve.path).
    #[arg(long, value_name = "PATH")]
    pub eve: Option<PathBuf>,
    /// Detection worker threads (overrides engine.workers).
    #[arg(long)]
    pub workers: Option<usize>,
    /// No progress bar and no end-of-run summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl EngineArgs {
    /// The rule paths: the command line's, else the configuration's.
    pub fn rule_paths(&self, cfg: &crate::config::Config) -> Vec<PathBuf> {
        if self.rules.is_empty() {
            cfg.detect.rule_files.clone()
        } else {
            self.rules.clone()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the live sensor: receive mirrored traffic (VXLAN 4789, GENEVE
    /// 6081, AF_PACKET) and write EVE alerts until SIGTERM; SIGHUP reloads
    /// the rules and reopens the EVE file.
    Run(run::RunArgs),
    /// Replay pcap/pcapng captures through the engine and write EVE alerts.
    Replay(replay::ReplayArgs),
    /// Rule-set tools.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Run test folders in suricata-verify format and report PASS/FAIL.
    Verify(verify::VerifyArgs),
    /// Generate deterministic AWS-mirror-style captures with ground truth.
    Generate(generate::GenerateArgs),
    /// Replay captures over UDP as AWS delivers them (VXLAN, or GENEVE as a
    /// Gateway Load Balancer does), at a rate or as fast as possible.
    Send(send::SendArgs),
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the default configuration (every key, documented in the source).
    Default,
    /// Check a configuration file.
    Check {
        file: PathBuf,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
}

pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Replay(a) => replay::run(a),
        Command::Rules { command } => rules::run(command),
        Command::Verify(a) => verify::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Send(a) => send::run(a),
        Command::Config { command: ConfigCommand::Default } => {
            print!("{}", crate::config::Config::default_yaml());
            EXIT_OK
        }
        Command::Config { command: ConfigCommand::Check { file, set } } => {
            match crate::config::Config::load(Some(&file), &set) {
                Ok(_) => {
                    println!("{}: OK", file.display());
                    EXIT_OK
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_USAGE
                }
            }
        }
    }
}

/// Opens the EVE output: standard output for "-", else the file (appended
/// to or truncated), rotated as `opts` says.
pub fn open_eve(
    path: &std::path::Path,
    opts: &crate::output::sinks::file::FileOptions,
) -> Result<Box<dyn std::io::Write + Send>, String> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdout()));
    }
    Ok(Box::new(crate::output::sinks::file::RotatingFile::open(path, opts)?))
}
