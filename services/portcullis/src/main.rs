//! `portcullis`: the one binary. `portcullis start` runs role `all` on embedded storage.

use std::process::ExitCode;

use clap::Parser;
use portcullis::{config, config_file, logging, server};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Err(e) = config_file::apply(&args) {
        eprintln!("portcullis: {e}");
        return ExitCode::FAILURE;
    }
    let cli = config::Cli::parse();
    logging::init();
    match cli.command {
        config::Command::Start(opts) => match server::start(opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("portcullis: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
