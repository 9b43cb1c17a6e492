//! `portcullis`: the one binary. `portcullis start` runs role `all` on embedded storage.

use std::process::ExitCode;

use clap::Parser;
use portcullis::{config, config_file, logging, migrate, server};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Err(e) = config_file::apply(&args) {
        eprintln!("portcullis: {e}");
        return ExitCode::FAILURE;
    }
    let cli = config::Cli::parse();
    match cli.command {
        config::Command::Start(opts) => {
            let traces = match logging::init(opts.role.name()) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("portcullis: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let code = match server::start(*opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("portcullis: {e}");
                    ExitCode::FAILURE
                }
            };
            traces.shutdown();
            code
        }
        config::Command::Migrate(opts) => {
            let traces = match logging::init("migrate") {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("portcullis: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let code = match migrate::run(&opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("portcullis: {e}");
                    ExitCode::FAILURE
                }
            };
            traces.shutdown();
            code
        }
    }
}
